/* Enterprise social network activity: the signed inbound endpoint, bulk imports (NDJSON, CSV), the
 * giving weights, ambassador candidates, leading-by-example figures and an employee's own figures.
 * Validation of the events and everything stored is in 90_esn.sql (one statement per request). */
#include "csv.h"
#include "esnsig.h"
#include "handlers.h"
#include "server.h"
#include "settings.h"
#include "validate.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ESN_WINDOW_SECONDS 300 /* a signed delivery's timestamp must be this close to now */

/* The request body as bytes (not NUL-terminated); *len receives its length. */
static const unsigned char *
esn_body(struct request *r, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);

	*len = evbuffer_get_length(in);
	return *len ? evbuffer_pullup(in, -1) : (const unsigned char *)"";
}

/* True when the Content-Type's media type is media (parameters after ';' ignored). */
static bool
esn_media_is(const char *ctype, const char *media)
{
	size_t n = strlen(media);

	return ctype != NULL && strncasecmp(ctype, media, n) == 0 &&
	       (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/* POST /v1/esn/events: checks the timestamp window and the HMAC, then stores the batch (the SQL
 * refuses a signature already seen). */
static void
esn_receive(struct request *r)
{
	const char *secret = r->srv->cfg->esn_secret;
	const char *ts = request_header(r, "X-Tandem-Timestamp");
	const char *sig = request_header(r, "X-Tandem-Signature");
	unsigned char mac[ESNSIG_LEN];
	char sighex[2 * ESNSIG_LEN + 3];
	const char *params[2];
	const unsigned char *data;
	json_error_t jerr;
	json_t *doc = NULL;
	char *text = NULL;
	long long when;
	size_t len;

	if (secret == NULL) {
		/* not a server failure: for the caller this endpoint is not there */
		request_reply_error(r, 404, "not_configured", NULL,
		                    "signed ESN deliveries are off: set --esn-secret");
		return;
	}
	if (!esnsig_parse_ts(ts, &when)) {
		request_reply_error(r, 401, "bad_signature", "X-Tandem-Timestamp",
		                    "X-Tandem-Timestamp must be the unix time in seconds");
		return;
	}
	if (llabs(when - (long long)time(NULL)) > ESN_WINDOW_SECONDS) {
		request_reply_error(r, 401, "stale_timestamp", "X-Tandem-Timestamp",
		                    "the timestamp is more than %d seconds from now",
		                    ESN_WINDOW_SECONDS);
		return;
	}
	data = esn_body(r, &len);
	if (!esnsig_parse(sig, mac) || !esnsig_verify(secret, ts, data, len, sig)) {
		request_reply_error(r, 401, "bad_signature", "X-Tandem-Signature",
		                    "X-Tandem-Signature must be sha256=<hex HMAC-SHA256 of "
		                    "\"<timestamp>.<body>\">");
		return;
	}
	doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		request_reply_error(r, 400, "malformed_json", NULL,
		                    "the body must be a JSON object {\"events\": [...]}");
		return;
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	snprintf(sighex, sizeof(sighex), "\\x");
	for (size_t i = 0; i < ESNSIG_LEN; i++)
		snprintf(sighex + 2 + 2 * i, 3, "%02x", mac[i]);
	params[0] = sighex;
	params[1] = text;
	request_query(r, "SELECT api.esn_receive($1::bytea, $2::jsonb)", 2, params, request_ok_cb);
	free(text);
}

static const char *const esn_columns[] = {"id",        "actor_email", "kind",
                                          "community", "occurred_at", "target_email"};
#define ESN_NCOLUMNS (sizeof(esn_columns) / sizeof(esn_columns[0]))
#define ESN_CSV_MAXCOLS 16

/* Converts a CSV import (header row naming esn_columns, any order; parsed by csv.c, the one CSV
 * reader) into an array of events; on a problem replies 400 and returns NULL. */
static json_t *
esn_from_csv(struct request *r, const char *s, const char *end)
{
	json_t *events = json_array();
	struct csv_table *t = NULL;
	int col[ESN_CSV_MAXCOLS];
	size_t ncols, line = 0;
	char msg[160];

	if (events == NULL)
		goto oom;
	if (!csv_parse(s, (size_t)(end - s), &t, &line, msg, sizeof(msg))) {
		request_reply_error(r, 400, "invalid_value", "csv", "line %zu: %s", line, msg);
		goto fail;
	}
	ncols = csv_records(t) > 0 ? csv_nfields(t, 0) : 0;
	if (ncols == 0 || ncols > ESN_CSV_MAXCOLS) {
		request_reply_error(r, 400, "invalid_value", "line 1",
		                    "the CSV header is malformed");
		goto fail;
	}
	for (size_t j = 0; j < ncols; j++) {
		const char *name = csv_field(t, 0, j);
		size_t c;

		for (c = 0; c < ESN_NCOLUMNS && strcmp(name, esn_columns[c]) != 0; c++)
			;
		if (c == ESN_NCOLUMNS) {
			request_reply_error(
			    r, 400, "invalid_value", "line 1",
			    "unknown CSV column \"%.60s\" (columns: id, actor_email, "
			    "kind, community, occurred_at, target_email)",
			    name);
			goto fail;
		}
		col[j] = (int)c;
	}
	for (size_t i = 1; i < csv_records(t); i++) {
		json_t *ev = json_object();

		if (ev == NULL || json_array_append_new(events, ev) != 0)
			goto oom;
		if (csv_nfields(t, i) != ncols) {
			request_reply_error(r, 400, "invalid_value", "csv",
			                    "line %zu: %zu fields, the header has %zu",
			                    csv_line(t, i), csv_nfields(t, i), ncols);
			goto fail;
		}
		for (size_t j = 0; j < ncols; j++) {
			const char *v = csv_field(t, i, j);
			json_t *str;

			if (*v == '\0')
				continue; /* an empty optional field is absent */
			str = json_string(v);
			if (str == NULL) {
				request_reply_error(r, 400, "invalid_encoding", "csv",
				                    "line %zu: not valid UTF-8", csv_line(t, i));
				goto fail;
			}
			if (json_object_set_new(ev, esn_columns[col[j]], str) != 0)
				goto oom;
		}
	}
	csv_free(t);
	return events;
oom:
	request_reply_error(r, 500, "internal", NULL, "out of memory");
fail:
	csv_free(t);
	json_decref(events);
	return NULL;
}

/* Converts an NDJSON import (one JSON object per line, empty lines skipped) into an array of
 * events; on a problem replies 400 and returns NULL. */
static json_t *
esn_from_ndjson(struct request *r, const char *s, const char *end)
{
	json_t *events = json_array();
	size_t line = 0;

	if (events == NULL)
		goto oom;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *stop = nl ? nl : end;
		json_error_t jerr;
		json_t *ev;

		line++;
		if (stop > s && stop[-1] == '\r')
			stop--;
		if (stop > s) {
			ev = json_loadb(s, (size_t)(stop - s), JSON_REJECT_DUPLICATES, &jerr);
			if (ev == NULL) {
				request_reply_error(r, 400, "malformed_json", "ndjson",
				                    "line %zu: %s", line, jerr.text);
				goto fail;
			}
			if (json_array_append_new(events, ev) != 0)
				goto oom;
		}
		s = nl ? nl + 1 : end;
	}
	return events;
oom:
	request_reply_error(r, 500, "internal", NULL, "out of memory");
fail:
	json_decref(events);
	return NULL;
}

/* POST /v1/esn/import (HR): NDJSON or CSV history, stored all-or-nothing like a signed batch. */
static void
esn_import(struct request *r)
{
	const char *ctype = request_header(r, "Content-Type");
	const char *params[2] = {r->token_hash};
	const unsigned char *data;
	json_t *events;
	char *text;
	size_t len;

	data = esn_body(r, &len);
	if (esn_media_is(ctype, "application/x-ndjson")) {
		events = esn_from_ndjson(r, (const char *)data, (const char *)data + len);
	} else if (esn_media_is(ctype, "text/csv")) {
		events = esn_from_csv(r, (const char *)data, (const char *)data + len);
	} else {
		request_reply_error(r, 415, "unsupported_media_type", NULL,
		                    "the body must be application/x-ndjson or text/csv");
		return;
	}
	if (events == NULL)
		return;
	text = json_dumps(events, JSON_COMPACT);
	json_decref(events);
	if (text == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	params[1] = text;
	request_query_bulk(r, "SELECT api.esn_import($1, $2::jsonb)", 2, params, request_ok_cb);
	free(text);
}

/* Checks the optional "days" parameter (1..730) and points *out at it, or at NULL when absent: the
 * default window is core.esn_default_days(), in SQL. */
static bool
esn_arg_days(struct request *r, const char **out)
{
	const char *s = request_arg(r, "days");
	long long v;

	if (s != NULL && (!validate_parse_id(s, &v) || v > 730)) {
		request_reply_error(r, 400, "invalid_parameter", "days", "days must be 1 to 730");
		return false;
	}
	*out = s;
	return true;
}

/* GET /v1/esn/ambassadors (HR) */
static void
esn_ambassadors(struct request *r)
{
	const char *params[3] = {r->token_hash};
	char limit[24];

	if (!esn_arg_days(r, &params[1]) || !request_arg_limit(r, 20, 200, limit, sizeof(limit)))
		return;
	params[2] = limit;
	request_query(r, "SELECT api.esn_ambassadors($1, $2::int, $3::int)", 3, params,
	              request_ok_cb);
}

/* GET /v1/esn/impact (HR) */
static void
esn_impact(struct request *r)
{
	static const char *const bys[] = {"department", "round", NULL};
	const char *params[2] = {r->token_hash};

	if (!request_arg_choice(r, "by", bys, "department", &params[1]))
		return;
	request_query(r, "SELECT api.esn_impact($1, $2)", 2, params, request_ok_cb);
}

/* GET /v1/me/esn (employee) */
static void
esn_me(struct request *r)
{
	const char *params[2] = {r->token_hash};

	if (!esn_arg_days(r, &params[1]))
		return;
	request_query(r, "SELECT api.esn_me($1, $2::int)", 2, params, request_ok_cb);
}

static const struct vrule esn_weight_rules[] = {
    {.name = "answers", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "comments", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "reactions", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "animations", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "posts", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "shares", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "people_reached", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "departments_reached", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "sites_reached", .type = V_NUMBER, .min = 0, .max = 100},
};

static const struct route esn_table[] = {
    {.method = "POST", .pattern = "/v1/esn/events", .auth = AUTH_NONE, .handler = esn_receive},
    {.method = "POST", .pattern = "/v1/esn/import", .auth = AUTH_HR, .handler = esn_import},
    {.method = "GET",
     .pattern = "/v1/esn/status",
     .auth = AUTH_HR,
     .sql = "SELECT api.esn_status($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/esn/weights",
     .auth = AUTH_HR,
     .sql = "SELECT api.esn_weights($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "PATCH",
     .pattern = "/v1/esn/weights",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .rules = esn_weight_rules,
     .nrules = NRULES(esn_weight_rules),
     .partial = true,
     .sql = "SELECT api.esn_weights_set($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/esn/ambassadors",
     .auth = AUTH_HR,
     .handler = esn_ambassadors},
    {.method = "GET", .pattern = "/v1/esn/impact", .auth = AUTH_HR, .handler = esn_impact},
    {.method = "GET", .pattern = "/v1/me/esn", .auth = AUTH_EMPLOYEE, .handler = esn_me},
};
ROUTE_TABLE(esn_routes, esn_table);

/* Request context, JSON replies, the one error shape, and database errors mapped to API errors. */
#include "request.h"
#include "util.h"
#include "ratelimit.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "scim.h"
#include "server.h"
#include "validate.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Marks the query bad when a decoded name or value is not UTF-8 text PostgreSQL would accept,
 * remembering the parameter's name to report it. */
static void
request_check_args(struct request *r)
{
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, &r->query, next)
	{
		if (!validate_utf8(kv->key)) {
			r->bad_query = true;
			return;
		}
		if (!validate_utf8(kv->value)) {
			r->bad_query = true;
			r->bad_arg = kv->key;
			return;
		}
	}
}

struct request *
request_new(struct server *srv, struct evhttp_request *ev)
{
	struct request *r = calloc(1, sizeof(*r));
	const char *uri = evhttp_request_get_uri(ev);
	const struct evhttp_uri *parsed = evhttp_request_get_evhttp_uri(ev);
	const char *path, *query;

	if (r == NULL)
		return NULL;
	r->ev = ev;
	r->srv = srv;
	r->start_ms = util_now_ms();
	TAILQ_INIT(&r->query);
	switch (evhttp_request_get_command(ev)) {
	case EVHTTP_REQ_GET:
		r->method = "GET";
		break;
	case EVHTTP_REQ_POST:
		r->method = "POST";
		break;
	case EVHTTP_REQ_PUT:
		r->method = "PUT";
		break;
	case EVHTTP_REQ_PATCH:
		r->method = "PATCH";
		break;
	case EVHTTP_REQ_DELETE:
		r->method = "DELETE";
		break;
	case EVHTTP_REQ_HEAD:
		r->method = "HEAD";
		break;
	case EVHTTP_REQ_OPTIONS:
		r->method = "OPTIONS";
		break;
	default:
		r->method = "OTHER";
		break;
	}
	/* routes match the raw path: decoding first would let %2F and %00 change its shape */
	path = parsed ? evhttp_uri_get_path(parsed) : NULL;
	r->path = strdup(path && *path ? path : (uri ? uri : "/"));
	query = parsed ? evhttp_uri_get_query(parsed) : NULL;
	if (query != NULL && evhttp_parse_query_str(query, &r->query) != 0)
		r->bad_query = true;
	else
		request_check_args(r);
	if (r->path == NULL) {
		free(r);
		return NULL;
	}
	srv->inflight++;
	/* the connection is freed before the reply only when the server itself shuts down (libevent
	 * 2.1 does not read while a request is handled, so a client's early close shows at reply)
	 */
	listener_watch_gone(ev, &r->gone);
	return r;
}

/* The reply has been written out (or its connection failed): one request fewer in flight, so a
 * shutdown never closes a socket with a reply still in its buffer. */
static void
request_complete_cb(struct evhttp_request *ev, void *arg)
{
	(void)ev;
	server_request_done(arg);
}

/* Releases r; the in-flight count drops when the reply is out (or at once if none is sent). */
static void
request_free(struct request *r, bool sent)
{
	struct server *srv = r->srv;

	if (!r->gone)
		listener_watch_gone(r->ev, NULL);
	if (r->data_free != NULL)
		r->data_free(r);
	evhttp_clear_headers(&r->query);
	json_decref(r->body);
	free(r->held_error);
	free(r->param);
	free(r->path);
	free(r);
	if (!sent)
		server_request_done(srv);
}

/* Sends status with buf as body (when not gone), logs, frees buf and r. */
static void
request_send(struct request *r, int status, struct evbuffer *buf)
{
	double ms = util_now_ms() - r->start_ms;

	log_access(r->method, r->path, status, ms);
	metrics_request(r->srv->metrics, r->method, router_route_pattern(r->route), status, ms);
	if (!r->gone) {
		struct evkeyvalq *out = evhttp_request_get_output_headers(r->ev);

		if (r->srv->stopping)
			evhttp_add_header(out, "Connection", "close");
		evhttp_request_set_on_complete_cb(r->ev, request_complete_cb, r->srv);
		evhttp_send_reply(r->ev, status, NULL, buf);
	}
	if (buf != NULL)
		evbuffer_free(buf);
	request_free(r, !r->gone);
}

void
request_reply_raw(struct request *r, int status, const char *content_type, const char *body,
                  size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (!r->gone) {
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Type",
		                  content_type);
		if (buf != NULL && body != NULL)
			evbuffer_add(buf, body, len);
	}
	request_send(r, status, buf);
}

void
request_reply_json(struct request *r, int status, const char *json_text)
{
	request_reply_raw(r, status, "application/json", json_text, strlen(json_text));
}

void
request_reply_value(struct request *r, int status, json_t *value)
{
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;

	json_decref(value);
	if (text == NULL) {
		request_reply_error(r, 500, "internal", NULL, "could not encode the response");
		return;
	}
	request_reply_json(r, status, text);
	free(text);
}

void
request_reply_empty(struct request *r)
{
	request_send(r, 204, NULL);
}

/* Sends an error document: SCIM's media type under /scim/, JSON elsewhere. */
static void
request_reply_error_text(struct request *r, int status, const char *text)
{
	request_reply_raw(r, status,
	                  scim_path(r->path) ? "application/scim+json" : "application/json", text,
	                  strlen(text));
}

void
request_reply_error(struct request *r, int status, const char *code, const char *field,
                    const char *fmt, ...)
{
	char message[512];
	json_t *err;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (r->divert_error != NULL) {
		void (*divert)(struct request *, int, const char *, const char *) = r->divert_error;

		r->divert_error = NULL;
		divert(r, status, code, message);
		return;
	}
	err = json_pack("{s:i, s:s, s:s, s:o}", "status", status, "code", code, "message", message,
	                "field", field ? json_string(field) : json_null());
	if (err == NULL) /* message was not valid UTF-8 (it echoed client input) */
		err = json_pack("{s:i, s:s, s:s, s:o}", "status", status, "code", code, "message",
		                "invalid input", "field", field ? json_string(field) : json_null());
	text = err ? json_dumps(err, JSON_COMPACT) : NULL;
	json_decref(err);
	if (scim_path(r->path) && text != NULL) {
		char *scim = scim_error_text(status, code, message);

		if (scim != NULL) {
			free(text);
			text = scim;
		}
	}
	if (r->hold_error != NULL && status >= 400 && status < 500 && text != NULL) {
		void (*hold)(struct request *) = r->hold_error;

		r->hold_error = NULL;
		r->held_status = status;
		r->held_error = text;
		hold(r);
		return;
	}
	if (!r->gone) {
		struct evkeyvalq *out = evhttp_request_get_output_headers(r->ev);

		if (status == 401)
			evhttp_add_header(out, "WWW-Authenticate", "Bearer realm=\"tandem\"");
		if (status == 401 && r->token_hash[0] != '\0')
			ratelimit_note_failure(r);
		if (status == 503)
			evhttp_add_header(out, "Retry-After", "1");
	}
	request_reply_error_text(r, status, text ? text : "{\"status\":500,\"code\":\"internal\"}");
	free(text);
}

void
request_release_error(struct request *r)
{
	request_reply_error_text(r, r->held_status, r->held_error);
}

/* One database error that the API explains to the client. */
struct request_pgmap {
	const char *sqlstate;   /* five characters, or two for a whole class */
	const char *constraint; /* NULL matches any */
	int status;
	const char *code;
	const char *field;
	const char *message;
};

static const struct request_pgmap request_pgmaps[] = {
    {"23505", "employees_email_key", 409, "email_taken", "email",
     "an employee with this email already exists"},
    {"23505", "skills_pkey", 409, "skill_exists", "slug", "a skill with this slug already exists"},
    {"23514", "employees_timezone_check", 400, "invalid_timezone", "timezone",
     "not a known IANA time zone"},
    {"23514", "employees_manager_not_self", 400, "invalid_value", "manager_email",
     "an employee cannot be their own manager"},
    {"23P01", NULL, 400, "overlapping_slots", "slots", "availability slots overlap"},
    {"23503", "teaching_skill_fkey", 400, "unknown_skill", "skills", "unknown skill"},
    {"23503", "learning_skill_fkey", 400, "unknown_skill", "goals", "unknown skill"},
    {"57014", NULL, 503, "timeout", NULL, "the request took too long, retry shortly"},
    {"22P02", NULL, 400, "invalid_value", NULL, "invalid value"},
    {"22003", NULL, 400, "invalid_value", NULL, "number out of range"},
    {"22021", NULL, 400, "invalid_encoding", NULL, "text is not valid UTF-8"},
    {"22P05", NULL, 400, "invalid_value", NULL, "text cannot hold a NUL character"},
    {"22009", NULL, 400, "invalid_value", NULL, "time zone offset out of range"},
    {"22007", NULL, 400, "invalid_value", NULL, "invalid date or time"},
    {"22008", NULL, 400, "invalid_value", NULL, "date or time out of range"},
    {"22001", NULL, 400, "invalid_value", NULL, "value too long"},
    {"23514", NULL, 400, "invalid_value", NULL, "a value breaks a rule"},
    {"23505", NULL, 409, "conflict", NULL, "this already exists"},
    {"23503", NULL, 409, "conflict", NULL, "this refers to something missing or still in use"},
    {"40001", NULL, 503, "retry", NULL, "a concurrent change got in the way, retry"},
    {"40P01", NULL, 503, "retry", NULL, "a concurrent change got in the way, retry"},
    /* whole classes, after the exact states above: data exceptions and program limits are
     * caused by what the client sent */
    {"22", NULL, 400, "invalid_value", NULL, "invalid value"},
    {"54", NULL, 400, "invalid_value", NULL, "a value is too large"},
};

/* Replies with the API error matching a failed query's SQLSTATE and constraint. */
static void
request_reply_pgerror(struct request *r, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (state == NULL) {
		/* no SQLSTATE: libpq's own error, the connection broke under the query */
		request_reply_error(r, 503, "database_unavailable", NULL,
		                    "the database is unavailable, retry shortly");
		return;
	}
	if (strncmp(state, "TD", 2) == 0) {
		/* raised by our SQL functions: TDnnn = HTTP status, hint = code, detail = field */
		const char *code = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		const char *field = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		int status = atoi(state + 2);

		request_reply_error(r, status >= 400 && status < 600 ? status : 400,
		                    code ? code : "invalid_value", field && *field ? field : NULL,
		                    "%s", primary ? primary : "rejected");
		return;
	}
	for (size_t i = 0; i < sizeof(request_pgmaps) / sizeof(request_pgmaps[0]); i++) {
		const struct request_pgmap *m = &request_pgmaps[i];

		if (strncmp(m->sqlstate, state, strlen(m->sqlstate)) != 0)
			continue;
		if (m->constraint != NULL &&
		    (constraint == NULL || strcmp(m->constraint, constraint) != 0))
			continue;
		request_reply_error(r, m->status, m->code, m->field, "%s", m->message);
		return;
	}
	if (strcmp(state, "57P01") == 0 || strncmp(state, "08", 2) == 0) {
		request_reply_error(r, 503, "database_unavailable", NULL,
		                    "the database is unavailable");
		return;
	}
	log_msg("error", "query failed on %s %s: %s %s", r->method, r->path, state,
	        primary ? primary : "");
	request_reply_error(r, 500, "internal", NULL, "internal error");
}

/* The pending query of a request: what to call with its result. */
struct request_pending {
	struct request *r;
	request_result_fn fn;
};

/* Database callback: drops abandoned requests, maps failures, passes successes on. */
static void
request_query_cb(const PGresult *res, const char *conn_error, void *arg)
{
	struct request_pending *p = arg;
	struct request *r = p->r;
	request_result_fn fn = p->fn;

	free(p);
	if (res == NULL) {
		log_msg("warn", "database unavailable for %s %s: %s", r->method, r->path,
		        conn_error ? conn_error : "");
		request_reply_error(r, 503, "database_unavailable", NULL,
		                    "the database is unavailable, retry shortly");
		return;
	}
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		fn(r, res);
		return;
	default:
		request_reply_pgerror(r, res);
		return;
	}
}

/* Runs sql on pool for r, replying 503 itself when the pool refuses it. */
static void
request_query_on(struct request *r, struct db_pool *pool, const char *sql, int nparams,
                 const char *const *params, request_result_fn fn)
{
	struct request_pending *p = malloc(sizeof(*p));

	if (p == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	p->r = r;
	p->fn = fn;
	r->hold_error = NULL;
	switch (db_query(pool, sql, nparams, params, request_query_cb, p)) {
	case DB_QUEUED:
		return;
	case DB_FULL:
		free(p);
		request_reply_error(r, 503, "overloaded", NULL,
		                    "too many requests waiting, retry shortly");
		return;
	case DB_DOWN:
		free(p);
		request_reply_error(r, 503, "database_unavailable", NULL,
		                    "the database is unavailable, retry shortly");
		return;
	}
}

void
request_query(struct request *r, const char *sql, int nparams, const char *const *params,
              request_result_fn fn)
{
	request_query_on(r, r->srv->pool, sql, nparams, params, fn);
}

void
request_query_bulk(struct request *r, const char *sql, int nparams, const char *const *params,
                   request_result_fn fn)
{
	request_query_on(r, r->srv->bulk_pool, sql, nparams, params, fn);
}

void
request_reply_first(struct request *r, int status, const PGresult *res)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_reply_error(r, 404, "not_found", NULL, "not found");
		return;
	}
	request_reply_json(r, status, PQgetvalue(res, 0, 0));
}

const char *
request_arg(struct request *r, const char *name)
{
	return evhttp_find_header(&r->query, name);
}

const char *
request_header(struct request *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

void
request_ok_cb(struct request *r, const PGresult *res)
{
	request_reply_first(r, 200, res);
}

void
request_created_cb(struct request *r, const PGresult *res)
{
	request_reply_first(r, 201, res);
}

bool
request_param_id(struct request *r, const char *what)
{
	long long id;

	if (r->param == NULL || !validate_parse_id(r->param, &id)) {
		request_reply_error(r, 404, "not_found", NULL, "no such %s", what);
		return false;
	}
	return true;
}

bool
request_validate(struct request *r, const struct vrule *rules, size_t nrules, bool partial)
{
	json_t *empty = r->body == NULL ? json_object() : NULL; /* an optional body left out */
	struct verr err;
	bool ok = validate_object(r->body ? r->body : empty, rules, nrules, partial, "", &err);

	json_decref(empty);
	if (!ok)
		request_reply_verr(r, &err);
	return ok;
}

void
request_reply_verr(struct request *r, const struct verr *err)
{
	request_reply_error(r, 400, err->code, err->field, "%s", err->message);
}

bool
request_arg_choice(struct request *r, const char *name, const char *const *choices, const char *def,
                   const char **out)
{
	const char *s = request_arg(r, name);

	*out = def;
	if (s == NULL)
		return true;
	for (; *choices; choices++) {
		if (strcmp(s, *choices) == 0) {
			*out = s;
			return true;
		}
	}
	request_reply_error(r, 400, "invalid_parameter", name, "%s has an unknown value", name);
	return false;
}

bool
request_arg_limit(struct request *r, long long def, long long max, char *buf, size_t len)
{
	const char *s = request_arg(r, "limit");
	long long v = def;

	if (s != NULL && (!validate_parse_id(s, &v) || v > max)) {
		request_reply_error(r, 400, "invalid_parameter", "limit", "limit must be 1 to %lld",
		                    max);
		return false;
	}
	snprintf(buf, len, "%lld", v);
	return true;
}

bool
request_arg_cursor(struct request *r, const char **out)
{
	long long id;

	*out = request_arg(r, "cursor");
	if (*out == NULL || validate_parse_id(*out, &id))
		return true;
	request_reply_error(r, 400, "invalid_parameter", "cursor",
	                    "cursor is not one this server issued");
	return false;
}

void
request_query_body(struct request *r, const char *sql, int nparams, const char *const *params,
                   request_result_fn fn)
{
	char *body = r->body ? json_dumps(r->body, JSON_COMPACT) : strdup("{}");
	const char *all[8];

	if (body == NULL || nparams >= (int)(sizeof(all) / sizeof(all[0]))) {
		free(body);
		request_reply_error(r, 500, "internal", NULL, "could not encode the request");
		return;
	}
	for (int i = 0; i < nparams; i++)
		all[i] = params[i];
	all[nparams] = body;
	request_query(r, sql, nparams + 1, all, fn);
	free(body);
}

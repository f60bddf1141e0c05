/* HR-managed outgoing webhooks, one per event type; deliveries are made by upkeep.c. */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

static const char *const webhooks_types[] = {"badge_earned", "pair_completed", "pair_stalled",
                                             "session_confirmed", NULL};

static const struct vrule webhooks_rules[] = {
    {.name = "event_type", .type = V_STRING, .required = true, .choices = webhooks_types},
    {.name = "url", .type = V_STRING, .required = true, .min = 8, .max = 2000},
    {.name = "secret", .type = V_STRING, .required = true, .min = 16, .max = 200},
};

void
webhooks_create(struct request *r)
{
	const char *params[3];
	const char *url;
	struct evhttp_uri *uri;
	bool ok;

	if (!request_validate(r, webhooks_rules, 3, false))
		return;
	url = json_string_value(json_object_get(r->body, "url"));
	uri = evhttp_uri_parse(url);
	ok = uri != NULL && evhttp_uri_get_scheme(uri) != NULL &&
	     (strcmp(evhttp_uri_get_scheme(uri), "http") == 0 ||
	      strcmp(evhttp_uri_get_scheme(uri), "https") == 0) &&
	     evhttp_uri_get_host(uri) != NULL && *evhttp_uri_get_host(uri) != '\0';
	if (uri != NULL)
		evhttp_uri_free(uri);
	if (!ok) {
		request_reply_error(r, 400, "invalid_value", "url",
		                    "url must be an http:// or https:// URL with a host");
		return;
	}
	params[0] = json_string_value(json_object_get(r->body, "event_type"));
	params[1] = url;
	params[2] = json_string_value(json_object_get(r->body, "secret"));
	request_query(r,
	              "INSERT INTO webhooks (event_type, url, secret) VALUES ($1, $2, $3) "
	              "RETURNING webhook_json(webhooks)",
	              3, params, request_created_cb);
}

void
webhooks_list(struct request *r)
{
	request_query(
	    r,
	    "SELECT jsonb_build_object('items', coalesce(jsonb_agg(webhook_json(w) ORDER BY "
	    "w.id), '[]')) FROM webhooks w",
	    0, NULL, request_ok_cb);
}

static void
webhooks_deleted_cb(struct request *r, const PGresult *res)
{
	if (PQntuples(res) < 1) {
		request_reply_error(r, 404, "not_found", NULL, "no such webhook");
		return;
	}
	request_reply_empty(r);
}

void
webhooks_delete(struct request *r)
{
	const char *params[1] = {r->param};

	if (!request_param_id(r, "webhook"))
		return;
	request_query(r, "DELETE FROM webhooks WHERE id = $1::bigint RETURNING id", 1, params,
	              webhooks_deleted_cb);
}

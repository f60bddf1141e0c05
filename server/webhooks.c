/* HR-managed outgoing webhooks, one per event type; deliveries are made by upkeep.c. */
#include "handlers.h"
#include "netpolicy.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>

static const char *const webhooks_types[] = {"badge_earned", "pair_completed", "pair_stalled",
                                             "session_confirmed", NULL};

static const struct vrule webhooks_rules[] = {
    {.name = "event_type", .type = V_STRING, .required = true, .choices = webhooks_types},
    {.name = "url", .type = V_STRING, .required = true, .min = 8, .max = 2000},
};

static const struct vrule webhooks_rotate_rules[] = {
    {.name = "grace_seconds", .type = V_INT, .min = 0, .max = 604800},
};

/* POST /v1/webhooks: the URL must be http(s) with a host, and not an IP literal of an internal
 * network unless allowed (names are checked on their addresses at each delivery, upkeep.c). */
static bool
webhooks_check_url(struct request *r)
{
	const char *url = json_string_value(json_object_get(r->body, "url"));
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	struct netpolicy *np = NULL;
	bool ok = uri != NULL && evhttp_uri_get_scheme(uri) != NULL &&
	          (strcmp(evhttp_uri_get_scheme(uri), "http") == 0 ||
	           strcmp(evhttp_uri_get_scheme(uri), "https") == 0) &&
	          evhttp_uri_get_host(uri) != NULL && *evhttp_uri_get_host(uri) != '\0';

	if (!ok) {
		request_reply_error(r, 400, "invalid_value", "url",
		                    "url must be an http:// or https:// URL with a host");
		goto out;
	}
	np = netpolicy_new(r->srv->cfg->webhook_allow_private, r->srv->cfg->webhook_allow_cidrs);
	if (np == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		ok = false;
		goto out;
	}
	ok = netpolicy_allows_host(np, evhttp_uri_get_host(uri));
	if (!ok)
		request_reply_error(r, 400, "invalid_value", "url",
		                    "url points at a loopback, private, link-local or metadata "
		                    "address; webhooks may not reach internal networks");
out:
	netpolicy_free(np);
	if (uri != NULL)
		evhttp_uri_free(uri);
	return ok;
}

static const struct route webhooks_table[] = {
    {.method = "POST",
     .pattern = "/v1/webhooks",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .rules = webhooks_rules,
     .nrules = NRULES(webhooks_rules),
     .check = webhooks_check_url,
     .sql = "SELECT api.webhook_create($1, $2::jsonb->>'event_type', $2::jsonb->>'url')",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_created_cb},
    {.method = "GET",
     .pattern = "/v1/webhooks",
     .auth = AUTH_HR,
     .sql = "SELECT api.webhooks_list($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/webhooks/{}/rotate-secret",
     .auth = AUTH_HR,
     .id_of = "webhook",
     .body = BODY_OPTIONAL,
     .rules = webhooks_rotate_rules,
     .nrules = NRULES(webhooks_rotate_rules),
     .sql = "SELECT api.webhook_rotate_secret($1, $2::bigint, $3::jsonb)",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
    {.method = "DELETE",
     .pattern = "/v1/webhooks/{}",
     .auth = AUTH_HR,
     .id_of = "webhook",
     .sql = "SELECT api.webhook_delete($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = route_empty_cb},
};
ROUTE_TABLE(webhooks_routes, webhooks_table);

/* Personal tokens: mint one for the caller (a scope, a name, an expiry), list them (HR: anyone's,
 * never the secret), revoke one, the one in use (sign-out) or all of them. */
#include "handlers.h"
#include "server.h"
#include "token.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>

static const char *const tokens_scopes[] = {"read", "write", NULL};

static const struct vrule tokens_issue_rules[] = {
    {.name = "name", .type = V_STRING, .min = 0, .max = 100},
    {.name = "scope", .type = V_STRING, .choices = tokens_scopes},
    {.name = "expires_in_days", .type = V_INT, .min = 1, .max = 366},
};

/* POST /v1/tokens: a fresh token whose prefix carries its scope; the database keeps its hash. */
static void
tokens_issue(struct request *r)
{
	const char *scope = json_string_value(json_object_get(r->body, "scope"));
	bool read = scope != NULL && strcmp(scope, "read") == 0;
	char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN], days[16];
	const char *params[4];

	if (!token_generate_prefixed(token, sizeof(token),
	                             read ? TOKEN_PREFIX_READ : TOKEN_PREFIX_WRITE) ||
	    !token_hash(token, hash)) {
		request_reply_error(r, 500, "internal", NULL, "could not create a token");
		return;
	}
	snprintf(days, sizeof(days), "%d", r->srv->cfg->token_days);
	params[0] = r->token_hash;
	params[1] = token;
	params[2] = hash;
	params[3] = days;
	request_query_body(r, "SELECT api.token_issue($1, $2, $3, $4::int, $5::jsonb)", 4, params,
	                   request_created_cb);
}

/* GET /v1/tokens: the caller's live tokens (HR: everyone's, or one employee's). */
static void
tokens_list(struct request *r)
{
	const char *params[4];
	char limit[24];
	struct evkeyval *kv;
	long long id;

	TAILQ_FOREACH(kv, &r->query, next)
	{
		if (strcmp(kv->key, "employee_id") != 0 && strcmp(kv->key, "cursor") != 0 &&
		    strcmp(kv->key, "limit") != 0) {
			request_reply_error(r, 400, "invalid_parameter", kv->key,
			                    "unknown query parameter \"%s\"", kv->key);
			return;
		}
	}
	params[0] = r->token_hash;
	params[1] = request_arg(r, "employee_id");
	if (params[1] != NULL && !validate_parse_id(params[1], &id)) {
		request_reply_error(r, 400, "invalid_parameter", "employee_id",
		                    "employee_id must be an employee id");
		return;
	}
	if (!request_arg_cursor(r, &params[2]) ||
	    !request_arg_limit(r, 50, 200, limit, sizeof(limit)))
		return;
	params[3] = limit;
	request_query(r, "SELECT api.token_list($1, $2::bigint, $3::bigint, $4::int)", 4, params,
	              request_ok_cb);
}

static const struct route tokens_table[] = {
    {.method = "POST",
     .pattern = "/v1/tokens",
     .auth = AUTH_ANY,
     .body = BODY_OPTIONAL,
     .rules = tokens_issue_rules,
     .nrules = NRULES(tokens_issue_rules),
     .partial = true,
     .handler = tokens_issue},
    {.method = "GET", .pattern = "/v1/tokens", .auth = AUTH_ANY, .handler = tokens_list},
    {.method = "DELETE",
     .pattern = "/v1/tokens/current",
     .auth = AUTH_ANY,
     .sql = "SELECT api.token_revoke_current($1)",
     .args = {ARG_TOKEN},
     .done = route_empty_cb},
    {.method = "DELETE",
     .pattern = "/v1/tokens/all",
     .auth = AUTH_ANY,
     .sql = "SELECT api.token_revoke_all($1)",
     .args = {ARG_TOKEN},
     .done = route_empty_cb},
    {.method = "DELETE",
     .pattern = "/v1/tokens/{}",
     .auth = AUTH_ANY,
     .id_of = "token",
     .sql = "SELECT api.token_revoke($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = route_empty_cb},
};
ROUTE_TABLE(tokens_routes, tokens_table);

/* Token rotation: mint another token for the caller, or revoke the one in use (sign-out). */
#include "handlers.h"
#include "token.h"

#include <string.h>

/* Issuing a token takes no fields. */
static bool
tokens_check_issue(struct request *r)
{
	if (r->body != NULL && json_object_size(r->body) > 0) {
		request_reply_error(r, 400, "unknown_field",
		                    json_object_iter_key(json_object_iter(r->body)),
		                    "issuing a token takes no fields");
		return false;
	}
	return true;
}

/* POST /v1/tokens: a fresh token; the database keeps only its hash. */
static void
tokens_issue(struct request *r)
{
	char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN];
	const char *params[3];

	if (!token_generate(token, sizeof(token)) || !token_hash(token, hash)) {
		request_reply_error(r, 500, "internal", NULL, "could not create a token");
		return;
	}
	params[0] = r->token_hash;
	params[1] = token;
	params[2] = hash;
	request_query(r, "SELECT api.token_issue($1, $2, $3)", 3, params, request_created_cb);
}

static const struct route tokens_table[] = {
    {.method = "POST",
     .pattern = "/v1/tokens",
     .auth = AUTH_ANY,
     .body = BODY_OPTIONAL,
     .check = tokens_check_issue,
     .handler = tokens_issue},
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
};
ROUTE_TABLE(tokens_routes, tokens_table);

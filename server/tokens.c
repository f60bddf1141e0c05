/* Token rotation: mint another token for the caller, or revoke the one in use (sign-out). */
#include "handlers.h"
#include "token.h"

#include <string.h>

void
tokens_issue(struct request *r)
{
	char token[TOKEN_LEN + 1];
	const char *params[2];

	if (r->body != NULL && json_object_size(r->body) > 0) {
		request_reply_error(r, 400, "unknown_field",
		                    json_object_iter_key(json_object_iter(r->body)),
		                    "issuing a token takes no fields");
		return;
	}
	if (!token_generate(token, sizeof(token))) {
		request_reply_error(r, 500, "internal", NULL, "could not create a token");
		return;
	}
	params[0] = r->token;
	params[1] = token;
	request_query(r, "SELECT api_token_issue($1, $2)", 2, params, request_created_cb);
}

static void
tokens_revoked_cb(struct request *r, const PGresult *res)
{
	(void)res;
	request_reply_empty(r);
}

void
tokens_revoke_all(struct request *r)
{
	const char *params[1] = {r->token};

	request_query(r, "SELECT api_token_revoke_all($1)", 1, params, tokens_revoked_cb);
}

void
tokens_revoke_current(struct request *r)
{
	const char *params[1] = {r->token};

	request_query(r, "DELETE FROM api_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
	              1, params, tokens_revoked_cb);
}

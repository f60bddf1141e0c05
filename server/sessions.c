/* Mentoring sessions (logged by the manager, confirmed or disputed by the mentor) and a manager's
 * skill progress. Awards happen in the confirming statement. */
#include "handlers.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct vrule sessions_log_rules[] = {
    {.name = "occurred_at",
     .type = V_STRING,
     .required = true,
     .min = 20,
     .max = 40,
     .check = validate_timestamp},
    {.name = "duration_minutes", .type = V_INT, .required = true, .min = 15, .max = 240},
    {.name = "skills",
     .type = V_STRING_ARRAY,
     .required = true,
     .min = 1,
     .max = 10,
     .check = validate_slug,
     .unique = true},
    {.name = "note", .type = V_STRING, .min = 0, .max = 2000},
    {.name = "rating", .type = V_INT, .required = true, .min = 1, .max = 5},
};

static const struct vrule sessions_dispute_rules[] = {
    {.name = "reason", .type = V_STRING, .required = true, .min = 1, .max = 500},
};

static const struct vrule sessions_progress_rules[] = {
    {.name = "skill",
     .type = V_STRING,
     .required = true,
     .min = 2,
     .max = 40,
     .check = validate_slug},
    {.name = "level", .type = V_INT, .required = true, .min = 0, .max = 5},
};

/* True when an Idempotency-Key header, if any, has a sane shape; replies 400 otherwise. */
static bool
sessions_check_key(struct request *r)
{
	const char *key = request_header(r, "Idempotency-Key");
	size_t n = key ? strlen(key) : 1;

	for (size_t i = 0; key != NULL && i < n; i++) {
		char c = key[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == ':' || c == '.'))
			n = 0;
	}
	if (n == 0 || n > 100) {
		request_reply_error(r, 400, "invalid_value", "Idempotency-Key",
		                    "Idempotency-Key must be 1 to 100 of [A-Za-z0-9_-:.]");
		return false;
	}
	return true;
}

/* A logged session: 201 when created, 200 when an Idempotency-Key replayed the first reply. */
static void
sessions_logged_cb(struct request *r, const PGresult *res)
{
	bool replayed = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0;

	request_reply_first(r, replayed ? 200 : 201, res);
}

/* POST /v1/pairs/{id}/sessions: the statement takes the Idempotency-Key too. */
static void
sessions_log(struct request *r)
{
	const char *params[3] = {r->token_hash, r->param, request_header(r, "Idempotency-Key")};

	request_query_body(r,
	                   "SELECT s, replayed FROM api.session_log($1, $2::bigint, $4::jsonb, $3)",
	                   3, params, sessions_logged_cb);
}

/* Confirming takes no fields. */
static bool
sessions_check_confirm(struct request *r)
{
	if (r->body != NULL && json_object_size(r->body) > 0) {
		request_reply_error(r, 400, "unknown_field",
		                    json_object_iter_key(json_object_iter(r->body)),
		                    "confirming takes no fields");
		return false;
	}
	return true;
}

static const struct route sessions_table[] = {
    {.method = "POST",
     .pattern = "/v1/pairs/{}/sessions",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_REQUIRED,
     .id_of = "pair",
     .rules = sessions_log_rules,
     .nrules = NRULES(sessions_log_rules),
     .check = sessions_check_key,
     .handler = sessions_log},
    {.method = "GET",
     .pattern = "/v1/pairs/{}/sessions",
     .auth = AUTH_ANY,
     .id_of = "pair",
     .sql = "SELECT api.pair_sessions($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/sessions/{}/confirm",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_OPTIONAL,
     .id_of = "session",
     .check = sessions_check_confirm,
     .sql = "SELECT api.session_decide($1, $2::bigint, 'confirmed', NULL)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/sessions/{}/dispute",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_REQUIRED,
     .id_of = "session",
     .rules = sessions_dispute_rules,
     .nrules = NRULES(sessions_dispute_rules),
     .sql = "SELECT api.session_decide($1, $2::bigint, 'disputed', $3::jsonb->>'reason')",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/me/progress",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_REQUIRED,
     .rules = sessions_progress_rules,
     .nrules = NRULES(sessions_progress_rules),
     .sql = "SELECT api.progress($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_ok_cb},
};
ROUTE_TABLE(sessions_routes, sessions_table);

/* Mentoring sessions (logged by the manager, confirmed or disputed by the mentor), pair endings
 * with closing feedback, and a manager's skill progress. Awards happen in the confirming statement.
 */
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

static const struct vrule sessions_end_rules[] = {
    {.name = "feedback", .type = V_STRING, .min = 1, .max = 2000},
    {.name = "rating", .type = V_INT, .min = 1, .max = 5},
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
sessions_check_key(struct request *r, const char *key)
{
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

void
sessions_log(struct request *r)
{
	const char *key = request_header(r, "Idempotency-Key");
	const char *params[3];

	if (!request_param_id(r, "pair") ||
	    !request_validate(r, sessions_log_rules, NRULES(sessions_log_rules), false) ||
	    !sessions_check_key(r, key))
		return;
	params[0] = r->caller_id;
	params[1] = r->param;
	params[2] = key;
	request_query_body(r,
	                   "SELECT s, s ? 'replayed' FROM api_session_log($1::bigint, $2::bigint, "
	                   "$4::jsonb, $3) AS s",
	                   3, params, sessions_logged_cb);
}

void
sessions_list(struct request *r)
{
	const char *params[3] = {r->param, request_employee_id(r),
	                         r->caller == CALLER_HR ? "true" : "false"};

	if (!request_param_id(r, "pair"))
		return;
	request_query(r, "SELECT api_pair_sessions($1::bigint, $2::bigint, $3::boolean)", 3, params,
	              request_ok_cb);
}

void
sessions_confirm(struct request *r)
{
	const char *params[2] = {r->caller_id, r->param};

	if (!request_param_id(r, "session"))
		return;
	if (r->body != NULL && json_object_size(r->body) > 0) {
		request_reply_error(r, 400, "unknown_field",
		                    json_object_iter_key(json_object_iter(r->body)),
		                    "confirming takes no fields");
		return;
	}
	request_query(r, "SELECT api_session_decide($1::bigint, $2::bigint, 'confirmed', NULL)", 2,
	              params, request_ok_cb);
}

void
sessions_dispute(struct request *r)
{
	const char *params[3];

	if (!request_param_id(r, "session") ||
	    !request_validate(r, sessions_dispute_rules, NRULES(sessions_dispute_rules), false))
		return;
	params[0] = r->caller_id;
	params[1] = r->param;
	params[2] = json_string_value(json_object_get(r->body, "reason"));
	request_query(r, "SELECT api_session_decide($1::bigint, $2::bigint, 'disputed', $3)", 3,
	              params, request_ok_cb);
}

void
pairs_get(struct request *r)
{
	const char *params[3] = {r->param, request_employee_id(r),
	                         r->caller == CALLER_HR ? "true" : "false"};

	if (!request_param_id(r, "pair"))
		return;
	request_query(r,
	              "SELECT CASE WHEN pair_side($1::bigint, $2::bigint, $3::boolean) IS NOT NULL "
	              "THEN pair_json($1::bigint, $3::boolean) END",
	              3, params, request_ok_cb);
}

void
pairs_end(struct request *r)
{
	const char *params[3];

	if (!request_param_id(r, "pair") ||
	    !request_validate(r, sessions_end_rules, NRULES(sessions_end_rules), false))
		return;
	params[0] = r->param;
	params[1] = request_employee_id(r);
	params[2] = r->caller == CALLER_HR ? "true" : "false";
	request_query_body(r, "SELECT api_pair_end($1::bigint, $2::bigint, $3::boolean, $4::jsonb)",
	                   3, params, request_ok_cb);
}

void
me_progress(struct request *r)
{
	const char *params[1];

	if (!request_validate(r, sessions_progress_rules, NRULES(sessions_progress_rules), false))
		return;
	params[0] = r->caller_id;
	request_query_body(r, "SELECT api_progress($1::bigint, $2::jsonb)", 1, params,
	                   request_ok_cb);
}

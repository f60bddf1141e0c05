/* Pairs: an employee's active pairs with an iCalendar invitation, a pair as its sides and HR see
 * it, moving its end date, and ending a pair with closing feedback. */
#include "handlers.h"
#include "validate.h"

static const struct vrule pairs_patch_rules[] = {
    {.name = "ends_on",
     .type = V_STRING,
     .required = true,
     .min = 10,
     .max = 10,
     .check = validate_date},
};

static const struct vrule pairs_end_rules[] = {
    {.name = "feedback", .type = V_STRING, .min = 1, .max = 2000},
    {.name = "rating", .type = V_INT, .min = 1, .max = 5},
};

/* The invitation is text/calendar; 404 when the pair is not an active one of the caller. */
static void
pairs_invite_cb(struct request *r, const PGresult *res)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_reply_error(r, 404, "not_found", NULL, "no such active pair of yours");
		return;
	}
	request_reply_raw(r, 200, "text/calendar; charset=utf-8", PQgetvalue(res, 0, 0),
	                  (size_t)PQgetlength(res, 0, 0));
}

static const struct route pairs_table[] = {
    {.method = "GET",
     .pattern = "/v1/me/pairs",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.my_pairs($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/me/pairs/{}/invite.ics",
     .auth = AUTH_EMPLOYEE,
     .id_of = "pair",
     .sql = "SELECT api.pair_ics($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = pairs_invite_cb},
    {.method = "GET",
     .pattern = "/v1/pairs/{}",
     .auth = AUTH_ANY,
     .id_of = "pair",
     .sql = "SELECT api.pair_get($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = request_ok_cb},
    {.method = "PATCH",
     .pattern = "/v1/pairs/{}",
     .auth = AUTH_ANY,
     .body = BODY_REQUIRED,
     .id_of = "pair",
     .rules = pairs_patch_rules,
     .nrules = NRULES(pairs_patch_rules),
     .sql = "SELECT api.pair_patch($1, $2::bigint, $3::jsonb)",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/pairs/{}/end",
     .auth = AUTH_ANY,
     .body = BODY_OPTIONAL,
     .id_of = "pair",
     .rules = pairs_end_rules,
     .nrules = NRULES(pairs_end_rules),
     .sql = "SELECT api.pair_end($1, $2::bigint, $3::jsonb)",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
};
ROUTE_TABLE(pairs_routes, pairs_table);

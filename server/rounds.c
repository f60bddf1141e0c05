/* Matching rounds for HR: create (with the documented defaults), review, pin/forbid, re-solve,
 * publish, cancel. */
#include "handlers.h"
#include "server.h"
#include "solver.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const rounds_objectives[] = {"max_matched_then_score", "max_score", NULL};

static const struct vrule rounds_filter_rules[] = {
    {.name = "departments", .type = V_STRING_ARRAY, .min = 0, .max = 100, .unique = true},
    {.name = "sites", .type = V_STRING_ARRAY, .min = 0, .max = 100, .unique = true},
};

static const struct vrule rounds_weight_rules[] = {
    {.name = "skill_gain", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "cross_department", .type = V_NUMBER, .min = 0, .max = 1000},
    {.name = "overlap_per_hour", .type = V_NUMBER, .min = 0, .max = 100},
    {.name = "overlap_cap_hours", .type = V_NUMBER, .min = 0, .max = 40},
    {.name = "previously_unmatched", .type = V_NUMBER, .min = 0, .max = 1000},
};

static const struct vrule rounds_constraint_rules[] = {
    {.name = "max_mentors_per_team", .type = V_INT, .nullable = true, .min = 1, .max = 10000},
    {.name = "min_department_share", .type = V_NUMBER, .nullable = true, .min = 0, .max = 1},
};

#define ROUNDS_PARAM_RULES                                                                         \
	{.name = "objective", .type = V_STRING, .choices = rounds_objectives},                     \
	    {.name = "filter", .type = V_OBJECT, .items = rounds_filter_rules, .nitems = 2},       \
	    {.name = "weights", .type = V_OBJECT, .items = rounds_weight_rules, .nitems = 5},      \
	    {.name = "constraints",                                                                \
	     .type = V_OBJECT,                                                                     \
	     .items = rounds_constraint_rules,                                                     \
	     .nitems = 2},                                                                         \
	    {.name = "session_minutes", .type = V_INT, .min = 15, .max = 240},                     \
	    {.name = "reference_week",                                                             \
	     .type = V_STRING,                                                                     \
	     .min = 10,                                                                            \
	     .max = 10,                                                                            \
	     .check = validate_date},                                                              \
	    {.name = "allow_repeat_pairs", .type = V_BOOL},                                        \
	    {.name = "mentor_capacity_cap", .type = V_INT, .min = 1, .max = 3},                    \
	    {.name = "time_limit_seconds", .type = V_INT, .min = 1, .max = 600},                   \
	    {.name = "starts_on", .type = V_STRING, .min = 10, .max = 10, .check = validate_date}, \
	{                                                                                          \
		.name = "ends_on", .type = V_STRING, .min = 10, .max = 10, .check = validate_date  \
	}

static const struct vrule rounds_create_rules[] = {
    {.name = "name", .type = V_STRING, .required = true, .min = 1, .max = 100},
    {.name = "solve", .type = V_BOOL},
    ROUNDS_PARAM_RULES,
};

static const struct vrule rounds_patch_rules[] = {
    {.name = "name", .type = V_STRING, .min = 1, .max = 100},
    ROUNDS_PARAM_RULES,
};

static const struct vrule rounds_pair_item[] = {
    {.name = "mentor_id", .type = V_INT, .required = true, .min = 1, .max = 9e15},
    {.name = "mentee_id", .type = V_INT, .required = true, .min = 1, .max = 9e15},
};
static const struct vrule rounds_pins_rules[] = {
    {.name = "pins",
     .type = V_OBJECT_ARRAY,
     .required = true,
     .min = 0,
     .max = 1000,
     .items = rounds_pair_item,
     .nitems = 2},
};
static const struct vrule rounds_forbidden_rules[] = {
    {.name = "forbidden",
     .type = V_OBJECT_ARRAY,
     .required = true,
     .min = 0,
     .max = 10000,
     .items = rounds_pair_item,
     .nitems = 2},
};
static const struct vrule rounds_solve_rules[] = {
    {.name = "keep_previous", .type = V_BOOL},
};

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long
rounds_days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Formats days since the epoch as YYYY-MM-DD. */
static void
rounds_format_day(long days, char *buf, size_t len)
{
	time_t t = (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* Parses a validated date into days since the epoch. */
static bool
rounds_day(const char *s, long *days)
{
	int y, m, d;

	if (s == NULL || !validate_parse_date(s, &y, &m, &d))
		return false;
	*days = rounds_days_from_civil(y, m, d);
	return true;
}

/* Checks dates: the reference week starts on a Monday, the round ends after it starts. */
static bool
rounds_check_dates(const json_t *body, struct verr *err)
{
	const char *week = json_string_value(json_object_get(body, "reference_week"));
	const char *start = json_string_value(json_object_get(body, "starts_on"));
	const char *end = json_string_value(json_object_get(body, "ends_on"));
	long d, s, e;

	/* 1970-01-01 was a Thursday: Monday is days % 7 == 4 */
	if (week != NULL && rounds_day(week, &d) && ((d % 7) + 7) % 7 != 4) {
		err->code = "invalid_value";
		snprintf(err->field, sizeof(err->field), "reference_week");
		snprintf(err->message, sizeof(err->message), "reference_week must be a Monday");
		return false;
	}
	if (start != NULL && end != NULL && rounds_day(start, &s) && rounds_day(end, &e) &&
	    e <= s) {
		err->code = "invalid_value";
		snprintf(err->field, sizeof(err->field), "ends_on");
		snprintf(err->message, sizeof(err->message), "ends_on must be after starts_on");
		return false;
	}
	return true;
}

/* Builds the full parameter object of a new round: documented defaults overlaid by the body. */
static json_t *
rounds_params(const json_t *body)
{
	time_t now = time(NULL);
	long today = (long)(now / 86400), monday, start;
	char week[16], starts[16], ends[16];
	json_t *params, *v;
	const char *key;

	monday = today + ((4 - today % 7) + 7) % 7; /* next Monday, today if Monday */
	rounds_format_day(monday, week, sizeof(week));
	if (!rounds_day(json_string_value(json_object_get(body, "starts_on")), &start))
		start = monday;
	rounds_format_day(start, starts, sizeof(starts));
	rounds_format_day(start + 182, ends, sizeof(ends));
	params =
	    json_pack("{s:s, s:{s:[], s:[]}, s:{s:f, s:f, s:f, s:f, s:f}, s:{s:n, s:n}, s:i, s:s, "
	              "s:b, s:i, s:i, s:s, s:s}",
	              "objective", "max_matched_then_score", "filter", "departments", "sites",
	              "weights", "skill_gain", 1.0, "cross_department", 4.0, "overlap_per_hour",
	              0.5, "overlap_cap_hours", 4.0, "previously_unmatched", 2.0, "constraints",
	              "max_mentors_per_team", "min_department_share", "session_minutes", 60,
	              "reference_week", week, "allow_repeat_pairs", 0, "mentor_capacity_cap", 3,
	              "time_limit_seconds", 60, "starts_on", starts, "ends_on", ends);
	if (params == NULL)
		return NULL;
	json_object_foreach((json_t *)body, key, v)
	{
		if (strcmp(key, "name") == 0 || strcmp(key, "solve") == 0)
			continue;
		if (json_is_object(v))
			json_object_update(json_object_get(params, key), v);
		else
			json_object_set(params, key, v);
	}
	return params;
}

/* A queued (re-)solve: 202, and the solver is woken. */
static void
rounds_queued_cb(struct request *r, const PGresult *res)
{
	solver_kick(r->srv->solver);
	request_reply_first(r, 202, res);
}

/* A new round: 201 as a draft, 202 when queued for solving (the solver is woken). */
static void
rounds_created_cb(struct request *r, const PGresult *res)
{
	bool draft = json_is_false(json_object_get(r->body, "solve"));

	if (!draft)
		solver_kick(r->srv->solver);
	request_reply_first(r, draft ? 201 : 202, res);
}

/* POST /v1/rounds: dates checked, defaults overlaid by the body; solving at once unless
 * solve=false. */
static void
rounds_create(struct request *r)
{
	const char *params[4];
	struct verr err;
	json_t *p;
	char *text;

	if (!rounds_check_dates(r->body, &err)) {
		request_reply_verr(r, &err);
		return;
	}
	p = rounds_params(r->body);
	text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (text == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	params[0] = r->token_hash;
	params[1] = json_string_value(json_object_get(r->body, "name"));
	params[2] = json_is_false(json_object_get(r->body, "solve")) ? "draft" : "solving";
	params[3] = text;
	request_query(r, "SELECT api.round_create($1, $2, $3, $4::jsonb)", 4, params,
	              rounds_created_cb);
	free(text);
}

/* PATCH /v1/rounds/{id}: the same date rules as creation. */
static bool
rounds_check_patch(struct request *r)
{
	struct verr err;

	if (rounds_check_dates(r->body, &err))
		return true;
	request_reply_verr(r, &err);
	return false;
}

/* Refuses a pin or forbidden pair of a person with themselves. */
static bool
rounds_check_pairs(struct request *r, const char *which)
{
	const json_t *list = json_object_get(r->body, which);

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *item = json_array_get(list, i);

		if (json_integer_value(json_object_get(item, "mentor_id")) ==
		    json_integer_value(json_object_get(item, "mentee_id"))) {
			request_reply_error(r, 400, "invalid_value", NULL,
			                    "%s[%zu]: a person cannot be paired with themselves",
			                    which, i);
			return false;
		}
	}
	return true;
}

static bool
rounds_check_pins(struct request *r)
{
	return rounds_check_pairs(r, "pins");
}

static bool
rounds_check_forbidden(struct request *r)
{
	return rounds_check_pairs(r, "forbidden");
}

/* Rejects any body on the action endpoints that take none. */
static bool
rounds_no_body(struct request *r)
{
	if (r->body != NULL && json_object_size(r->body) > 0) {
		const char *key = json_object_iter_key(json_object_iter(r->body));

		request_reply_error(r, 400, "unknown_field", key, "%s: this action takes no fields",
		                    key);
		return false;
	}
	return true;
}

static const struct route rounds_table[] = {
    {.method = "POST",
     .pattern = "/v1/rounds",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .rules = rounds_create_rules,
     .nrules = NRULES(rounds_create_rules),
     .handler = rounds_create},
    {.method = "GET",
     .pattern = "/v1/rounds",
     .auth = AUTH_HR,
     .sql = "SELECT api.rounds_list($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/rounds/{}",
     .auth = AUTH_HR,
     .id_of = "round",
     .sql = "SELECT api.round_get($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = request_ok_cb},
    {.method = "PATCH",
     .pattern = "/v1/rounds/{}",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .id_of = "round",
     .rules = rounds_patch_rules,
     .nrules = NRULES(rounds_patch_rules),
     .partial = true,
     .check = rounds_check_patch,
     .sql = "SELECT api.round_patch($1, $2::bigint, $3::jsonb - 'name', $3::jsonb->>'name')",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
    {.method = "PUT",
     .pattern = "/v1/rounds/{}/pins",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .id_of = "round",
     .rules = rounds_pins_rules,
     .nrules = NRULES(rounds_pins_rules),
     .check = rounds_check_pins,
     .sql = "SELECT api.round_set_pairs($1, $2::bigint, 'pins', $3::jsonb->'pins')",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
    {.method = "PUT",
     .pattern = "/v1/rounds/{}/forbidden",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .id_of = "round",
     .rules = rounds_forbidden_rules,
     .nrules = NRULES(rounds_forbidden_rules),
     .check = rounds_check_forbidden,
     .sql = "SELECT api.round_set_pairs($1, $2::bigint, 'forbidden', $3::jsonb->'forbidden')",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/rounds/{}/solve",
     .auth = AUTH_HR,
     .body = BODY_OPTIONAL,
     .id_of = "round",
     .rules = rounds_solve_rules,
     .nrules = NRULES(rounds_solve_rules),
     .partial = true,
     .sql = "SELECT api.round_solve($1, $2::bigint, ($3::jsonb->>'keep_previous')::boolean)",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = rounds_queued_cb},
    {.method = "POST",
     .pattern = "/v1/rounds/{}/publish",
     .auth = AUTH_HR,
     .body = BODY_OPTIONAL,
     .id_of = "round",
     .check = rounds_no_body,
     .sql = "SELECT api.round_publish($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/rounds/{}/cancel",
     .auth = AUTH_HR,
     .body = BODY_OPTIONAL,
     .id_of = "round",
     .check = rounds_no_body,
     .sql = "SELECT api.round_cancel($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = request_ok_cb},
};
ROUTE_TABLE(rounds_routes, rounds_table);

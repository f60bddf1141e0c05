/* Matching rounds for HR: create, review, pin/forbid, re-solve, publish, cancel. The defaults of a
 * new round and its date rules are SQL's (schema/modules/20_rounds.sql). */
#include "handlers.h"
#include "server.h"
#include "solver.h"
#include "validate.h"

#include <string.h>

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
    /* off unless set: the mentors' ESN giving score goes into the instance (see 20_rounds.sql) */
    {.name = "giving", .type = V_NUMBER, .min = 0, .max = 100},
};

static const struct vrule rounds_constraint_rules[] = {
    {.name = "max_mentors_per_team", .type = V_INT, .nullable = true, .min = 1, .max = 10000},
    {.name = "min_department_share", .type = V_NUMBER, .nullable = true, .min = 0, .max = 1},
};

#define ROUNDS_PARAM_RULES                                                                         \
	{.name = "objective", .type = V_STRING, .choices = rounds_objectives},                     \
	    {.name = "filter", .type = V_OBJECT, .items = rounds_filter_rules, .nitems = 2},       \
	    {.name = "weights", .type = V_OBJECT, .items = rounds_weight_rules, .nitems = 6},      \
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
	    {.name = "exclude_same_manager", .type = V_BOOL},                                      \
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
     .sql = "SELECT api.round_create($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = rounds_created_cb},
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

/* Badges: the public catalogue, HR's new badges and revoked awards, and the caller's achievements
 * (points, level, badges) and points ledger. */
#include "handlers.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>

static const char *const badges_roles[] = {"mentor", "mentee", "any", NULL};

static const struct vrule badges_criterion_item[] = {
    {.name = "counter", .type = V_STRING, .required = true, .min = 1, .max = 40},
    {.name = "min", .type = V_NUMBER, .required = true, .min = 0, .max = 1e6},
    {.name = "skill", .type = V_STRING, .min = 2, .max = 40, .check = validate_slug},
};
static const struct vrule badges_criteria_rules[] = {
    {.name = "all",
     .type = V_OBJECT_ARRAY,
     .required = true,
     .min = 1,
     .max = 10,
     .items = badges_criterion_item,
     .nitems = 3},
};
static const struct vrule badges_badge_rules[] = {
    {.name = "slug",
     .type = V_STRING,
     .required = true,
     .min = 2,
     .max = 40,
     .check = validate_slug},
    {.name = "name", .type = V_STRING, .required = true, .min = 1, .max = 100},
    {.name = "description", .type = V_STRING, .required = true, .min = 1, .max = 1000},
    {.name = "criteria_narrative", .type = V_STRING, .required = true, .min = 1, .max = 1000},
    {.name = "role", .type = V_STRING, .required = true, .choices = badges_roles},
    {.name = "criteria",
     .type = V_OBJECT,
     .required = true,
     .items = badges_criteria_rules,
     .nitems = 1},
    {.name = "color", .type = V_STRING, .min = 7, .max = 7},
};
static const struct vrule badges_revoke_rules[] = {
    {.name = "reason", .type = V_STRING, .required = true, .min = 1, .max = 500},
};

static const char *const badges_counters[] = {
    "sessions",
    "sessions_given",
    "sessions_received",
    "hours_given",
    "hours_received",
    "distinct_mentees",
    "distinct_mentors",
    "cross_department_pairs",
    "skills_taught",
    "skill_sessions",
    "streak_weeks",
    "pairs_completed",
    "skill_levels_gained",
    NULL,
};

/* True when s is one of the NULL-terminated choices. */
static bool
badges_one_of(const char *s, const char *const *choices)
{
	for (; *choices; choices++)
		if (strcmp(s, *choices) == 0)
			return true;
	return false;
}

/* POST /v1/badges: a colour in lower-case hex, known counters, a skill exactly with skill_sessions.
 */
static bool
badges_check_create(struct request *r)
{
	const json_t *all, *color;

	color = json_object_get(r->body, "color");
	if (color != NULL && (json_string_value(color)[0] != '#' ||
	                      strspn(json_string_value(color) + 1, "0123456789abcdef") != 6)) {
		request_reply_error(r, 400, "invalid_value", "color",
		                    "color must be #rrggbb in lower case");
		return false;
	}
	all = json_object_get(json_object_get(r->body, "criteria"), "all");
	for (size_t i = 0; i < json_array_size(all); i++) {
		const json_t *c = json_array_get(all, i);
		const char *counter = json_string_value(json_object_get(c, "counter"));
		bool needs_skill = strcmp(counter, "skill_sessions") == 0;
		char field[64];

		snprintf(field, sizeof(field), "criteria.all[%zu].counter", i);
		if (!badges_one_of(counter, badges_counters)) {
			request_reply_error(r, 400, "invalid_value", field,
			                    "%s: unknown counter \"%s\"", field, counter);
			return false;
		}
		if (needs_skill != (json_object_get(c, "skill") != NULL)) {
			snprintf(field, sizeof(field), "criteria.all[%zu].skill", i);
			request_reply_error(
			    r, 400, "invalid_value", field,
			    "%s: skill is required with skill_sessions and only there", field);
			return false;
		}
	}
	return true;
}

static const struct route badges_table[] = {
    {.method = "GET",
     .pattern = "/v1/me/achievements",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.achievements($1, $2, $3)",
     .args = {ARG_TOKEN, ARG_BASE_URL, ARG_ISSUER_NAME},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/me/ledger",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.ledger($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/badges",
     .sql = "SELECT api.badges_list()",
     .done = request_ok_cb},
    {.method = "POST",
     .pattern = "/v1/badges",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .rules = badges_badge_rules,
     .nrules = NRULES(badges_badge_rules),
     .check = badges_check_create,
     .sql = "SELECT api.badge_create($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_created_cb},
    {.method = "POST",
     .pattern = "/v1/awards/{}/revoke",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .id_of = "award",
     .rules = badges_revoke_rules,
     .nrules = NRULES(badges_revoke_rules),
     .sql = "SELECT api.award_revoke($1, $2::bigint, $3::jsonb->>'reason')",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
};
ROUTE_TABLE(badges_routes, badges_table);

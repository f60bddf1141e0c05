/* Points, levels and badges of the caller, the badge catalogue, leaderboards, the activity feed,
 * private pair events and HR statistics (JSON or CSV). */
#include "handlers.h"
#include "server.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const gamification_roles[] = {"mentor", "mentee", "any", NULL};

static const struct vrule gamification_criterion_item[] = {
    {.name = "counter", .type = V_STRING, .required = true, .min = 1, .max = 40},
    {.name = "min", .type = V_NUMBER, .required = true, .min = 0, .max = 1e6},
    {.name = "skill", .type = V_STRING, .min = 2, .max = 40, .check = validate_slug},
};
static const struct vrule gamification_criteria_rules[] = {
    {.name = "all",
     .type = V_OBJECT_ARRAY,
     .required = true,
     .min = 1,
     .max = 10,
     .items = gamification_criterion_item,
     .nitems = 3},
};
static const struct vrule gamification_badge_rules[] = {
    {.name = "slug",
     .type = V_STRING,
     .required = true,
     .min = 2,
     .max = 40,
     .check = validate_slug},
    {.name = "name", .type = V_STRING, .required = true, .min = 1, .max = 100},
    {.name = "description", .type = V_STRING, .required = true, .min = 1, .max = 1000},
    {.name = "criteria_narrative", .type = V_STRING, .required = true, .min = 1, .max = 1000},
    {.name = "role", .type = V_STRING, .required = true, .choices = gamification_roles},
    {.name = "criteria",
     .type = V_OBJECT,
     .required = true,
     .items = gamification_criteria_rules,
     .nitems = 1},
    {.name = "color", .type = V_STRING, .min = 7, .max = 7},
};
static const struct vrule gamification_revoke_rules[] = {
    {.name = "reason", .type = V_STRING, .required = true, .min = 1, .max = 500},
};

static const char *const gamification_counters[] = {
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
gamification_one_of(const char *s, const char *const *choices)
{
	for (; *choices; choices++)
		if (strcmp(s, *choices) == 0)
			return true;
	return false;
}

void
me_achievements(struct request *r)
{
	const char *params[3] = {r->caller_id, r->srv->cfg->public_base_url,
	                         r->srv->cfg->issuer_name};

	request_query(r, "SELECT api_achievements($1::bigint, $2, $3)", 3, params, request_ok_cb);
}

void
me_ledger(struct request *r)
{
	const char *params[1] = {r->caller_id};

	request_query(r, "SELECT api_ledger($1::bigint)", 1, params, request_ok_cb);
}

void
badges_list(struct request *r)
{
	request_query(
	    r,
	    "SELECT jsonb_build_object('items', coalesce(jsonb_agg(badge_json(b) ORDER BY "
	    "b.slug), '[]')) FROM badges b WHERE b.active",
	    0, NULL, request_ok_cb);
}

void
badges_create(struct request *r)
{
	const json_t *all, *color;
	struct verr err;

	if (!validate_object(r->body, gamification_badge_rules, NRULES(gamification_badge_rules),
	                     false, "", &err)) {
		request_reply_error(r, 400, err.code, err.field, "%s", err.message);
		return;
	}
	color = json_object_get(r->body, "color");
	if (color != NULL && (json_string_value(color)[0] != '#' ||
	                      strspn(json_string_value(color) + 1, "0123456789abcdef") != 6)) {
		request_reply_error(r, 400, "invalid_value", "color",
		                    "color must be #rrggbb in lower case");
		return;
	}
	all = json_object_get(json_object_get(r->body, "criteria"), "all");
	for (size_t i = 0; i < json_array_size(all); i++) {
		const json_t *c = json_array_get(all, i);
		const char *counter = json_string_value(json_object_get(c, "counter"));
		bool needs_skill = strcmp(counter, "skill_sessions") == 0;
		char field[64];

		snprintf(field, sizeof(field), "criteria.all[%zu].counter", i);
		if (!gamification_one_of(counter, gamification_counters)) {
			request_reply_error(r, 400, "invalid_value", field,
			                    "%s: unknown counter \"%s\"", field, counter);
			return;
		}
		if (needs_skill != (json_object_get(c, "skill") != NULL)) {
			snprintf(field, sizeof(field), "criteria.all[%zu].skill", i);
			request_reply_error(
			    r, 400, "invalid_value", field,
			    "%s: skill is required with skill_sessions and only there", field);
			return;
		}
	}
	request_query_body(r, "SELECT api_create_badge($1::jsonb)", 0, NULL, request_created_cb);
}

void
awards_revoke(struct request *r)
{
	const char *params[2];

	if (!request_param_id(r, "award"))
		return;
	if (!request_validate(r, gamification_revoke_rules, 1, false))
		return;
	params[0] = r->param;
	params[1] = json_string_value(json_object_get(r->body, "reason"));
	request_query(r, "SELECT api_revoke_award($1::bigint, $2)", 2, params, request_ok_cb);
}

void
leaderboards_get(struct request *r)
{
	static const char *const boards[] = {"mentors", "managers", "departments", NULL};
	static const char *const periods[] = {"week", "month", "quarter", "all", NULL};
	static const char *const scopes[] = {"company", "department", "site", NULL};
	const char *board, *period, *scope, *value = request_arg(r, "scope_value");
	const char *params[6];
	char limit[24];

	if (!request_arg_choice(r, "board", boards, "mentors", &board) ||
	    !request_arg_choice(r, "period", periods, "week", &period) ||
	    !request_arg_choice(r, "scope", scopes, "company", &scope) ||
	    !request_arg_limit(r, 20, 100, limit, sizeof(limit)))
		return;
	if (strcmp(board, "departments") == 0) {
		params[0] = period;
		params[1] = limit;
		request_query(r, "SELECT api_department_board($1, $2::int)", 2, params,
		              request_ok_cb);
		return;
	}
	if (strcmp(scope, "company") != 0 && value == NULL && r->caller == CALLER_HR) {
		request_reply_error(r, 400, "invalid_parameter", "scope_value",
		                    "scope_value is required for a %s board", scope);
		return;
	}
	params[0] = board;
	params[1] = period;
	params[2] = scope;
	params[3] = strcmp(scope, "company") == 0 ? NULL : value;
	params[4] = request_employee_id(r);
	params[5] = limit;
	request_query(
	    r,
	    "SELECT api_leaderboard($1, $2, $3, coalesce($4, (SELECT CASE $3 WHEN "
	    "'department' THEN department WHEN 'site' THEN site END FROM employees WHERE id "
	    "= $5::bigint)), $5::bigint, $6::int)",
	    6, params, request_ok_cb);
}

void
activity_list(struct request *r)
{
	const char *params[2];
	char limit[24];

	if (!request_arg_limit(r, 50, 100, limit, sizeof(limit)) ||
	    !request_arg_cursor(r, &params[0]))
		return;
	params[1] = limit;
	request_query(r, "SELECT api_activity($1::bigint, $2::int)", 2, params, request_ok_cb);
}

void
events_list(struct request *r)
{
	const char *params[2] = {request_employee_id(r), r->caller == CALLER_HR ? "true" : "false"};

	request_query(r, "SELECT api_private_events($1::bigint, $2::boolean)", 2, params,
	              request_ok_cb);
}

/* Writes one CSV field, quoted when it holds a separator, quote or line break. */
static void
gamification_csv_field(FILE *f, const json_t *v)
{
	const char *s;
	bool formula, quote;

	if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
		return;
	}
	if (json_is_real(v)) {
		fprintf(f, "%g", json_real_value(v));
		return;
	}
	s = json_is_string(v) ? json_string_value(v) : "";
	/* a spreadsheet must not run employee-chosen text as a formula: prefix it with a quote */
	formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

/* Statistics result: JSON as built by SQL, or its rows rendered as CSV. */
static void
gamification_stats_cb(struct request *r, const PGresult *res)
{
	static const char *const cols[] = {
	    "department",         "site",           "managers_signed_up", "managers_matched",
	    "participation_rate", "active_pairs",   "stalled_pairs",      "sessions_given",
	    "hours_given",        "average_rating", "levels_gained",      "badges_awarded",
	};
	const size_t ncols = sizeof(cols) / sizeof(cols[0]);
	const char *format = request_arg(r, "format");
	json_t *doc = NULL, *rows;
	char *csv = NULL;
	size_t len = 0;
	FILE *f = NULL;

	if (format == NULL || strcmp(format, "json") == 0) {
		request_reply_first(r, 200, res);
		return;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	f = open_memstream(&csv, &len);
	if (doc == NULL || f == NULL)
		goto fail;
	for (size_t c = 0; c < ncols; c++)
		fprintf(f, "%s%s", cols[c], c + 1 < ncols ? "," : "\r\n");
	rows = json_object_get(doc, "rows");
	for (size_t i = 0; i < json_array_size(rows); i++) {
		for (size_t c = 0; c < ncols; c++) {
			gamification_csv_field(f,
			                       json_object_get(json_array_get(rows, i), cols[c]));
			fputs(c + 1 < ncols ? "," : "\r\n", f);
		}
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	json_decref(doc);
	request_reply_raw(r, 200, "text/csv; charset=utf-8", csv, len);
	free(csv);
	return;
fail:
	if (f != NULL)
		fclose(f);
	free(csv);
	json_decref(doc);
	request_reply_error(r, 500, "internal", NULL, "could not render CSV");
}

void
stats_get(struct request *r)
{
	static const char *const periods[] = {"week", "month", "quarter", "all", NULL};
	static const char *const formats[] = {"json", "csv", NULL};
	const char *period, *format;
	const char *params[2];
	char days[16];

	if (!request_arg_choice(r, "period", periods, "all", &period) ||
	    !request_arg_choice(r, "format", formats, "json", &format))
		return;
	snprintf(days, sizeof(days), "%d", r->srv->cfg->stall_days);
	params[0] = period;
	params[1] = days;
	request_query(r, "SELECT api_stats($1, $2::int)", 2, params, gamification_stats_cb);
}

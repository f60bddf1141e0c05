/* Employee sign-up, profiles, and the lists an employee declares: teaching, learning, availability.
 */
#include "handlers.h"
#include "ratelimit.h"
#include "server.h"
#include "token.h"
#include "validate.h"

#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

static const char *const employees_roles[] = {"mentor", "mentee", "both", NULL};

static const struct vrule employees_rules[] = {
    {.name = "email",
     .type = V_STRING,
     .required = true,
     .min = 3,
     .max = 254,
     .check = validate_email},
    {.name = "display_name", .type = V_STRING, .required = true, .min = 1, .max = 100},
    {.name = "department", .type = V_STRING, .required = true, .min = 1, .max = 100},
    {.name = "site", .type = V_STRING, .min = 0, .max = 100},
    {.name = "job_title", .type = V_STRING, .min = 0, .max = 100},
    {.name = "timezone", .type = V_STRING, .required = true, .min = 1, .max = 64},
    {.name = "languages",
     .type = V_STRING_ARRAY,
     .required = true,
     .min = 1,
     .max = 10,
     .check = validate_language,
     .unique = true},
    {.name = "manager_email",
     .type = V_STRING,
     .nullable = true,
     .min = 3,
     .max = 254,
     .check = validate_email},
    {.name = "role", .type = V_STRING, .required = true, .choices = employees_roles},
    {.name = "mentor_capacity", .type = V_INT, .min = 1, .max = 3},
    {.name = "leaderboard_opt_in", .type = V_BOOL},
};

static const struct vrule employees_teach_item[] = {
    {.name = "skill", .type = V_STRING, .required = true, .min = 1, .max = 40},
    {.name = "level", .type = V_INT, .required = true, .min = 1, .max = 5},
};
static const struct vrule employees_teach_rules[] = {
    {.name = "skills",
     .type = V_OBJECT_ARRAY,
     .required = true,
     .min = 0,
     .max = 30,
     .items = employees_teach_item,
     .nitems = 2},
};

static const struct vrule employees_goal_item[] = {
    {.name = "skill", .type = V_STRING, .required = true, .min = 1, .max = 40},
    {.name = "current_level", .type = V_INT, .required = true, .min = 0, .max = 5},
    {.name = "priority", .type = V_INT, .required = true, .min = 1, .max = 3},
};
static const struct vrule employees_learn_rules[] = {
    {.name = "goals",
     .type = V_OBJECT_ARRAY,
     .required = true,
     .min = 0,
     .max = 30,
     .items = employees_goal_item,
     .nitems = 3},
};

static const struct vrule employees_slot_item[] = {
    {.name = "day", .type = V_STRING, .required = true, .min = 3, .max = 3},
    {.name = "start", .type = V_STRING, .required = true, .min = 5, .max = 5},
    {.name = "end", .type = V_STRING, .required = true, .min = 5, .max = 5},
};
static const struct vrule employees_avail_rules[] = {
    {.name = "slots",
     .type = V_OBJECT_ARRAY,
     .required = true,
     .min = 0,
     .max = 50,
     .items = employees_slot_item,
     .nitems = 3},
};

/* True when the email's domain is in the configured allow-list (or there is none). */
static bool
employees_domain_allowed(const struct settings *cfg, const char *email)
{
	const char *domain = strrchr(email, '@');

	if (cfg->allowed_domains == NULL)
		return true;
	if (domain == NULL)
		return false;
	for (char **d = cfg->allowed_domains; *d; d++)
		if (strcasecmp(domain + 1, *d) == 0)
			return true;
	return false;
}

/* Cross-field checks a rule table cannot express. */
static bool
employees_check_profile(const json_t *body, struct verr *err)
{
	const char *email = json_string_value(json_object_get(body, "email"));
	const char *manager = json_string_value(json_object_get(body, "manager_email"));

	if (email != NULL && manager != NULL && strcasecmp(email, manager) == 0) {
		err->code = "invalid_value";
		snprintf(err->field, sizeof(err->field), "manager_email");
		snprintf(err->message, sizeof(err->message),
		         "manager_email: an employee cannot be their own manager");
		return false;
	}
	return true;
}

/* POST /v1/employees: the sign-up mode, the client's sign-up rate, profile rules, the email
 * domain allow-list, then a fresh token expiring after --token-days. */
static void
employees_signup(struct request *r)
{
	const struct settings *cfg = r->srv->cfg;
	char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN], days[16];
	const char *params[3];
	struct verr err;
	int retry;

	if (cfg->signup_mode == SIGNUP_CLOSED) {
		request_reply_error(
		    r, 403, "signup_closed", NULL,
		    "sign-up is closed: sign in through the company's identity provider");
		return;
	}
	if (!ratelimit_take(RATELIMIT_SIGNUP, ratelimit_peer(r), cfg->signup_rate, &retry)) {
		ratelimit_reply(r, retry);
		return;
	}
	if (!validate_object(r->body, employees_rules, NRULES(employees_rules), false, "", &err) ||
	    !employees_check_profile(r->body, &err)) {
		request_reply_verr(r, &err);
		return;
	}
	if (!employees_domain_allowed(r->srv->cfg,
	                              json_string_value(json_object_get(r->body, "email")))) {
		request_reply_error(r, 403, "email_domain_not_allowed", "email",
		                    "sign-up is restricted to the company's email domains");
		return;
	}
	if (!token_generate(token, sizeof(token)) || !token_hash(token, hash)) {
		request_reply_error(r, 500, "internal", NULL, "could not create a token");
		return;
	}
	snprintf(days, sizeof(days), "%d", cfg->token_days);
	params[0] = token;
	params[1] = hash;
	params[2] = days;
	request_query_body(r, "SELECT api.signup($1, $2, $3::int, $4::jsonb)", 3, params,
	                   request_created_cb);
}

/* GET /v1/employees: known filters only, then the HR list. */
static void
employees_list(struct request *r)
{
	static const char *const names[] = {"department", "site",   "role",
	                                    "skill",      "cursor", "limit"};
	const char *params[7] = {NULL};
	char limitbuf[24];
	const char *key;
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, &r->query, next)
	{
		size_t i;

		key = kv->key;
		for (i = 0; i < 6; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i == 6) {
			request_reply_error(r, 400, "invalid_parameter", key,
			                    "unknown query parameter \"%s\"", key);
			return;
		}
	}
	params[0] = r->token_hash;
	params[1] = request_arg(r, "department");
	params[2] = request_arg(r, "site");
	if (!request_arg_choice(r, "role", employees_roles, NULL, &params[3]))
		return;
	params[4] = request_arg(r, "skill");
	if (params[4] != NULL && !validate_slug(params[4])) {
		request_reply_error(r, 400, "invalid_parameter", "skill",
		                    "skill must be a skill slug");
		return;
	}
	if (!request_arg_cursor(r, &params[5]) ||
	    !request_arg_limit(r, 50, 200, limitbuf, sizeof(limitbuf)))
		return;
	params[6] = limitbuf;
	request_query(r, "SELECT api.employees_list($1, $2, $3, $4, $5, $6::bigint, $7::int)", 7,
	              params, request_ok_cb);
}

/* PATCH /v1/me: cross-field checks and the email domain allow-list. */
static bool
employees_check_patch(struct request *r)
{
	struct verr err;

	if (!employees_check_profile(r->body, &err)) {
		request_reply_verr(r, &err);
		return false;
	}
	if (json_object_get(r->body, "email") != NULL &&
	    !employees_domain_allowed(r->srv->cfg,
	                              json_string_value(json_object_get(r->body, "email")))) {
		request_reply_error(r, 403, "email_domain_not_allowed", "email",
		                    "emails are restricted to the company's domains");
		return false;
	}
	return true;
}

/* The export is a download: it carries an attachment name. */
static void
employees_export_cb(struct request *r, const PGresult *res)
{
	if (!r->gone && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Disposition",
		                  "attachment; filename=\"tandem-export.json\"");
	request_reply_first(r, 200, res);
}

/* PUT /v1/me/teaching: one entry per skill. */
static bool
employees_check_teaching(struct request *r)
{
	struct verr err;

	if (validate_unique_member(json_object_get(r->body, "skills"), "skill", "skills", &err))
		return true;
	request_reply_verr(r, &err);
	return false;
}

/* PUT /v1/me/learning: one goal per skill. */
static bool
employees_check_learning(struct request *r)
{
	struct verr err;

	if (validate_unique_member(json_object_get(r->body, "goals"), "skill", "goals", &err))
		return true;
	request_reply_verr(r, &err);
	return false;
}

/* PUT /v1/me/availability: well-formed, non-overlapping slots. */
static bool
employees_check_availability(struct request *r)
{
	struct verr err;

	if (validate_slots(json_object_get(r->body, "slots"), &err))
		return true;
	request_reply_verr(r, &err);
	return false;
}

static const struct route employees_table[] = {
    {.method = "POST",
     .pattern = "/v1/employees",
     .body = BODY_REQUIRED,
     .handler = employees_signup},
    {.method = "GET", .pattern = "/v1/employees", .auth = AUTH_HR, .handler = employees_list},
    {.method = "GET",
     .pattern = "/v1/employees/{}",
     .auth = AUTH_ANY,
     .id_of = "employee",
     .sql = "SELECT api.employee_get($1, $2::bigint)",
     .args = {ARG_TOKEN, ARG_PARAM},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/employees/{}/overview",
     .auth = AUTH_HR,
     .id_of = "employee",
     .sql = "SELECT api.employee_overview($1, $2::bigint, $3::int, $4, $5)",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_STALL_DAYS, ARG_BASE_URL, ARG_ISSUER_NAME},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/me",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.me($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "PATCH",
     .pattern = "/v1/me",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_REQUIRED,
     .rules = employees_rules,
     .nrules = NRULES(employees_rules),
     .partial = true,
     .check = employees_check_patch,
     .sql = "SELECT api.me_patch($1, $2::jsonb, $3::boolean)",
     .args = {ARG_TOKEN, ARG_BODY, ARG_SSO},
     .done = request_ok_cb},
    {.method = "DELETE",
     .pattern = "/v1/me",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.me_delete($1)",
     .args = {ARG_TOKEN},
     .done = route_empty_cb},
    {.method = "GET",
     .pattern = "/v1/me/teaching",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.me_teaching($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "PUT",
     .pattern = "/v1/me/teaching",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_REQUIRED,
     .rules = employees_teach_rules,
     .nrules = NRULES(employees_teach_rules),
     .check = employees_check_teaching,
     .sql = "SELECT api.me_put_teaching($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/me/learning",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.me_learning($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "PUT",
     .pattern = "/v1/me/learning",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_REQUIRED,
     .rules = employees_learn_rules,
     .nrules = NRULES(employees_learn_rules),
     .check = employees_check_learning,
     .sql = "SELECT api.me_put_learning($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/me/availability",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.me_availability($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
    {.method = "PUT",
     .pattern = "/v1/me/availability",
     .auth = AUTH_EMPLOYEE,
     .body = BODY_REQUIRED,
     .rules = employees_avail_rules,
     .nrules = NRULES(employees_avail_rules),
     .check = employees_check_availability,
     .sql = "SELECT api.me_put_availability($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_ok_cb},
    {.method = "GET",
     .pattern = "/v1/me/export",
     .auth = AUTH_EMPLOYEE,
     .sql = "SELECT api.export($1, $2, $3)",
     .args = {ARG_TOKEN, ARG_BASE_URL, ARG_ISSUER_NAME},
     .done = employees_export_cb},
};
ROUTE_TABLE(employees_routes, employees_table);

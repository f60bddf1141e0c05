/* Employee sign-up, profiles, and the lists an employee declares: teaching, learning, availability.
 */
#include "handlers.h"
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

void
employees_signup(struct request *r)
{
	char token[TOKEN_LEN + 1];
	const char *params[1];
	struct verr err;

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
	if (!token_generate(token, sizeof(token))) {
		request_reply_error(r, 500, "internal", NULL, "could not create a token");
		return;
	}
	params[0] = token;
	request_query_body(r, "SELECT api_signup($2::jsonb, $1)", 1, params, request_created_cb);
}

void
employees_list(struct request *r)
{
	static const char *const names[] = {"department", "site",   "role",
	                                    "skill",      "cursor", "limit"};
	const char *params[6] = {NULL};
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
	params[0] = request_arg(r, "department");
	params[1] = request_arg(r, "site");
	if (!request_arg_choice(r, "role", employees_roles, NULL, &params[2]))
		return;
	params[3] = request_arg(r, "skill");
	if (params[3] != NULL && !validate_slug(params[3])) {
		request_reply_error(r, 400, "invalid_parameter", "skill",
		                    "skill must be a skill slug");
		return;
	}
	if (!request_arg_cursor(r, &params[4]) ||
	    !request_arg_limit(r, 50, 200, limitbuf, sizeof(limitbuf)))
		return;
	params[5] = limitbuf;
	request_query(r, "SELECT api_list_employees($1, $2, $3, $4, $5::bigint, $6::int)", 6,
	              params, request_ok_cb);
}

void
employees_get(struct request *r)
{
	const char *params[1] = {r->param};

	if (!request_param_id(r, "employee"))
		return;
	if (r->caller == CALLER_EMPLOYEE && strcmp(r->caller_id, r->param) != 0) {
		request_reply_error(r, 403, "forbidden", NULL,
		                    "employees can read only their own profile");
		return;
	}
	request_query(r, "SELECT profile_json($1::bigint)", 1, params, request_ok_cb);
}

void
me_get(struct request *r)
{
	const char *params[1] = {r->caller_id};

	request_query(r, "SELECT profile_json($1::bigint)", 1, params, request_ok_cb);
}

void
me_patch(struct request *r)
{
	const char *params[1] = {r->caller_id};
	struct verr err;

	if (!validate_object(r->body, employees_rules, NRULES(employees_rules), true, "", &err) ||
	    !employees_check_profile(r->body, &err)) {
		request_reply_verr(r, &err);
		return;
	}
	if (json_object_get(r->body, "email") != NULL &&
	    !employees_domain_allowed(r->srv->cfg,
	                              json_string_value(json_object_get(r->body, "email")))) {
		request_reply_error(r, 403, "email_domain_not_allowed", "email",
		                    "emails are restricted to the company's domains");
		return;
	}
	request_query_body(r, "SELECT api_patch_employee($1::bigint, $2::jsonb)", 1, params,
	                   request_ok_cb);
}

static void
employees_deleted_cb(struct request *r, const PGresult *res)
{
	(void)res;
	request_reply_empty(r);
}

void
me_delete(struct request *r)
{
	const char *params[1] = {r->caller_id};

	request_query(r, "DELETE FROM employees WHERE id = $1::bigint", 1, params,
	              employees_deleted_cb);
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

/* Everything held about the caller, for data portability. */
void
me_export(struct request *r)
{
	const char *params[3] = {r->caller_id, r->srv->cfg->public_base_url,
	                         r->srv->cfg->issuer_name};

	request_query(r, "SELECT api_export($1::bigint, $2, $3)", 3, params, employees_export_cb);
}

void
me_get_teaching(struct request *r)
{
	const char *params[1] = {r->caller_id};

	request_query(r, "SELECT jsonb_build_object('skills', teaching_json($1::bigint))", 1,
	              params, request_ok_cb);
}

void
me_get_learning(struct request *r)
{
	const char *params[1] = {r->caller_id};

	request_query(r, "SELECT jsonb_build_object('goals', learning_json($1::bigint))", 1, params,
	              request_ok_cb);
}

void
me_get_availability(struct request *r)
{
	const char *params[1] = {r->caller_id};

	request_query(r, "SELECT jsonb_build_object('slots', availability_json($1::bigint))", 1,
	              params, request_ok_cb);
}

/* Sends a validated list body to the SQL function that replaces the list in one transaction. */
static void
employees_put_list(struct request *r, const char *sql)
{
	const char *params[1] = {r->caller_id};

	request_query_body(r, sql, 1, params, request_ok_cb);
}

void
me_put_teaching(struct request *r)
{
	struct verr err;

	if (!validate_object(r->body, employees_teach_rules, 1, false, "", &err) ||
	    !validate_unique_member(json_object_get(r->body, "skills"), "skill", "skills", &err)) {
		request_reply_verr(r, &err);
		return;
	}
	employees_put_list(r, "SELECT api_put_teaching($1::bigint, $2::jsonb)");
}

void
me_put_learning(struct request *r)
{
	struct verr err;

	if (!validate_object(r->body, employees_learn_rules, 1, false, "", &err) ||
	    !validate_unique_member(json_object_get(r->body, "goals"), "skill", "goals", &err)) {
		request_reply_verr(r, &err);
		return;
	}
	employees_put_list(r, "SELECT api_put_learning($1::bigint, $2::jsonb)");
}

void
me_put_availability(struct request *r)
{
	struct verr err;

	if (!validate_object(r->body, employees_avail_rules, 1, false, "", &err) ||
	    !validate_slots(json_object_get(r->body, "slots"), &err)) {
		request_reply_verr(r, &err);
		return;
	}
	employees_put_list(r, "SELECT api_put_availability($1::bigint, $2::jsonb)");
}

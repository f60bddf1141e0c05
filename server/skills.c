/* The skills catalogue: public listing, HR creation and edits (retiring a skill keeps history). */
#include "handlers.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

static const struct vrule skills_create_rules[] = {
    {.name = "slug",
     .type = V_STRING,
     .required = true,
     .min = 2,
     .max = 40,
     .check = validate_slug},
    {.name = "name", .type = V_STRING, .required = true, .min = 1, .max = 100},
    {.name = "description", .type = V_STRING, .min = 0, .max = 1000},
};

static const struct vrule skills_patch_rules[] = {
    {.name = "name", .type = V_STRING, .min = 1, .max = 100},
    {.name = "description", .type = V_STRING, .min = 0, .max = 1000},
    {.name = "active", .type = V_BOOL},
};

/* GET /v1/skills: optionally with retired skills. */
static void
skills_list(struct request *r)
{
	static const char *const booleans[] = {"true", "false", NULL};
	const char *params[1];

	if (!request_arg_choice(r, "include_inactive", booleans, "false", &params[0]))
		return;
	request_query(r, "SELECT api.skills_list($1::boolean)", 1, params, request_ok_cb);
}

static const struct route skills_table[] = {
    {.method = "GET", .pattern = "/v1/skills", .handler = skills_list},
    {.method = "POST",
     .pattern = "/v1/skills",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .rules = skills_create_rules,
     .nrules = NRULES(skills_create_rules),
     .sql = "SELECT api.skill_create($1, $2::jsonb)",
     .args = {ARG_TOKEN, ARG_BODY},
     .done = request_created_cb},
    {.method = "PATCH",
     .pattern = "/v1/skills/{}",
     .auth = AUTH_HR,
     .body = BODY_REQUIRED,
     .rules = skills_patch_rules,
     .nrules = NRULES(skills_patch_rules),
     .partial = true,
     .sql = "SELECT api.skill_patch($1, $2, $3::jsonb)",
     .args = {ARG_TOKEN, ARG_PARAM, ARG_BODY},
     .done = request_ok_cb},
};
ROUTE_TABLE(skills_routes, skills_table);

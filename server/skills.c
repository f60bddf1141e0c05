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

void
skills_list(struct request *r)
{
	static const char *const booleans[] = {"true", "false", NULL};
	const char *params[1];

	if (!request_arg_choice(r, "include_inactive", booleans, "false", &params[0]))
		return;
	request_query(
	    r,
	    "SELECT jsonb_build_object('items', coalesce(jsonb_agg(skill_json(s) ORDER BY "
	    "s.slug), '[]')) FROM skills s WHERE s.active OR $1::boolean",
	    1, params, request_ok_cb);
}

void
skills_create(struct request *r)
{
	if (!request_validate(r, skills_create_rules, 3, false))
		return;
	request_query_body(r, "SELECT api_create_skill($1::jsonb)", 0, NULL, request_created_cb);
}

void
skills_patch(struct request *r)
{
	const char *params[1];

	if (!request_validate(r, skills_patch_rules, 3, true))
		return;
	params[0] = r->param;
	request_query_body(r, "SELECT api_patch_skill($1, $2::jsonb)", 1, params, request_ok_cb);
}

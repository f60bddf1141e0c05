/* The public activity feed and the private events of pairs (stalled pairs). */
#include "handlers.h"

/* GET /v1/activity: newest first, keyset-paginated. */
static void
activity_list(struct request *r)
{
	const char *params[3] = {r->token_hash};
	char limit[24];

	if (!request_arg_limit(r, 50, 100, limit, sizeof(limit)) ||
	    !request_arg_cursor(r, &params[1]))
		return;
	params[2] = limit;
	request_query(r, "SELECT api.activity($1, $2::bigint, $3::int)", 3, params, request_ok_cb);
}

static const struct route activity_table[] = {
    {.method = "GET", .pattern = "/v1/activity", .auth = AUTH_ANY, .handler = activity_list},
    {.method = "GET",
     .pattern = "/v1/events",
     .auth = AUTH_ANY,
     .sql = "SELECT api.private_events($1)",
     .args = {ARG_TOKEN},
     .done = request_ok_cb},
};
ROUTE_TABLE(activity_routes, activity_table);

/* Leaderboards: mentors and managers by points (only those who opted in are named), departments
 * by hours given per head. */
#include "handlers.h"

#include <string.h>

/* GET /v1/leaderboards: board, period, scope and limit checked here, the rest in SQL. */
static void
leaderboards_get(struct request *r)
{
	static const char *const boards[] = {"mentors", "managers", "departments", NULL};
	static const char *const periods[] = {"week", "month", "quarter", "all", NULL};
	static const char *const scopes[] = {"company", "department", "site", NULL};
	const char *board, *period, *scope, *value = request_arg(r, "scope_value");
	const char *params[6] = {r->token_hash};
	char limit[24];

	if (!request_arg_choice(r, "board", boards, "mentors", &board) ||
	    !request_arg_choice(r, "period", periods, "week", &period) ||
	    !request_arg_choice(r, "scope", scopes, "company", &scope) ||
	    !request_arg_limit(r, 20, 100, limit, sizeof(limit)))
		return;
	if (strcmp(board, "departments") == 0) {
		params[1] = period;
		params[2] = limit;
		request_query(r, "SELECT api.department_board($1, $2, $3::int)", 3, params,
		              request_ok_cb);
		return;
	}
	params[1] = board;
	params[2] = period;
	params[3] = scope;
	params[4] = value;
	params[5] = limit;
	request_query(r, "SELECT api.leaderboard($1, $2, $3, $4, $5, $6::int)", 6, params,
	              request_ok_cb);
}

static const struct route leaderboards_table[] = {
    {.method = "GET", .pattern = "/v1/leaderboards", .auth = AUTH_ANY, .handler = leaderboards_get},
};
ROUTE_TABLE(leaderboards_routes, leaderboards_table);

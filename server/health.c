/* Liveness (process answers) and readiness (database reachable, migrations applied). */
#include "handlers.h"

#include <stdio.h>

static void
health_live(struct request *r)
{
	request_reply_json(r, 200, "{\"status\":\"ok\"}");
}

/* Readiness query result: the highest applied migration. */
static void
health_ready_cb(struct request *r, const PGresult *res)
{
	char body[64];

	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_reply_error(r, 503, "not_ready", NULL, "no migration applied yet");
		return;
	}
	snprintf(body, sizeof(body), "{\"status\":\"ready\",\"schema_version\":%s}",
	         PQgetvalue(res, 0, 0));
	request_reply_json(r, 200, body);
}

static const struct route health_table[] = {
    {.method = "GET", .pattern = "/healthz", .handler = health_live, .no_db = true},
    {.method = "GET",
     .pattern = "/readyz",
     .sql = "SELECT api.schema_version()",
     .done = health_ready_cb},
};
ROUTE_TABLE(health_routes, health_table);

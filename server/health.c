/* Liveness (process answers) and readiness (database reachable, migrations applied). */
#include "handlers.h"

#include <stdio.h>

void
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

void
health_ready(struct request *r)
{
	request_query(r, "SELECT max(version) FROM schema_migrations", 0, NULL, health_ready_cb);
}

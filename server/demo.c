/* Loads the demo company through the SQL function core.demo_load() (schema/modules/85_demo.sql). */
#include "demo.h"
#include "log.h"

#include <libpq-fe.h>
#include <stdio.h>

bool
demo_load(const char *conninfo, char *err, size_t errlen)
{
	PGconn *pg = PQconnectdb(conninfo);
	PGresult *res = NULL;
	bool ok = false;

	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		goto out;
	}
	res = PQexec(pg, "SELECT core.demo_load()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		goto out;
	}
	log_msg("info", "demo company: %s employees added", PQgetvalue(res, 0, 0));
	ok = true;
out:
	PQclear(res);
	PQfinish(pg);
	return ok;
}

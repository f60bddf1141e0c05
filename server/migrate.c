/* Applies numbered SQL migrations at start, serialised across processes by an advisory lock. */
#include "migrate.h"
#include "log.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIGRATE_LOCK_KEY "7346210"

/* Reads a whole file into a NUL-terminated buffer the caller frees. */
static char *
migrate_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)len + 1);
	if (buf == NULL)
		goto out;
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[len] = '\0';
out:
	fclose(f);
	return buf;
}

/* Parses the leading version number of "NNN_name.sql"; false for other files. */
static bool
migrate_file_version(const char *name, int *version)
{
	size_t len = strlen(name);
	int v = 0, digits = 0;

	if (len < 5 || strcmp(name + len - 4, ".sql") != 0)
		return false;
	for (; name[digits] >= '0' && name[digits] <= '9'; digits++)
		v = v * 10 + (name[digits] - '0');
	if (digits == 0 || name[digits] != '_')
		return false;
	*version = v;
	return true;
}

static int
migrate_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs one SQL command, failing with the server's message. */
static bool
migrate_exec(PGconn *pg, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(pg, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
	PQclear(res);
	return ok;
}

/* Applies one migration file in a transaction unless it is already recorded. */
static bool
migrate_apply(PGconn *pg, const char *dir, const char *name, int version, char *err, size_t errlen)
{
	char path[4096], vtext[16];
	const char *params[2] = {vtext, name};
	PGresult *res = NULL;
	char *sql = NULL;
	bool ok = false;

	snprintf(vtext, sizeof(vtext), "%d", version);
	res = PQexecParams(pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL,
	                   params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		goto out;
	}
	if (PQntuples(res) > 0) {
		ok = true;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sql = migrate_read_file(path);
	if (sql == NULL) {
		snprintf(err, errlen, "cannot read %s", path);
		goto out;
	}
	if (!migrate_exec(pg, "BEGIN", err, errlen))
		goto out;
	if (!migrate_exec(pg, sql, err, errlen)) {
		char inner[512];

		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, errlen, "migration %s failed: %s", name, inner);
		PQclear(PQexec(pg, "ROLLBACK"));
		goto out;
	}
	PQclear(res);
	res = PQexecParams(pg, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
	                   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		PQclear(PQexec(pg, "ROLLBACK"));
		goto out;
	}
	if (!migrate_exec(pg, "COMMIT", err, errlen))
		goto out;
	log_msg("info", "applied migration %s", name);
	ok = true;
out:
	PQclear(res);
	free(sql);
	return ok;
}

enum migrate_result
migrate_run(const char *conninfo, const char *schema_dir, int *version, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	PGconn *pg = PQconnectdb(conninfo);
	enum migrate_result rc = MIGRATE_FAILED;
	bool locked = false;
	int n = -1, v;

	*version = 0;
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(pg));
		rc = MIGRATE_UNREACHABLE;
		goto out;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	if (!migrate_exec(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err, errlen))
		goto out;
	locked = true;
	if (!migrate_exec(
	        pg,
	        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
	        "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
	        err, errlen))
		goto out;
	n = scandir(schema_dir, &names, NULL, migrate_cmp);
	if (n < 0) {
		snprintf(err, errlen, "cannot read schema directory %s", schema_dir);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (!migrate_file_version(names[i]->d_name, &v))
			continue;
		if (!migrate_apply(pg, schema_dir, names[i]->d_name, v, err, errlen))
			goto out;
		if (v > *version)
			*version = v;
	}
	rc = MIGRATE_OK;
out:
	if (locked)
		PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	PQfinish(pg);
	return rc;
}

struct migrate_retry {
	char *conninfo;
	char *schema_dir;
	atomic_bool *ready;
	atomic_bool stop;
	pthread_t thread;
};

/* Retry thread body: one attempt every two seconds until success or stop. */
static void *
migrate_retry_main(void *arg)
{
	struct migrate_retry *m = arg;
	char err[1024];
	int version;

	while (!atomic_load(&m->stop)) {
		enum migrate_result rc =
		    migrate_run(m->conninfo, m->schema_dir, &version, err, sizeof(err));

		if (rc == MIGRATE_OK) {
			log_msg("info", "database reachable, schema version %d", version);
			atomic_store(m->ready, true);
			break;
		}
		if (rc == MIGRATE_FAILED)
			log_msg("error", "%s", err);
		for (int i = 0; i < 20 && !atomic_load(&m->stop); i++)
			usleep(100000);
	}
	return NULL;
}

struct migrate_retry *
migrate_retry_new(const char *conninfo, const char *schema_dir, atomic_bool *ready)
{
	struct migrate_retry *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->conninfo = strdup(conninfo);
	m->schema_dir = strdup(schema_dir);
	m->ready = ready;
	atomic_init(&m->stop, false);
	if (m->conninfo == NULL || m->schema_dir == NULL ||
	    pthread_create(&m->thread, NULL, migrate_retry_main, m) != 0) {
		free(m->conninfo);
		free(m->schema_dir);
		free(m);
		return NULL;
	}
	return m;
}

void
migrate_retry_free(struct migrate_retry *m)
{
	if (m == NULL)
		return;
	atomic_store(&m->stop, true);
	pthread_join(m->thread, NULL);
	free(m->conninfo);
	free(m->schema_dir);
	free(m);
}

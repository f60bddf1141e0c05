/* Brings the database to the schema of this build at start, under an advisory lock: versioned
 * migrations (tables, indexes, data; each applied once and recorded with its SHA-256), then the
 * module files (functions, views, triggers) re-applied as a whole in one transaction, then the
 * application role's privileges. */
#include "migrate.h"
#include "log.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIGRATE_LOCK_KEY "7346210"

/* Reads a whole file into a NUL-terminated buffer the caller frees; *len gets its size. */
static char *
migrate_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf == NULL)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

/* Writes the lower-case hex SHA-256 of data into hex (65 bytes). */
static bool
migrate_sha256_hex(const char *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return false;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return true;
}

/* Parses the version of "V<digits>__<description>.sql"; false for any other file name. */
static bool
migrate_file_version(const char *name, int *version)
{
	size_t len = strlen(name);
	int v = 0, digits = 0;

	if (name[0] != 'V' || len < 8 || strcmp(name + len - 4, ".sql") != 0)
		return false;
	for (; name[1 + digits] >= '0' && name[1 + digits] <= '9' && digits < 9; digits++)
		v = v * 10 + (name[1 + digits] - '0');
	if (digits == 0 || strncmp(name + 1 + digits, "__", 2) != 0)
		return false;
	*version = v;
	return true;
}

/* True for the module files "<name>.sql" (hidden files left out). */
static int
migrate_is_module(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 4 && strcmp(d->d_name + len - 4, ".sql") == 0;
}

static int
migrate_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs one SQL command (or script), failing with the server's message. */
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

/* Runs sql inside the current transaction, prefixing a failure with what (a file name). */
static bool
migrate_exec_named(PGconn *pg, const char *sql, const char *what, char *err, size_t errlen)
{
	char inner[768];

	if (migrate_exec(pg, sql, err, errlen))
		return true;
	snprintf(inner, sizeof(inner), "%s", err);
	snprintf(err, errlen, "%s failed: %s", what, inner);
	return false;
}

/* Applies one versioned migration in a transaction unless recorded; a recorded one must still
 * have the checksum it was applied with (versioned files are never edited). */
static bool
migrate_apply(PGconn *pg, const char *dir, const char *name, int version, char *err, size_t errlen)
{
	char path[4096 + 258], vtext[16], sum[65];
	const char *params[3] = {vtext, name, sum};
	PGresult *res = NULL;
	char *sql = NULL;
	size_t len = 0;
	bool ok = false;

	snprintf(vtext, sizeof(vtext), "%d", version);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sql = migrate_read_file(path, &len);
	if (sql == NULL || !migrate_sha256_hex(sql, len, sum)) {
		snprintf(err, errlen, "cannot read %s", path);
		goto out;
	}
	res = PQexecParams(pg, "SELECT name, checksum FROM schema_migrations WHERE version = $1", 1,
	                   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		goto out;
	}
	if (PQntuples(res) > 0) {
		if (strcmp(PQgetvalue(res, 0, 1), sum) != 0 ||
		    strcmp(PQgetvalue(res, 0, 0), name) != 0) {
			snprintf(err, errlen,
			         "applied migration %s (recorded as %s, sha256 %.12s...) no longer "
			         "matches "
			         "%s (sha256 %.12s...): a versioned migration is never edited once "
			         "applied; "
			         "put the change in a new migration",
			         name, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), path, sum);
			goto out;
		}
		ok = true;
		goto out;
	}
	/* schemas api and core go first, in the migration's transaction: a BEGIN ATOMIC function
	 * (core.token_expired) depends on the columns it reads, and would stop an ALTER of them;
	 * the modules rebuild both after the migrations, as at every start, and on a fresh database
	 * migrations run without them anyway */
	if (!migrate_exec(pg,
	                  "BEGIN; DROP SCHEMA IF EXISTS api CASCADE; "
	                  "DROP SCHEMA IF EXISTS core CASCADE",
	                  err, errlen)) {
		PQclear(PQexec(pg, "ROLLBACK"));
		goto out;
	}
	if (!migrate_exec_named(pg, sql, name, err, errlen)) {
		PQclear(PQexec(pg, "ROLLBACK"));
		goto out;
	}
	PQclear(res);
	res = PQexecParams(
	    pg, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3,
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

/* Applies the versioned migrations of dir in version order; *version gets the highest. */
static bool
migrate_versioned(PGconn *pg, const char *dir, int *version, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	bool ok = false;
	int n, v, last = -1;

	n = scandir(dir, &names, NULL, migrate_cmp);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the migrations directory %s", dir);
		return false;
	}
	for (int i = 0; i < n; i++) {
		if (!migrate_file_version(names[i]->d_name, &v))
			continue;
		if (v == last) {
			snprintf(err, errlen, "two migrations have version %d in %s", v, dir);
			goto out;
		}
		last = v;
		if (!migrate_apply(pg, dir, names[i]->d_name, v, err, errlen))
			goto out;
		if (v > *version)
			*version = v;
	}
	ok = true;
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ok;
}

/* Refuses a database that records a migration this build does not have. */
static bool
migrate_check_unknown(PGconn *pg, int version, char *err, size_t errlen)
{
	char vtext[16];
	const char *params[1] = {vtext};
	PGresult *res;
	bool ok;

	snprintf(vtext, sizeof(vtext), "%d", version);
	res = PQexecParams(pg, "SELECT name FROM schema_migrations WHERE version > $1 ORDER BY 1",
	                   1, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
	else if (!ok)
		snprintf(err, errlen,
		         "the database has migration %s applied, which this build does not have",
		         PQgetvalue(res, 0, 0));
	PQclear(res);
	return ok;
}

/* Creates the application role when it is missing (the embedded cluster's owner is a superuser;
 * on an external database the DBA creates it, see README). */
static bool
migrate_app_role(PGconn *pg, char *err, size_t errlen)
{
	static const char sql[] =
	    "DO $$ BEGIN "
	    "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" MIGRATE_APP_ROLE "') THEN "
	    "CREATE ROLE " MIGRATE_APP_ROLE " LOGIN; END IF; "
	    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$";
	char inner[512];

	if (migrate_exec(pg, sql, err, errlen))
		return true;
	snprintf(inner, sizeof(inner), "%s", err);
	snprintf(err, errlen,
	         "the application role " MIGRATE_APP_ROLE " is missing and cannot be created (%s); "
	         "a DBA runs: CREATE ROLE " MIGRATE_APP_ROLE " LOGIN PASSWORD '...'",
	         inner);
	return false;
}

/* Re-applies every module file of dir in name order, in one transaction: the schemas api and core
 * are dropped and rebuilt, so a function removed from the files disappears; functions tables
 * depend on (triggers) live in public and are replaced in place. */
static bool
migrate_modules(PGconn *pg, const char *dir, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	bool ok = false, begun = false;
	int n;

	n = scandir(dir, &names, migrate_is_module, migrate_cmp);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the modules directory %s", dir);
		return false;
	}
	begun = true;
	if (!migrate_exec(pg,
	                  "BEGIN; SET LOCAL search_path = core, public; "
	                  "SELECT set_config('tandem.app_role', '" MIGRATE_APP_ROLE "', true); "
	                  "DROP SCHEMA IF EXISTS api CASCADE; DROP SCHEMA IF EXISTS core CASCADE; "
	                  "CREATE SCHEMA core; CREATE SCHEMA api",
	                  err, errlen))
		goto out;
	for (int i = 0; i < n; i++) {
		char path[4096 + 258], *sql;
		size_t len;
		bool done;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		sql = migrate_read_file(path, &len);
		if (sql == NULL) {
			snprintf(err, errlen, "cannot read %s", path);
			goto out;
		}
		done = migrate_exec_named(pg, sql, names[i]->d_name, err, errlen);
		free(sql);
		if (!done)
			goto out;
	}
	ok = migrate_exec(pg, "COMMIT", err, errlen);
	begun = false;
out:
	if (begun)
		PQclear(PQexec(pg, "ROLLBACK"));
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ok;
}

enum migrate_result
migrate_run(const char *conninfo, const char *schema_dir, int *version, char *err, size_t errlen)
{
	PGconn *pg = PQconnectdb(conninfo);
	enum migrate_result rc = MIGRATE_FAILED;
	char dir[4096];
	bool locked = false;

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
	        "name text NOT NULL, checksum text NOT NULL, "
	        "applied_at timestamptz NOT NULL DEFAULT now())",
	        err, errlen))
		goto out;
	if (!migrate_exec(pg, "SELECT checksum FROM schema_migrations LIMIT 0", err, errlen)) {
		snprintf(
		    err, errlen,
		    "this database was migrated before the V001 baseline (schema_migrations has "
		    "no checksums): create a new database");
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/migrations", schema_dir);
	if (!migrate_versioned(pg, dir, version, err, errlen) ||
	    !migrate_check_unknown(pg, *version, err, errlen) || !migrate_app_role(pg, err, errlen))
		goto out;
	snprintf(dir, sizeof(dir), "%s/modules", schema_dir);
	if (!migrate_modules(pg, dir, err, errlen))
		goto out;
	rc = MIGRATE_OK;
out:
	if (locked)
		PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	PQfinish(pg);
	return rc;
}

/* Appends key='value' to buf (libpq conninfo quoting: backslash and quote escaped). */
static void
migrate_conninfo_add(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s='", key);
	for (; *value; value++) {
		if (*value == '\'' || *value == '\\')
			fputc('\\', f);
		fputc(*value, f);
	}
	fputs("' ", f);
}

/* Rebuilds the owner's conninfo with user MIGRATE_APP_ROLE and no password, as key='value'. */
char *
migrate_app_conninfo(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (opts == NULL)
		return NULL;
	f = open_memstream(&out, &len);
	if (f == NULL) {
		PQconninfoFree(opts);
		return NULL;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		/* another role's password is not the owner's (.pgpass or PGPASSFILE hold it) */
		if (o->val == NULL || *o->val == '\0' || strcmp(o->keyword, "user") == 0 ||
		    strcmp(o->keyword, "password") == 0)
			continue;
		migrate_conninfo_add(f, o->keyword, o->val);
	}
	migrate_conninfo_add(f, "user", MIGRATE_APP_ROLE);
	PQconninfoFree(opts);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
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

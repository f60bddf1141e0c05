/* tandemd: the Tandem API server. Starts the database (embedded or external), applies migrations,
 * then serves HTTP from one libevent loop per thread until SIGTERM/SIGINT. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "admin.h"
#include "db.h"
#include "demo.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "oidc.h"
#include "pgcluster.h"
#include "server.h"
#include "settings.h"
#include "solver.h"
#include "static.h"
#include "upkeep.h"
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SIGTERM/SIGINT: every loop stops accepting, finishes its in-flight requests, then exits. */
static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct workers *ws = arg;
	static bool seen; /* loop 0's thread only */

	(void)what;
	if (seen)
		return;
	seen = true;
	log_msg("info", "signal %d: finishing in-flight requests, then exiting", (int)sig);
	workers_stop(ws);
}

/* Started as root (to manage the embedded cluster and bind privileged ports): becomes cfg->pg_user
 * (--user) for good, with its groups, and checks root cannot be regained. No-op when not root. */
static bool
main_drop_privileges(const struct settings *cfg)
{
	gid_t groups[256];
	int ngroups = 256;
	struct passwd *pw;

	if (geteuid() != 0 && getuid() != 0)
		return true;
	pw = getpwnam(cfg->pg_user);
	if (pw == NULL || pw->pw_uid == 0) {
		log_msg("error",
		        "cannot drop root: account \"%s\" %s (create it: useradd --system %s, or "
		        "pass --user)",
		        cfg->pg_user, pw == NULL ? "does not exist" : "is root", cfg->pg_user);
		return false;
	}
	if (getgrouplist(cfg->pg_user, pw->pw_gid, groups, &ngroups) < 0) {
		groups[0] = pw->pw_gid;
		ngroups = 1;
	}
	if (setgroups((size_t)ngroups, groups) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_msg("error", "cannot drop root to account \"%s\": %s", cfg->pg_user,
		        strerror(errno));
		return false;
	}
	if (setuid(0) == 0 || getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid || getegid() != pw->pw_gid) {
		log_msg("error", "privileges were not dropped to \"%s\"; refusing to go on",
		        cfg->pg_user);
		return false;
	}
	log_msg("info", "running as account \"%s\" (uid %u)", cfg->pg_user, (unsigned)pw->pw_uid);
	return true;
}

/* Serves HTTP on cfg->threads event loops until a signal asks to stop; returns the exit code.
 * Requests and the solver run as the application role (EXECUTE on schema api only); conninfo, the
 * owner's, only retries migrations. The embedded cluster, if any, is restarted should it die. */
static int
main_serve(const struct settings *cfg, const char *conninfo, bool schema_ready,
           struct pgcluster *cluster)
{
	atomic_bool ready;
	struct migrate_retry *retry = NULL;
	struct listener *listener = NULL;
	struct workers *ws = NULL;
	struct solver *solver = NULL;
	struct upkeep *upkeep = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	struct server *main_srv;
	char *app_conninfo = migrate_app_conninfo(conninfo);
	char err[1024];
	int rc = 1;

	atomic_init(&ready, schema_ready);
	if (!static_load(cfg->web_dir, err, sizeof(err))) {
		log_msg("error", "web app: %s", err);
		goto out;
	}
	if (app_conninfo == NULL) {
		log_msg("error", "cannot parse the database connection string");
		goto out;
	}
	/* as root: may bind ports below 1024 and read a root-only TLS key */
	listener = listener_new(cfg, err, sizeof(err));
	if (listener == NULL) {
		log_msg("error", "%s", err);
		goto out;
	}
	if (!oidc_init(cfg, err, sizeof(err))) { /* reads --oidc-ca-file while still root */
		log_msg("error", "%s", err);
		goto out;
	}
	if (!main_drop_privileges(cfg)) /* before any thread or solver child exists */
		goto out;
	if (cluster != NULL && !pgcluster_supervise(cluster)) {
		log_msg("error", "cannot start the embedded PostgreSQL supervisor thread");
		goto out;
	}
	if (!schema_ready) {
		retry = migrate_retry_new(conninfo, cfg->schema_dir, &ready);
		if (retry == NULL)
			goto out;
	}
	ws = workers_new(cfg, app_conninfo, listener, &ready);
	if (ws == NULL)
		goto out;
	main_srv = workers_main(ws);
	solver = solver_new(main_srv, app_conninfo);
	if (solver == NULL)
		goto out;
	workers_set_solver(ws, solver);
	upkeep = upkeep_new(main_srv); /* runs on loop 0 with its pool */
	if (upkeep == NULL)
		goto out;
	sigterm = evsignal_new(main_srv->base, SIGTERM, main_signal_cb, ws);
	sigint = evsignal_new(main_srv->base, SIGINT, main_signal_cb, ws);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) != 0 ||
	    evsignal_add(sigint, NULL) != 0)
		goto out;
	log_msg("info",
	        "listening on %s://%s:%d with %d thread(s), %d database connection(s) "
	        "each, at most %d client connection(s)",
	        settings_tls(cfg) ? "https" : "http", cfg->listen_host, cfg->listen_port,
	        cfg->threads, cfg->pool_size, listener_cap(listener));
	if (workers_run(ws))
		rc = 0;
	log_msg("info", "stopped");
out:
	migrate_retry_free(retry);
	solver_free(solver);
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	/* pools before upkeep: they fail queued upkeep queries into upkeep's callbacks */
	workers_close(ws);
	upkeep_free(upkeep);
	oidc_free(); /* its resolvers live on the loops' bases */
	workers_free(ws);
	listener_free(listener);
	metrics_free_all();
	static_free();
	free(app_conninfo);
	return rc;
}

int
main(int argc, char **argv)
{
	struct settings cfg;
	struct pgcluster *cluster = NULL;
	const char *conninfo;
	char err[1024];
	enum migrate_result migrated;
	int version, rc = 1;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	switch (settings_parse(&cfg, argc, argv, err, sizeof(err))) {
	case SETTINGS_HELP:
		settings_usage(argv[0]);
		settings_free(&cfg);
		return 0;
	case SETTINGS_ERROR:
		fprintf(stderr, "%s: %s\n", argv[0], err);
		settings_free(&cfg);
		return 2;
	case SETTINGS_OK:
		break;
	}
	if (cfg.database_url != NULL) {
		conninfo = cfg.database_url;
	} else {
		cluster =
		    pgcluster_start(cfg.state_dir, cfg.pg_user, cfg.pg_bindir, err, sizeof(err));
		if (cluster == NULL) {
			log_msg("error", "embedded PostgreSQL: %s", err);
			goto out;
		}
		conninfo = pgcluster_conninfo(cluster);
	}
	migrated = migrate_run(conninfo, cfg.schema_dir, &version, err, sizeof(err));
	if (migrated == MIGRATE_FAILED || (migrated != MIGRATE_OK && cfg.admin_command != NULL) ||
	    (migrated != MIGRATE_OK && cfg.demo)) {
		log_msg("error", "%s", err);
		goto out;
	}
	if (cfg.admin_command != NULL) {
		if (main_drop_privileges(&cfg))
			rc = admin_run(&cfg, conninfo);
		goto out;
	}
	if (migrated == MIGRATE_OK)
		log_msg("info", "database ready, schema version %d", version);
	else
		log_msg("warn", "%s; serving anyway, /readyz answers 503 until it is reachable",
		        err);
	if (cfg.demo && !demo_load(conninfo, err, sizeof(err))) {
		log_msg("error", "demo: %s", err);
		goto out;
	}
	rc = main_serve(&cfg, conninfo, migrated == MIGRATE_OK, cluster);
out:
	pgcluster_stop(cluster);
	settings_free(&cfg);
	return rc;
}

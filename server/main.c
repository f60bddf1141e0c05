/* tandemd: the Tandem API server. Starts the database (embedded or external), applies migrations,
 * then serves HTTP from one libevent loop until SIGTERM/SIGINT. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "admin.h"
#include "db.h"
#include "demo.h"
#include "log.h"
#include "migrate.h"
#include "pgcluster.h"
#include "router.h"
#include "server.h"
#include "settings.h"
#include "solver.h"
#include "upkeep.h"

#include <event2/event.h>
#include <event2/http.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
server_request_done(struct server *srv)
{
	srv->inflight--;
	if (srv->stopping && srv->inflight == 0)
		event_base_loopexit(srv->base, NULL);
}

/* SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, then leave the loop.
 */
static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval grace = {10, 0};

	(void)what;
	if (srv->stopping)
		return;
	log_msg("info", "signal %d: finishing %d in-flight request(s), then exiting", (int)sig,
	        srv->inflight);
	srv->stopping = true;
	if (srv->listener != NULL) {
		evhttp_del_accept_socket(srv->http, srv->listener);
		srv->listener = NULL;
	}
	if (srv->inflight == 0)
		event_base_loopexit(srv->base, NULL);
	else
		event_base_loopexit(srv->base, &grace);
}

/* Serves HTTP until a signal asks to stop; returns the process exit code. */
static int
main_serve(const struct settings *cfg, const char *conninfo, bool schema_ready)
{
	struct server srv = {0};
	struct migrate_retry *retry = NULL;
	struct upkeep *upkeep = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	/* requests run as the application role (EXECUTE on schema api only); the solver still as
	 * the owner (see migrate_worker_conninfo) */
	char *app_conninfo = migrate_app_conninfo(conninfo);
	char *worker_conninfo = migrate_worker_conninfo(conninfo);
	int rc = 1;

	srv.cfg = cfg;
	atomic_init(&srv.schema_ready, schema_ready);
	if (app_conninfo == NULL || worker_conninfo == NULL) {
		log_msg("error", "cannot parse the database connection string");
		goto out;
	}
	if (!schema_ready) {
		retry = migrate_retry_new(conninfo, cfg->schema_dir, &srv.schema_ready);
		if (retry == NULL)
			goto out;
	}
	srv.base = event_base_new();
	if (srv.base == NULL)
		goto out;
	srv.http = evhttp_new(srv.base);
	srv.pool = db_pool_new(srv.base, app_conninfo, cfg->pool_size, cfg->queue_max);
	if (srv.http == NULL || srv.pool == NULL)
		goto out;
	/* libevent 2.1 answers bodies over its own limit with a plain-HTML 413 and offers no hook;
	 * keep that limit far above ours so the router answers oversized bodies with the JSON error
	 */
	evhttp_set_max_body_size(srv.http, (ev_ssize_t)(cfg->max_body_bytes * 16 > (16u << 20)
	                                                    ? cfg->max_body_bytes * 16
	                                                    : (16u << 20)));
	evhttp_set_max_headers_size(srv.http, 65536);
	evhttp_set_timeout(srv.http, 60);
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	                                         EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE |
	                                         EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(srv.http, router_dispatch_cb, &srv);
	srv.listener = evhttp_bind_socket_with_handle(srv.http, cfg->listen_host,
	                                              (ev_uint16_t)cfg->listen_port);
	if (srv.listener == NULL) {
		log_msg("error", "cannot listen on %s:%d", cfg->listen_host, cfg->listen_port);
		goto out;
	}
	srv.solver = solver_new(&srv, worker_conninfo);
	upkeep = upkeep_new(&srv);
	if (srv.solver == NULL || upkeep == NULL)
		goto out;
	sigterm = evsignal_new(srv.base, SIGTERM, main_signal_cb, &srv);
	sigint = evsignal_new(srv.base, SIGINT, main_signal_cb, &srv);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) != 0 ||
	    evsignal_add(sigint, NULL) != 0)
		goto out;
	log_msg("info", "listening on http://%s:%d", cfg->listen_host, cfg->listen_port);
	event_base_dispatch(srv.base);
	log_msg("info", "stopped");
	rc = 0;
out:
	migrate_retry_free(retry);
	solver_free(srv.solver);
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (srv.http != NULL)
		evhttp_free(srv.http);
	db_pool_free(
	    srv.pool); /* before upkeep: it fails queued upkeep queries into upkeep's callbacks */
	upkeep_free(upkeep);
	if (srv.base != NULL)
		event_base_free(srv.base);
	free(app_conninfo);
	free(worker_conninfo);
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
	rc = main_serve(&cfg, conninfo, migrated == MIGRATE_OK);
out:
	pgcluster_stop(cluster);
	settings_free(&cfg);
	return rc;
}

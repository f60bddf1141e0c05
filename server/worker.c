/* HTTP event loops, one per thread: each owns its event_base, evhttp, database pool and metrics
 * block, and shares only read-only settings, the listening socket, the schema flag and the solver.
 */
#include "worker.h"
#include "db.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "settings.h"

#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>

#define WORKER_GRACE_S 10

struct worker {
	struct server srv;
	struct listener_port *port;
	struct event *stop; /* activated from any thread by workers_stop */
	pthread_t thread;
	bool started;
};

struct workers {
	int n;
	struct worker *w;
};

void
server_request_done(struct server *srv)
{
	srv->inflight--;
	if (srv->stopping && srv->inflight == 0)
		event_base_loopexit(srv->base, NULL);
}

/* On the loop's own thread: stop accepting, then leave once in-flight requests are answered. */
static void
worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval grace = {WORKER_GRACE_S, 0};

	(void)fd;
	(void)what;
	if (w->srv.stopping)
		return;
	w->srv.stopping = true;
	listener_port_stop(w->port);
	event_base_loopexit(w->srv.base, w->srv.inflight == 0 ? NULL : &grace);
}

/* Creates loop i: base, evhttp, pool, metrics, and its share of the listening socket. */
static bool
worker_init(struct worker *w, const struct settings *cfg, const char *conninfo, struct listener *l,
            atomic_bool *schema_ready)
{
	struct server *srv = &w->srv;

	srv->cfg = cfg;
	srv->schema_ready = schema_ready;
	srv->base = event_base_new();
	if (srv->base == NULL)
		return false;
	srv->http = evhttp_new(srv->base);
	srv->pool = db_pool_new(srv->base, conninfo, cfg->pool_size, cfg->queue_max,
	                        cfg->statement_timeout_ms);
	srv->bulk_pool =
	    db_pool_new(srv->base, conninfo, 1, cfg->queue_max, cfg->bulk_statement_timeout_ms);
	w->stop = event_new(srv->base, -1, 0, worker_stop_cb, w);
	if (srv->http == NULL || srv->pool == NULL || srv->bulk_pool == NULL || w->stop == NULL)
		return false;
	srv->metrics = metrics_thread_new(srv->pool);
	if (srv->metrics == NULL)
		return false;
	evhttp_set_timeout(srv->http, 60); /* inactivity while reading or writing */
	w->port = listener_attach(l, srv, srv->metrics);
	return w->port != NULL;
}

struct workers *
workers_new(const struct settings *cfg, const char *conninfo, struct listener *l,
            atomic_bool *schema_ready)
{
	struct workers *ws = calloc(1, sizeof(*ws));

	if (ws == NULL)
		return NULL;
	/* bases shared across threads (workers_stop) need libevent's locks */
	if (evthread_use_pthreads() != 0)
		goto fail;
	ws->n = cfg->threads;
	ws->w = calloc((size_t)ws->n, sizeof(*ws->w));
	if (ws->w == NULL)
		goto fail;
	for (int i = 0; i < ws->n; i++)
		if (!worker_init(&ws->w[i], cfg, conninfo, l, schema_ready))
			goto fail;
	return ws;
fail:
	log_msg("error", "cannot set up the HTTP event loops");
	workers_close(ws);
	workers_free(ws);
	return NULL;
}

struct server *
workers_main(struct workers *ws)
{
	return &ws->w[0].srv;
}

void
workers_set_solver(struct workers *ws, struct solver *solver)
{
	for (int i = 0; i < ws->n; i++)
		ws->w[i].srv.solver = solver;
}

/* Thread body of loops 1..N-1. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->srv.base);
	return NULL;
}

bool
workers_run(struct workers *ws)
{
	bool ok = true;

	for (int i = 1; i < ws->n; i++) {
		if (pthread_create(&ws->w[i].thread, NULL, worker_main, &ws->w[i]) != 0) {
			log_msg("error", "cannot start event loop thread %d", i);
			ok = false;
			workers_stop(ws);
			break;
		}
		ws->w[i].started = true;
	}
	event_base_dispatch(ws->w[0].srv.base);
	for (int i = 1; i < ws->n; i++) {
		if (ws->w[i].started)
			pthread_join(ws->w[i].thread, NULL);
		ws->w[i].started = false;
	}
	return ok;
}

void
workers_stop(struct workers *ws)
{
	for (int i = 0; i < ws->n; i++)
		if (ws->w[i].stop != NULL)
			event_active(ws->w[i].stop, EV_READ, 1);
}

void
workers_close(struct workers *ws)
{
	if (ws == NULL || ws->w == NULL)
		return;
	for (int i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		if (w->srv.http != NULL)
			evhttp_free(
			    w->srv.http); /* closes its connections: abandoned requests see gone */
		w->srv.http = NULL;
		listener_port_free(w->port);
		w->port = NULL;
		db_pool_free(w->srv.pool);
		w->srv.pool = NULL;
		db_pool_free(w->srv.bulk_pool);
		w->srv.bulk_pool = NULL;
	}
}

void
workers_free(struct workers *ws)
{
	if (ws == NULL)
		return;
	for (int i = 0; ws->w != NULL && i < ws->n; i++) {
		if (ws->w[i].stop != NULL)
			event_free(ws->w[i].stop);
		if (ws->w[i].srv.base != NULL)
			event_base_free(ws->w[i].srv.base);
	}
	free(ws->w);
	free(ws);
}

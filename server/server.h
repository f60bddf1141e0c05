/* State shared by every handler running on one event loop (one worker thread). */
#ifndef TANDEM_SERVER_H
#define TANDEM_SERVER_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "db.h"
#include "settings.h"

struct metrics;
struct solver;

struct server {
	struct event_base *base;              /* this loop's */
	struct evhttp *http;                  /* this loop's */
	struct evhttp_bound_socket *listener; /* this loop's share of the listening socket */
	struct db_pool *pool;                 /* this loop's connections */
	struct db_pool *bulk_pool;            /* this loop's connection for bulk imports */
	struct metrics *metrics;              /* this loop's counters */
	const struct settings *cfg;           /* read-only, shared */
	struct solver *solver;                /* matching rounds worker, shared (thread-safe) */
	int inflight;                         /* requests of this loop not yet replied to */
	bool stopping;             /* SIGTERM received: finish in-flight work, then exit */
	atomic_bool *schema_ready; /* shared: migrations applied */
};

/* Called whenever a request completes, so shutdown can finish once nothing is in flight. */
void server_request_done(struct server *srv);

#endif

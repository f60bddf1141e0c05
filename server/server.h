/* State shared by every handler of one tandemd process (one event loop). */
#ifndef TANDEM_SERVER_H
#define TANDEM_SERVER_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "db.h"
#include "settings.h"

struct solver;

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *listener;
	struct db_pool *pool;
	const struct settings *cfg;
	struct solver *solver;    /* matching rounds worker */
	int inflight;             /* requests not yet replied to */
	bool stopping;            /* SIGTERM received: finish in-flight work, then exit */
	atomic_bool schema_ready; /* migrations applied (false while the database is unreachable) */
};

/* Called whenever a request completes, so shutdown can finish once nothing is in flight. */
void server_request_done(struct server *srv);

#endif

/* Accepting connections on one listening socket shared by every event loop, with the limits that
 * keep tandemd standing under overload: a connection cap derived from RLIMIT_NOFILE, a clean pause
 * when descriptors run out, a deadline for the request to arrive, bodies refused on their declared
 * length, and libevent's own protocol errors answered in the JSON error shape. */
#ifndef TANDEM_LISTENER_H
#define TANDEM_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

struct evhttp_request;
struct listener;
struct listener_port;
struct metrics;
struct server;
struct settings;

/* Binds and listens on cfg's address, sizes the connection cap (cfg->max_connections, else the
 * descriptor limit minus what cfg's loops and pools need), and keeps one reserve descriptor.
 * NULL with err filled on failure. Caller frees with listener_free after every port is gone. */
struct listener *listener_new(const struct settings *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The connection cap in force. */
int listener_cap(const struct listener *l);

/* Attaches srv's evhttp to the shared socket: srv->listener is set, requests go to the router
 * (GET /metrics to the metrics), m counts. Call from the thread that creates srv, before its loop
 * runs. NULL on failure. Freed with listener_port_free from srv's thread. */
struct listener_port *listener_attach(struct listener *l, struct server *srv, struct metrics *m)
    __attribute__((warn_unused_result));

/* Stops accepting on this port (shutdown); connections open stay served. Loop thread only. */
void listener_port_stop(struct listener_port *p);

/* Frees the port's timers (after its evhttp is freed). */
void listener_port_free(struct listener_port *p);

/* Closes the listening socket and the reserve descriptor. */
void listener_free(struct listener *l);

/* Asks that *gone be set to true if the connection of ev is freed before ev is answered (server
 * shutdown); NULL stops that. ev must be a request this module handed to the router. */
void listener_watch_gone(struct evhttp_request *ev, bool *gone);

#endif

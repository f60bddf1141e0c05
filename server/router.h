/* Routing of HTTP requests to handlers, with authentication and body parsing on the way. */
#ifndef TANDEM_ROUTER_H
#define TANDEM_ROUTER_H

#include <event2/http.h>

/* libevent callback for every request: finds the route, checks size, token and body, runs the
 * handler. */
void router_dispatch_cb(struct evhttp_request *ev, void *arg);

struct route;

/* The path pattern of a route ("/v1/pairs/{}"), or NULL for none: the metrics' route label. */
const char *router_route_pattern(const struct route *route);

#endif

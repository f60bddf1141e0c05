/* httpclient: what tandemd's outgoing HTTP exchanges (webhooks, the identity provider) share. */
#ifndef TANDEM_HTTPCLIENT_H
#define TANDEM_HTTPCLIENT_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdbool.h>

/* Frees conn one loop turn later, from the completion callback of its (only) request, whatever the
 * outcome: libevent 2.1's free-on-completion misses a connection whose connect failed, so a
 * receiver or provider that is down leaked one connection per attempt. False when it could not be
 * scheduled (then conn is leaked, not freed under libevent's feet). */
bool httpclient_release(struct event_base *base, struct evhttp_connection *conn);

#endif

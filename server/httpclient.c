/* httpclient: shared pieces of the outgoing HTTP exchanges. */
#include "httpclient.h"

/* Frees a finished exchange's connection (libevent is done with it by the next loop turn). */
static void
httpclient_free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(arg);
}

bool
httpclient_release(struct event_base *base, struct evhttp_connection *conn)
{
	return event_base_once(base, -1, EV_TIMEOUT, httpclient_free_cb, conn,
	                       &(struct timeval){0, 0}) == 0;
}

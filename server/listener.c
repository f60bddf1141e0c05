/* One listening socket accepted by every event loop's evhttp (memcached's one event_base per
 * thread), and the limits around it:
 * - a connection cap: at the cap a loop stops accepting until a connection closes, so clients
 *   wait in the kernel's backlog instead of taking the descriptors the pools need;
 * - at EMFILE/ENFILE the loop gives one backlogged client a clean close through a reserve
 *   descriptor and pauses accepting for LISTENER_PAUSE_MS (no busy loop), logging at most once
 *   a second;
 * - a deadline: a request must arrive complete within --header-timeout of the connection's start
 *   or of the previous reply, or the connection is closed (slowloris);
 * - the body limit is libevent's own max body size, checked against Content-Length before the
 *   body is read (and against the running size of a chunked body);
 * - libevent 2.1 writes its own answers (malformed request, head or body too large, method it does
 *   not serve) through evhttp_send_error, which tandemd defines again below: the library's calls
 *   reach it through the PLT (ELF symbol interposition), so those answers take the JSON shape.
 * libevent 2.1.12 has no new-request hook (evhttp_set_newreqcb is 2.2): a connection is seen when
 * evhttp asks for its bufferevent (evhttp_set_bevcb) and tracked once accept's callback returns.
 * With --tls-cert/--tls-key that bufferevent is an OpenSSL one (tls.c): every connection speaks TLS
 * (a plain-HTTP client fails the handshake and is closed) and every reply carries HSTS.
 */
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "router.h"
#include "server.h"
#include "settings.h"
#include "tls.h"

#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTENER_BACKLOG 4096
#define LISTENER_PAUSE_MS 100 /* accept pause after EMFILE, and re-check period at the cap */
#define LISTENER_MAX_HEADERS 65536
#define LISTENER_MAX_PORTS 256
#define LISTENER_HSTS "max-age=31536000"
/* the methods the API serves; anything else libevent parses is answered 405 or 501 here */
#define LISTENER_METHODS                                                                           \
	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |                    \
	 EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS)

struct listener_conn;

struct listener {
	evutil_socket_t fd;
	atomic_int reserve; /* a descriptor held back to shed a client at EMFILE, or -1 */
	int cap;
	atomic_int open; /* client connections open, all loops */
	int header_timeout;
	size_t max_body;
	int nslots; /* one per possible descriptor number */
	_Atomic(struct listener_conn *) *slots;
	atomic_long last_log;                            /* second of the last EMFILE log line */
	struct listener_port *ports[LISTENER_MAX_PORTS]; /* set before the loops start */
	int nports;
	struct tls *tls; /* HTTPS context shared by every loop, or NULL for plain HTTP */
};

/* The process's one listener, for the accept error callback (which libevent hands the evhttp). */
static struct listener *listener_the;

enum listener_pause { PAUSE_NONE, PAUSE_CAP, PAUSE_ERROR };

struct listener_port {
	struct listener *l;
	struct server *srv;
	struct metrics *m;
	struct evconnlistener *lev; /* owned by srv->http through srv->listener */
	struct event *resume;
	enum listener_pause paused;
	bool stopped;
	struct listener_conn *unset; /* connections accepted, setup not yet run */
};

/* What this module keeps for one client connection, from its first request to its close. */
struct listener_conn {
	struct listener_port *port;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* known from listener_setup_cb on */
	int fd;
	struct event setup;    /* runs once accept's callback has built the connection */
	struct event deadline; /* the request must have arrived by then */
	bool *gone;            /* the router's request flag to set if the connection goes */
	bool refuse; /* TLS on but its bufferevent could not be made: close, never serve plain */
	struct listener_conn *prev, *next; /* in the port's list while waiting for setup */
};

/* Milliseconds as a timeval. */
static struct timeval
listener_tv(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	return tv;
}

/* Stops accepting on p for a while (or until a connection closes, for the cap). */
static void
listener_pause(struct listener_port *p, enum listener_pause why)
{
	struct timeval tv = listener_tv(LISTENER_PAUSE_MS);

	if (p->stopped || p->lev == NULL)
		return;
	if (p->paused == PAUSE_NONE)
		evconnlistener_disable(p->lev);
	p->paused = why;
	evtimer_add(p->resume, &tv);
}

/* Accepts again on p unless the cap is still reached. */
static void
listener_resume(struct listener_port *p)
{
	struct timeval tv = listener_tv(LISTENER_PAUSE_MS);

	if (p->stopped || p->paused == PAUSE_NONE)
		return;
	if (atomic_load(&p->l->open) >= p->l->cap) {
		p->paused = PAUSE_CAP;
		evtimer_add(p->resume, &tv);
		return;
	}
	evtimer_del(p->resume);
	p->paused = PAUSE_NONE;
	evconnlistener_enable(p->lev);
}

/* The pause is over. */
static void
listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listener_resume(arg);
}

/* accept() failed with something other than EAGAIN/EINTR/ECONNABORTED (libevent retries those):
 * typically EMFILE or ENFILE. Sheds one waiting client through the reserve descriptor, pauses, and
 * logs at most one line a second; libevent would otherwise log and retry at once, forever. */
static void
listener_error_cb(struct evconnlistener *lev, void *arg)
{
	struct listener_port *p = NULL;
	struct listener *l;
	int err = errno;
	long now = (long)time(NULL), last;

	(void)lev;
	/* arg is the evhttp (evhttp_bind_listener's choice): find its port */
	for (int i = 0; i < listener_the->nports && p == NULL; i++)
		if (listener_the->ports[i]->srv->http == arg)
			p = listener_the->ports[i];
	if (p == NULL)
		return;
	l = p->l;
	last = atomic_load(&l->last_log);
	if (err == EMFILE || err == ENFILE) {
		int spare = atomic_exchange(&l->reserve, -1);

		if (spare >= 0) {
			int shed;

			close(spare);
			shed = accept(l->fd, NULL, NULL);
			if (shed >= 0)
				close(shed);
			atomic_store(&l->reserve, open("/dev/null", O_RDONLY | O_CLOEXEC));
		}
	}
	metrics_add(p->m, METRICS_ACCEPT_PAUSES, 1);
	if (now != last && atomic_compare_exchange_strong(&l->last_log, &last, now))
		log_msg("warn", "accept: %s with %d connection(s) open; accepting again in %d ms",
		        strerror(err), atomic_load(&l->open), LISTENER_PAUSE_MS);
	listener_pause(p, PAUSE_ERROR);
}

/* The name of a method for logs and metrics (static strings). */
static const char *
listener_method_name(enum evhttp_cmd_type type)
{
	switch (type) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	default:
		return "OTHER";
	}
}

/* Under TLS, tells the browser to use HTTPS only for a year (HSTS); once per reply. */
static void
listener_hsts(struct evhttp_request *req)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (listener_the != NULL && listener_the->tls != NULL &&
	    evhttp_find_header(out, "Strict-Transport-Security") == NULL)
		evhttp_add_header(out, "Strict-Transport-Security", LISTENER_HSTS);
}

/* Answers a request this module handles itself (protocol errors, /metrics), logs and counts it. */
static void
listener_send(struct listener_conn *c, struct evhttp_request *req, int status, const char *reason,
              const char *ctype, const char *body, size_t len, bool close, const char *route)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *method = listener_method_name(req->type);

	log_access(method, route, status, 0);
	metrics_request(c->port->m, method, route, status, 0);
	if (buf == NULL) {
		evhttp_connection_free(req->evcon);
		return;
	}
	evbuffer_add(buf, body, len);
	listener_hsts(req);
	evhttp_add_header(out, "Content-Type", ctype);
	if (close)
		evhttp_add_header(out, "Connection", "close");
	if (req->major != 1 || (req->minor != 0 && req->minor != 1)) { /* unparsed request line */
		req->major = 1;
		req->minor = 1;
	}
	evhttp_send_reply(req, status, reason, buf);
	evbuffer_free(buf);
}

/* Answers with the one error shape {status, code, message, field}. */
static void
listener_send_error(struct listener_conn *c, struct evhttp_request *req, int status,
                    const char *reason, const char *code, const char *message, bool close)
{
	json_t *err = json_pack("{s:i, s:s, s:s, s:n}", "status", status, "code", code, "message",
	                        message, "field");
	char *text = err ? json_dumps(err, JSON_COMPACT) : NULL;

	json_decref(err);
	if (text == NULL) {
		evhttp_connection_free(req->evcon);
		return;
	}
	listener_send(c, req, status, reason, "application/json", text, strlen(text), close,
	              "(protocol)");
	free(text);
}

/* The tracked state of the connection of req, or NULL. */
static struct listener_conn *
listener_conn_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int fd = bev ? (int)bufferevent_getfd(bev) : -1;
	struct listener_conn *c;

	if (listener_the == NULL || fd < 0 || fd >= listener_the->nslots)
		return NULL;
	c = atomic_load(&listener_the->slots[fd]);
	return c != NULL && c->evcon == evcon ? c : NULL;
}

/* The port serving req (for requests this module never tracked). */
static struct listener_port *
listener_port_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evhttp *http = evcon ? evhttp_connection_get_server(evcon) : NULL;

	for (int i = 0; listener_the != NULL && i < listener_the->nports; i++)
		if (listener_the->ports[i]->srv->http == http)
			return listener_the->ports[i];
	return NULL;
}

/* libevent's own error answer, defined again: the library calls it when it gives up on a request
 * (400 malformed request line, header or framing, including an oversized head; 413 body above the
 * limit; 501 a method outside evhttp_set_allowed_methods; 417 an unknown Expect) and tandemd
 * answers in the JSON error shape instead of an HTML page. The connection closes afterwards, as
 * libevent's own page does: what the client sends next cannot be trusted. */
void
evhttp_send_error(struct evhttp_request *req, int error, const char *reason)
{
	struct listener_conn *c = listener_conn_of(req);
	struct listener_conn fallback = {0};
	struct evbuffer *in = NULL;
	char msg[128];

	if (c == NULL) { /* untracked connection: count on its port anyway */
		fallback.port = listener_port_of(req);
		c = &fallback;
	}
	if (req->evcon != NULL)
		in = bufferevent_get_input(evhttp_connection_get_bufferevent(req->evcon));
	if (c->port != NULL)
		metrics_add(c->port->m, METRICS_PROTOCOL_ERRORS, 1);
	if (error == 413) {
		snprintf(msg, sizeof(msg), "the body exceeds the limit of %zu bytes",
		         listener_the ? listener_the->max_body : 0);
		listener_send_error(c, req, 413, "Payload Too Large", "body_too_large", msg, true);
	} else if (error == 400 &&
	           (req->headers_size > LISTENER_MAX_HEADERS ||
	            (in != NULL && evbuffer_get_length(in) > LISTENER_MAX_HEADERS))) {
		snprintf(msg, sizeof(msg), "the request head exceeds %d bytes",
		         LISTENER_MAX_HEADERS);
		listener_send_error(c, req, 431, "Request Header Fields Too Large",
		                    "headers_too_large", msg, true);
	} else if (error == 400) {
		listener_send_error(c, req, 400, "Bad Request", "bad_request",
		                    "malformed HTTP request (request line, header or body framing)",
		                    true);
	} else if (error == 501 &&
	           (req->type == EVHTTP_REQ_TRACE || req->type == EVHTTP_REQ_CONNECT)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		                  "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
		listener_send_error(c, req, 405, "Method Not Allowed", "method_not_allowed",
		                    "this method is not served here", true);
	} else if (error == 501) {
		listener_send_error(c, req, 501, "Not Implemented", "not_implemented",
		                    "unknown HTTP method", true);
	} else if (error == 417) {
		listener_send_error(c, req, 417, "Expectation Failed", "expectation_failed",
		                    "only \"Expect: 100-continue\" is understood", true);
	} else {
		snprintf(msg, sizeof(msg), "%s", reason ? reason : "the request failed");
		listener_send_error(c, req, error >= 400 && error < 600 ? error : 500, reason,
		                    error >= 500 ? "internal" : "bad_request", msg, true);
	}
}

/* Answers GET /metrics. */
static void
listener_metrics(struct listener_conn *c, struct evhttp_request *req)
{
	size_t len = 0;
	char *text = metrics_render(&len);

	if (text == NULL) {
		listener_send_error(c, req, 500, NULL, "internal", "out of memory", false);
		return;
	}
	listener_send(c, req, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", text, len,
	              false, "/metrics");
	free(text);
}

/* Starts the deadline by which the next request must have arrived on c. */
static void
listener_arm(struct listener_conn *c)
{
	struct timeval deadline = {c->port->l->header_timeout, 0};

	evtimer_add(&c->deadline, &deadline);
}

/* evhttp's generic callback: a complete request. Stops the deadline, serves /metrics, routes the
 * rest. */
static void
listener_request_cb(struct evhttp_request *req, void *arg)
{
	struct listener_port *p = arg;
	struct listener_conn *c = listener_conn_of(req), fallback = {.port = p};
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (c != NULL)
		evtimer_del(&c->deadline);
	listener_hsts(req); /* output headers persist until the router's reply */
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		router_dispatch_cb(req, p->srv);
		return;
	}
	if (req->type == EVHTTP_REQ_GET || req->type == EVHTTP_REQ_HEAD) {
		listener_metrics(c ? c : &fallback, req);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		listener_send_error(c ? c : &fallback, req, 405, NULL, "method_not_allowed",
		                    "only GET is allowed here (allowed: GET, HEAD)", false);
	}
	if (c != NULL)
		listener_arm(c);
}

/* The request did not arrive in time: close the connection (a slowloris holds it otherwise). */
static void
listener_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener_conn *c = arg;

	(void)fd;
	(void)what;
	metrics_add(c->port->m, METRICS_HEAD_TIMEOUTS, 1);
	evhttp_connection_free(c->evcon); /* runs listener_conn_close_cb, which frees c */
}

/* A client connection is going away: forget it, count it, accept again if the cap held us. */
static void
listener_conn_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct listener_conn *c = arg, *self = c;
	struct listener_port *p = c->port;
	struct listener *l = p->l;
	int left;

	(void)evcon;
	if (c->gone != NULL)
		*c->gone = true;
	event_del(&c->deadline);
	if (c->fd >= 0 && c->fd < l->nslots)
		atomic_compare_exchange_strong(&l->slots[c->fd], &self, NULL);
	left = atomic_fetch_sub(&l->open, 1) - 1;
	metrics_add(p->m, METRICS_CONN_OPEN, -1);
	free(c);
	if (p->paused == PAUSE_CAP && left < l->cap)
		listener_resume(p);
}

/* Unlinks c from its port's list of connections waiting for setup. */
static void
listener_unlink(struct listener_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (c->port->unset == c)
		c->port->unset = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* Runs right after accept's callback: evhttp has built the connection around c->bev (its
 * callback argument is the connection), so the close hook and the deadline can be set. */
static void
listener_setup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener_conn *c = arg;
	struct listener *l = c->port->l;
	void *evcon = NULL;

	(void)fd;
	(void)what;
	listener_unlink(c);
	bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
	c->evcon = evcon;
	c->fd = (int)bufferevent_getfd(c->bev);
	evhttp_connection_set_closecb(c->evcon, listener_conn_close_cb, c);
	if (c->fd >= 0 && c->fd < l->nslots)
		atomic_store(&l->slots[c->fd], c);
	if (c->refuse) {
		evhttp_connection_free(c->evcon); /* runs listener_conn_close_cb, which frees c */
		return;
	}
	listener_arm(c);
}

/* evhttp asks for the bufferevent of a connection it is accepting: make it (TLS when configured),
 * start tracking the connection, and stop accepting at the cap. */
static struct bufferevent *
listener_bev_cb(struct event_base *base, void *arg)
{
	struct listener_port *p = arg;
	struct listener *l = p->l;
	struct listener_conn *c = calloc(1, sizeof(*c));
	struct bufferevent *bev = l->tls != NULL ? tls_bufferevent_new(l->tls, base) : NULL;
	bool refuse = false;

	/* a NULL answer makes evhttp build a plain bufferevent: under TLS such a connection is
	 * tracked and closed at setup rather than served in clear text */
	if (bev == NULL) {
		refuse = l->tls != NULL;
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (c == NULL || bev == NULL) {
		free(c);
		return bev; /* NULL: evhttp makes its own, and the connection is not tracked */
	}
	c->refuse = refuse;
	c->port = p;
	c->bev = bev;
	c->fd = -1;
	event_assign(&c->setup, base, -1, 0, listener_setup_cb, c);
	evtimer_assign(&c->deadline, base, listener_deadline_cb, c);
	c->next = p->unset;
	if (p->unset != NULL)
		p->unset->prev = c;
	p->unset = c;
	event_active(&c->setup, EV_TIMEOUT, 1);
	metrics_add(p->m, METRICS_CONN_OPEN, 1);
	metrics_add(p->m, METRICS_CONN_ACCEPTED, 1);
	if (atomic_fetch_add(&l->open, 1) + 1 >= l->cap) {
		metrics_add(p->m, METRICS_CAP_PAUSES, 1);
		listener_pause(p, PAUSE_CAP);
	}
	return bev;
}

void
listener_watch_gone(struct evhttp_request *ev, bool *gone)
{
	struct listener_conn *c = listener_conn_of(ev);

	if (c == NULL)
		return;
	c->gone = gone;
	if (gone == NULL) /* answered: the next request on this connection has the deadline */
		listener_arm(c);
}

/* Counts the descriptors open now (to size the cap); a guess when /proc is not there. */
static int
listener_fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 16;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Creates, binds and listens on the socket of host:port. */
static evutil_socket_t
listener_bind(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char service[16];
	evutil_socket_t fd = -1;
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(service, sizeof(service), "%d", port);
	if ((rc = getaddrinfo(host, service, &hints, &ai)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0 || evutil_make_listen_socket_reuseable(fd) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTENER_BACKLOG) != 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

struct listener *
listener_new(const struct settings *cfg, char *err, size_t errlen)
{
	struct listener *l = calloc(1, sizeof(*l));
	struct rlimit rl;
	int derived;

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fd = -1;
	atomic_init(&l->reserve, -1);
	l->header_timeout = cfg->header_timeout;
	/* libevent's limit is the larger one; the router holds every other route to its own */
	l->max_body = cfg->max_body_bytes > cfg->max_import_bytes ? cfg->max_body_bytes
	                                                          : cfg->max_import_bytes;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 24))
		rl.rlim_cur = 1u << 24;
	/* what tandemd needs besides clients: the descriptors open now, the listening socket and
	 * the reserve, each loop's epoll and wake-up descriptors, pool and bulk connection, and
	 * slack for the solver, the migration retry, webhook deliveries and the embedded cluster's
	 * pipes */
	derived =
	    (int)rl.rlim_cur - listener_fds_open() - 2 - cfg->threads * (cfg->pool_size + 5) - 32;
	l->cap = cfg->max_connections > 0 ? cfg->max_connections : derived;
	if (l->cap < 1) {
		snprintf(
		    err, errlen,
		    "RLIMIT_NOFILE (%lu) leaves no descriptor for clients with %d thread(s) of "
		    "%d database connection(s); raise it (ulimit -n) or lower --threads",
		    (unsigned long)rl.rlim_cur, cfg->threads, cfg->pool_size);
		goto fail;
	}
	if (cfg->max_connections > derived)
		log_msg("warn",
		        "--max-connections %d exceeds what RLIMIT_NOFILE (%lu) leaves (%d); "
		        "accept will pause at EMFILE",
		        cfg->max_connections, (unsigned long)rl.rlim_cur, derived);
	l->nslots = (int)rl.rlim_cur;
	l->slots = calloc((size_t)l->nslots, sizeof(*l->slots));
	if (l->slots == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (settings_tls(cfg)) { /* as root, before the drop: the key may be root's only */
		l->tls = tls_new(cfg->tls_cert, cfg->tls_key, err, errlen);
		if (l->tls == NULL)
			goto fail;
	}
	l->fd = listener_bind(cfg->listen_host, cfg->listen_port, err, errlen);
	if (l->fd < 0)
		goto fail;
	atomic_store(&l->reserve, open("/dev/null", O_RDONLY | O_CLOEXEC));
	listener_the = l;
	return l;
fail:
	listener_free(l);
	return NULL;
}

int
listener_cap(const struct listener *l)
{
	return l->cap;
}

struct listener_port *
listener_attach(struct listener *l, struct server *srv, struct metrics *m)
{
	struct listener_port *p = calloc(1, sizeof(*p));
	struct evconnlistener *lev = NULL;

	if (p == NULL)
		return NULL;
	p->l = l;
	p->srv = srv;
	p->m = m;
	p->resume = evtimer_new(srv->base, listener_resume_cb, p);
	if (p->resume == NULL || l->nports == LISTENER_MAX_PORTS)
		goto fail;
	/* backlog 0: the socket already listens; no LEV_OPT_CLOSE_ON_FREE, every loop shares it */
	lev = evconnlistener_new(srv->base, NULL, NULL, LEV_OPT_CLOSE_ON_EXEC, 0, l->fd);
	if (lev == NULL)
		goto fail;
	evconnlistener_set_error_cb(lev, listener_error_cb);
	/* evhttp_bind_listener makes srv->http the listener's callback argument */
	srv->listener = evhttp_bind_listener(srv->http, lev);
	if (srv->listener == NULL) {
		evconnlistener_free(lev);
		goto fail;
	}
	p->lev = lev;
	l->ports[l->nports++] = p;
	evhttp_set_bevcb(srv->http, listener_bev_cb, p);
	evhttp_set_gencb(srv->http, listener_request_cb, p);
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)l->max_body);
	evhttp_set_max_headers_size(srv->http, LISTENER_MAX_HEADERS);
	evhttp_set_allowed_methods(srv->http, LISTENER_METHODS);
	return p;
fail:
	listener_port_free(p);
	return NULL;
}

void
listener_port_stop(struct listener_port *p)
{
	if (p == NULL || p->stopped)
		return;
	p->stopped = true;
	evtimer_del(p->resume);
	if (p->srv->listener != NULL) {
		evhttp_del_accept_socket(p->srv->http, p->srv->listener);
		p->srv->listener = NULL;
	}
	p->lev = NULL;
}

void
listener_port_free(struct listener_port *p)
{
	if (p == NULL)
		return;
	while (p->unset != NULL) { /* accepted just before shutdown; evhttp_free closed them */
		struct listener_conn *c = p->unset;

		listener_unlink(c);
		event_del(&c->setup);
		free(c);
	}
	if (p->resume != NULL)
		event_free(p->resume);
	free(p);
}

void
listener_free(struct listener *l)
{
	int spare;

	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	spare = atomic_load(&l->reserve);
	if (spare >= 0)
		close(spare);
	free(l->slots);
	tls_free(l->tls);
	if (listener_the == l)
		listener_the = NULL;
	free(l);
}

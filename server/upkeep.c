/* Maintenance tick and webhook delivery, both driven by libevent timers and the async pool. */
#include "upkeep.h"
#include "db.h"
#include "httpclient.h"
#include "log.h"
#include "netpolicy.h"
#include "server.h"
#include "whsig.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UPKEEP_DELIVERY_BATCH "20"

struct upkeep {
	struct server *srv;
	struct event *tick;     /* maintenance_tick every maintenance_seconds */
	struct event *delivery; /* webhook deliveries every second */
	struct evdns_base *dns;
	struct netpolicy *policy;        /* which addresses deliveries may reach */
	SSL_CTX *tls;                    /* client context for https:// webhooks */
	struct upkeep_delivery *sending; /* deliveries awaiting an answer */
	bool polling;                    /* a webhook_due query is running */
};

/* One webhook POST in flight: resolving its host, then connecting to the checked address. */
struct upkeep_delivery {
	struct upkeep *u;
	struct upkeep_delivery *next;
	struct evhttp_connection *conn;
	struct evdns_getaddrinfo_request *resolving; /* pending name lookup, or NULL */
	char id[24];
	char *host;   /* as in the URL (Host header, TLS name check) */
	char *target; /* path and query */
	char *body;
	char *event;
	char signature[2 * WHSIG_MAX]; /* one or two space-separated v1,... */
	char timestamp[24];
	int port;
	bool tls;
};

static void
upkeep_ignore_cb(const PGresult *res, const char *conn_error, void *arg)
{
	(void)arg;
	if (res == NULL ||
	    (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK))
		log_msg("warn", "upkeep query failed: %s",
		        res ? PQresultErrorMessage(res) : (conn_error ? conn_error : ""));
}

/* Frees a delivery's strings and itself (not its connection). */
static void
upkeep_delivery_free(struct upkeep_delivery *d)
{
	free(d->host);
	free(d->target);
	free(d->body);
	free(d->event);
	free(d);
}

/* Records a delivery's outcome through the pool. */
static void
upkeep_delivery_done(struct upkeep_delivery *d, bool ok, const char *why)
{
	const char *params[3] = {d->id, ok ? "true" : "false", why};

	if (db_query(d->u->srv->pool, "SELECT api.webhook_done($1::bigint, $2::boolean, $3)", 3,
	             params, upkeep_ignore_cb, NULL) != DB_QUEUED)
		log_msg("warn", "webhook delivery %s: outcome not recorded (database busy)", d->id);
	for (struct upkeep_delivery **p = &d->u->sending; *p != NULL; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	upkeep_delivery_free(d);
}

/* The receiver answered (or the connection failed: req is NULL or has no response code). */
static void
upkeep_response_cb(struct evhttp_request *req, void *arg)
{
	struct upkeep_delivery *d = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	char why[64];

	if (d->conn != NULL && !httpclient_release(d->u->srv->base, d->conn))
		log_msg("warn", "webhook delivery %s: could not schedule its connection's release",
		        d->id);
	d->conn = NULL;
	if (code >= 200 && code < 300) {
		upkeep_delivery_done(d, true, NULL);
		return;
	}
	if (code == 0)
		snprintf(why, sizeof(why), "connection failed");
	else
		snprintf(why, sizeof(why), "HTTP %d", code);
	upkeep_delivery_done(d, false, why);
}

/* A TLS client bufferevent for host: the certificate must chain to a trusted CA (the system's, or
 * --webhook-ca-file) and name the host (DNS name or IP address); SNI is sent for names. */
static struct bufferevent *
upkeep_tls_bufferevent(struct upkeep *u, const char *host)
{
	struct bufferevent *bev = NULL;
	X509_VERIFY_PARAM *param;
	unsigned char ip[16];
	bool is_ip;
	SSL *ssl;

	if (u->tls == NULL)
		return NULL;
	ssl = SSL_new(u->tls);
	if (ssl == NULL)
		return NULL;
	param = SSL_get0_param(ssl);
	is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
	           : X509_VERIFY_PARAM_set1_host(param, host, 0) &&
	                 SSL_set_tlsext_host_name(ssl, host)) != 1)
		goto fail;
	bev = bufferevent_openssl_socket_new(u->srv->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL)
		goto fail;
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev; /* the bufferevent owns ssl now */
fail:
	SSL_free(ssl);
	return NULL;
}

/* Connects to the checked address (a numeric host, so libevent does not resolve again) and POSTs
 * the signed body; failures are recorded at once. */
static void
upkeep_post(struct upkeep_delivery *d, const char *addr)
{
	struct upkeep *u = d->u;
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req = NULL;
	char hostport[300], msgid[32];
	struct evkeyvalq *h;

	if (d->tls) {
		struct bufferevent *bev = upkeep_tls_bufferevent(u, d->host);

		conn = bev ? evhttp_connection_base_bufferevent_new(u->srv->base, NULL, bev, addr,
		                                                    (ev_uint16_t)d->port)
		           : NULL;
		if (conn == NULL && bev != NULL)
			bufferevent_free(bev);
	} else {
		conn = evhttp_connection_base_new(u->srv->base, NULL, addr, (ev_uint16_t)d->port);
	}
	req = conn ? evhttp_request_new(upkeep_response_cb, d) : NULL;
	if (req == NULL) {
		if (conn != NULL)
			evhttp_connection_free(conn);
		upkeep_delivery_done(d, false, "out of memory");
		return;
	}
	d->conn = conn;
	evhttp_connection_set_timeout(conn, 10);
	snprintf(hostport, sizeof(hostport), "%s:%d", d->host, d->port);
	snprintf(msgid, sizeof(msgid), "msg_%s", d->id);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "User-Agent", "tandemd-webhooks");
	evhttp_add_header(h, "X-Tandem-Event", d->event);
	evhttp_add_header(h, "X-Tandem-Delivery", d->id);
	evhttp_add_header(h, "webhook-id", msgid);
	evhttp_add_header(h, "webhook-timestamp", d->timestamp);
	evhttp_add_header(h, "webhook-signature", d->signature);
	evbuffer_add(evhttp_request_get_output_buffer(req), d->body, strlen(d->body));
	if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, d->target) != 0) {
		evhttp_connection_free(conn); /* libevent freed req already */
		d->conn = NULL;
		upkeep_delivery_done(d, false, "request failed");
	}
}

/* The host's addresses arrived: the first one the policy allows is connected to; none allowed (or
 * none at all) fails the attempt, naming the refused address. */
static void
upkeep_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct upkeep_delivery *d = arg;
	char addr[INET6_ADDRSTRLEN] = "", refused[INET6_ADDRSTRLEN + 96] = "";
	const struct evutil_addrinfo *ai;

	d->resolving = NULL;
	if (result == EVUTIL_EAI_CANCEL) { /* upkeep_free: d is its to free */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	for (ai = result == 0 ? res : NULL; ai != NULL; ai = ai->ai_next) {
		const void *in =
		    ai->ai_family == AF_INET
		        ? (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
		        : (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    evutil_inet_ntop(ai->ai_family, in, addr, sizeof(addr)) == NULL)
			continue;
		if (netpolicy_allows_addr(d->u->policy, ai->ai_addr))
			break;
		snprintf(refused, sizeof(refused),
		         "destination %s is an internal address (refused; see "
		         "--webhook-allow-private)",
		         addr);
	}
	if (res != NULL && ai == NULL)
		addr[0] = '\0';
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (addr[0] != '\0') {
		upkeep_post(d, addr);
		return;
	}
	if (refused[0] != '\0')
		log_msg("warn", "webhook delivery %s: %s", d->id, refused);
	upkeep_delivery_done(d, false,
	                     refused[0] != '\0'
	                         ? refused
	                         : (result != 0 ? evutil_gai_strerror(result) : "no address"));
}

/* Starts one delivery: parses url, signs body (Standard Webhooks, with the current secret and the
 * previous one during a rotation's grace period), then resolves the host without blocking. */
static void
upkeep_send(struct upkeep *u, const char *id, const char *url, const char *body, const char *secret,
            const char *previous, const char *type)
{
	struct upkeep_delivery *d = calloc(1, sizeof(*d));
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	struct evdns_getaddrinfo_request *lookup;
	struct evutil_addrinfo hints;
	const char *host, *path, *query, *scheme;
	char target[2048], portstr[8], sig[WHSIG_MAX], prev[WHSIG_MAX];
	size_t hostlen;

	if (d == NULL)
		goto out;
	d->u = u;
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->next = u->sending;
	u->sending = d;
	host = uri ? evhttp_uri_get_host(uri) : NULL;
	scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
	d->tls = scheme != NULL && strcmp(scheme, "https") == 0;
	if (host == NULL || *host == '\0' || scheme == NULL ||
	    (!d->tls && strcmp(scheme, "http") != 0)) {
		upkeep_delivery_done(d, false, "only http:// and https:// URLs can be delivered");
		goto out;
	}
	d->port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : (d->tls ? 443 : 80);
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	snprintf(target, sizeof(target), "%s%s%s", path && *path ? path : "/", query ? "?" : "",
	         query ? query : "");
	hostlen = strlen(host);
	if (host[0] == '[' && hostlen > 2 && host[hostlen - 1] == ']') /* IPv6 literal */
		d->host = strndup(host + 1, hostlen - 2);
	else
		d->host = strdup(host);
	d->target = strdup(target);
	d->body = strdup(body);
	d->event = strdup(type);
	snprintf(d->timestamp, sizeof(d->timestamp), "%lld", (long long)time(NULL));
	if (d->host == NULL || d->target == NULL || d->body == NULL || d->event == NULL) {
		upkeep_delivery_done(d, false, "out of memory");
		goto out;
	}
	{
		char msgid[32];

		snprintf(msgid, sizeof(msgid), "msg_%s", d->id);
		if (!whsig_sign(secret, msgid, d->timestamp, body, strlen(body), sig) ||
		    (previous != NULL &&
		     !whsig_sign(previous, msgid, d->timestamp, body, strlen(body), prev))) {
			upkeep_delivery_done(d, false, "the webhook secret cannot be used");
			goto out;
		}
	}
	snprintf(d->signature, sizeof(d->signature), "%s%s%s", sig, previous ? " " : "",
	         previous ? prev : "");
	snprintf(portstr, sizeof(portstr), "%d", d->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	/* the callback may run before this returns (literals, hosts file): d must not be used after
	 */
	lookup = evdns_getaddrinfo(u->dns, d->host, portstr, &hints, upkeep_resolved_cb, d);
	if (lookup != NULL)
		d->resolving = lookup;
out:
	if (uri != NULL)
		evhttp_uri_free(uri);
}

/* Due deliveries arrived: send each. */
static void
upkeep_due_cb(const PGresult *res, const char *conn_error, void *arg)
{
	struct upkeep *u = arg;

	(void)conn_error;
	u->polling = false;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		return;
	for (int i = 0; i < PQntuples(res); i++) {
		upkeep_send(u, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		            PQgetvalue(res, i, 3),
		            PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
		            PQgetvalue(res, i, 5));
	}
}

/* Every second: fetch due deliveries (leased, so several tandemd never send one twice at once). */
static void
upkeep_delivery_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upkeep *u = arg;

	(void)fd;
	(void)what;
	if (u->polling || u->srv->stopping || !atomic_load(u->srv->schema_ready))
		return;
	u->polling = true; /* set first: the callback may run inside db_query */
	if (db_query(u->srv->pool,
	             "SELECT delivery_id, url, body, secret, previous_secret, event_type FROM "
	             "api.webhook_due(" UPKEEP_DELIVERY_BATCH ")",
	             0, NULL, upkeep_due_cb, u) != DB_QUEUED)
		u->polling = false;
}

/* Every maintenance period: end finished pairs, flag stalled ones, forget expired sessions' ID
 * tokens. */
static void
upkeep_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upkeep *u = arg;
	char days[16];
	const char *params[1] = {days};

	(void)fd;
	(void)what;
	if (u->srv->stopping || !atomic_load(u->srv->schema_ready))
		return;
	snprintf(days, sizeof(days), "%d", u->srv->cfg->stall_days);
	if (db_query(u->srv->pool, "SELECT api.maintenance_tick($1::int)", 1, params,
	             upkeep_ignore_cb, NULL) != DB_QUEUED)
		log_msg("warn", "maintenance skipped: database busy or down");
}

struct upkeep *
upkeep_new(struct server *srv)
{
	struct upkeep *u = calloc(1, sizeof(*u));
	struct timeval tick = {srv->cfg->maintenance_seconds, 0}, second = {1, 0};

	if (u == NULL)
		return NULL;
	u->srv = srv;
	u->dns = evdns_base_new(srv->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (u->dns == NULL) /* no resolv.conf: IP literals and /etc/hosts-free names only */
		u->dns = evdns_base_new(srv->base, 0);
	u->policy = netpolicy_new(srv->cfg->webhook_allow_private, srv->cfg->webhook_allow_cidrs);
	if (u->policy == NULL) {
		upkeep_free(u);
		return NULL;
	}
	u->tls = SSL_CTX_new(TLS_client_method());
	if (u->tls != NULL) {
		SSL_CTX_set_verify(u->tls, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_min_proto_version(u->tls, TLS1_2_VERSION);
		if (SSL_CTX_set_default_verify_paths(u->tls) != 1 ||
		    (srv->cfg->webhook_ca_file != NULL &&
		     SSL_CTX_load_verify_locations(u->tls, srv->cfg->webhook_ca_file, NULL) != 1)) {
			log_msg("error", "cannot load the CA certificates for https webhooks");
			upkeep_free(u);
			return NULL;
		}
	}
	u->tick = event_new(srv->base, -1, EV_PERSIST, upkeep_tick_cb, u);
	u->delivery = event_new(srv->base, -1, EV_PERSIST, upkeep_delivery_cb, u);
	if (u->dns == NULL || u->tick == NULL || u->delivery == NULL) {
		upkeep_free(u);
		return NULL;
	}
	event_add(u->tick, &tick);
	event_add(u->delivery, &second);
	event_active(u->tick, EV_TIMEOUT, 0);
	return u;
}

void
upkeep_free(struct upkeep *u)
{
	if (u == NULL)
		return;
	while (u->sending != NULL) { /* abandoned: the lease expires and another attempt follows */
		struct upkeep_delivery *d = u->sending;

		u->sending = d->next;
		if (d->resolving != NULL)
			evdns_getaddrinfo_cancel(d->resolving); /* its callback leaves d to us */
		if (d->conn != NULL)
			evhttp_connection_free(d->conn);
		upkeep_delivery_free(d);
	}
	if (u->tick != NULL)
		event_free(u->tick);
	if (u->delivery != NULL)
		event_free(u->delivery);
	if (u->dns != NULL)
		evdns_base_free(u->dns, 0);
	if (u->tls != NULL)
		SSL_CTX_free(u->tls);
	netpolicy_free(u->policy);
	free(u);
}

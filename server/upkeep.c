/* Maintenance tick and webhook delivery, both driven by libevent timers and the async pool. */
#include "upkeep.h"
#include "db.h"
#include "log.h"
#include "server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPKEEP_DELIVERY_BATCH "20"

struct upkeep {
	struct server *srv;
	struct event *tick;     /* maintenance_tick every maintenance_seconds */
	struct event *delivery; /* webhook deliveries every second */
	struct evdns_base *dns;
	SSL_CTX *tls;                    /* client context for https:// webhooks */
	struct upkeep_delivery *sending; /* deliveries awaiting an answer */
	bool polling;                    /* a webhook_due query is running */
};

/* One webhook POST in flight. */
struct upkeep_delivery {
	struct upkeep *u;
	struct upkeep_delivery *next;
	struct evhttp_connection *conn;
	char id[24];
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
	free(d);
}

/* The receiver answered (or the connection failed: req is NULL or has no response code). */
static void
upkeep_response_cb(struct evhttp_request *req, void *arg)
{
	struct upkeep_delivery *d = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	char why[64];

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

/* Starts one signed POST of body to url; failures are recorded at once. */
static void
upkeep_send(struct upkeep *u, const char *id, const char *url, const char *body, const char *sig,
            const char *type)
{
	struct upkeep_delivery *d = calloc(1, sizeof(*d));
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req = NULL;
	const char *host, *path, *query, *scheme;
	char target[2048], hostport[300];
	struct evkeyvalq *h;
	bool tls;
	int port;

	if (d == NULL)
		goto out;
	d->u = u;
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->next = u->sending;
	u->sending = d;
	host = uri ? evhttp_uri_get_host(uri) : NULL;
	scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
	tls = scheme != NULL && strcmp(scheme, "https") == 0;
	if (host == NULL || scheme == NULL || (!tls && strcmp(scheme, "http") != 0)) {
		upkeep_delivery_done(d, false, "only http:// and https:// URLs can be delivered");
		goto out;
	}
	port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : (tls ? 443 : 80);
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	snprintf(target, sizeof(target), "%s%s%s", path && *path ? path : "/", query ? "?" : "",
	         query ? query : "");
	snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
	if (tls) {
		struct bufferevent *bev = upkeep_tls_bufferevent(u, host);

		conn = bev ? evhttp_connection_base_bufferevent_new(u->srv->base, u->dns, bev, host,
		                                                    (ev_uint16_t)port)
		           : NULL;
		if (conn == NULL && bev != NULL)
			bufferevent_free(bev);
	} else {
		conn = evhttp_connection_base_new(u->srv->base, u->dns, host, (ev_uint16_t)port);
	}
	req = conn ? evhttp_request_new(upkeep_response_cb, d) : NULL;
	if (req == NULL) {
		if (conn != NULL)
			evhttp_connection_free(conn);
		upkeep_delivery_done(d, false, "out of memory");
		goto out;
	}
	d->conn = conn;
	evhttp_connection_set_timeout(conn, 10);
	evhttp_connection_free_on_completion(conn);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "User-Agent", "tandemd-webhooks");
	evhttp_add_header(h, "X-Tandem-Event", type);
	evhttp_add_header(h, "X-Tandem-Delivery", id);
	evhttp_add_header(h, "X-Tandem-Signature", sig);
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, target) != 0) {
		evhttp_connection_free(conn); /* libevent freed req already */
		upkeep_delivery_done(d, false, "request failed");
	}
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
		            PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
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
	             "SELECT delivery_id, url, body, signature, event_type FROM "
	             "api.webhook_due(" UPKEEP_DELIVERY_BATCH ")",
	             0, NULL, upkeep_due_cb, u) != DB_QUEUED)
		u->polling = false;
}

/* Every maintenance period: end finished pairs, flag stalled ones. */
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
		if (d->conn != NULL)
			evhttp_connection_free(d->conn);
		free(d);
	}
	if (u->tick != NULL)
		event_free(u->tick);
	if (u->delivery != NULL)
		event_free(u->delivery);
	if (u->dns != NULL)
		evdns_base_free(u->dns, 0);
	if (u->tls != NULL)
		SSL_CTX_free(u->tls);
	free(u);
}

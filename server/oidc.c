/* OpenID Connect relying party. Outgoing HTTP runs on the calling worker's own event loop through
 * libevent's evhttp client (OpenSSL bufferevents for https, certificates verified against the
 * system store and --oidc-ca-file, names resolved by an evdns base of that loop), so no loop ever
 * blocks. The discovery document and the key set are shared by every loop under one mutex. */
#include "oidc.h"
#include "httpclient.h"
#include "log.h"
#include "settings.h"

#include <cjose/base64.h>
#include <cjose/header.h>
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <cjose/util.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define OIDC_MAX_LOOPS 256
#define OIDC_MAX_RESPONSE (1024 * 1024) /* provider documents larger than this are refused */
#define OIDC_DISCOVERY_TTL 3600         /* seconds a discovery document is trusted */
#define OIDC_JWKS_TTL 3600              /* seconds a key set is used before re-fetching it */
#define OIDC_JWKS_MIN_REFRESH 5         /* at most one unknown-key re-fetch this often */
#define OIDC_IAT_MAX_AGE 600            /* an ID token just issued: older ones are refused */

/* One loop's resolver (evdns is per event_base). */
struct oidc_loop {
	struct event_base *base;
	struct evdns_base *dns;
};

/* The provider's metadata and keys, as cached. */
static struct {
	const struct settings *cfg;
	SSL_CTX *tls;
	pthread_mutex_t lock;
	char *authorization_endpoint;
	char *token_endpoint;
	char *jwks_uri;
	char *end_session_endpoint; /* RP-Initiated Logout, or NULL when not advertised */
	time_t discovered_at;
	char *jwks; /* JSON text of the key set, or NULL */
	time_t jwks_at;
	struct oidc_loop loops[OIDC_MAX_LOOPS];
	int nloops;
} oidc = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Allowed signature algorithms and the key type each needs; anything else (none, HS256, ...) is
 * refused before any key is looked at. */
static const struct {
	const char *alg;
	const char *kty;
	const char *crv;
} oidc_algs[] = {
    {"RS256", "RSA", NULL},
    {"ES256", "EC", "P-256"},
};

/* True when the URL's host is a loopback name or address (plain http is allowed only there). */
static bool
oidc_loopback_url(const char *url)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *host = u ? evhttp_uri_get_host(u) : NULL;
	bool yes =
	    host != NULL && (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
	                     strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0);

	if (u != NULL)
		evhttp_uri_free(u);
	return yes;
}

/* True when url is https, or http on loopback (a test or a local provider). */
static bool
oidc_url_allowed(const char *url)
{
	return url != NULL && (strncmp(url, "https://", 8) == 0 ||
	                       (strncmp(url, "http://", 7) == 0 && oidc_loopback_url(url)));
}

bool
oidc_init(const struct settings *cfg, char *err, size_t errlen)
{
	oidc.cfg = cfg;
	if (cfg->oidc_issuer == NULL)
		return true;
	if (!oidc_url_allowed(cfg->oidc_issuer)) {
		snprintf(err, errlen,
		         "--oidc-issuer must be an https URL (plain http only on loopback): %s",
		         cfg->oidc_issuer);
		return false;
	}
	oidc.tls = SSL_CTX_new(TLS_client_method());
	if (oidc.tls == NULL)
		goto fail;
	SSL_CTX_set_verify(oidc.tls, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(oidc.tls, TLS1_2_VERSION);
	if (SSL_CTX_set_default_verify_paths(oidc.tls) != 1)
		goto fail;
	if (cfg->oidc_ca_file != NULL &&
	    SSL_CTX_load_verify_locations(oidc.tls, cfg->oidc_ca_file, NULL) != 1) {
		snprintf(err, errlen, "--oidc-ca-file: cannot load CA certificates from %s",
		         cfg->oidc_ca_file);
		return false;
	}
	return true;
fail:
	snprintf(err, errlen, "cannot create the TLS client context for single sign-on");
	return false;
}

void
oidc_free(void)
{
	pthread_mutex_lock(&oidc.lock);
	for (int i = 0; i < oidc.nloops; i++)
		evdns_base_free(oidc.loops[i].dns, 1);
	oidc.nloops = 0;
	free(oidc.authorization_endpoint);
	free(oidc.token_endpoint);
	free(oidc.jwks_uri);
	free(oidc.end_session_endpoint);
	free(oidc.jwks);
	oidc.authorization_endpoint = oidc.token_endpoint = oidc.jwks_uri = oidc.jwks = NULL;
	oidc.end_session_endpoint = NULL;
	pthread_mutex_unlock(&oidc.lock);
	if (oidc.tls != NULL)
		SSL_CTX_free(oidc.tls);
	oidc.tls = NULL;
}

bool
oidc_enabled(void)
{
	return oidc.cfg != NULL && oidc.cfg->oidc_issuer != NULL;
}

/* The resolver of base's loop, created on first use. */
static struct evdns_base *
oidc_dns(struct event_base *base)
{
	struct evdns_base *dns = NULL;

	pthread_mutex_lock(&oidc.lock);
	for (int i = 0; i < oidc.nloops && dns == NULL; i++)
		if (oidc.loops[i].base == base)
			dns = oidc.loops[i].dns;
	if (dns == NULL && oidc.nloops < OIDC_MAX_LOOPS) {
		dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
		if (dns == NULL)
			dns = evdns_base_new(base, 0);
		if (dns != NULL)
			oidc.loops[oidc.nloops++] = (struct oidc_loop){base, dns};
	}
	pthread_mutex_unlock(&oidc.lock);
	return dns;
}

/* ---- outgoing HTTP ------------------------------------------------------------------------- */

/* Called with the response (status 0 and body NULL when there was none). */
typedef void (*oidc_http_fn)(void *arg, int status, const char *body, size_t len);

struct oidc_http {
	oidc_http_fn fn;
	void *arg;
	struct event_base *base;
	struct evhttp_connection *conn; /* ours to free once the exchange is over */
};

/* The evhttp client's completion: hands the body (bounded) to the caller. */
static void
oidc_http_done_cb(struct evhttp_request *req, void *arg)
{
	struct oidc_http *h = arg;
	int status = req ? evhttp_request_get_response_code(req) : 0;
	struct evbuffer *in = req ? evhttp_request_get_input_buffer(req) : NULL;
	size_t len = in ? evbuffer_get_length(in) : 0;
	char *body = NULL;

	if (status > 0 && len <= OIDC_MAX_RESPONSE) {
		body = malloc(len + 1);
		if (body != NULL) {
			evbuffer_copyout(in, body, len);
			body[len] = '\0';
		}
	}
	h->fn(h->arg, body ? status : 0, body, body ? len : 0);
	free(body);
	if (!httpclient_release(h->base, h->conn))
		log_msg("warn", "single sign-on: could not schedule a connection's release");
	free(h);
}

/* A TLS client bufferevent for host: the certificate must chain to a trusted CA and name host. */
static struct bufferevent *
oidc_tls_bufferevent(struct event_base *base, const char *host)
{
	SSL *ssl = SSL_new(oidc.tls);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	if (X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), host, 0) != 1 ||
	    SSL_set_tlsext_host_name(ssl, host) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev; /* owns ssl */
}

/* Sends GET url (form NULL) or POST url with an url-encoded form (and HTTP Basic client
 * authentication) on base; fn is called exactly once, false when nothing could be sent. */
static bool
oidc_http(struct event_base *base, const char *url, const char *form, const char *basic,
          oidc_http_fn fn, void *arg)
{
	struct evhttp_uri *uri = NULL;
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct evkeyvalq *hdr;
	struct oidc_http *h = NULL;
	const char *host, *path, *query;
	char target[2048], hostport[300];
	bool tls;
	int port;

	if (!oidc_url_allowed(url) || (uri = evhttp_uri_parse(url)) == NULL)
		goto fail;
	host = evhttp_uri_get_host(uri);
	tls = strncmp(url, "https://", 8) == 0;
	port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : (tls ? 443 : 80);
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	if (host == NULL || (h = malloc(sizeof(*h))) == NULL)
		goto fail;
	snprintf(target, sizeof(target), "%s%s%s", path && *path ? path : "/", query ? "?" : "",
	         query ? query : "");
	snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
	if (tls) {
		struct bufferevent *bev = oidc_tls_bufferevent(base, host);

		conn = bev ? evhttp_connection_base_bufferevent_new(base, oidc_dns(base), bev, host,
		                                                    (ev_uint16_t)port)
		           : NULL;
		if (bev != NULL && conn == NULL)
			bufferevent_free(bev);
	} else {
		conn = evhttp_connection_base_new(base, oidc_dns(base), host, (ev_uint16_t)port);
	}
	if (conn == NULL)
		goto fail;
	evhttp_connection_set_timeout(conn, 10);
	h->fn = fn;
	h->arg = arg;
	h->base = base;
	h->conn = conn;
	req = evhttp_request_new(oidc_http_done_cb, h);
	if (req == NULL) {
		evhttp_connection_free(conn);
		goto fail;
	}
	hdr = evhttp_request_get_output_headers(req);
	evhttp_add_header(hdr, "Host", port == (tls ? 443 : 80) ? host : hostport);
	evhttp_add_header(hdr, "Accept", "application/json");
	evhttp_add_header(hdr, "User-Agent", "tandemd-oidc");
	/* one request per connection: an idle keep-alive connection would outlive the exchange */
	evhttp_add_header(hdr, "Connection", "close");
	if (form != NULL) {
		evhttp_add_header(hdr, "Content-Type", "application/x-www-form-urlencoded");
		if (basic != NULL)
			evhttp_add_header(hdr, "Authorization", basic);
		evbuffer_add(evhttp_request_get_output_buffer(req), form, strlen(form));
	}
	if (evhttp_make_request(conn, req, form ? EVHTTP_REQ_POST : EVHTTP_REQ_GET, target) != 0) {
		evhttp_connection_free(conn); /* libevent freed req, not h */
		goto fail;
	}
	evhttp_uri_free(uri);
	return true;
fail:
	if (uri != NULL)
		evhttp_uri_free(uri);
	free(h);
	return false;
}

/* Replaces *dst by a copy of the string member name of o; false when it is not a string. */
static bool
oidc_take_string(json_t *o, const char *name, char **dst)
{
	const char *s = json_string_value(json_object_get(o, name));

	if (s == NULL)
		return false;
	free(*dst);
	*dst = strdup(s);
	return *dst != NULL;
}

/* ---- discovery and keys ------------------------------------------------------------------ */

struct oidc_wait {
	oidc_ready_fn fn;
	void *arg;
};

/* Stores the discovery document if it is one for the configured issuer. */
static void
oidc_discovery_cb(void *arg, int status, const char *body, size_t len)
{
	struct oidc_wait *w = arg;
	json_t *doc = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	const char *issuer = json_string_value(json_object_get(doc, "issuer"));
	const char *error = NULL;
	char *authz = NULL, *token = NULL, *jwks = NULL, *end = NULL;

	if (status == 0)
		error = "the identity provider is unreachable";
	else if (doc == NULL)
		error = "the identity provider's discovery document is not JSON";
	else if (issuer == NULL || strcmp(issuer, oidc.cfg->oidc_issuer) != 0)
		error = "the discovery document names another issuer";
	else if (!oidc_take_string(doc, "authorization_endpoint", &authz) ||
	         !oidc_take_string(doc, "token_endpoint", &token) ||
	         !oidc_take_string(doc, "jwks_uri", &jwks))
		error = "the discovery document lacks an endpoint";
	else if (!oidc_url_allowed(token) || !oidc_url_allowed(jwks))
		error = "the provider's endpoints must be https";
	/* optional: without it (or when not https) sign-out ends only Tandem's session */
	if (error == NULL && oidc_take_string(doc, "end_session_endpoint", &end) &&
	    !oidc_url_allowed(end)) {
		/* the provider's text stays out of the line: it could hold a line break */
		log_msg("warn", "single sign-on: ignoring the provider's end_session_endpoint "
		                "(not https)");
		free(end);
		end = NULL;
	}
	if (error == NULL) {
		pthread_mutex_lock(&oidc.lock);
		free(oidc.authorization_endpoint);
		free(oidc.token_endpoint);
		free(oidc.jwks_uri);
		free(oidc.end_session_endpoint);
		oidc.authorization_endpoint = authz;
		oidc.token_endpoint = token;
		oidc.jwks_uri = jwks;
		oidc.end_session_endpoint = end;
		oidc.discovered_at = time(NULL);
		pthread_mutex_unlock(&oidc.lock);
		authz = token = jwks = end = NULL;
	}
	free(authz);
	free(token);
	free(jwks);
	free(end);
	json_decref(doc);
	w->fn(w->arg, error);
	free(w);
}

void
oidc_discover(struct event_base *base, oidc_ready_fn fn, void *arg)
{
	char url[2048];
	struct oidc_wait *w;
	bool fresh;
	size_t n;

	pthread_mutex_lock(&oidc.lock);
	fresh = oidc.token_endpoint != NULL && time(NULL) - oidc.discovered_at < OIDC_DISCOVERY_TTL;
	pthread_mutex_unlock(&oidc.lock);
	if (fresh) {
		fn(arg, NULL);
		return;
	}
	n = strlen(oidc.cfg->oidc_issuer);
	snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
	         (int)(n > 0 && oidc.cfg->oidc_issuer[n - 1] == '/' ? n - 1 : n),
	         oidc.cfg->oidc_issuer);
	w = malloc(sizeof(*w));
	if (w == NULL) {
		fn(arg, "out of memory");
		return;
	}
	w->fn = fn;
	w->arg = arg;
	if (!oidc_http(base, url, NULL, NULL, oidc_discovery_cb, w)) {
		free(w);
		fn(arg, "cannot reach the identity provider");
	}
}

/* Stores a fetched key set. */
static void
oidc_jwks_cb(void *arg, int status, const char *body, size_t len)
{
	struct oidc_wait *w = arg;
	json_t *doc = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	const char *error = NULL;

	if (doc == NULL || !json_is_array(json_object_get(doc, "keys"))) {
		error = status == 0 ? "the identity provider is unreachable"
		                    : "the identity provider's key set is not a JWKS";
	} else {
		char *text = json_dumps(doc, JSON_COMPACT);

		pthread_mutex_lock(&oidc.lock);
		if (text != NULL) {
			free(oidc.jwks);
			oidc.jwks = text;
			oidc.jwks_at = time(NULL);
		}
		pthread_mutex_unlock(&oidc.lock);
		if (text == NULL)
			error = "out of memory";
	}
	json_decref(doc);
	w->fn(w->arg, error);
	free(w);
}

/* Makes sure a key set is cached (refresh: fetch again, unless one was fetched moments ago). */
static void
oidc_keys(struct event_base *base, bool refresh, oidc_ready_fn fn, void *arg)
{
	struct oidc_wait *w;
	char *url = NULL;
	time_t now = time(NULL);
	bool have;

	pthread_mutex_lock(&oidc.lock);
	have = oidc.jwks != NULL && now - oidc.jwks_at < OIDC_JWKS_TTL &&
	       (!refresh || now - oidc.jwks_at < OIDC_JWKS_MIN_REFRESH);
	if (!have && oidc.jwks_uri != NULL)
		url = strdup(oidc.jwks_uri);
	pthread_mutex_unlock(&oidc.lock);
	if (have) {
		fn(arg, NULL);
		return;
	}
	w = url ? malloc(sizeof(*w)) : NULL;
	if (w == NULL) {
		free(url);
		fn(arg, "no key set location");
		return;
	}
	w->fn = fn;
	w->arg = arg;
	if (!oidc_http(base, url, NULL, NULL, oidc_jwks_cb, w)) {
		free(w);
		fn(arg, "cannot reach the identity provider");
	}
	free(url);
}

/* ---- PKCE and the authorization URL ------------------------------------------------------ */

/* Base64url (no padding) of data into buf; false when it does not fit. */
static bool
oidc_b64url(const uint8_t *data, size_t n, char *buf, size_t len)
{
	char *out = NULL;
	size_t outlen = 0;
	cjose_err err;
	bool ok;

	if (!cjose_base64url_encode(data, n, &out, &outlen, &err))
		return false;
	ok = outlen < len;
	if (ok) {
		memcpy(buf, out, outlen);
		buf[outlen] = '\0';
	}
	cjose_get_dealloc()(out);
	return ok;
}

bool
oidc_random(char *buf, size_t len)
{
	uint8_t raw[32];

	return getrandom(raw, sizeof(raw), 0) == (ssize_t)sizeof(raw) &&
	       oidc_b64url(raw, sizeof(raw), buf, len);
}

char *
oidc_authorize_url(const char *state, const char *nonce, const char *verifier,
                   const char *ui_locales)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char challenge[64];
	char *client = NULL, *redirect = NULL, *url = NULL, *locales = NULL;
	char *authz = NULL;
	size_t n;

	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    !oidc_b64url(md, mdlen, challenge, sizeof(challenge)))
		return NULL;
	pthread_mutex_lock(&oidc.lock);
	if (oidc.authorization_endpoint != NULL)
		authz = strdup(oidc.authorization_endpoint);
	pthread_mutex_unlock(&oidc.lock);
	client = evhttp_encode_uri(oidc.cfg->oidc_client_id);
	redirect = evhttp_encode_uri(oidc.cfg->oidc_redirect_uri);
	locales = evhttp_encode_uri(ui_locales != NULL ? ui_locales : "");
	if (authz == NULL || client == NULL || redirect == NULL || locales == NULL)
		goto out;
	n = strlen(authz) + strlen(client) + strlen(redirect) + strlen(state) + strlen(nonce) +
	    strlen(locales) + 256;
	url = malloc(n);
	/* ui_locales: OpenID Connect Core 1.0, 3.1.2.1 (the End-User's preferred languages) */
	if (url != NULL)
		snprintf(url, n,
		         "%s%sresponse_type=code&client_id=%s&redirect_uri=%s"
		         "&scope=openid%%20email%%20profile&state=%s&nonce=%s&code_challenge=%s"
		         "&code_challenge_method=S256%s%s",
		         authz, strchr(authz, '?') ? "&" : "?", client, redirect, state, nonce,
		         challenge, locales[0] != '\0' ? "&ui_locales=" : "", locales);
out:
	free(locales);
	free(authz);
	free(client);
	free(redirect);
	return url;
}

bool
oidc_end_session_url(const char *id_token, char **url)
{
	char *end = NULL, *hint = NULL, *redirect = NULL, *client = NULL;
	bool ok = false;
	size_t n;

	*url = NULL;
	pthread_mutex_lock(&oidc.lock);
	if (oidc.end_session_endpoint != NULL)
		end = strdup(oidc.end_session_endpoint);
	ok = oidc.end_session_endpoint == NULL || end != NULL;
	pthread_mutex_unlock(&oidc.lock);
	if (end == NULL)
		return ok;
	hint = evhttp_encode_uri(id_token != NULL ? id_token : "");
	redirect = evhttp_encode_uri(oidc.cfg->oidc_post_logout);
	client = evhttp_encode_uri(oidc.cfg->oidc_client_id);
	ok = false;
	if (hint == NULL || redirect == NULL || client == NULL)
		goto out;
	/* the endpoint's own query, if any, is kept (RP-Initiated Logout 1.0, section 2); without
	 * an ID token, client_id tells the provider whose post_logout_redirect_uri this is, and
	 * the provider asks the user to confirm */
	n = strlen(end) + strlen(hint) + strlen(redirect) + strlen(client) + 64;
	*url = malloc(n);
	if (*url == NULL)
		goto out;
	snprintf(*url, n, "%s%s%s%s%spost_logout_redirect_uri=%s&client_id=%s", end,
	         strchr(end, '?') ? "&" : "?", id_token != NULL ? "id_token_hint=" : "", hint,
	         id_token != NULL ? "&" : "", redirect, client);
	ok = true;
out:
	free(end);
	free(hint);
	free(redirect);
	free(client);
	return ok;
}

/* ---- ID token checks -------------------------------------------------------------------- */

/* The JSON object of a base64url segment of length n; NULL when it is not one. */
static json_t *
oidc_segment_json(const char *seg, size_t n)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	cjose_err err;
	json_t *o;

	if (!cjose_base64url_decode(seg, n, &raw, &rawlen, &err))
		return NULL;
	o = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
	cjose_get_dealloc()(raw);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* True when key may verify a signature of algorithm index a (type, curve, use, alg agree). */
static bool
oidc_key_fits(json_t *key, size_t a)
{
	const char *kty = json_string_value(json_object_get(key, "kty"));
	const char *crv = json_string_value(json_object_get(key, "crv"));
	const char *use = json_string_value(json_object_get(key, "use"));
	const char *alg = json_string_value(json_object_get(key, "alg"));

	return kty != NULL && strcmp(kty, oidc_algs[a].kty) == 0 &&
	       (oidc_algs[a].crv == NULL || (crv != NULL && strcmp(crv, oidc_algs[a].crv) == 0)) &&
	       (use == NULL || strcmp(use, "sig") == 0) &&
	       (alg == NULL || strcmp(alg, oidc_algs[a].alg) == 0);
}

/* True when cjose verifies jws with the JWK key (a JSON object). */
static bool
oidc_key_verifies(cjose_jws_t *jws, json_t *key)
{
	char *text = json_dumps(key, JSON_COMPACT);
	cjose_jwk_t *jwk = text ? cjose_jwk_import(text, strlen(text), NULL) : NULL;
	cjose_err err;
	bool ok = jwk != NULL && cjose_jws_verify(jws, jwk, &err);

	if (jwk != NULL)
		cjose_jwk_release(jwk);
	free(text);
	return ok;
}

/* True when the aud claim names client_id (a string, or an array holding it). */
static bool
oidc_aud_has(json_t *aud, const char *client_id)
{
	size_t i;
	json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	json_array_foreach(aud, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0)
			return true;
	}
	return false;
}

/* Checks the claims of a verified token; false with why set when one fails. */
static bool
oidc_check_claims(json_t *c, const char *issuer, const char *client_id, const char *nonce,
                  time_t now, char *why, size_t whylen)
{
	json_t *aud = json_object_get(c, "aud");
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *azp = json_string_value(json_object_get(c, "azp"));
	const char *got_nonce = json_string_value(json_object_get(c, "nonce"));
	json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");
	size_t naud = json_is_array(aud) ? json_array_size(aud) : 1;

	if (iss == NULL || strcmp(iss, issuer) != 0)
		snprintf(why, whylen, "the ID token's issuer is not %s", issuer);
	else if (!oidc_aud_has(aud, client_id))
		snprintf(why, whylen, "the ID token is not for this client (aud)");
	else if ((naud > 1 || azp != NULL) && (azp == NULL || strcmp(azp, client_id) != 0))
		snprintf(why, whylen, "the ID token's authorized party (azp) is not this client");
	else if (!json_is_number(exp) || json_number_value(exp) + OIDC_CLOCK_SKEW <= (double)now)
		snprintf(why, whylen, "the ID token has expired");
	else if (!json_is_number(iat) || json_number_value(iat) > (double)now + OIDC_CLOCK_SKEW ||
	         json_number_value(iat) + OIDC_IAT_MAX_AGE + OIDC_CLOCK_SKEW < (double)now)
		snprintf(why, whylen, "the ID token's issue time (iat) is not now");
	else if (got_nonce == NULL || strcmp(got_nonce, nonce) != 0)
		snprintf(why, whylen, "the ID token's nonce is not this sign-in's");
	else
		return true;
	return false;
}

enum oidc_verdict
oidc_verify(const char *jwt, const char *jwks, const char *issuer, const char *client_id,
            const char *nonce, time_t now, json_t **claims, char *why, size_t whylen)
{
	enum oidc_verdict v = OIDC_INVALID;
	const char *dot = jwt ? strchr(jwt, '.') : NULL;
	json_t *hdr = NULL, *set = NULL, *keys, *key, *payload = NULL;
	cjose_jws_t *jws = NULL;
	const char *alg, *kid;
	size_t a = 0, i, tried = 0;
	uint8_t *plain = NULL;
	size_t plainlen = 0;
	cjose_err err;
	bool verified = false;

	*claims = NULL;
	snprintf(why, whylen, "the ID token is malformed");
	if (dot == NULL || (hdr = oidc_segment_json(jwt, (size_t)(dot - jwt))) == NULL)
		goto out;
	alg = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	while (alg != NULL && a < sizeof(oidc_algs) / sizeof(oidc_algs[0]) &&
	       strcmp(alg, oidc_algs[a].alg) != 0)
		a++;
	if (alg == NULL || a == sizeof(oidc_algs) / sizeof(oidc_algs[0])) {
		snprintf(why, whylen, "the ID token's algorithm %s is not allowed (RS256, ES256)",
		         alg ? alg : "(none given)");
		goto out;
	}
	jws = cjose_jws_import(jwt, strlen(jwt), &err);
	set = jwks ? json_loads(jwks, 0, NULL) : NULL;
	keys = json_object_get(set, "keys");
	if (jws == NULL)
		goto out;
	json_array_foreach(keys, i, key)
	{
		const char *k = json_string_value(json_object_get(key, "kid"));

		if (verified || !oidc_key_fits(key, a) ||
		    (kid != NULL && (!k || strcmp(k, kid) != 0)))
			continue;
		tried++;
		verified = oidc_key_verifies(jws, key);
	}
	if (!verified) {
		v = tried == 0 ? OIDC_UNKNOWN_KEY : OIDC_INVALID;
		snprintf(why, whylen,
		         tried == 0 ? "the ID token is signed by an unknown key"
		                    : "the ID token's signature is not valid");
		goto out;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plainlen, &err) ||
	    (payload = json_loadb((const char *)plain, plainlen, JSON_REJECT_DUPLICATES, NULL)) ==
	        NULL ||
	    !json_is_object(payload))
		goto out;
	if (!oidc_check_claims(payload, issuer, client_id, nonce, now, why, whylen))
		goto out;
	*claims = payload;
	payload = NULL;
	why[0] = '\0';
	v = OIDC_VALID;
out:
	json_decref(payload);
	json_decref(hdr);
	json_decref(set);
	if (jws != NULL)
		cjose_jws_release(jws); /* plain belongs to jws */
	return v;
}

/* ---- the code exchange ------------------------------------------------------------------ */

struct oidc_exchange {
	struct event_base *base;
	char *form;
	char *nonce;
	char *id_token;
	bool refetched; /* the key set was fetched again for an unknown key */
	oidc_claims_fn fn;
	void *arg;
};

/* Ends an exchange with its outcome. */
static void
oidc_exchange_end(struct oidc_exchange *x, json_t *claims, int status, const char *code,
                  const char *message)
{
	x->fn(x->arg, claims, claims ? x->id_token : NULL, status, code, message);
	json_decref(claims);
	free(x->form);
	free(x->nonce);
	free(x->id_token);
	free(x);
}

static void oidc_exchange_keys_cb(void *arg, const char *error);

/* Checks the ID token with the cached keys, fetching them again once for an unknown key. */
static void
oidc_exchange_verify(struct oidc_exchange *x)
{
	char why[200];
	char *jwks;
	json_t *claims = NULL;
	enum oidc_verdict v;

	pthread_mutex_lock(&oidc.lock);
	jwks = oidc.jwks ? strdup(oidc.jwks) : NULL;
	pthread_mutex_unlock(&oidc.lock);
	v = oidc_verify(x->id_token, jwks, oidc.cfg->oidc_issuer, oidc.cfg->oidc_client_id,
	                x->nonce, time(NULL), &claims, why, sizeof(why));
	free(jwks);
	if (v == OIDC_UNKNOWN_KEY && !x->refetched) {
		x->refetched = true;
		oidc_keys(x->base, true, oidc_exchange_keys_cb, x);
		return;
	}
	if (v != OIDC_VALID) {
		oidc_exchange_end(x, NULL, 401, "sso_invalid_id_token", why);
		return;
	}
	oidc_exchange_end(x, claims, 200, NULL, NULL);
}

/* The key set is at hand (or could not be had). */
static void
oidc_exchange_keys_cb(void *arg, const char *error)
{
	struct oidc_exchange *x = arg;

	if (error != NULL) {
		oidc_exchange_end(x, NULL, 502, "sso_provider_unavailable", error);
		return;
	}
	oidc_exchange_verify(x);
}

/* The token endpoint answered. */
static void
oidc_exchange_token_cb(void *arg, int status, const char *body, size_t len)
{
	struct oidc_exchange *x = arg;
	json_t *doc = body ? json_loadb(body, len, 0, NULL) : NULL;
	const char *idt = json_string_value(json_object_get(doc, "id_token"));
	const char *perr = json_string_value(json_object_get(doc, "error"));
	char msg[300];

	if (status == 0) {
		json_decref(doc);
		oidc_exchange_end(x, NULL, 502, "sso_provider_unavailable",
		                  "the identity provider's token endpoint is unreachable");
		return;
	}
	if (status != 200 || idt == NULL) {
		snprintf(msg, sizeof(msg), "the identity provider refused the code (%d %s)", status,
		         perr ? perr : "no id_token");
		json_decref(doc);
		oidc_exchange_end(x, NULL, 401, "sso_code_refused", msg);
		return;
	}
	x->id_token = strdup(idt);
	json_decref(doc);
	if (x->id_token == NULL) {
		oidc_exchange_end(x, NULL, 500, "internal", "out of memory");
		return;
	}
	oidc_keys(x->base, false, oidc_exchange_keys_cb, x);
}

/* The "Basic" Authorization value of the client (RFC 6749 2.3.1: each part form-encoded). */
static char *
oidc_basic_auth(void)
{
	char *id = evhttp_encode_uri(oidc.cfg->oidc_client_id);
	char *secret = evhttp_encode_uri(oidc.cfg->oidc_client_secret);
	char *pair = NULL, *out = NULL;
	size_t n;

	if (id == NULL || secret == NULL)
		goto done;
	n = strlen(id) + strlen(secret) + 2;
	pair = malloc(n);
	out = malloc(6 + 4 * (n / 3 + 1) + 1);
	if (pair == NULL || out == NULL) {
		free(out);
		out = NULL;
		goto done;
	}
	snprintf(pair, n, "%s:%s", id, secret);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)pair, (int)strlen(pair));
done:
	if (pair != NULL)
		explicit_bzero(pair, strlen(pair));
	free(pair);
	free(id);
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	return out;
}

/* Discovery is at hand: posts the code to the token endpoint. */
static void
oidc_exchange_ready_cb(void *arg, const char *error)
{
	struct oidc_exchange *x = arg;
	char *url = NULL, *basic = NULL;
	bool sent = false;

	if (error != NULL) {
		oidc_exchange_end(x, NULL, 502, "sso_provider_unavailable", error);
		return;
	}
	pthread_mutex_lock(&oidc.lock);
	url = oidc.token_endpoint ? strdup(oidc.token_endpoint) : NULL;
	pthread_mutex_unlock(&oidc.lock);
	basic = oidc_basic_auth();
	if (url != NULL && basic != NULL)
		sent = oidc_http(x->base, url, x->form, basic, oidc_exchange_token_cb, x);
	free(url);
	if (basic != NULL)
		explicit_bzero(basic, strlen(basic));
	free(basic);
	if (!sent)
		oidc_exchange_end(x, NULL, 502, "sso_provider_unavailable",
		                  "cannot reach the identity provider's token endpoint");
}

void
oidc_exchange(struct event_base *base, const char *code, const char *verifier, const char *nonce,
              oidc_claims_fn fn, void *arg)
{
	struct oidc_exchange *x = calloc(1, sizeof(*x));
	char *ecode = evhttp_encode_uri(code);
	char *eredirect = evhttp_encode_uri(oidc.cfg->oidc_redirect_uri);
	char *everifier = evhttp_encode_uri(verifier);
	size_t n;

	if (x == NULL || ecode == NULL || eredirect == NULL || everifier == NULL)
		goto fail;
	n = strlen(ecode) + strlen(eredirect) + strlen(everifier) + 128;
	x->form = malloc(n);
	x->nonce = strdup(nonce);
	if (x->form == NULL || x->nonce == NULL)
		goto fail;
	snprintf(x->form, n,
	         "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s", ecode,
	         eredirect, everifier);
	x->base = base;
	x->fn = fn;
	x->arg = arg;
	free(ecode);
	free(eredirect);
	free(everifier);
	oidc_discover(base, oidc_exchange_ready_cb, x);
	return;
fail:
	free(ecode);
	free(eredirect);
	free(everifier);
	if (x != NULL) {
		free(x->form);
		free(x->nonce);
		free(x);
	}
	fn(arg, NULL, NULL, 500, "internal", "out of memory");
}

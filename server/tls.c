/* HTTPS with libevent's OpenSSL bufferevents: the handshake, record layer and certificate checks
 * are OpenSSL's; this module only configures the shared server context. */
#include "tls.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

struct tls {
	SSL_CTX *ctx;
};

/* Puts "what: OpenSSL's first queued error" into err and empties OpenSSL's error queue. */
static void
tls_error(char *err, size_t errlen, const char *what, const char *file)
{
	char reason[256] = "unknown error";
	unsigned long code = ERR_get_error();

	if (code != 0)
		ERR_error_string_n(code, reason, sizeof(reason));
	snprintf(err, errlen, "%s %s: %s", what, file, reason);
	ERR_clear_error();
}

struct tls *
tls_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
	struct tls *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (t->ctx == NULL) {
		tls_error(err, errlen, "cannot create the TLS context", "");
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		tls_error(err, errlen, "cannot require TLS 1.2", "");
		goto fail;
	}
	/* no renegotiation (a client-driven CPU cost), server's cipher order, no compression */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	                                SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
		tls_error(err, errlen, "--tls-cert: cannot load the certificate chain", cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		tls_error(err, errlen, "--tls-key: cannot load the private key", key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		tls_error(err, errlen, "--tls-key: the key does not match the certificate in",
		          cert_file);
		goto fail;
	}
	return t;
fail:
	tls_free(t);
	return NULL;
}

struct bufferevent *
tls_bufferevent_new(struct tls *t, struct event_base *base)
{
	SSL *ssl = SSL_new(t->ctx);
	struct bufferevent *bev;

	if (ssl == NULL) {
		ERR_clear_error();
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) /* ssl is not freed: libevent may have freed it already (OOM only) */
		return NULL;
	/* a client closing without close_notify ends its connection like a plain close: every HTTP
	 * message is delimited by its own framing, so no truncation goes unnoticed */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

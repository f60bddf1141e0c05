/* HTTPS served directly (--tls-cert/--tls-key): one OpenSSL server context shared by every event
 * loop, and the OpenSSL bufferevent each accepted connection is read and written through. */
#ifndef TANDEM_TLS_H
#define TANDEM_TLS_H

#include <stddef.h>

struct bufferevent;
struct event_base;
struct tls;

/* Loads and checks the certificate chain (PEM, leaf first) and its private key into a TLS 1.2+
 * server context. Call before dropping root (the key may be readable by root only). NULL with err
 * filled on failure. Caller frees with tls_free once no connection uses it. */
struct tls *tls_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* A new server-side TLS bufferevent on base, without a socket yet (evhttp sets it), closing the
 * socket and the SSL object when freed. NULL when out of memory. Any thread. */
struct bufferevent *tls_bufferevent_new(struct tls *t, struct event_base *base)
    __attribute__((warn_unused_result));

/* Frees the context; NULL is a no-op. */
void tls_free(struct tls *t);

#endif

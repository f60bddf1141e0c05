/* Signature of ESN deliveries: HMAC-SHA256 over "<timestamp>.<body>" with a shared secret, sent as
 * "X-Tandem-Signature: sha256=<64 hex>" beside "X-Tandem-Timestamp: <unix seconds>". Pure code. */
#ifndef TANDEM_ESNSIG_H
#define TANDEM_ESNSIG_H

#include <stdbool.h>
#include <stddef.h>

#define ESNSIG_LEN 32 /* bytes of an HMAC-SHA256 */

/* Computes HMAC-SHA256(secret, ts "." body) into out; false when OpenSSL fails. */
bool esnsig_compute(const char *secret, const char *ts, const unsigned char *body, size_t len,
                    unsigned char out[ESNSIG_LEN]) __attribute__((warn_unused_result));

/* Parses "sha256=<64 hex>" into out; false for any other text. */
bool esnsig_parse(const char *header, unsigned char out[ESNSIG_LEN])
    __attribute__((warn_unused_result));

/* True when header is the signature of (ts, body) under secret, compared in constant time. */
bool esnsig_verify(const char *secret, const char *ts, const unsigned char *body, size_t len,
                   const char *header) __attribute__((warn_unused_result));

/* Parses the timestamp (decimal unix seconds, no sign or garbage) into *out. */
bool esnsig_parse_ts(const char *ts, long long *out) __attribute__((warn_unused_result));

#endif

/* Per-client-address rate limits (token buckets shared by every event loop): sign-ups and failed
 * authentications, answered 429 with Retry-After when a bucket is empty. */
#ifndef TANDEM_RATELIMIT_H
#define TANDEM_RATELIMIT_H

#include <stdbool.h>

/* What is limited; each has its own buckets. */
enum ratelimit_kind { RATELIMIT_SIGNUP, RATELIMIT_AUTH_FAILURE, RATELIMIT_NKINDS };

/* Takes one unit from addr's bucket of kind, which holds per_minute units and refills at
 * per_minute a minute (0 = unlimited). False when empty: *retry_after gets the seconds until a
 * unit is back. */
bool ratelimit_take(enum ratelimit_kind kind, const char *addr, int per_minute, int *retry_after)
    __attribute__((warn_unused_result));

/* Like ratelimit_take without taking: false when addr's bucket of kind is empty now. */
bool ratelimit_check(enum ratelimit_kind kind, const char *addr, int per_minute, int *retry_after)
    __attribute__((warn_unused_result));

struct request;

/* The client address of r ("" when unknown), the key of its buckets: the TCP peer, or, when that is
 * one of --trusted-proxies, the client X-Forwarded-For names. The text lives until the next call on
 * the same thread. */
const char *ratelimit_peer(struct request *r);

/* Replies 429 rate_limited with Retry-After: retry_after seconds, and frees r. */
void ratelimit_reply(struct request *r, int retry_after);

/* Counts a failed authentication by r's client (a token presented but refused). */
void ratelimit_note_failure(struct request *r);

/* False, having replied 429, when r's client has used up its failed authentications. */
bool ratelimit_admit_auth(struct request *r) __attribute__((warn_unused_result));

#endif

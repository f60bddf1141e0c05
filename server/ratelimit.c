/* Token buckets per (kind, client address) in one fixed-size table shared by the event loops under
 * a mutex held only for a lookup: memory stays bounded whatever the number of addresses (when a
 * probe run is full, the bucket idle longest is reused, which can only be generous). */
#include "ratelimit.h"
#include "util.h"
#include "netpolicy.h"
#include "request.h"
#include "server.h"

#include <event2/http.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define RATELIMIT_SLOTS 8192 /* power of two */
#define RATELIMIT_PROBE 16
#define RATELIMIT_ADDR 64

struct ratelimit_bucket {
	char addr[RATELIMIT_ADDR]; /* "" = free */
	int kind;
	double units; /* left at .stamp */
	double stamp; /* seconds, monotonic */
};

static struct ratelimit_bucket ratelimit_table[RATELIMIT_SLOTS];
/* per kind, the monotonic millisecond of the last unit taken: a bucket refills completely within a
 * minute, so a minute after it every bucket of the kind is full and a check needs no lock */
static atomic_llong ratelimit_last_take_ms[RATELIMIT_NKINDS];
static pthread_mutex_t ratelimit_lock = PTHREAD_MUTEX_INITIALIZER;

/* Seconds on the monotonic clock (util's, the one clock of the code base). */
static double
ratelimit_now(void)
{
	return util_now_ms() / 1000.0;
}

/* FNV-1a of the kind and address: the start of the bucket's probe run. */
static size_t
ratelimit_slot(int kind, const char *addr)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;

	for (const char *p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)(h & (RATELIMIT_SLOTS - 1));
}

/* The bucket of (kind, addr), refilled to now; a fresh full one when none exists. Lock held. */
static struct ratelimit_bucket *
ratelimit_find(int kind, const char *addr, double per_minute, double now)
{
	size_t start = ratelimit_slot(kind, addr);
	struct ratelimit_bucket *victim = NULL;

	for (size_t i = 0; i < RATELIMIT_PROBE; i++) {
		struct ratelimit_bucket *b = &ratelimit_table[(start + i) & (RATELIMIT_SLOTS - 1)];

		if (b->addr[0] != '\0' && b->kind == kind && strcmp(b->addr, addr) == 0) {
			b->units =
			    fmin(per_minute, b->units + (now - b->stamp) * per_minute / 60.0);
			b->stamp = now;
			return b;
		}
		if (victim == NULL || b->addr[0] == '\0' ||
		    (victim->addr[0] != '\0' && b->stamp < victim->stamp))
			victim = b;
	}
	snprintf(victim->addr, sizeof(victim->addr), "%s", addr);
	victim->kind = kind;
	victim->units = per_minute;
	victim->stamp = now;
	return victim;
}

/* The shared step of take and check: take says whether a unit is consumed. */
static bool
ratelimit_step(enum ratelimit_kind kind, const char *addr, int per_minute, bool take,
               int *retry_after)
{
	struct ratelimit_bucket *b;
	bool ok;

	*retry_after = 0;
	if (per_minute <= 0 || addr == NULL)
		return true;
	if (take)
		atomic_store_explicit(&ratelimit_last_take_ms[kind], (long long)util_now_ms(),
		                      memory_order_relaxed);
	else if (util_now_ms() - (double)atomic_load_explicit(&ratelimit_last_take_ms[kind],
	                                                      memory_order_relaxed) >
	         61000.0)
		return true; /* nothing taken for over a minute: every bucket of kind is full */
	pthread_mutex_lock(&ratelimit_lock);
	b = ratelimit_find((int)kind, addr, per_minute, ratelimit_now());
	ok = b->units >= 1.0;
	if (ok && take)
		b->units -= 1.0;
	if (!ok)
		*retry_after = (int)ceil((1.0 - b->units) * 60.0 / per_minute);
	pthread_mutex_unlock(&ratelimit_lock);
	if (!ok && *retry_after < 1)
		*retry_after = 1;
	return ok;
}

bool
ratelimit_take(enum ratelimit_kind kind, const char *addr, int per_minute, int *retry_after)
{
	return ratelimit_step(kind, addr, per_minute, true, retry_after);
}

bool
ratelimit_check(enum ratelimit_kind kind, const char *addr, int per_minute, int *retry_after)
{
	return ratelimit_step(kind, addr, per_minute, false, retry_after);
}

/* The client behind trusted proxies: X-Forwarded-For read from the right (each proxy appends the
 * address it received from), skipping trusted proxies; the first other address is the client.
 * A malformed entry stops the walk at the last address a trusted proxy vouched for. */
static const char *
ratelimit_forwarded(const struct netpolicy *proxies, const char *xff, const char *peer)
{
	static _Thread_local char client[64];
	const char *end = xff + strlen(xff);

	snprintf(client, sizeof(client), "%s", peer);
	while (end > xff) {
		const char *start = end, *a, *b;
		char entry[64];
		bool valid, trusted;

		while (start > xff && start[-1] != ',')
			start--;
		for (a = start; a < end && (*a == ' ' || *a == '\t'); a++)
			;
		for (b = end; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		if ((size_t)(b - a) >= sizeof(entry))
			break;
		memcpy(entry, a, (size_t)(b - a));
		entry[b - a] = '\0';
		trusted = netpolicy_lists(proxies, entry, &valid);
		if (!valid)
			break;
		snprintf(client, sizeof(client), "%s", entry);
		if (!trusted)
			break;
		end = start > xff ? start - 1 : xff;
	}
	return client;
}

const char *
ratelimit_peer(struct request *r)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(r->ev);
	const struct netpolicy *proxies = r->srv->cfg->trusted_proxies;
	char *addr = NULL;
	ev_uint16_t port = 0;
	const char *xff;
	bool valid;

	if (conn == NULL)
		return "";
	evhttp_connection_get_peer(conn, &addr, &port);
	if (addr == NULL)
		return "";
	if (proxies == NULL || !netpolicy_lists(proxies, addr, &valid) ||
	    (xff = request_header(r, "X-Forwarded-For")) == NULL)
		return addr;
	return ratelimit_forwarded(proxies, xff, addr);
}

void
ratelimit_reply(struct request *r, int retry_after)
{
	char value[16];

	snprintf(value, sizeof(value), "%d", retry_after);
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", value);
	request_reply_error(r, 429, "rate_limited", NULL,
	                    "too many requests from this address: retry in %d s", retry_after);
}

void
ratelimit_note_failure(struct request *r)
{
	int retry;

	/* an empty bucket is what the next request's ratelimit_admit_auth answers 429 for */
	if (!ratelimit_take(RATELIMIT_AUTH_FAILURE, ratelimit_peer(r),
	                    r->srv->cfg->auth_failure_rate, &retry))
		return;
}

bool
ratelimit_admit_auth(struct request *r)
{
	int retry;

	if (ratelimit_check(RATELIMIT_AUTH_FAILURE, ratelimit_peer(r),
	                    r->srv->cfg->auth_failure_rate, &retry))
		return true;
	ratelimit_reply(r, retry);
	return false;
}

/* Metrics: one block per event loop, written only by its thread with relaxed atomics, summed by the
 * scraper. The metric families are declared in one table; the engine renders any row. */
#include "metrics.h"
#include "db.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_SLOTS 512 /* (route, method, status) triples per thread */
#define METRICS_MAX_BLOCKS 256

/* Latency histogram bounds in seconds (the +Inf bucket is implicit). */
static const double metrics_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5};
#define METRICS_NBUCKETS (sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

/* Requests answered with one status on one route and method. */
struct metrics_slot {
	atomic_bool used; /* set (release) once route, method and status are written */
	const char *route;
	const char *method;
	int status;
	atomic_ulong count;
};

struct metrics {
	const struct db_pool *pool;
	struct metrics_slot slots[METRICS_SLOTS];
	atomic_ulong overflow; /* requests whose triple found no free slot */
	atomic_ulong buckets[METRICS_NBUCKETS + 1];
	atomic_ulong duration_us; /* sum of request durations */
	atomic_long counters[METRICS_NCOUNTERS];
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics *metrics_blocks[METRICS_MAX_BLOCKS];
static atomic_int metrics_nblocks;
static atomic_int metrics_solving;

/* A growing text buffer; out of memory turns it into NULL and every later append into a no-op. */
struct metrics_out {
	char *buf;
	size_t len, cap;
};

/* Appends formatted text to out. */
static void __attribute__((format(printf, 2, 3)))
metrics_printf(struct metrics_out *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out->buf == NULL)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(out->buf + out->len, out->cap - out->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			free(out->buf);
			out->buf = NULL;
			return;
		}
		if ((size_t)n < out->cap - out->len) {
			out->len += (size_t)n;
			return;
		}
		char *bigger = realloc(out->buf, out->cap * 2 + (size_t)n);

		if (bigger == NULL) {
			free(out->buf);
			out->buf = NULL;
			return;
		}
		out->buf = bigger;
		out->cap = out->cap * 2 + (size_t)n;
	}
}

/* The number of registered blocks (all registered before any loop starts). */
static int
metrics_count(void)
{
	return atomic_load_explicit(&metrics_nblocks, memory_order_acquire);
}

/* Sums one plain counter over every block. */
static double
metrics_sum_counter(enum metrics_counter which)
{
	long sum = 0;

	for (int i = 0; i < metrics_count(); i++)
		sum +=
		    atomic_load_explicit(&metrics_blocks[i]->counters[which], memory_order_relaxed);
	return (double)sum;
}

/* Sums one figure of every pool. */
static double
metrics_sum_pool(size_t offset, bool is_int)
{
	double sum = 0;

	for (int i = 0; i < metrics_count(); i++) {
		struct db_pool_stats st;

		if (metrics_blocks[i]->pool == NULL)
			continue;
		db_pool_stats(metrics_blocks[i]->pool, &st);
		if (is_int)
			sum += *(const int *)((const char *)&st + offset);
		else
			sum += (double)*(const unsigned long *)((const char *)&st + offset);
	}
	return sum;
}

/* Value sources of the scalar rows. */
static double
metrics_v_conn_open(void)
{
	return metrics_sum_counter(METRICS_CONN_OPEN);
}
static double
metrics_v_accepted(void)
{
	return metrics_sum_counter(METRICS_CONN_ACCEPTED);
}
static double
metrics_v_accept_pauses(void)
{
	return metrics_sum_counter(METRICS_ACCEPT_PAUSES);
}
static double
metrics_v_cap_pauses(void)
{
	return metrics_sum_counter(METRICS_CAP_PAUSES);
}
static double
metrics_v_head_timeouts(void)
{
	return metrics_sum_counter(METRICS_HEAD_TIMEOUTS);
}
static double
metrics_v_protocol(void)
{
	return metrics_sum_counter(METRICS_PROTOCOL_ERRORS);
}
static double
metrics_v_threads(void)
{
	return metrics_count();
}
static double
metrics_v_pool_size(void)
{
	return metrics_sum_pool(offsetof(struct db_pool_stats, size), true);
}
static double
metrics_v_pool_in_use(void)
{
	return metrics_sum_pool(offsetof(struct db_pool_stats, in_use), true);
}
static double
metrics_v_queue(void)
{
	return metrics_sum_pool(offsetof(struct db_pool_stats, waiting), true);
}
static double
metrics_v_prepares(void)
{
	return metrics_sum_pool(offsetof(struct db_pool_stats, prepares), false);
}
static double
metrics_v_solving(void)
{
	return atomic_load(&metrics_solving);
}

/* tandem_db_errors_total{kind}: connection losses, failed statements, statement timeouts. */
static void
metrics_r_db_errors(struct metrics_out *out, const char *name)
{
	metrics_printf(out, "%s{kind=\"connection\"} %.0f\n", name,
	               metrics_sum_pool(offsetof(struct db_pool_stats, conn_errors), false));
	metrics_printf(out, "%s{kind=\"query\"} %.0f\n", name,
	               metrics_sum_pool(offsetof(struct db_pool_stats, query_errors), false));
	metrics_printf(out, "%s{kind=\"timeout\"} %.0f\n", name,
	               metrics_sum_pool(offsetof(struct db_pool_stats, timeouts), false));
}

/* tandem_http_requests_total{route,method,status}: the slots of every block merged by triple. */
static void
metrics_r_requests(struct metrics_out *out, const char *name)
{
	struct {
		const char *route, *method;
		int status;
		unsigned long count;
	} *all = calloc((size_t)metrics_count() * METRICS_SLOTS + 1, sizeof(*all));
	size_t n = 0;
	unsigned long overflow = 0;

	if (all == NULL) {
		free(out->buf);
		out->buf = NULL;
		return;
	}
	for (int b = 0; b < metrics_count(); b++) {
		struct metrics *m = metrics_blocks[b];

		overflow += atomic_load_explicit(&m->overflow, memory_order_relaxed);
		for (size_t i = 0; i < METRICS_SLOTS; i++) {
			struct metrics_slot *s = &m->slots[i];
			size_t j;

			if (!atomic_load_explicit(&s->used, memory_order_acquire))
				continue;
			for (j = 0; j < n; j++)
				if (all[j].status == s->status &&
				    strcmp(all[j].route, s->route) == 0 &&
				    strcmp(all[j].method, s->method) == 0)
					break;
			if (j == n) {
				all[n].route = s->route;
				all[n].method = s->method;
				all[n].status = s->status;
				n++;
			}
			all[j].count += atomic_load_explicit(&s->count, memory_order_relaxed);
		}
	}
	for (size_t j = 0; j < n; j++)
		metrics_printf(out, "%s{route=\"%s\",method=\"%s\",status=\"%d\"} %lu\n", name,
		               all[j].route, all[j].method, all[j].status, all[j].count);
	if (overflow > 0)
		metrics_printf(out, "%s{route=\"(other)\",method=\"(other)\",status=\"0\"} %lu\n",
		               name, overflow);
	free(all);
}

/* tandem_http_request_duration_seconds: cumulative buckets, sum and count. */
static void
metrics_r_latency(struct metrics_out *out, const char *name)
{
	unsigned long cum = 0, us = 0;

	for (size_t k = 0; k <= METRICS_NBUCKETS; k++) {
		for (int b = 0; b < metrics_count(); b++)
			cum += atomic_load_explicit(&metrics_blocks[b]->buckets[k],
			                            memory_order_relaxed);
		if (k < METRICS_NBUCKETS)
			metrics_printf(out, "%s_bucket{le=\"%g\"} %lu\n", name, metrics_buckets[k],
			               cum);
		else
			metrics_printf(out, "%s_bucket{le=\"+Inf\"} %lu\n", name, cum);
	}
	for (int b = 0; b < metrics_count(); b++)
		us += atomic_load_explicit(&metrics_blocks[b]->duration_us, memory_order_relaxed);
	metrics_printf(out, "%s_sum %.6f\n%s_count %lu\n", name, (double)us / 1e6, name, cum);
}

/* One metric family: a scalar read by value, or labelled series written by render. */
struct metrics_def {
	const char *name;
	const char *type;
	const char *help;
	double (*value)(void);
	void (*render)(struct metrics_out *out, const char *name);
};

static const struct metrics_def metrics_defs[] = {
    {"tandem_http_requests_total", "counter",
     "HTTP requests answered, by route pattern, method and status", NULL, metrics_r_requests},
    {"tandem_http_request_duration_seconds", "histogram",
     "Time from the complete request to its reply", NULL, metrics_r_latency},
    {"tandem_http_connections_open", "gauge", "Client connections open", metrics_v_conn_open, NULL},
    {"tandem_http_connections_accepted_total", "counter", "Client connections accepted",
     metrics_v_accepted, NULL},
    {"tandem_http_accept_pauses_total", "counter",
     "Accept paused because descriptors ran out (EMFILE/ENFILE) or accept failed",
     metrics_v_accept_pauses, NULL},
    {"tandem_http_connection_cap_pauses_total", "counter",
     "Accept paused because the connection cap was reached", metrics_v_cap_pauses, NULL},
    {"tandem_http_request_deadline_closes_total", "counter",
     "Connections closed because the request did not arrive within --header-timeout",
     metrics_v_head_timeouts, NULL},
    {"tandem_http_protocol_errors_total", "counter",
     "Requests refused before routing (malformed head, oversized head or body, method)",
     metrics_v_protocol, NULL},
    {"tandem_http_threads", "gauge", "Event loops serving HTTP", metrics_v_threads, NULL},
    {"tandem_db_pool_connections", "gauge", "Database connections configured (all loops)",
     metrics_v_pool_size, NULL},
    {"tandem_db_pool_connections_in_use", "gauge", "Database connections running a statement",
     metrics_v_pool_in_use, NULL},
    {"tandem_db_queue_depth", "gauge", "Statements waiting for a free database connection",
     metrics_v_queue, NULL},
    {"tandem_db_errors_total", "counter",
     "Database errors: connections lost, statements failed, statements timed out", NULL,
     metrics_r_db_errors},
    {"tandem_db_prepares_total", "counter", "Statements prepared (once per text and connection)",
     metrics_v_prepares, NULL},
    {"tandem_rounds_solving", "gauge", "Matching rounds being solved by this process",
     metrics_v_solving, NULL},
};

struct metrics *
metrics_thread_new(const struct db_pool *pool)
{
	struct metrics *m = calloc(1, sizeof(*m));
	int n;

	if (m == NULL)
		return NULL;
	m->pool = pool;
	pthread_mutex_lock(&metrics_lock);
	n = atomic_load(&metrics_nblocks);
	if (n == METRICS_MAX_BLOCKS) {
		pthread_mutex_unlock(&metrics_lock);
		free(m);
		return NULL;
	}
	metrics_blocks[n] = m;
	atomic_store_explicit(&metrics_nblocks, n + 1, memory_order_release);
	pthread_mutex_unlock(&metrics_lock);
	return m;
}

void
metrics_request(struct metrics *m, const char *method, const char *route, int status,
                double duration_ms)
{
	uintptr_t h = ((uintptr_t)route * 31u + (uintptr_t)method) * 31u + (uintptr_t)status;
	double s = duration_ms / 1000.0;
	size_t k = 0;

	if (m == NULL)
		return;
	if (route == NULL)
		route = "(unmatched)";
	h ^= h >> 17;
	for (size_t probe = 0; probe < METRICS_SLOTS; probe++) {
		struct metrics_slot *slot = &m->slots[(h + probe) % METRICS_SLOTS];

		if (!atomic_load_explicit(&slot->used, memory_order_relaxed)) {
			slot->route = route;
			slot->method = method;
			slot->status = status;
			atomic_store_explicit(&slot->count, 1, memory_order_relaxed);
			atomic_store_explicit(&slot->used, true, memory_order_release);
			goto timed;
		}
		if (slot->route == route && slot->method == method && slot->status == status) {
			atomic_fetch_add_explicit(&slot->count, 1, memory_order_relaxed);
			goto timed;
		}
	}
	atomic_fetch_add_explicit(&m->overflow, 1, memory_order_relaxed);
timed:
	while (k < METRICS_NBUCKETS && s > metrics_buckets[k])
		k++;
	atomic_fetch_add_explicit(&m->buckets[k], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->duration_us,
	                          (unsigned long)(duration_ms > 0 ? duration_ms * 1000.0 : 0),
	                          memory_order_relaxed);
}

void
metrics_add(struct metrics *m, enum metrics_counter which, long delta)
{
	if (m != NULL)
		atomic_fetch_add_explicit(&m->counters[which], delta, memory_order_relaxed);
}

void
metrics_rounds_solving_add(int delta)
{
	atomic_fetch_add(&metrics_solving, delta);
}

char *
metrics_render(size_t *len)
{
	struct metrics_out out = {malloc(8192), 0, 8192};

	for (size_t i = 0; i < sizeof(metrics_defs) / sizeof(metrics_defs[0]); i++) {
		const struct metrics_def *d = &metrics_defs[i];

		metrics_printf(&out, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help, d->name,
		               d->type);
		if (d->value != NULL)
			metrics_printf(&out, "%s %.0f\n", d->name, d->value());
		else
			d->render(&out, d->name);
	}
	*len = out.len;
	return out.buf;
}

void
metrics_free_all(void)
{
	pthread_mutex_lock(&metrics_lock);
	for (int i = 0; i < atomic_load(&metrics_nblocks); i++) {
		free(metrics_blocks[i]);
		metrics_blocks[i] = NULL;
	}
	atomic_store(&metrics_nblocks, 0);
	pthread_mutex_unlock(&metrics_lock);
}

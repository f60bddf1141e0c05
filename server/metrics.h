/* Prometheus metrics: each event loop counts into its own block without locks or sharing; GET
 * /metrics adds the blocks up at scrape time. */
#ifndef TANDEM_METRICS_H
#define TANDEM_METRICS_H

#include <stddef.h>

struct db_pool;
struct metrics;

/* Plain per-thread counters and gauges (the rows of the table in metrics.c read them). */
enum metrics_counter {
	METRICS_CONN_OPEN,       /* gauge: client connections open */
	METRICS_CONN_ACCEPTED,   /* connections accepted */
	METRICS_ACCEPT_PAUSES,   /* accept paused: descriptors exhausted or accept failed */
	METRICS_CAP_PAUSES,      /* accept paused: the connection cap was reached */
	METRICS_HEAD_TIMEOUTS,   /* connections closed at the request deadline */
	METRICS_PROTOCOL_ERRORS, /* requests refused before routing (bad head, body too large) */
	METRICS_NCOUNTERS
};

/* Creates the block of one event loop and registers it for scraping; pool (may be NULL) is read at
 * scrape time. Call before the loop's thread starts; blocks live until metrics_free_all. */
struct metrics *metrics_thread_new(const struct db_pool *pool) __attribute__((warn_unused_result));

/* Counts one answered request: route is the route pattern (a string that lives as long as the
 * process) or NULL when none matched, method one of the static method names. Owner thread only. */
void metrics_request(struct metrics *m, const char *method, const char *route, int status,
                     double duration_ms);

/* Adds delta to one of the plain counters of m. Owner thread only. */
void metrics_add(struct metrics *m, enum metrics_counter which, long delta);

/* Adds delta to the number of rounds being solved (any thread). */
void metrics_rounds_solving_add(int delta);

/* Renders every metric in the Prometheus text exposition format (version 0.0.4); caller frees.
 * NULL when out of memory. Any thread. */
char *metrics_render(size_t *len) __attribute__((warn_unused_result));

/* Frees every block (after all loops have stopped). */
void metrics_free_all(void);

#endif

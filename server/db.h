/* A bounded pool of asynchronous libpq connections driven by the libevent loop. */
#ifndef TANDEM_DB_H
#define TANDEM_DB_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>

struct db_pool;

/* Called once per query: res is the final result (owned by the pool, cleared after the callback
 * returns), or NULL when the connection failed, with conn_error describing why. */
typedef void (*db_result_cb)(const PGresult *res, const char *conn_error, void *arg);

/* Creates a pool of size connections to conninfo, with at most queue_max queries waiting, each
 * statement limited to statement_timeout_ms (0: no limit), which is also the longest a query may
 * be expected to wait in the queue (from the measured time per query) before it is refused.
 * Connections are opened asynchronously and re-opened after failures; each prepares an SQL text
 * the first time it runs it (a bounded cache per connection, emptied when the connection is
 * re-opened). The pool belongs to the thread of base. Caller frees with db_pool_free. */
struct db_pool *db_pool_new(struct event_base *base, const char *conninfo, int size, int queue_max,
                            int statement_timeout_ms) __attribute__((warn_unused_result));

enum db_submit { DB_QUEUED, DB_FULL, DB_DOWN };

/* Sends one parameterised query (text parameters, NULL for SQL NULL) on a free connection, or
 * queues it. With DB_QUEUED, cb may already have run (a send that fails at once) before this
 * returns, so callers must not touch state the callback frees. Returns DB_FULL (queue full) or
 * DB_DOWN (no live connection) without calling cb. DB_FULL also when the query would be expected to
 * wait longer than the statement timeout. */
enum db_submit db_query(struct db_pool *pool, const char *sql, int nparams,
                        const char *const *params, db_result_cb cb, void *arg)
    __attribute__((warn_unused_result));

/* A snapshot of a pool for the metrics, safe to take from any thread. */
struct db_pool_stats {
	int size, in_use, waiting;
	unsigned long conn_errors, query_errors, timeouts, prepares;
};

/* Fills out with the pool's current figures. */
void db_pool_stats(const struct db_pool *pool, struct db_pool_stats *out);

/* Number of queries in flight or queued (for graceful shutdown). */
int db_pool_pending(const struct db_pool *pool);

/* Closes every connection; queued queries are failed with "shutting down". */
void db_pool_free(struct db_pool *pool);

#endif

/* Asynchronous libpq connection pool: PQconnectStartParams/PQconnectPoll to connect, PQsendPrepare
 * the first time a connection sees an SQL text and PQsendQueryPrepared from then on, PQflush to
 * send, PQconsumeInput/PQisBusy/PQgetResult on read readiness; one event loop, no blocking. */
#include "db.h"
#include "util.h"
#include "log.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_CONNECT_TIMEOUT_S 10
#define DB_STMT_CACHE 128 /* prepared statements per connection; further texts run unprepared */

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY };

struct db_job {
	struct db_job *next;
	bool retried; /* already re-sent once after its prepared statement vanished */
	char *sql;
	int nparams;
	char **params;
	db_result_cb cb;
	void *arg;
	double sent_ms; /* when it went to a connection (service time for the admission estimate) */
};

/* One SQL text prepared on one connection, as statement "td<id>". */
struct db_stmt {
	char *sql;
	uint64_t hash;
	unsigned id; /* names the server-side statement; a re-Prepare takes a new one */
	bool ready;  /* the server acknowledged the Prepare */
};

struct db_conn {
	struct db_pool *pool;
	PGconn *pg;
	enum conn_state state;
	struct db_stmt stmts[DB_STMT_CACHE]; /* this session's prepared statements */
	int nstmts;
	unsigned next_id;    /* next statement name in this session */
	int preparing;       /* index of the statement whose Prepare is in flight, or -1 */
	struct event *io;    /* socket readiness */
	struct event *retry; /* reconnect timer; connect timeout while connecting */
	bool failed_connect; /* the last attempt to connect failed */
	int backoff_ms;
	struct db_job *job; /* in flight */
	PGresult *last;     /* last result of the job in flight */
};

struct db_pool {
	struct event_base *base;
	char *conninfo;
	char *options; /* "-c statement_timeout=N", or NULL */
	int size;
	int queue_max;
	int deadline_ms;   /* a query expected to wait longer is refused (0: only queue_max) */
	double service_ms; /* moving average of a query's time on a connection */
	int queued;
	struct db_job *head, *tail;
	struct db_conn *conns;
	/* read by other threads at scrape time (db_pool_stats) */
	atomic_int busy;
	atomic_int waiting;
	atomic_ulong conn_errors, query_errors, timeouts, prepares;
};

static void db_conn_io_cb(evutil_socket_t fd, short what, void *arg);
static void db_conn_start(struct db_conn *c);

/* Changes a connection's state, keeping the pool's in-use count for db_pool_stats. */
static void
db_conn_set_state(struct db_conn *c, enum conn_state state)
{
	if (c->state == CONN_BUSY && state != CONN_BUSY)
		atomic_fetch_sub_explicit(&c->pool->busy, 1, memory_order_relaxed);
	else if (c->state != CONN_BUSY && state == CONN_BUSY)
		atomic_fetch_add_explicit(&c->pool->busy, 1, memory_order_relaxed);
	c->state = state;
}

/* FNV-1a hash of an SQL text, to find its prepared statement quickly. */
static uint64_t
db_sql_hash(const char *sql)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* Index of sql in the connection's statement cache, or -1. */
static int
db_stmt_find(const struct db_conn *c, const char *sql, uint64_t hash)
{
	for (int i = 0; i < c->nstmts; i++)
		if (c->stmts[i].hash == hash && c->stmts[i].sql != NULL &&
		    strcmp(c->stmts[i].sql, sql) == 0)
			return i;
	return -1;
}

/* Forgets one statement; its slot stays empty (only a Prepare that failed, a bug in an SQL text,
 * does this mid-session). */
static void
db_stmt_forget(struct db_conn *c, int i)
{
	free(c->stmts[i].sql);
	c->stmts[i].sql = NULL;
	c->stmts[i].ready = false;
}

/* Forgets every statement: a new session starts with none. */
static void
db_stmt_clear(struct db_conn *c)
{
	for (int i = 0; i < c->nstmts; i++)
		db_stmt_forget(c, i);
	c->nstmts = 0;
	c->next_id = 0;
	c->preparing = -1;
}

/* Frees a job and the copies it holds. */
static void
db_job_free(struct db_job *job)
{
	if (job == NULL)
		return;
	for (int i = 0; i < job->nparams; i++)
		free(job->params[i]);
	free(job->params);
	free(job->sql);
	free(job);
}

/* Copies the query and its parameters so the caller's buffers may go away at once. */
static struct db_job *
db_job_new(const char *sql, int nparams, const char *const *params, db_result_cb cb, void *arg)
{
	struct db_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->sql = strdup(sql);
	job->params = calloc((size_t)(nparams > 0 ? nparams : 1), sizeof(char *));
	if (job->sql == NULL || job->params == NULL)
		goto fail;
	job->nparams = nparams;
	for (int i = 0; i < nparams; i++) {
		if (params[i] != NULL && (job->params[i] = strdup(params[i])) == NULL)
			goto fail;
	}
	job->cb = cb;
	job->arg = arg;
	return job;
fail:
	db_job_free(job);
	return NULL;
}

/* Watches the connection's socket for the given events (EV_READ and/or EV_WRITE). A persistent
 * watch already in place is kept: re-creating it for every query cost two epoll_ctl calls and a
 * malloc per request (7 % of tandemd's time under GET /v1/me, perf). */
static void
db_conn_watch(struct db_conn *c, short what)
{
	if (c->io != NULL && (what & EV_PERSIST) && event_get_events(c->io) == what &&
	    event_get_fd(c->io) == PQsocket(c->pg))
		return;
	if (c->io != NULL) {
		event_free(c->io);
		c->io = NULL;
	}
	c->io = event_new(c->pool->base, PQsocket(c->pg), what, db_conn_io_cb, c);
	if (c->io != NULL)
		event_add(c->io, NULL);
}

/* Number of connections that can take work now or soon (all but those whose last attempt to
 * connect failed). */
static int
db_pool_alive(const struct db_pool *pool)
{
	int n = 0;

	for (int i = 0; i < pool->size; i++)
		n += pool->conns[i].state != CONN_DOWN || !pool->conns[i].failed_connect;
	return n;
}

/* Fails every queued job with the given message (used when no connection is usable). */
static void
db_pool_fail_queue(struct db_pool *pool, const char *why)
{
	while (pool->head != NULL) {
		struct db_job *job = pool->head;

		pool->head = job->next;
		pool->queued--;
		atomic_store_explicit(&pool->waiting, pool->queued, memory_order_relaxed);
		job->cb(NULL, why, job->arg);
		db_job_free(job);
	}
	pool->tail = NULL;
}

/* Completes the job in flight with res (NULL on connection failure) and frees it. */
static void
db_conn_finish(struct db_conn *c, const PGresult *res, const char *why)
{
	struct db_job *job = c->job;

	c->job = NULL;
	if (job != NULL) {
		job->cb(res, why, job->arg);
		db_job_free(job);
	}
	if (c->last != NULL) {
		PQclear(c->last);
		c->last = NULL;
	}
}

/* Drops a broken connection, fails its job and schedules a reconnect with back-off. */
static void
db_conn_broken(struct db_conn *c, const char *why)
{
	struct timeval tv;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", why ? why : "connection lost");
	msg[strcspn(msg, "\n")] = '\0';
	if (c->state != CONN_DOWN)
		log_msg("warn", "database connection lost: %s", msg);
	if (c->io != NULL) {
		event_free(c->io);
		c->io = NULL;
	}
	if (c->pg != NULL) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	/* a connection lost under a query reconnects at once and queued work waits for it; only a
	 * failed attempt to connect means the database is really out of reach */
	c->failed_connect = c->state == CONN_CONNECTING || c->state == CONN_DOWN;
	db_conn_set_state(c, CONN_DOWN);
	db_stmt_clear(c);
	atomic_fetch_add_explicit(&c->pool->conn_errors, 1, memory_order_relaxed);
	db_conn_finish(c, NULL, msg);
	if (db_pool_alive(c->pool) == 0)
		db_pool_fail_queue(c->pool, msg);
	c->backoff_ms =
	    c->backoff_ms == 0 ? 100 : (c->backoff_ms * 2 > 5000 ? 5000 : c->backoff_ms * 2);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_add(c->retry, &tv);
}

/* Sends the job in flight: its prepared statement when this session has it, a Prepare first when
 * the text is new and the cache has room, the plain text otherwise. False when the send failed. */
static bool
db_conn_send(struct db_conn *c)
{
	struct db_job *job = c->job;
	uint64_t hash = db_sql_hash(job->sql);
	int i = db_stmt_find(c, job->sql, hash);
	char name[16];

	if (i < 0 && c->nstmts < DB_STMT_CACHE) {
		i = c->nstmts++;
		c->stmts[i].sql = strdup(job->sql);
		c->stmts[i].hash = hash;
		c->stmts[i].id = c->next_id++;
		c->stmts[i].ready = false;
		if (c->stmts[i].sql == NULL) {
			c->nstmts--;
			i = -1;
		}
	}
	if (i < 0) /* cache full: plan this one at every call */
		return PQsendQueryParams(c->pg, job->sql, job->nparams, NULL,
		                         (const char *const *)job->params, NULL, NULL, 0) == 1;
	snprintf(name, sizeof(name), "td%u", c->stmts[i].id);
	if (c->stmts[i].ready)
		return PQsendQueryPrepared(c->pg, name, job->nparams,
		                           (const char *const *)job->params, NULL, NULL, 0) == 1;
	c->preparing = i;
	atomic_fetch_add_explicit(&c->pool->prepares, 1, memory_order_relaxed);
	return PQsendPrepare(c->pg, name, job->sql, job->nparams, NULL) == 1;
}

/* Sends the job in flight and watches for the reply (and for writability while libpq has unsent
 * bytes). */
static void
db_conn_send_job(struct db_conn *c)
{
	int flushed;

	if (!db_conn_send(c)) {
		db_conn_broken(c, PQerrorMessage(c->pg));
		return;
	}
	flushed = PQflush(c->pg);
	if (flushed < 0) {
		db_conn_broken(c, PQerrorMessage(c->pg));
		return;
	}
	db_conn_watch(c, (short)(EV_READ | EV_PERSIST | (flushed == 1 ? EV_WRITE : 0)));
}

/* Sends the next queued job on an idle connection, if any. */
static void
db_conn_dispatch(struct db_conn *c)
{
	struct db_pool *pool = c->pool;
	struct db_job *job = pool->head;

	if (job == NULL || c->state != CONN_IDLE)
		return;
	pool->head = job->next;
	if (pool->head == NULL)
		pool->tail = NULL;
	pool->queued--;
	atomic_store_explicit(&pool->waiting, pool->queued, memory_order_relaxed);
	c->job = job;
	job->sent_ms = util_now_ms();
	db_conn_set_state(c, CONN_BUSY);
	db_conn_send_job(c);
}

/* True when a failed execution means the session lost the statement's plan (it was deallocated,
 * or a table it reads changed shape): prepare it again and re-run the job once. */
static bool
db_result_stale_plan(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && (strcmp(state, "26000") == 0 || strcmp(state, "0A000") == 0);
}

/* Counts a failed statement for the metrics (statement timeouts separately). */
static void
db_count_error(struct db_pool *pool, const PGresult *res)
{
	const char *state;

	if (res == NULL || PQresultStatus(res) != PGRES_FATAL_ERROR)
		return;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state != NULL && strcmp(state, "57014") == 0)
		atomic_fetch_add_explicit(&pool->timeouts, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&pool->query_errors, 1, memory_order_relaxed);
}

/* The last result of a Prepare arrived: on success run the job with the new statement, on failure
 * complete the job with the error (a bad text fails the same way unprepared). True when the job
 * was sent again and is still in flight. */
static bool
db_conn_prepared(struct db_conn *c, PGresult *last)
{
	int i = c->preparing;

	c->preparing = -1;
	if (last != NULL && PQresultStatus(last) == PGRES_COMMAND_OK) {
		c->stmts[i].ready = true;
		PQclear(last);
		db_conn_send_job(c);
		return true;
	}
	db_stmt_forget(c, i);
	if (i == c->nstmts - 1)
		c->nstmts--;
	c->last = last;
	return false;
}

/* Reads whatever the server sent and completes the job when its last result arrived. */
static void
db_conn_read(struct db_conn *c)
{
	PGresult *res;

	if (!PQconsumeInput(c->pg)) {
		db_conn_broken(c, PQerrorMessage(c->pg));
		return;
	}
	while (!PQisBusy(c->pg)) {
		res = PQgetResult(c->pg);
		if (res == NULL) {
			PGresult *last = c->last;
			struct db_job *job = c->job;

			c->last = NULL;
			if (c->preparing >= 0) {
				if (db_conn_prepared(c, last))
					return;
				last = c->last;
				c->last = NULL;
			} else if (last != NULL && job != NULL && !job->retried &&
			           db_result_stale_plan(last)) {
				int i = db_stmt_find(c, job->sql, db_sql_hash(job->sql));

				if (i >= 0) { /* prepare again under a new name */
					c->stmts[i].ready = false;
					c->stmts[i].id = c->next_id++;
				}
				job->retried = true;
				PQclear(last);
				db_conn_send_job(c);
				return;
			}
			c->job = NULL;
			/* weight 1/64: a change of load, not one slow query */
			if (job != NULL)
				c->pool->service_ms +=
				    (util_now_ms() - job->sent_ms - c->pool->service_ms) / 64.0;
			db_conn_set_state(c, CONN_IDLE);
			c->backoff_ms = 0;
			db_conn_watch(c, EV_READ | EV_PERSIST);
			db_count_error(c->pool, last);
			if (job != NULL)
				job->cb(last, last ? NULL : "no result", job->arg);
			db_job_free(job);
			if (last != NULL)
				PQclear(last);
			db_conn_dispatch(c);
			return;
		}
		if (c->last != NULL)
			PQclear(c->last);
		c->last = res;
	}
}

/* Advances PQconnectPoll and waits for the direction it asks for. */
static void
db_conn_poll(struct db_conn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		db_conn_watch(c, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		db_conn_watch(c, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		evtimer_del(c->retry);
		c->failed_connect = false;
		if (PQsetnonblocking(c->pg, 1) != 0) {
			db_conn_broken(c, PQerrorMessage(c->pg));
			break;
		}
		db_conn_set_state(c, CONN_IDLE);
		db_conn_watch(c, EV_READ | EV_PERSIST);
		db_conn_dispatch(c);
		break;
	default:
		db_conn_broken(c, PQerrorMessage(c->pg));
		break;
	}
}

/* Socket readiness: connect progress, flushing a large query, results, or a server-side close. */
static void
db_conn_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	(void)fd;
	if (c->state == CONN_CONNECTING) {
		db_conn_poll(c);
		return;
	}
	if ((what & EV_WRITE) && c->state == CONN_BUSY) {
		int flushed = PQflush(c->pg);

		if (flushed < 0) {
			db_conn_broken(c, PQerrorMessage(c->pg));
			return;
		}
		if (flushed == 0)
			db_conn_watch(c, EV_READ | EV_PERSIST);
	}
	if (what & EV_READ) {
		if (c->state == CONN_BUSY) {
			db_conn_read(c);
		} else if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK) {
			db_conn_broken(c, PQerrorMessage(c->pg));
		} else {
			PGresult *stray;

			while (!PQisBusy(c->pg) && (stray = PQgetResult(c->pg)) != NULL)
				PQclear(stray);
		}
	}
}

/* Reconnect timer fired. */
static void
db_conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->state == CONN_CONNECTING)
		db_conn_broken(c, "timed out connecting to the database");
	else
		db_conn_start(c);
}

/* Begins a non-blocking connection attempt. */
static void
db_conn_start(struct db_conn *c)
{
	struct timeval timeout = {DB_CONNECT_TIMEOUT_S, 0};

	const char *keys[] = {"dbname", c->pool->options ? "options" : NULL, NULL};
	const char *vals[] = {c->pool->conninfo, c->pool->options, NULL};

	/* expand_dbname: conninfo may be a URL or key=value string; the options given here win */
	c->pg = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL) {
		db_conn_broken(c, "out of memory");
		return;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		db_conn_broken(c, PQerrorMessage(c->pg));
		return;
	}
	db_conn_set_state(c, CONN_CONNECTING);
	db_conn_watch(c, EV_WRITE);
	evtimer_add(c->retry, &timeout); /* PQconnectPoll itself never times out */
}

struct db_pool *
db_pool_new(struct event_base *base, const char *conninfo, int size, int queue_max,
            int statement_timeout_ms)
{
	struct db_pool *pool = calloc(1, sizeof(*pool));
	char options[64];

	if (pool == NULL)
		return NULL;
	if (statement_timeout_ms > 0) {
		snprintf(options, sizeof(options), "-c statement_timeout=%d", statement_timeout_ms);
		if ((pool->options = strdup(options)) == NULL)
			goto fail;
	}
	pool->base = base;
	pool->size = size;
	pool->queue_max = queue_max;
	pool->deadline_ms = statement_timeout_ms;
	pool->conninfo = strdup(conninfo);
	pool->conns = calloc((size_t)size, sizeof(*pool->conns));
	if (pool->conninfo == NULL || pool->conns == NULL)
		goto fail;
	for (int i = 0; i < size; i++) {
		struct db_conn *c = &pool->conns[i];

		c->pool = pool;
		c->preparing = -1;
		c->retry = evtimer_new(base, db_conn_retry_cb, c);
		if (c->retry == NULL)
			goto fail;
	}
	for (int i = 0; i < size; i++)
		db_conn_start(&pool->conns[i]);
	return pool;
fail:
	db_pool_free(pool);
	return NULL;
}

enum db_submit
db_query(struct db_pool *pool, const char *sql, int nparams, const char *const *params,
         db_result_cb cb, void *arg)
{
	struct db_job *job;
	int idle = 0, alive = db_pool_alive(pool);

	if (alive == 0)
		return DB_DOWN;
	for (int i = 0; i < pool->size; i++)
		idle += pool->conns[i].state == CONN_IDLE;
	/* a query that finds an idle connection does not wait, so it does not count against
	 * queue_max */
	if (pool->queued - idle >= pool->queue_max)
		return DB_FULL;
	/* admission by deadline: refuse only a query that would wait in the queue longer than its
	 * statement may run (the queue ahead of it, served by the live connections at the measured
	 * pace); answering 503 to what could be served in time burns the CPU the work needs */
	if (idle == 0 && pool->deadline_ms > 0 &&
	    (pool->queued + 1) * pool->service_ms / alive > pool->deadline_ms)
		return DB_FULL;
	job = db_job_new(sql, nparams, params, cb, arg);
	if (job == NULL)
		return DB_FULL;
	if (pool->tail != NULL)
		pool->tail->next = job;
	else
		pool->head = job;
	pool->tail = job;
	pool->queued++;
	atomic_store_explicit(&pool->waiting, pool->queued, memory_order_relaxed);
	for (int i = 0; i < pool->size && pool->head != NULL; i++)
		db_conn_dispatch(&pool->conns[i]);
	return DB_QUEUED;
}

void
db_pool_stats(const struct db_pool *pool, struct db_pool_stats *out)
{
	/* the pool belongs to another thread: read only its atomics */
	out->size = pool->size;
	out->in_use = atomic_load_explicit(&pool->busy, memory_order_relaxed);
	out->waiting = atomic_load_explicit(&pool->waiting, memory_order_relaxed);
	out->conn_errors = atomic_load_explicit(&pool->conn_errors, memory_order_relaxed);
	out->query_errors = atomic_load_explicit(&pool->query_errors, memory_order_relaxed);
	out->timeouts = atomic_load_explicit(&pool->timeouts, memory_order_relaxed);
	out->prepares = atomic_load_explicit(&pool->prepares, memory_order_relaxed);
}

int
db_pool_pending(const struct db_pool *pool)
{
	int n = pool->queued;

	for (int i = 0; i < pool->size; i++)
		n += pool->conns[i].job != NULL;
	return n;
}

void
db_pool_free(struct db_pool *pool)
{
	if (pool == NULL)
		return;
	db_pool_fail_queue(pool, "shutting down");
	for (int i = 0; pool->conns != NULL && i < pool->size; i++) {
		struct db_conn *c = &pool->conns[i];

		db_conn_finish(c, NULL, "shutting down");
		if (c->io != NULL)
			event_free(c->io);
		if (c->retry != NULL)
			event_free(c->retry);
		if (c->pg != NULL)
			PQfinish(c->pg);
		db_stmt_clear(c);
	}
	free(pool->conns);
	free(pool->options);
	free(pool->conninfo);
	free(pool);
}

/* Asynchronous libpq connection pool: PQconnectStart/PQconnectPoll to connect, PQsendQueryParams +
 * PQflush to send, PQconsumeInput/PQisBusy/PQgetResult on read readiness; one event loop, no
 * blocking. */
#include "db.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define DB_CONNECT_TIMEOUT_S 10

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY };

struct db_job {
	struct db_job *next;
	char *sql;
	int nparams;
	char **params;
	db_result_cb cb;
	void *arg;
};

struct db_conn {
	struct db_pool *pool;
	PGconn *pg;
	enum conn_state state;
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
	int size;
	int queue_max;
	int queued;
	struct db_job *head, *tail;
	struct db_conn *conns;
};

static void db_conn_io_cb(evutil_socket_t fd, short what, void *arg);
static void db_conn_start(struct db_conn *c);

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

/* Watches the connection's socket for the given events (EV_READ and/or EV_WRITE). */
static void
db_conn_watch(struct db_conn *c, short what)
{
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
	c->state = CONN_DOWN;
	db_conn_finish(c, NULL, msg);
	if (db_pool_alive(c->pool) == 0)
		db_pool_fail_queue(c->pool, msg);
	c->backoff_ms =
	    c->backoff_ms == 0 ? 100 : (c->backoff_ms * 2 > 5000 ? 5000 : c->backoff_ms * 2);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_add(c->retry, &tv);
}

/* Sends the next queued job on an idle connection, if any. */
static void
db_conn_dispatch(struct db_conn *c)
{
	struct db_pool *pool = c->pool;
	struct db_job *job = pool->head;
	int flushed;

	if (job == NULL || c->state != CONN_IDLE)
		return;
	pool->head = job->next;
	if (pool->head == NULL)
		pool->tail = NULL;
	pool->queued--;
	c->job = job;
	c->state = CONN_BUSY;
	if (!PQsendQueryParams(c->pg, job->sql, job->nparams, NULL,
	                       (const char *const *)job->params, NULL, NULL, 0)) {
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
			c->job = NULL;
			c->state = CONN_IDLE;
			c->backoff_ms = 0;
			db_conn_watch(c, EV_READ | EV_PERSIST);
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
		c->state = CONN_IDLE;
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

	c->pg = PQconnectStart(c->pool->conninfo);
	if (c->pg == NULL) {
		db_conn_broken(c, "out of memory");
		return;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		db_conn_broken(c, PQerrorMessage(c->pg));
		return;
	}
	c->state = CONN_CONNECTING;
	db_conn_watch(c, EV_WRITE);
	evtimer_add(c->retry, &timeout); /* PQconnectPoll itself never times out */
}

struct db_pool *
db_pool_new(struct event_base *base, const char *conninfo, int size, int queue_max)
{
	struct db_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return NULL;
	pool->base = base;
	pool->size = size;
	pool->queue_max = queue_max;
	pool->conninfo = strdup(conninfo);
	pool->conns = calloc((size_t)size, sizeof(*pool->conns));
	if (pool->conninfo == NULL || pool->conns == NULL)
		goto fail;
	for (int i = 0; i < size; i++) {
		struct db_conn *c = &pool->conns[i];

		c->pool = pool;
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
	int idle = 0;

	if (db_pool_alive(pool) == 0)
		return DB_DOWN;
	for (int i = 0; i < pool->size; i++)
		idle += pool->conns[i].state == CONN_IDLE;
	/* a query that finds an idle connection does not wait, so it does not count against
	 * queue_max */
	if (pool->queued - idle >= pool->queue_max)
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
	for (int i = 0; i < pool->size && pool->head != NULL; i++)
		db_conn_dispatch(&pool->conns[i]);
	return DB_QUEUED;
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
	}
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}

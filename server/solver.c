/* Round solving off the event loop. Across every tandemd on one database only one round solves at
 * a time: the worker holds the solve lock (api.solver_lock, a PostgreSQL advisory lock) while it
 * solves, and any round left in "solving" when it takes the lock was orphaned by a crash, so it is
 * simply solved again. It connects as the application role, like the request pools, and calls
 * only the api.solver_* functions of schema/modules/20_rounds.sql. */
#include "solver.h"
#include "log.h"
#include "matcher.h"
#include "metrics.h"
#include "util.h"
#include "settings.h"

#include <errno.h>
#include <limits.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOLVER_POLL_SECONDS 2
/* Names the worker's backend in pg_stat_activity (and in PostgreSQL's log when it logs it). */
#define SOLVER_APPLICATION_NAME "tandemd-solver"

struct solver {
	char *conninfo;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool kicked;
	_Atomic bool stop;
	pid_t child; /* running matcher process, or 0 */
};

/* Runs one query on the worker's blocking connection; the caller clears the result. */
static PGresult *
solver_exec(PGconn *pg, const char *sql, int n, const char *const *params)
{
	return PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
}

/* True when res is a successful result. */
static bool
solver_ok(const PGresult *res)
{
	return PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK;
}

/* Reads everything from fd into a NUL-terminated buffer the caller frees, giving up (NULL, with
 * *timed_out set) once deadline_ms on the monotonic clock has passed. */
static char *
solver_read_all(int fd, double deadline_ms, bool *timed_out)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap), *bigger;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int ready;

	*timed_out = false;
	while (buf != NULL) {
		double left = deadline_ms - util_now_ms();

		if (left <= 0) {
			*timed_out = true;
			free(buf);
			return NULL;
		}
		ready = poll(&pfd, 1, left > 1000 ? 1000 : (int)left + 1);
		if (ready < 0 && errno != EINTR)
			break;
		if (ready <= 0)
			continue;
		if (len + 1 >= cap) {
			cap *= 2;
			bigger = realloc(buf, cap);
			if (bigger == NULL) {
				free(buf);
				return NULL;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

/* Writes all of buf to fd. */
static void
solver_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Solves instance in a child process; returns its result JSON or NULL with *error set (caller frees
 * both). */
static char *
solver_run_child(struct solver *s, const char *instance, int limit_s, char **error)
{
	bool timed_out;
	int fds[2], status = 0;
	char *output = NULL;
	pid_t pid;

	*error = NULL;
	if (pipe(fds) != 0) {
		*error = strdup("cannot create a pipe to the solver");
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		*error = strdup("cannot start the solver process");
		return NULL;
	}
	if (pid == 0) {
		char *out = NULL, *err = NULL;
		int rc;

		/* keep only stdio and the pipe: inherited client and database sockets would stay
		 * open (no FIN to clients the server closed) for as long as the solve runs */
		if (fds[1] != 3) {
			dup2(fds[1], 3);
			close(fds[1]);
			fds[1] = 3;
		}
		close_range(4, ~0U, 0);
		rc = matcher_solve_json(instance, strlen(instance), &out, &err);
		if (rc == 0 && out != NULL)
			solver_write_all(fds[1], out, strlen(out));
		else if (err != NULL)
			solver_write_all(fds[1], err, strlen(err));
		close(fds[1]);
		_exit(rc);
	}
	close(fds[1]);
	pthread_mutex_lock(&s->lock);
	s->child = pid;
	pthread_mutex_unlock(&s->lock);
	/* the solver stops itself at its time limit; the grace covers building candidates */
	output = solver_read_all(fds[0], util_now_ms() + (limit_s + 60) * 1000.0, &timed_out);
	if (timed_out)
		kill(pid, SIGKILL);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&s->lock);
	s->child = 0;
	pthread_mutex_unlock(&s->lock);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && output != NULL)
		return output;
	if (timed_out) {
		*error = strdup("the solver did not finish within its time limit");
	} else if (WIFSIGNALED(status)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the solver process died (signal %d)", WTERMSIG(status));
		*error = strdup(msg);
		free(output);
	} else {
		*error = output ? output : strdup("the solver failed");
	}
	return NULL;
}

/* Marks round_id failed with why, so that the queue does not pick it again at once, forever. */
static void
solver_fail_round(PGconn *pg, const char *round_id, const char *why)
{
	const char *params[2] = {round_id, why};
	PGresult *res = solver_exec(pg, "SELECT api.solver_fail($1::bigint, $2)", 2, params);

	if (!solver_ok(res))
		log_msg("error", "round %s: cannot mark it failed: %s", round_id,
		        PQerrorMessage(pg));
	PQclear(res);
}

/* Solves one round: builds its instance in SQL, runs the matcher, stores the outcome. */
static void
solver_solve_round(struct solver *s, PGconn *pg, const char *round_id)
{
	const char *params[4] = {round_id, NULL, NULL, NULL};
	char *output = NULL, *error = NULL, ms[32];
	PGresult *res;
	double t0, t_sql = util_now_ms(), t_inst;
	size_t inst_len;
	long limit_s;

	res = solver_exec(pg, "SELECT instance, time_limit FROM api.solver_take($1::bigint)", 1,
	                  params);
	if (!solver_ok(res) || PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		log_msg("error", "round %s: cannot build its instance: %s", round_id,
		        PQerrorMessage(pg));
		PQclear(res);
		solver_fail_round(pg, round_id,
		                  "the round's instance could not be built from the database");
		return;
	}
	if (!settings_parse_long(PQgetvalue(res, 0, 1), 1, INT_MAX, &limit_s)) {
		log_msg("error",
		        "round %s: its time limit \"%s\" is not a positive number of seconds",
		        round_id, PQgetvalue(res, 0, 1));
		PQclear(res);
		solver_fail_round(pg, round_id, "the round's time limit is not a positive integer");
		return;
	}
	inst_len = strlen(PQgetvalue(res, 0, 0));
	t_inst = util_now_ms() - t_sql;
	log_msg("info", "round %s: solving (instance built in SQL in %.0f ms, %zu bytes)", round_id,
	        t_inst, inst_len);
	t0 = util_now_ms();
	output = solver_run_child(s, PQgetvalue(res, 0, 0), (int)limit_s, &error);
	PQclear(res);
	snprintf(ms, sizeof(ms), "%.0f", util_now_ms() - t0);
	if (s->stop) {
		log_msg("info", "round %s: solve interrupted by shutdown, left queued", round_id);
		goto out;
	}
	params[1] = output;
	params[2] = error;
	params[3] = ms;
	t0 = util_now_ms();
	res = solver_exec(pg, "SELECT api.solver_store($1::bigint, $2::jsonb, $3, $4::int)", 4,
	                  params);
	if (!solver_ok(res))
		log_msg("error", "round %s: cannot store the result: %s", round_id,
		        PQerrorMessage(pg));
	else
		log_msg("info",
		        "round %s: %s in %s ms (instance built in SQL in %.0f ms, result of %zu "
		        "bytes stored in SQL in %.0f ms)",
		        round_id, error ? "failed" : "solved", ms, t_inst,
		        output != NULL ? strlen(output) : 0, util_now_ms() - t0);
	PQclear(res);
out:
	free(output);
	free(error);
}

/* Takes the cross-process solve lock if free, then solves every waiting round. */
static void
solver_drain(struct solver *s, PGconn *pg)
{
	PGresult *res = solver_exec(pg, "SELECT api.solver_lock()", 0, NULL);
	bool locked =
	    solver_ok(res) && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;

	PQclear(res);
	if (!locked)
		return;
	while (!s->stop) {
		char id[32];

		res = solver_exec(pg, "SELECT api.solver_next_round()", 0, NULL);
		if (!solver_ok(res) || PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
			PQclear(res);
			break;
		}
		snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		metrics_rounds_solving_add(1);
		solver_solve_round(s, pg, id);
		metrics_rounds_solving_add(-1);
	}
	PQclear(solver_exec(pg, "SELECT api.solver_unlock()", 0, NULL));
}

/* Worker thread: waits for a kick or the poll period, then drains the queue. */
static void *
solver_main(void *arg)
{
	struct solver *s = arg;
	PGconn *pg = NULL;

	for (;;) {
		struct timespec deadline;

		pthread_mutex_lock(&s->lock);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += SOLVER_POLL_SECONDS;
		while (!s->stop && !s->kicked &&
		       pthread_cond_timedwait(&s->wake, &s->lock, &deadline) != ETIMEDOUT)
			;
		s->kicked = false;
		pthread_mutex_unlock(&s->lock);
		if (s->stop)
			break;
		if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
			PQfinish(pg);
			/* expand_dbname: the keywords after dbname win over the conninfo's */
			pg = PQconnectdbParams(
			    (const char *const[]){"dbname", "connect_timeout", "application_name",
			                          NULL},
			    (const char *const[]){s->conninfo, "5", SOLVER_APPLICATION_NAME, NULL},
			    1);
			if (PQstatus(pg) != CONNECTION_OK)
				continue;
		}
		solver_drain(s, pg);
	}
	PQfinish(pg);
	return NULL;
}

struct solver *
solver_new(struct server *srv, const char *conninfo)
{
	struct solver *s = calloc(1, sizeof(*s));

	(void)srv;
	if (s == NULL)
		return NULL;
	s->conninfo = strdup(conninfo);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->kicked = true; /* look for orphaned or queued rounds at once */
	if (s->conninfo == NULL || pthread_create(&s->thread, NULL, solver_main, s) != 0) {
		free(s->conninfo);
		free(s);
		return NULL;
	}
	return s;
}

void
solver_kick(struct solver *s)
{
	pthread_mutex_lock(&s->lock);
	s->kicked = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
solver_free(struct solver *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	if (s->child > 0)
		kill(s->child, SIGKILL);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s->conninfo);
	free(s);
}

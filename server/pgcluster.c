/* Private PostgreSQL cluster: initdb/pg_ctl as an unprivileged account, Unix socket only.
 * Every process using it holds a shared flock on state_dir/tandemd.lock; the last one to leave (it
 * gets the lock exclusively) stops the cluster, whoever started it, so a cluster adopted after a
 * crash is stopped like one started. While serving, a supervisor thread restarts a postmaster that
 * died; the process is the child subreaper of the postmasters it starts, and reaps only processes
 * named postgres (never waitpid(-1): the solver waits for its own child). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "pgcluster.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#ifndef TANDEM_PG_BINDIR
#define TANDEM_PG_BINDIR "/usr/lib/postgresql/15/bin"
#endif

#define PGCLUSTER_DEFAULT_USER "tandem"
#define PGCLUSTER_DB_SUPERUSER "tandem"
#define PGCLUSTER_DB_NAME "tandem"
#define PGCLUSTER_PORT 5432
#define PGCLUSTER_MAX_ARGS 32
#define PGCLUSTER_MAX_GROUPS 256
#define PGCLUSTER_LOG_TAIL 1536
#define PGCLUSTER_READY_TIMEOUT_S 60
#define PGCLUSTER_SUPERVISE_S 1 /* period of the liveness check while serving */
#define PGCLUSTER_LOCK_NAME "tandemd.lock"

struct pgcluster {
	char *state_dir; /* absolute, symlinks resolved */
	char *pgdata;
	char *sockdir;
	char *logfile;
	char *bindir;
	char *conninfo;       /* dbname=tandem */
	char *admin_conninfo; /* dbname=postgres, for bootstrap */
	char *env[4];         /* environment handed to PostgreSQL tools, NULL-terminated */
	bool drop_privileges; /* true when this process is root */
	char *user;
	uid_t uid;
	gid_t gid;
	gid_t groups[PGCLUSTER_MAX_GROUPS];
	int ngroups;
	int port;
	bool owned;  /* this process started the server (stopped again if pgcluster_start fails) */
	int lock_fd; /* state_dir/tandemd.lock, held shared while c exists, or -1 */
	/* supervisor thread (pgcluster_supervise) */
	pthread_t supervisor;
	bool supervising;
	bool supervisor_quit; /* under mu */
	pthread_mutex_t mu;
	pthread_cond_t wake;
};

/* Formats a message into errbuf (truncating) so every failure path reports the same way. */
static void __attribute__((format(printf, 3, 4)))
set_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* Returns a newly allocated formatted string, or NULL when out of memory. */
static char *__attribute__((format(printf, 1, 2))) format_string(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		s = NULL;
	return s;
}

/* Appends the last lines of the server log to errbuf so failures explain themselves. */
static void
append_log_tail(const char *logfile, char *errbuf, size_t errlen)
{
	char tail[PGCLUSTER_LOG_TAIL + 1];
	const char *start = tail;
	struct stat st;
	off_t from = 0;
	ssize_t n;
	size_t used;
	int fd = -1;

	if (errbuf == NULL || errlen == 0)
		goto out;
	fd = open(logfile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		goto out;
	if (st.st_size > PGCLUSTER_LOG_TAIL)
		from = st.st_size - PGCLUSTER_LOG_TAIL;
	n = pread(fd, tail, PGCLUSTER_LOG_TAIL, from);
	if (n <= 0)
		goto out;
	tail[n] = '\0';
	if (from > 0 && strchr(tail, '\n') != NULL)
		start = strchr(tail, '\n') + 1;
	used = strlen(errbuf);
	if (used + 1 < errlen)
		snprintf(errbuf + used, errlen - used, "\n--- last lines of %s ---\n%s", logfile,
		         start);
out:
	if (fd >= 0)
		close(fd);
}

/* Checks that a path can be passed through pg_ctl's shell, -k and conninfo without quoting. */
static bool
path_is_plain(const char *path)
{
	const unsigned char *p;
	bool ok = true;

	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f || strchr(",\"'\\$`", *p) != NULL) {
			ok = false;
			break;
		}
	}
	return ok;
}

/* Resolves the unprivileged account PostgreSQL runs as when we are root (or self otherwise). */
static bool
resolve_account(struct pgcluster *c, const char *user, char *errbuf, size_t errlen)
{
	struct passwd *pw;
	bool ok = false;

	c->drop_privileges = geteuid() == 0;
	if (!c->drop_privileges) {
		c->uid = geteuid();
		c->gid = getegid();
		ok = true;
		goto out;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		set_error(
		    errbuf, errlen,
		    "system account \"%s\" does not exist (PostgreSQL refuses to run as root); "
		    "run scripts/install-deps.sh as root to create it",
		    user);
		goto out;
	}
	if (pw->pw_uid == 0) {
		set_error(errbuf, errlen,
		          "account \"%s\" has uid 0; PostgreSQL needs an "
		          "unprivileged account",
		          user);
		goto out;
	}
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	c->user = strdup(user);
	if (c->user == NULL) {
		set_error(errbuf, errlen, "out of memory");
		goto out;
	}
	c->ngroups = PGCLUSTER_MAX_GROUPS;
	if (getgrouplist(user, c->gid, c->groups, &c->ngroups) < 0) {
		c->groups[0] = c->gid;
		c->ngroups = 1;
	}
	ok = true;
out:
	return ok;
}

/* Tells whether the account can search a directory, using owner, group or other bits like the
 * kernel. */
static bool
dir_searchable_by_account(const struct pgcluster *c, const struct stat *st)
{
	bool searchable;
	int i;

	if (st->st_uid == c->uid) {
		searchable = (st->st_mode & S_IXUSR) != 0;
		goto out;
	}
	for (i = 0; i < c->ngroups; i++) {
		if (c->groups[i] == st->st_gid) {
			searchable = (st->st_mode & S_IXGRP) != 0;
			goto out;
		}
	}
	searchable = (st->st_mode & S_IXOTH) != 0;
out:
	return searchable;
}

/* Verifies every ancestor of the state directory is searchable by the account, since chown cannot
 * fix them. */
static bool
check_parents_searchable(const struct pgcluster *c, char *errbuf, size_t errlen)
{
	char *path = strdup(c->state_dir);
	struct stat st;
	bool ok = false;
	char *slash;

	if (path == NULL) {
		set_error(errbuf, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		slash = strrchr(path, '/');
		if (slash == NULL)
			break;
		if (slash == path)
			slash[1] = '\0';
		else
			slash[0] = '\0';
		if (stat(path, &st) != 0) {
			set_error(errbuf, errlen, "cannot stat %s: %s", path, strerror(errno));
			goto out;
		}
		if (!dir_searchable_by_account(c, &st)) {
			set_error(
			    errbuf, errlen,
			    "directory %s (mode %04o, uid %u) is not searchable by account \"%s\", "
			    "so PostgreSQL cannot reach %s; run chmod o+x %s or choose another "
			    "state directory",
			    path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, c->user,
			    c->state_dir, path);
			goto out;
		}
		if (slash == path)
			break;
	}
	ok = true;
out:
	free(path);
	return ok;
}

/* Creates a directory if missing and, as root, hands it to the account without following symlinks.
 */
static bool
ensure_dir(const struct pgcluster *c, const char *path, mode_t mode, bool force_mode, char *errbuf,
           size_t errlen)
{
	bool created = false;
	bool ok = false;
	struct stat st;
	int fd = -1;

	if (mkdir(path, mode) == 0)
		created = true;
	else if (errno != EEXIST) {
		set_error(errbuf, errlen, "cannot create directory %s: %s", path, strerror(errno));
		goto out;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		set_error(errbuf, errlen, "cannot open directory %s: %s", path, strerror(errno));
		goto out;
	}
	if (c->drop_privileges && (st.st_uid != c->uid || st.st_gid != c->gid) &&
	    fchown(fd, c->uid, c->gid) != 0) {
		set_error(errbuf, errlen, "cannot chown %s to %s: %s", path, c->user,
		          strerror(errno));
		goto out;
	}
	if ((created || force_mode) && (st.st_mode & 07777) != mode && fchmod(fd, mode) != 0) {
		set_error(errbuf, errlen, "cannot chmod %s to %04o: %s", path, (unsigned)mode,
		          strerror(errno));
		goto out;
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

/* In the forked child: drops to the account, redirects output to the log and execs the tool. */
static void __attribute__((noreturn))
exec_tool_child(const struct pgcluster *c, const char *path, char *const argv[])
{
	sigset_t all;
	int code = 126;
	int devnull;
	int logfd;
	int sig;

	/* after tandemd itself dropped to the account (main.c), it runs the tools as it is */
	if (c->drop_privileges && geteuid() == 0 &&
	    (setgroups((size_t)c->ngroups, c->groups) != 0 || setgid(c->gid) != 0 ||
	     setuid(c->uid) != 0 || setuid(0) == 0)) {
		dprintf(STDERR_FILENO, "pgcluster: cannot switch to account %s: %s\n", c->user,
		        strerror(errno));
		goto fail;
	}
	logfd = open(c->logfile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
	    dup2(logfd, STDOUT_FILENO) < 0 || dup2(logfd, STDERR_FILENO) < 0) {
		dprintf(STDERR_FILENO, "pgcluster: cannot open %s: %s\n", c->logfile,
		        strerror(errno));
		goto fail;
	}
	/* Do not leak tandemd's listening sockets or other descriptors into the postmaster. */
	if (close_range(3, ~0U, 0) != 0) {
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	}
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (chdir(c->state_dir) != 0)
		dprintf(STDERR_FILENO, "pgcluster: chdir %s: %s\n", c->state_dir, strerror(errno));
	execve(path, argv, c->env);
	dprintf(STDERR_FILENO, "pgcluster: cannot execute %s: %s\n", path, strerror(errno));
	code = 127;
fail:
	_exit(code);
}

/* Runs bindir/args[0] with args as the account and waits; exit_out gets its status (128+N if
 * killed). */
static bool
run_tool(const struct pgcluster *c, const char *const *args, int *exit_out, char *errbuf,
         size_t errlen)
{
	char *argv[PGCLUSTER_MAX_ARGS + 1];
	char *path = NULL;
	bool ok = false;
	pid_t pid;
	int status;
	int i;

	path = format_string("%s/%s", c->bindir, args[0]);
	if (path == NULL) {
		set_error(errbuf, errlen, "out of memory");
		goto out;
	}
	argv[0] = path;
	for (i = 1; i < PGCLUSTER_MAX_ARGS && args[i] != NULL; i++)
		argv[i] = (char *)args[i];
	argv[i] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		set_error(errbuf, errlen, "fork for %s failed: %s", args[0], strerror(errno));
		goto out;
	}
	if (pid == 0)
		exec_tool_child(c, path, argv);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			set_error(errbuf, errlen, "waitpid for %s failed: %s", args[0],
			          strerror(errno));
			goto out;
		}
	}
	if (WIFEXITED(status))
		*exit_out = WEXITSTATUS(status);
	else
		*exit_out = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ok = true;
out:
	free(path);
	return ok;
}

/* Runs a tool that must succeed; on failure errbuf names it and carries the log tail. */
static bool
run_tool_checked(const struct pgcluster *c, const char *const *args, char *errbuf, size_t errlen)
{
	bool ok = false;
	int code = -1;

	if (!run_tool(c, args, &code, errbuf, errlen))
		goto out;
	if (code != 0) {
		set_error(errbuf, errlen, "%s/%s%s%s failed (exit status %d)", c->bindir, args[0],
		          args[1] != NULL && args[1][0] != '-' ? " " : "",
		          args[1] != NULL && args[1][0] != '-' ? args[1] : "", code);
		append_log_tail(c->logfile, errbuf, errlen);
		goto out;
	}
	ok = true;
out:
	return ok;
}

/* Reports whether pgdata already holds an initialized cluster (PG_VERSION present). */
static bool
cluster_is_initialized(const struct pgcluster *c)
{
	char *version = format_string("%s/PG_VERSION", c->pgdata);
	struct stat st;
	bool initialized = false;

	if (version != NULL)
		initialized = stat(version, &st) == 0 && S_ISREG(st.st_mode);
	free(version);
	return initialized;
}

/* Runs initdb with a trust-auth superuser named tandem, falling back to --no-locale without
 * C.UTF-8. */
static bool
run_initdb(const struct pgcluster *c, char *errbuf, size_t errlen)
{
	const char *fast = getenv("TANDEM_PG_FAST");
	locale_t probe = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	const char *args[] = {"initdb",
	                      "-D",
	                      c->pgdata,
	                      "-U",
	                      PGCLUSTER_DB_SUPERUSER,
	                      "--auth=trust",
	                      "-E",
	                      "UTF8",
	                      probe != (locale_t)0 ? "--locale=C.UTF-8" : "--no-locale",
	                      "--no-instructions",
	                      fast != NULL && strcmp(fast, "1") == 0 ? "--no-sync" : NULL,
	                      NULL};

	if (probe != (locale_t)0)
		freelocale(probe);
	return run_tool_checked(c, args, errbuf, errlen);
}

/* Asks pg_ctl status whether a postmaster owns pgdata, so a second tandemd attaches instead. */
static bool
check_running(const struct pgcluster *c, bool *running_out, char *errbuf, size_t errlen)
{
	const char *args[] = {"pg_ctl", "status", "-D", c->pgdata, NULL};
	bool ok = false;
	int code = -1;

	if (!run_tool(c, args, &code, errbuf, errlen))
		goto out;
	if (code != 0 && code != 3 && code != 4) {
		set_error(errbuf, errlen, "%s/pg_ctl status failed (exit status %d)", c->bindir,
		          code);
		append_log_tail(c->logfile, errbuf, errlen);
		goto out;
	}
	*running_out = code == 0;
	ok = true;
out:
	return ok;
}

/* Starts the postmaster on the private socket only and waits until it accepts connections. */
static bool
start_server(const struct pgcluster *c, char *errbuf, size_t errlen)
{
	const char *fast = getenv("TANDEM_PG_FAST");
	bool is_fast = fast != NULL && strcmp(fast, "1") == 0;
	/* terse + panic: the log never carries DETAIL rows ("Failing row contains (...)"), CONTEXT
	 * or the failing statement with its parameters, i.e. no personal data */
	char *opts = format_string("-c listen_addresses='' -k '%s' -p %d "
	                           "-c unix_socket_permissions=0700 -c max_connections=50 "
	                           "-c log_error_verbosity=terse -c log_min_error_statement=panic "
	                           "%s",
	                           c->sockdir, c->port,
	                           is_fast ? "-c fsync=off -c synchronous_commit=off "
	                                     "-c full_page_writes=off"
	                                   : "-c fsync=on");
	const char *args[] = {"pg_ctl", "start", "-D", c->pgdata, "-l", c->logfile,
	                      "-w",     "-t",    "60", "-o",      opts, NULL};
	bool ok = false;

	if (opts == NULL) {
		set_error(errbuf, errlen, "out of memory");
		goto out;
	}
	ok = run_tool_checked(c, args, errbuf, errlen);
out:
	free(opts);
	return ok;
}

/* Stops the postmaster with a fast shutdown, waiting for it to finish. */
static bool
stop_server(const struct pgcluster *c, char *errbuf, size_t errlen)
{
	const char *args[] = {"pg_ctl", "stop", "-D", c->pgdata, "-m",
	                      "fast",   "-w",   "-t", "60",      NULL};

	return run_tool_checked(c, args, errbuf, errlen);
}

/* Parses postmaster.pid text for the port (line 4) and first socket directory (line 5). */
static bool
parse_pidfile(const char *text, int *port_out, char **sockdir_out)
{
	const char *line = text;
	const char *end;
	char *sockdir = NULL;
	bool ok = false;
	char *endp;
	long port;
	int i;

	for (i = 1; i < 4 && line != NULL; i++) {
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	if (line == NULL)
		goto out;
	errno = 0;
	port = strtol(line, &endp, 10);
	if (errno != 0 || endp == line || *endp != '\n' || port <= 0 || port > 65535)
		goto out;
	line = endp + 1;
	end = strchr(line, '\n');
	if (end == NULL || end == line || line[0] != '/')
		goto out;
	sockdir = strndup(line, (size_t)(end - line));
	if (sockdir == NULL)
		goto out;
	*port_out = (int)port;
	*sockdir_out = sockdir;
	ok = true;
out:
	return ok;
}

/* Reads postmaster.pid of a running cluster to learn where it listens, for attaching. */
static bool
read_pidfile(const struct pgcluster *c, int *port_out, char **sockdir_out)
{
	char *path = format_string("%s/postmaster.pid", c->pgdata);
	char text[4096];
	bool ok = false;
	ssize_t n;
	int fd = -1;

	if (path == NULL)
		goto out;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	n = read(fd, text, sizeof(text) - 1);
	if (n <= 0)
		goto out;
	text[n] = '\0';
	ok = parse_pidfile(text, port_out, sockdir_out);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return ok;
}

/* Builds the libpq conninfo strings for the current socket directory and port. */
static bool
build_conninfo(struct pgcluster *c)
{
	free(c->conninfo);
	free(c->admin_conninfo);
	c->conninfo = format_string("host='%s' port=%d dbname=%s user=%s", c->sockdir, c->port,
	                            PGCLUSTER_DB_NAME, PGCLUSTER_DB_SUPERUSER);
	c->admin_conninfo = format_string("host='%s' port=%d dbname=postgres user=%s "
	                                  "connect_timeout=10",
	                                  c->sockdir, c->port, PGCLUSTER_DB_SUPERUSER);
	return c->conninfo != NULL && c->admin_conninfo != NULL;
}

/* Polls the server until it accepts connections, since an attached cluster may still be starting.
 */
static bool
wait_until_ready(const struct pgcluster *c, char *errbuf, size_t errlen)
{
	const struct timespec pause = {0, 100 * 1000 * 1000};
	time_t deadline = time(NULL) + PGCLUSTER_READY_TIMEOUT_S;
	PGPing ping = PQPING_NO_RESPONSE;
	bool ok = false;

	while (time(NULL) < deadline) {
		ping = PQping(c->admin_conninfo);
		if (ping == PQPING_OK || ping == PQPING_NO_ATTEMPT)
			break;
		nanosleep(&pause, NULL);
	}
	if (ping != PQPING_OK) {
		set_error(errbuf, errlen, "PostgreSQL on %s does not accept connections (ping %d)",
		          c->sockdir, (int)ping);
		append_log_tail(c->logfile, errbuf, errlen);
		goto out;
	}
	ok = true;
out:
	return ok;
}

/* Creates database "tandem" when pg_database lacks it, tolerating a concurrent creator. */
static bool
ensure_database(const struct pgcluster *c, char *errbuf, size_t errlen)
{
	PGconn *conn = PQconnectdb(c->admin_conninfo);
	PGresult *res = NULL;
	const char *state;
	bool ok = false;

	if (PQstatus(conn) != CONNECTION_OK) {
		set_error(errbuf, errlen, "cannot connect to PostgreSQL on %s: %s", c->sockdir,
		          PQerrorMessage(conn));
		goto out;
	}
	res = PQexec(conn, "SELECT 1 FROM pg_database WHERE datname = '" PGCLUSTER_DB_NAME "'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_error(errbuf, errlen, "cannot query pg_database: %s", PQerrorMessage(conn));
		goto out;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		res = PQexec(conn, "CREATE DATABASE " PGCLUSTER_DB_NAME);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    (state == NULL || strcmp(state, "42P04") != 0)) {
			set_error(errbuf, errlen,
			          "CREATE DATABASE " PGCLUSTER_DB_NAME " failed: %s",
			          PQerrorMessage(conn));
			goto out;
		}
	}
	ok = true;
out:
	PQclear(res);
	PQfinish(conn);
	return ok;
}

/* Takes the shared lock every user of the cluster holds (waiting while one that is leaving holds it
 * exclusively to stop the cluster), creating the lock file as the account. */
static bool
take_shared_lock(struct pgcluster *c, char *errbuf, size_t errlen)
{
	char *path = format_string("%s/" PGCLUSTER_LOCK_NAME, c->state_dir);
	bool ok = false;

	if (path == NULL) {
		set_error(errbuf, errlen, "out of memory");
		goto out;
	}
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->lock_fd < 0) {
		set_error(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (c->drop_privileges && fchown(c->lock_fd, c->uid, c->gid) != 0) {
		set_error(errbuf, errlen, "cannot chown %s to %s: %s", path, c->user,
		          strerror(errno));
		goto out;
	}
	while (flock(c->lock_fd, LOCK_SH) != 0) {
		if (errno != EINTR) {
			set_error(errbuf, errlen, "cannot lock %s: %s", path, strerror(errno));
			goto out;
		}
	}
	ok = true;
out:
	free(path);
	return ok;
}

/* Reads /proc/<pid>/stat: its state letter, parent and command name; false if it is gone. */
static bool
proc_stat(pid_t pid, char *state, pid_t *ppid, char *comm, size_t commlen)
{
	char path[64], text[512];
	const char *open_paren, *close_paren;
	ssize_t n;
	long parent;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so take the last ')' */
	open_paren = strchr(text, '(');
	close_paren = strrchr(text, ')');
	if (open_paren == NULL || close_paren == NULL || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %c %ld", state, &parent) != 2)
		return false;
	*ppid = (pid_t)parent;
	snprintf(comm, commlen, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	return true;
}

/* Reaps this process's exited children named postgres: the postmasters it started (it is their
 * subreaper) and the backends they leave when killed; other children are left to their waiters. */
static void
reap_postgres_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char state, comm[64], *end;
		long pid = strtol(e->d_name, &end, 10);
		pid_t ppid;

		if (*end != '\0' || pid <= 0 ||
		    !proc_stat((pid_t)pid, &state, &ppid, comm, sizeof(comm)))
			continue;
		if (ppid == self && state == 'Z' && strcmp(comm, "postgres") == 0)
			waitpid((pid_t)pid, NULL, WNOHANG);
	}
	closedir(d);
}

/* The postmaster's pid from line 1 of postmaster.pid, or 0 without one. */
static pid_t
read_postmaster_pid(const struct pgcluster *c)
{
	char *path = format_string("%s/postmaster.pid", c->pgdata);
	char text[32];
	long pid = 0;
	ssize_t n;
	int fd;

	if (path == NULL)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (sscanf(text, "%ld", &pid) != 1 || pid <= 0)
		return 0;
	return (pid_t)pid;
}

enum postmaster_state { POSTMASTER_ALIVE, POSTMASTER_GONE, POSTMASTER_ZOMBIE };

/* Whether the postmaster named by postmaster.pid runs: kill(pid, 0) and, since a killed process
 * nobody reaps still answers it, its /proc state (Z: dead, its lock file stale). */
static enum postmaster_state
postmaster_state(const struct pgcluster *c, pid_t *pid_out)
{
	pid_t pid = read_postmaster_pid(c), ppid;
	char state, comm[64];

	*pid_out = pid;
	if (pid == 0 || (kill(pid, 0) != 0 && errno == ESRCH))
		return POSTMASTER_GONE;
	if (proc_stat(pid, &state, &ppid, comm, sizeof(comm)) && (state == 'Z' || state == 'X'))
		return POSTMASTER_ZOMBIE;
	return POSTMASTER_ALIVE;
}

/* Removes the postmaster.pid of a dead postmaster that nobody reaps (PID 1 of some containers
 * does not): PostgreSQL would take the zombie for a live server and refuse to start. Its shared
 * memory is still checked by PostgreSQL itself (keyed by the data directory, not this file). */
static void
clear_zombie_pidfile(const struct pgcluster *c, pid_t pid)
{
	char *path = format_string("%s/postmaster.pid", c->pgdata);

	if (path == NULL)
		return;
	if (unlink(path) == 0)
		fprintf(stderr,
		        "pgcluster: postmaster %ld is dead but not reaped (zombie); removed its "
		        "%s\n",
		        (long)pid, path);
	free(path);
}

/* Frees every field of c and c itself, without touching the server. */
static void
pgcluster_free(struct pgcluster *c)
{
	size_t i;

	if (c != NULL) {
		free(c->state_dir);
		free(c->pgdata);
		free(c->sockdir);
		free(c->logfile);
		free(c->bindir);
		free(c->conninfo);
		free(c->admin_conninfo);
		for (i = 0; i < sizeof(c->env) / sizeof(c->env[0]); i++)
			free(c->env[i]);
		free(c->user);
		if (c->lock_fd >= 0)
			close(c->lock_fd); /* releases the shared lock */
		free(c);
	}
}

/* Fills paths and the minimal environment for PostgreSQL tools from the resolved state directory.
 */
static bool
init_layout(struct pgcluster *c, const char *state_dir, const char *bindir, char *errbuf,
            size_t errlen)
{
	const char *tz = getenv("TZ");
	char *initdb = NULL;
	bool ok = false;

	c->port = PGCLUSTER_PORT;
	c->state_dir = realpath(state_dir, NULL);
	if (c->state_dir == NULL) {
		set_error(errbuf, errlen, "cannot resolve state directory %s: %s", state_dir,
		          strerror(errno));
		goto out;
	}
	if (!path_is_plain(c->state_dir)) {
		set_error(errbuf, errlen,
		          "state directory %s contains whitespace, quotes, commas, '$', '`' or "
		          "backslashes, which PostgreSQL socket paths cannot carry safely",
		          c->state_dir);
		goto out;
	}
	c->pgdata = format_string("%s/pgdata", c->state_dir);
	c->sockdir = format_string("%s/run", c->state_dir);
	c->logfile = format_string("%s/postgresql.log", c->state_dir);
	c->bindir = strdup(bindir);
	c->env[0] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	c->env[1] = strdup("LANG=C.UTF-8");
	c->env[2] = tz != NULL ? format_string("TZ=%s", tz) : NULL;
	initdb = format_string("%s/initdb", bindir);
	if (c->pgdata == NULL || c->sockdir == NULL || c->logfile == NULL || c->bindir == NULL ||
	    c->env[0] == NULL || c->env[1] == NULL || (tz != NULL && c->env[2] == NULL) ||
	    initdb == NULL || !build_conninfo(c)) {
		set_error(errbuf, errlen, "out of memory");
		goto out;
	}
	if (strlen(c->sockdir) + sizeof("/.s.PGSQL.65535.lock") > 107) {
		set_error(errbuf, errlen,
		          "socket directory %s is too long for a Unix socket path; choose a "
		          "shorter state directory",
		          c->sockdir);
		goto out;
	}
	if (access(initdb, X_OK) != 0) {
		set_error(errbuf, errlen,
		          "PostgreSQL server binaries not found in %s (%s: %s); install "
		          "postgresql-15 (scripts/install-deps.sh) or configure --with-pg-bindir",
		          bindir, initdb, strerror(errno));
		goto out;
	}
	ok = true;
out:
	free(initdb);
	return ok;
}

/* Creates the state, data and socket directories with the ownership PostgreSQL requires. */
static bool
prepare_directories(const struct pgcluster *c, char *errbuf, size_t errlen)
{
	bool ok = false;

	if (c->drop_privileges && !check_parents_searchable(c, errbuf, errlen))
		goto out;
	if (!ensure_dir(c, c->state_dir, 0755, false, errbuf, errlen) ||
	    !ensure_dir(c, c->pgdata, 0700, false, errbuf, errlen) ||
	    !ensure_dir(c, c->sockdir, 0700, true, errbuf, errlen))
		goto out;
	ok = true;
out:
	return ok;
}

/* Starts or attaches to the private cluster and makes sure database "tandem" exists. */
struct pgcluster *
pgcluster_start(const char *state_dir, const char *run_as_user, const char *bindir, char *errbuf,
                size_t errlen)
{
	struct pgcluster *c = NULL;
	char *attached_sockdir = NULL;
	bool running = false;
	int attached_port = 0;
	pid_t zombie;
	char stop_err[256];
	bool ok = false;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (state_dir == NULL || state_dir[0] == '\0') {
		set_error(errbuf, errlen, "no state directory given for the private PostgreSQL");
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		set_error(errbuf, errlen, "out of memory");
		goto fail;
	}
	c->lock_fd = -1;
	if (mkdir(state_dir, 0755) != 0 && errno != EEXIST) {
		set_error(errbuf, errlen, "cannot create state directory %s: %s", state_dir,
		          strerror(errno));
		goto fail;
	}
	if (!init_layout(c, state_dir, bindir != NULL ? bindir : TANDEM_PG_BINDIR, errbuf,
	                 errlen) ||
	    !resolve_account(c, run_as_user != NULL ? run_as_user : PGCLUSTER_DEFAULT_USER, errbuf,
	                     errlen) ||
	    !prepare_directories(c, errbuf, errlen) || !take_shared_lock(c, errbuf, errlen))
		goto fail;
	/* the postmasters pg_ctl starts become our children once pg_ctl exits, so their death is
	 * seen and reaped here rather than left to a PID 1 that may not reap */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	reap_postgres_children();
	if (postmaster_state(c, &zombie) == POSTMASTER_ZOMBIE)
		clear_zombie_pidfile(c, zombie);
	if (!cluster_is_initialized(c)) {
		if (!run_initdb(c, errbuf, errlen))
			goto fail;
	} else if (!check_running(c, &running, errbuf, errlen)) {
		goto fail;
	}
	if (running) {
		if (read_pidfile(c, &attached_port, &attached_sockdir)) {
			free(c->sockdir);
			c->sockdir = attached_sockdir;
			attached_sockdir = NULL;
			c->port = attached_port;
			if (!build_conninfo(c)) {
				set_error(errbuf, errlen, "out of memory");
				goto fail;
			}
		}
	} else {
		if (!start_server(c, errbuf, errlen))
			goto fail;
		c->owned = true;
	}
	if (!wait_until_ready(c, errbuf, errlen) || !ensure_database(c, errbuf, errlen))
		goto fail;
	ok = true;
fail:
	if (!ok && c != NULL && c->owned && !stop_server(c, stop_err, sizeof(stop_err)))
		fprintf(stderr, "pgcluster: %s\n", stop_err);
	if (!ok) {
		pgcluster_free(c);
		c = NULL;
	}
	free(attached_sockdir);
	return c;
}

/* Returns the conninfo built for the cluster's socket directory and port. */
const char *
pgcluster_conninfo(const struct pgcluster *c)
{
	return c->conninfo;
}

/* Supervisor thread: every PGCLUSTER_SUPERVISE_S, reaps exited postgres children and, when the
 * postmaster is gone, starts it again (blocking here, never on an event loop); the database pools
 * reconnect by themselves. */
static void *
supervise_main(void *arg)
{
	struct pgcluster *c = arg;
	char err[2048];
	bool quit = false;
	pid_t pid;

	while (!quit) {
		struct timespec until;
		enum postmaster_state state;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PGCLUSTER_SUPERVISE_S;
		pthread_mutex_lock(&c->mu);
		while (!c->supervisor_quit &&
		       pthread_cond_timedwait(&c->wake, &c->mu, &until) != ETIMEDOUT)
			;
		quit = c->supervisor_quit;
		pthread_mutex_unlock(&c->mu);
		if (quit)
			break;
		reap_postgres_children();
		state = postmaster_state(c, &pid);
		if (state == POSTMASTER_ALIVE)
			continue;
		fprintf(stderr,
		        "pgcluster: embedded PostgreSQL is not running (postmaster %ld %s); "
		        "starting it again\n",
		        (long)pid, state == POSTMASTER_ZOMBIE ? "died" : "gone");
		if (state == POSTMASTER_ZOMBIE)
			clear_zombie_pidfile(c, pid);
		if (start_server(c, err, sizeof(err)))
			fprintf(stderr, "pgcluster: embedded PostgreSQL started again\n");
		else
			fprintf(stderr,
			        "pgcluster: restarting PostgreSQL failed (next try in %d s): %s\n",
			        PGCLUSTER_SUPERVISE_S, err);
	}
	return NULL;
}

bool
pgcluster_supervise(struct pgcluster *c)
{
	if (c == NULL || c->supervising)
		return c != NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		return false;
	if (pthread_cond_init(&c->wake, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		return false;
	}
	if (pthread_create(&c->supervisor, NULL, supervise_main, c) != 0) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->mu);
		return false;
	}
	c->supervising = true;
	return true;
}

/* Stops and joins the supervisor thread, if any. */
static void
supervise_stop(struct pgcluster *c)
{
	if (!c->supervising)
		return;
	pthread_mutex_lock(&c->mu);
	c->supervisor_quit = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->supervisor, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->mu);
	c->supervising = false;
}

/* Stops the cluster when this is its last user (the exclusive lock is granted only when no other
 * process holds the shared one; a crashed one holds nothing), started or adopted; frees c. */
void
pgcluster_stop(struct pgcluster *c)
{
	char err[2048];

	if (c == NULL)
		return;
	supervise_stop(c);
	if (c->lock_fd >= 0 && flock(c->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		if (!stop_server(c, err, sizeof(err)))
			fprintf(stderr, "pgcluster: stopping PostgreSQL: %s\n", err);
	} else if (c->lock_fd >= 0) {
		fprintf(stderr, "pgcluster: another process still uses the embedded PostgreSQL; "
		                "leaving it running\n");
	}
	pgcluster_free(c);
}

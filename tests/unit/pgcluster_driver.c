/* Test driver for server/pgcluster.c: start/attach a private cluster, print its conninfo, stop. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgcluster.h"

/* Runs argv as a child while acting as subreaper, so a kill -9'd postmaster does not stay a zombie
 * (and look alive to pg_ctl status) where PID 1 does not reap orphans. */
static int
run_as_subreaper(char **argv)
{
	int status = 0;
	int rc = 127;
	pid_t child;
	pid_t pid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	child = fork();
	if (child == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	while (child > 0 && (pid = waitpid(-1, &status, 0)) > 0) {
		if (pid == child) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
	}
	return rc;
}

/* Usage: pgcluster_driver run|leak STATE_DIR [USER] | reap CMD...; run stops after stdin EOF. */
int
main(int argc, char **argv)
{
	struct pgcluster *c = NULL;
	char err[4096];
	char line[64];
	int rc = 2;

	if (argc >= 3 && strcmp(argv[1], "reap") == 0) {
		rc = run_as_subreaper(argv + 2);
		goto out;
	}
	if (argc < 3 || (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "leak") != 0)) {
		fprintf(stderr, "usage: %s run|leak STATE_DIR [USER] | reap CMD...\n", argv[0]);
		goto out;
	}
	c = pgcluster_start(argv[2], argc > 3 ? argv[3] : NULL, NULL, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "pgcluster_start: %s\n", err);
		rc = 1;
		goto out;
	}
	printf("%s\n", pgcluster_conninfo(c));
	fflush(stdout);
	rc = 0;
	/* leak: keep the server running and skip exit handlers (LeakSanitizer would flag c). */
	if (strcmp(argv[1], "leak") == 0)
		_exit(rc);
	while (fgets(line, sizeof(line), stdin) != NULL)
		;
	pgcluster_stop(c);
out:
	return rc;
}

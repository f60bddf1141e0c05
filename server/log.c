/* Logging to stderr: plain messages and structured access lines. */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Formats the current UTC time as RFC 3339 with milliseconds into buf. */
static void
log_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

void
log_msg(const char *level, const char *fmt, ...)
{
	char ts[64];
	va_list ap;

	log_now(ts, sizeof(ts));
	flockfile(stderr); /* the solver and migration threads log too: keep lines whole */
	fprintf(stderr, "%s tandemd %s: ", ts, level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
log_access(const char *method, const char *path, int status, double duration_ms)
{
	char ts[64];
	json_t *line;
	char *text;

	log_now(ts, sizeof(ts));
	line = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f}", "ts", ts, "log", "access", "method",
	                 method, "path", path, "status", status, "duration_ms", duration_ms);
	if (line == NULL) /* the path was not valid UTF-8 */
		line = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f}", "ts", ts, "log", "access",
		                 "method", method, "path", "(invalid utf-8)", "status", status,
		                 "duration_ms", duration_ms);
	if (line == NULL)
		return;
	text = json_dumps(line, JSON_COMPACT);
	if (text != NULL) {
		fprintf(stderr, "%s\n", text);
		free(text);
	}
	json_decref(line);
}

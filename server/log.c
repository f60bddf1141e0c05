/* Logging to stderr: plain messages and structured access lines. */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Formats the current UTC time as RFC 3339 with milliseconds into buf; the
 * calendar part is computed again only when the second changes (per thread). */
static void
log_now(char *buf, size_t len)
{
	static _Thread_local time_t last_sec = -1;
	static _Thread_local char last_text[80];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last_sec) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		snprintf(last_text, sizeof(last_text), "%04d-%02d-%02dT%02d:%02d:%02d",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec);
		last_sec = ts.tv_sec;
	}
	snprintf(buf, len, "%.40s.%03dZ", last_text, (int)(ts.tv_nsec / 1000000) % 1000);
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

/* True when s can be written between JSON quotes as it is (printable ASCII, no quote or
 * backslash): the path of nearly every request. */
static bool
log_plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '"' ||
		    *s == '\\')
			return false;
	return true;
}

void
log_access(const char *method, const char *path, int status, double duration_ms)
{
	char ts[64];
	json_t *line;
	char *text;

	log_now(ts, sizeof(ts));
	if (log_plain(method) && log_plain(path) && strlen(path) < 1024) {
		/* formatted here and written with one call: building a jansson object, dumping it
		 * and printing it again cost 9 % of tandemd's time under GET /v1/me (perf) */
		char buf[1280];
		int n =
		    snprintf(buf, sizeof(buf),
		             "{\"ts\":\"%s\",\"log\":\"access\",\"method\":\"%s\",\"path\":\"%s\","
		             "\"status\":%d,\"duration_ms\":%.3f}\n",
		             ts, method, path, status, duration_ms);

		/* one write(2) of the whole line, without stdio's lock: every event loop logs every
		 * request, and the lock made them queue behind each other's write */
		if (n > 0 && (size_t)n < sizeof(buf)) {
			ssize_t w = write(STDERR_FILENO, buf,
			                  (size_t)n); /* a log line lost: nothing to do */

			(void)w;
			return;
		}
	}
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

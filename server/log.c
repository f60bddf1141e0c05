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

/* Formats the current UTC time as RFC 3339 with milliseconds into buf (at least LOG_TS_LEN bytes);
 * the calendar part is computed again only when the second changes (per thread). */
#define LOG_TS_LEN 32
static void
log_now(char buf[LOG_TS_LEN])
{
	static _Thread_local time_t last_sec = -1;
	static _Thread_local char last_text[LOG_TS_LEN];
	static _Thread_local size_t last_len;
	struct timespec ts;
	int ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last_sec) {
		struct tm tm;
		int n;

		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(last_text, sizeof(last_text), "%04d-%02d-%02dT%02d:%02d:%02d",
		             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		             tm.tm_sec);
		last_len = n > 0 && (size_t)n < LOG_TS_LEN - 6 ? (size_t)n : 0;
		last_sec = ts.tv_sec;
	}
	/* the milliseconds by hand: this runs for every request's access line */
	ms = (int)(ts.tv_nsec / 1000000) % 1000;
	memcpy(buf, last_text, last_len);
	buf[last_len] = '.';
	buf[last_len + 1] = (char)('0' + ms / 100);
	buf[last_len + 2] = (char)('0' + ms / 10 % 10);
	buf[last_len + 3] = (char)('0' + ms % 10);
	buf[last_len + 4] = 'Z';
	buf[last_len + 5] = '\0';
}

void
log_msg(const char *level, const char *fmt, ...)
{
	char ts[LOG_TS_LEN];
	va_list ap;

	log_now(ts);
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

/* Appends the n bytes of s at *p (the caller has checked the room). */
static void
log_put(char **p, const char *s, size_t n)
{
	memcpy(*p, s, n);
	*p += n;
}

/* Appends a string literal (its length known at compile time). */
#define LOG_PUT_LITERAL(p, lit) log_put((p), (lit), sizeof(lit) - 1)

/* Appends v in decimal, at least min_digits digits (zero-padded). */
static void
log_put_uint(char **p, unsigned long long v, int min_digits)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || n < min_digits);
	while (n > 0)
		*(*p)++ = digits[--n];
}

void
log_access(const char *method, const char *path, int status, double duration_ms)
{
	char ts[LOG_TS_LEN];
	json_t *line;
	char *text;

	log_now(ts);
	if (log_plain(method) && log_plain(path) && strlen(method) < 32 && strlen(path) < 1024) {
		/* formatted here by hand and written with one call: building a jansson object,
		 * dumping it and printing it again cost 9 % of tandemd's time under GET /v1/me, and
		 * snprintf's
		 * %.3f still 7 % of its user time (perf) */
		char buf[1280], *p = buf;
		double us = duration_ms > 0 ? duration_ms * 1000.0 + 0.5 : 0;
		unsigned long long micros = us < 1e15 ? (unsigned long long)us : 0;

		LOG_PUT_LITERAL(&p, "{\"ts\":\"");
		log_put(&p, ts, strlen(ts));
		LOG_PUT_LITERAL(&p, "\",\"log\":\"access\",\"method\":\"");
		log_put(&p, method, strlen(method));
		LOG_PUT_LITERAL(&p, "\",\"path\":\"");
		log_put(&p, path, strlen(path));
		LOG_PUT_LITERAL(&p, "\",\"status\":");
		log_put_uint(&p, status > 0 ? (unsigned long long)status : 0, 1);
		LOG_PUT_LITERAL(&p, ",\"duration_ms\":");
		log_put_uint(&p, micros / 1000, 1);
		*p++ = '.';
		log_put_uint(&p, micros % 1000, 3);
		LOG_PUT_LITERAL(&p, "}\n");
		/* one write(2) of the whole line, without stdio's lock: every event loop logs every
		 * request, and the lock made them queue behind each other's write */
		{
			ssize_t w = write(STDERR_FILENO, buf,
			                  (size_t)(p - buf)); /* a line lost: nothing to do */

			(void)w;
		}
		return;
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

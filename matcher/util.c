/* util: small shared helpers of the matcher library. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sets *err to a newly allocated formatted message so callers can report the first problem. */
void
util_errf(char **err, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (err == NULL || *err != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	*err = msg;
}

/* Returns a monotonic clock reading in milliseconds for timing statistics. */
double
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Tells whether a string is a non-empty run of decimal digits. */
static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Compares ids so that numeric ids sort numerically and the order is total and deterministic. */
int
util_id_compare(const char *a, const char *b)
{
	if (all_digits(a) && all_digits(b)) {
		size_t la = strlen(a), lb = strlen(b);

		while (la > 1 && *a == '0') {
			a++;
			la--;
		}
		while (lb > 1 && *b == '0') {
			b++;
			lb--;
		}
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	return strcmp(a, b);
}

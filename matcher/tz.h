/* tz: dates and UTC offsets of IANA zones over a period (the C library's zone database). */
#ifndef TANDEM_MATCHER_TZ_H
#define TANDEM_MATCHER_TZ_H

#include <stdbool.h>

#include "util.h"

/* Tells whether zone names an installed IANA zone (rejects paths and unknown names). */
bool tz_zone_valid(const char *zone) WUR;

/* Parses "YYYY-MM-DD" (a real date, 1970..2100) into days since 1970-01-01. */
bool tz_parse_date(const char *s, long *days) WUR;

/* Parses "YYYY-MM-DD" naming a Monday into days since 1970-01-01; false otherwise. */
bool tz_parse_monday(const char *s, long *days) WUR;

/* Writes days since 1970-01-01 as "YYYY-MM-DD". */
void tz_format_date(long days, char out[11]);

/* Fills off[i] with the UTC offset of zone in minutes at t0 + 900 * i seconds (i < n); false on
 * failure. Not thread-safe (sets TZ). */
bool tz_offsets(const char *zone, long long t0, long n, short *off) WUR;

#endif

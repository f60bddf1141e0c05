/* tz: DST-correct local <-> UTC slot tables built with the C library's zone database. */
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Returns days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Checks that the zone name is safe and its tzfile exists, since glibc silently falls back to
 * UTC for unknown names. */
bool
tz_zone_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512];

	if (zone == NULL || zone[0] == '\0' || zone[0] == '/' || zone[0] == ':' ||
	    strstr(zone, "..") != NULL || strlen(zone) > 200)
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "/usr/share/zoneinfo", zone);
	return access(path, R_OK) == 0;
}

/* Parses an ISO date "YYYY-MM-DD" (1970..2100, a real date) into days since 1970-01-01. */
bool
tz_parse_date(const char *s, long *days)
{
	int y, m, d, n = 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (y < 1970 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	*days = days_from_civil(y, m, d);
	return true;
}

/* Formats days since 1970-01-01 as "YYYY-MM-DD" (Howard Hinnant's civil_from_days). */
void
tz_format_date(long days, char out[11])
{
	long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100),
	     mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;

	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y + (m <= 2)) % 10000u, (unsigned)m % 100u,
	         (unsigned)d % 100u);
}

/* Samples the zone's UTC offset every quarter hour with localtime_r under TZ=zone, since the
 * C library's zone database is the one owner of the clock-change rules. */
bool
tz_offsets(const char *zone, long long t0, long n, short *off)
{
	const char *old = getenv("TZ");
	char *saved = old != NULL ? strdup(old) : NULL;
	bool ok = false;

	if ((old != NULL && saved == NULL) || setenv("TZ", zone, 1) != 0)
		goto out;
	tzset();
	for (long i = 0; i < n; i++) {
		time_t at = (time_t)(t0 + (long long)i * 900);
		struct tm tm;

		if (localtime_r(&at, &tm) == NULL)
			goto out;
		off[i] = (short)(tm.tm_gmtoff / 60);
	}
	ok = true;
out:
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	return ok;
}

/* Parses an ISO date and checks it is a real date falling on a Monday. */
bool
tz_parse_monday(const char *s, long *days)
{
	/* 1970-01-01 was a Thursday: weekday index with Monday = 0 is (days + 3) mod 7. */
	return tz_parse_date(s, days) && ((*days + 3) % 7 + 7) % 7 == 0;
}

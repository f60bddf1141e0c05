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

/* Parses an ISO date and checks it is a real date falling on a Monday. */
bool
tz_parse_monday(const char *s, int *year, int *month, int *day)
{
	int y, m, d, n = 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long days;

	if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (y < 1970 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	days = days_from_civil(y, m, d);
	/* 1970-01-01 was a Thursday: weekday index with Monday = 0 is (days + 3) mod 7. */
	if (((days + 3) % 7 + 7) % 7 != 0)
		return false;
	*year = y;
	*month = m;
	*day = d;
	return true;
}

/* Builds both slot tables for one zone by converting every quarter hour of the week. */
bool
tz_table_build(const char *zone, int year, int month, int day, struct tz_table *t)
{
	const char *old = getenv("TZ");
	char *saved = old != NULL ? strdup(old) : NULL;
	long monday = days_from_civil(year, month, day);
	time_t week0 = (time_t)monday * 86400;
	bool ok = false;

	if ((old != NULL && saved == NULL) || setenv("TZ", zone, 1) != 0)
		goto out;
	tzset();
	for (int s = 0; s < WEEK_SLOTS; s++) {
		struct tm tm = {0};
		time_t at;
		long u;

		tm.tm_year = year - 1900;
		tm.tm_mon = month - 1;
		tm.tm_mday = day + s / DAY_SLOTS;
		tm.tm_hour = (s % DAY_SLOTS) / 4;
		tm.tm_min = (s % 4) * 15;
		tm.tm_isdst = -1;
		at = mktime(&tm);
		if (at == (time_t)-1)
			goto out;
		u = (long)((at - week0) / 900);
		t->local_to_utc[s] = (short)(((u % WEEK_SLOTS) + WEEK_SLOTS) % WEEK_SLOTS);
	}
	for (int s = 0; s < WEEK_SLOTS; s++) {
		time_t at = week0 + (time_t)s * 900;
		struct tm tm;
		long dd;

		if (localtime_r(&at, &tm) == NULL)
			goto out;
		dd = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) - monday;
		dd = ((dd % 7) + 7) % 7;
		t->utc_to_local[s] = (short)(dd * DAY_SLOTS + tm.tm_hour * 4 + tm.tm_min / 15);
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

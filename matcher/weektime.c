/* weektime: days of the week and times of day, read and written in one place. */
#include "weektime.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const weektime_short[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const weektime_full[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                             "friday", "saturday", "sunday"};

/* Returns the short name of a day, "?" outside 0..6 so a caller's bug shows in its output. */
const char *
weektime_day_name(int day)
{
	return day >= 0 && day < 7 ? weektime_short[day] : "?";
}

/* Matches a day name against the short names, and the full ones in any case when lenient. */
bool
weektime_parse_day(const char *s, bool lenient, int *day)
{
	for (int i = 0; s != NULL && i < 7; i++)
		if (strcmp(s, weektime_short[i]) == 0 ||
		    (lenient && (strcasecmp(s, weektime_short[i]) == 0 ||
		                 strcasecmp(s, weektime_full[i]) == 0))) {
			*day = i;
			return true;
		}
	return false;
}

/* Reads exactly "HH:MM" by its digits (no sscanf: it would take signs and spaces). */
bool
weektime_parse_hhmm(const char *s, int *minutes)
{
	int h, m;

	if (s == NULL || strlen(s) != 5 || s[2] != ':')
		return false;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return false;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return false;
	*minutes = h * 60 + m;
	return true;
}

/* Formats minutes since midnight as "HH:MM", clamped to 00:00 .. 24:00. */
void
weektime_format_hhmm(int minutes, char buf[6])
{
	if (minutes < 0)
		minutes = 0;
	if (minutes > 1440)
		minutes = 1440;
	snprintf(buf, 6, "%02d:%02d", minutes / 60, minutes % 60);
}

/* weektime: the one reader and writer of days of the week ("mon".."sun") and times of day
 * ("HH:MM"), shared by the server's validation and the matcher's instance reader. */
#ifndef TANDEM_MATCHER_WEEKTIME_H
#define TANDEM_MATCHER_WEEKTIME_H

#include <stdbool.h>

/* Returns the short name of day 0..6 (Monday first): "mon" .. "sun". */
const char *weektime_day_name(int day);

/* Parses a day name into 0..6 (Monday first): "mon".."sun" exactly, or, when lenient, also full
 * names ("monday") in any case. */
bool weektime_parse_day(const char *s, bool lenient, int *day) __attribute__((warn_unused_result));

/* Parses "HH:MM" (two digits, a colon, two digits; 00:00 .. 24:00) into minutes since midnight. */
bool weektime_parse_hhmm(const char *s, int *minutes) __attribute__((warn_unused_result));

/* Writes minutes since midnight (0 .. 1440) as "HH:MM" into buf (at least 6 bytes). */
void weektime_format_hhmm(int minutes, char buf[6]);

#endif

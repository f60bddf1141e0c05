/* tz: maps local weekly quarter-hour slots of an IANA zone to UTC slots for one reference week. */
#ifndef TANDEM_MATCHER_TZ_H
#define TANDEM_MATCHER_TZ_H

#include <stdbool.h>

#include "bitset.h"
#include "util.h"

struct tz_table {
	short local_to_utc[WEEK_SLOTS]; /* local slot (day*96+q, Monday = 0) -> UTC slot */
	short utc_to_local[WEEK_SLOTS]; /* UTC slot -> local slot */
};

/* Tells whether zone names an installed IANA zone (rejects paths and unknown names). */
bool tz_zone_valid(const char *zone) WUR;

/* Parses "YYYY-MM-DD" naming a Monday; false when malformed or not a Monday. */
bool tz_parse_monday(const char *s, int *year, int *month, int *day) WUR;

/* Fills t for zone during the week starting on the given local Monday (uses TZ + mktime,
 * so DST changes inside the week are honoured); false on failure. Not thread-safe. */
bool tz_table_build(const char *zone, int year, int month, int day, struct tz_table *t) WUR;

#endif

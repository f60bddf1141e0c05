/* Pure validation of JSON request bodies against field rules; no I/O, unit-tested. */
#ifndef TANDEM_VALIDATE_H
#define TANDEM_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The first problem found: machine code, offending field path and a message. */
struct verr {
	const char *code;
	char field[96];
	char message[256];
};

enum vtype { V_STRING, V_INT, V_BOOL, V_NUMBER, V_STRING_ARRAY, V_OBJECT_ARRAY, V_OBJECT };

struct vrule {
	const char *name;
	enum vtype type;
	bool required;
	bool nullable;
	double min, max;              /* string length in characters, number range, array length */
	bool (*check)(const char *s); /* extra check of a string or of each array string */
	const char *check_code;       /* error code when check fails (default invalid_value) */
	const char *const *choices;   /* allowed strings, NULL-terminated */
	const struct vrule *items;    /* V_OBJECT_ARRAY / V_OBJECT: rules of the members */
	size_t nitems;
	bool unique; /* V_STRING_ARRAY: no duplicates */
};

/* Checks obj against rules: types, ranges, unknown fields, and (unless partial) required fields.
 * prefix names the object in field paths ("" at top level). Returns false with err filled. */
bool validate_object(const json_t *obj, const struct vrule *rules, size_t nrules, bool partial,
                     const char *prefix, struct verr *err) __attribute__((warn_unused_result));

/* A plausible email: one '@', non-empty local part, a dotted domain, no spaces or controls. */
bool validate_email(const char *s);

/* An ISO 639-1 language code: two lower-case letters. */
bool validate_language(const char *s);

/* A skill slug: lower-case letter then 1..39 of [a-z0-9_]. */
bool validate_slug(const char *s);

/* Parses "HH:MM" on a 15-minute boundary, 00:00..24:00, into minutes since midnight. */
bool validate_parse_time(const char *s, int *minutes) __attribute__((warn_unused_result));

/* Checks an availability slot list (already type-checked): times, start < end, no overlaps. */
bool validate_slots(const json_t *slots, struct verr *err) __attribute__((warn_unused_result));

/* Checks that the string member key of each object in arr is unique; names the duplicate. */
bool validate_unique_member(const json_t *arr, const char *key, const char *prefix,
                            struct verr *err) __attribute__((warn_unused_result));

/* Number of rules in a static rule table. */
#define NRULES(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a positive decimal id (1 to 18 digits, no sign, no leading zero). */
bool validate_parse_id(const char *s, long long *out) __attribute__((warn_unused_result));

/* Parses a calendar date "YYYY-MM-DD" (a real date) into its parts. */
bool validate_parse_date(const char *s, int *y, int *m, int *d) __attribute__((warn_unused_result));

/* Largest UTC offset a timestamp may carry, in minutes (UTC+14:00, Kiribati). */
#define VALIDATE_MAX_UTC_OFFSET_MINUTES (14 * 60)

/* True when s holds no control character (U+0000-U+001F, U+007F): the one rule for every text a
 * person sees (names, departments, sites, titles), whatever the path it comes by. */
bool validate_no_controls(const char *s);

/* Checks that s is well-formed UTF-8 (what PostgreSQL accepts as text). */
bool validate_utf8(const char *s);

/* Checks an RFC 3339 timestamp with a time zone ("2026-11-27T09:30:00Z", "...+01:00"). */
bool validate_timestamp(const char *s);

/* Checks a date string, used as a vrule check. */
bool validate_date(const char *s);

#endif

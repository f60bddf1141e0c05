/* Validation of request bodies: pure functions over jansson values. */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weektime.h"

/* Fills err with code, a field path built from prefix and name, and a message. */
static void
validate_fail(struct verr *err, const char *code, const char *prefix, const char *name,
              const char *message)
{
	err->code = code;
	if (prefix != NULL && *prefix != '\0')
		snprintf(err->field, sizeof(err->field), "%s.%s", prefix, name);
	else
		snprintf(err->field, sizeof(err->field), "%s", name);
	snprintf(err->message, sizeof(err->message), "%s: %s", err->field, message);
}

/* Counts UTF-8 code points (jansson guarantees valid UTF-8). */
static size_t
validate_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Checks that s is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF), the way PostgreSQL's UTF8 encoding will read it. */
bool
validate_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		int n;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return false;
		p += n + 1;
	}
	return true;
}

bool
validate_no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* True when s holds only spaces (a required text must say something). */
static bool
validate_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ')
			return false;
	return true;
}

/* Checks one string value against a rule. */
static bool
validate_string(const char *s, const struct vrule *rule, const char *prefix, const char *name,
                struct verr *err)
{
	size_t len = validate_utf8_len(s);
	char msg[160];

	if (!validate_no_controls(s)) {
		validate_fail(err, "invalid_value", prefix, name,
		              "control characters are not allowed");
		return false;
	}
	if (rule->choices != NULL) {
		for (const char *const *c = rule->choices; *c; c++)
			if (strcmp(*c, s) == 0)
				return true;
		snprintf(msg, sizeof(msg), "must be one of");
		for (const char *const *c = rule->choices; *c; c++) {
			strncat(msg, " ", sizeof(msg) - strlen(msg) - 1);
			strncat(msg, *c, sizeof(msg) - strlen(msg) - 1);
		}
		validate_fail(err, "invalid_value", prefix, name, msg);
		return false;
	}
	if ((double)len < rule->min || (double)len > rule->max) {
		snprintf(msg, sizeof(msg), "length must be between %.0f and %.0f characters",
		         rule->min, rule->max);
		validate_fail(err, "invalid_value", prefix, name, msg);
		return false;
	}
	if (rule->min >= 1 && validate_blank(s)) {
		validate_fail(err, "invalid_value", prefix, name, "must not be blank");
		return false;
	}
	if (rule->check != NULL && !rule->check(s)) {
		validate_fail(err, rule->check_code ? rule->check_code : "invalid_value", prefix,
		              name, "has an invalid format");
		return false;
	}
	return true;
}

/* Checks one member value against its rule (type, range, nested rules). */
static bool
validate_value(const json_t *v, const struct vrule *rule, const char *prefix, struct verr *err)
{
	char msg[160], path[96];
	size_t i, j, n;

	if (json_is_null(v)) {
		if (rule->nullable)
			return true;
		validate_fail(err, "invalid_type", prefix, rule->name, "must not be null");
		return false;
	}
	switch (rule->type) {
	case V_STRING:
		if (!json_is_string(v))
			goto type;
		return validate_string(json_string_value(v), rule, prefix, rule->name, err);
	case V_BOOL:
		if (!json_is_boolean(v))
			goto type;
		return true;
	case V_INT:
		if (!json_is_integer(v))
			goto type;
		if ((double)json_integer_value(v) < rule->min ||
		    (double)json_integer_value(v) > rule->max) {
			snprintf(msg, sizeof(msg), "must be between %.0f and %.0f", rule->min,
			         rule->max);
			validate_fail(err, "invalid_value", prefix, rule->name, msg);
			return false;
		}
		return true;
	case V_NUMBER:
		if (!json_is_number(v))
			goto type;
		if (json_number_value(v) < rule->min || json_number_value(v) > rule->max) {
			snprintf(msg, sizeof(msg), "must be between %g and %g", rule->min,
			         rule->max);
			validate_fail(err, "invalid_value", prefix, rule->name, msg);
			return false;
		}
		return true;
	case V_OBJECT:
		if (!json_is_object(v))
			goto type;
		snprintf(path, sizeof(path), "%s%s%s", prefix && *prefix ? prefix : "",
		         prefix && *prefix ? "." : "", rule->name);
		return validate_object(v, rule->items, rule->nitems, false, path, err);
	case V_STRING_ARRAY:
	case V_OBJECT_ARRAY:
		if (!json_is_array(v))
			goto type;
		n = json_array_size(v);
		if ((double)n < rule->min || (double)n > rule->max) {
			snprintf(msg, sizeof(msg), "must have between %.0f and %.0f items",
			         rule->min, rule->max);
			validate_fail(err, "invalid_value", prefix, rule->name, msg);
			return false;
		}
		for (i = 0; i < n; i++) {
			const json_t *item = json_array_get(v, i);
			char name[64];

			snprintf(name, sizeof(name), "%s[%zu]", rule->name, i);
			if (rule->type == V_OBJECT_ARRAY) {
				if (!json_is_object(item)) {
					validate_fail(err, "invalid_type", prefix, name,
					              "must be an object");
					return false;
				}
				snprintf(path, sizeof(path), "%s%s%s",
				         prefix && *prefix ? prefix : "",
				         prefix && *prefix ? "." : "", name);
				if (!validate_object(item, rule->items, rule->nitems, false, path,
				                     err))
					return false;
				continue;
			}
			if (!json_is_string(item)) {
				validate_fail(err, "invalid_type", prefix, name,
				              "must be a string");
				return false;
			}
			if (rule->check != NULL && !rule->check(json_string_value(item))) {
				validate_fail(err,
				              rule->check_code ? rule->check_code : "invalid_value",
				              prefix, name, "has an invalid format");
				return false;
			}
			for (j = 0; rule->unique && j < i; j++) {
				if (strcmp(json_string_value(json_array_get(v, j)),
				           json_string_value(item)) == 0) {
					validate_fail(err, "invalid_value", prefix, name,
					              "is a duplicate");
					return false;
				}
			}
		}
		return true;
	}
type:
	switch (rule->type) {
	case V_STRING:
		validate_fail(err, "invalid_type", prefix, rule->name, "must be a string");
		break;
	case V_INT:
		validate_fail(err, "invalid_type", prefix, rule->name, "must be an integer");
		break;
	case V_BOOL:
		validate_fail(err, "invalid_type", prefix, rule->name, "must be a boolean");
		break;
	case V_NUMBER:
		validate_fail(err, "invalid_type", prefix, rule->name, "must be a number");
		break;
	case V_OBJECT:
		validate_fail(err, "invalid_type", prefix, rule->name, "must be an object");
		break;
	default:
		validate_fail(err, "invalid_type", prefix, rule->name, "must be an array");
		break;
	}
	return false;
}

bool
validate_object(const json_t *obj, const struct vrule *rules, size_t nrules, bool partial,
                const char *prefix, struct verr *err)
{
	const char *key;
	json_t *value;
	size_t i;

	if (!json_is_object(obj)) {
		validate_fail(err, "invalid_type", NULL, prefix && *prefix ? prefix : "body",
		              "must be a JSON object");
		return false;
	}
	json_object_foreach((json_t *)obj, key, value)
	{
		for (i = 0; i < nrules; i++)
			if (strcmp(rules[i].name, key) == 0)
				break;
		if (i == nrules) {
			validate_fail(err, "unknown_field", prefix, key, "is not a known field");
			return false;
		}
	}
	for (i = 0; i < nrules; i++) {
		value = json_object_get(obj, rules[i].name);
		if (value == NULL) {
			if (rules[i].required && !partial) {
				validate_fail(err, "missing_field", prefix, rules[i].name,
				              "is required");
				return false;
			}
			continue;
		}
		if (!validate_value(value, &rules[i], prefix, err))
			return false;
	}
	return true;
}

bool
validate_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *dot;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == ',' ||
		    *p == ';' || *p == '\\' || *p == '(' || *p == ')')
			return false;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot != at + 1 && dot[1] != '\0' && at[1] != '.' &&
	       strstr(at, "..") == NULL;
}

bool
validate_language(const char *s)
{
	return s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' && s[2] == '\0';
}

bool
validate_slug(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 40 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Parses a time of day (weektime's reader) and holds it to the 15-minute slot grid. */
bool
validate_parse_time(const char *s, int *minutes)
{
	int m;

	if (!weektime_parse_hhmm(s, &m) || m % 15 != 0)
		return false;
	*minutes = m;
	return true;
}

bool
validate_slots(const json_t *slots, struct verr *err)
{
	size_t n = json_array_size(slots);
	int day[64], start[64], end[64];
	char name[48];

	if (n > 64) {
		validate_fail(err, "invalid_value", NULL, "slots", "too many slots");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *slot = json_array_get(slots, i);

		snprintf(name, sizeof(name), "slots[%zu].start", i);
		if (!validate_parse_time(json_string_value(json_object_get(slot, "start")),
		                         &start[i]) ||
		    start[i] == 1440) {
			validate_fail(err, "invalid_value", NULL, name,
			              "must be HH:MM on a 15-minute boundary (00:00 to 23:45)");
			return false;
		}
		snprintf(name, sizeof(name), "slots[%zu].end", i);
		if (!validate_parse_time(json_string_value(json_object_get(slot, "end")),
		                         &end[i])) {
			validate_fail(err, "invalid_value", NULL, name,
			              "must be HH:MM on a 15-minute boundary (00:15 to 24:00)");
			return false;
		}
		if (end[i] <= start[i]) {
			validate_fail(err, "invalid_value", NULL, name, "must be after start");
			return false;
		}
		if (!weektime_parse_day(json_string_value(json_object_get(slot, "day")), false,
		                        &day[i])) {
			snprintf(name, sizeof(name), "slots[%zu].day", i);
			validate_fail(err, "invalid_value", NULL, name, "must be one of mon..sun");
			return false;
		}
		for (size_t j = 0; j < i; j++) {
			if (day[j] == day[i] && start[i] < end[j] && start[j] < end[i]) {
				snprintf(name, sizeof(name), "slots[%zu]", i);
				validate_fail(err, "overlapping_slots", NULL, name,
				              "overlaps an earlier slot");
				snprintf(err->message, sizeof(err->message),
				         "slots[%zu] overlaps slots[%zu] on the same day", i, j);
				return false;
			}
		}
	}
	return true;
}

bool
validate_unique_member(const json_t *arr, const char *key, const char *prefix, struct verr *err)
{
	size_t n = json_array_size(arr);
	char name[64];

	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_object_get(json_array_get(arr, i), key));

		for (size_t j = 0; a != NULL && j < i; j++) {
			const char *b =
			    json_string_value(json_object_get(json_array_get(arr, j), key));

			if (b != NULL && strcmp(a, b) == 0) {
				snprintf(name, sizeof(name), "%s[%zu].%s", prefix, i, key);
				validate_fail(err, "invalid_value", NULL, name, "is a duplicate");
				return false;
			}
		}
	}
	return true;
}

bool
validate_parse_date(const char *s, int *y, int *m, int *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int yy, mm, dd, max;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	yy = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	mm = (s[5] - '0') * 10 + (s[6] - '0');
	dd = (s[8] - '0') * 10 + (s[9] - '0');
	if (yy < 1970 || mm < 1 || mm > 12)
		return false;
	max = mdays[mm - 1] + (mm == 2 && ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0));
	if (dd < 1 || dd > max)
		return false;
	*y = yy;
	*m = mm;
	*d = dd;
	return true;
}

bool
validate_date(const char *s)
{
	int y, m, d;

	return validate_parse_date(s, &y, &m, &d);
}

bool
validate_timestamp(const char *s)
{
	char date[11];
	const char *t = s + 11, *zone;
	int y, m, d;

	if (strlen(s) < 20 || s[10] != 'T')
		return false;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!validate_parse_date(date, &y, &m, &d))
		return false;
	for (int i = 0; i < 8; i++)
		if (i == 2 || i == 5 ? t[i] != ':' : (t[i] < '0' || t[i] > '9'))
			return false;
	if ((t[0] - '0') * 10 + (t[1] - '0') > 23 || (t[3] - '0') * 10 + (t[4] - '0') > 59 ||
	    (t[6] - '0') * 10 + (t[7] - '0') > 60)
		return false;
	zone = t + 8;
	if (*zone == '.') {
		zone++;
		if (*zone < '0' || *zone > '9')
			return false;
		while (*zone >= '0' && *zone <= '9')
			zone++;
	}
	if (strcmp(zone, "Z") == 0)
		return true;
	if (!((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 6 && zone[3] == ':' &&
	      zone[1] >= '0' && zone[1] <= '9' && zone[2] >= '0' && zone[2] <= '9' &&
	      zone[4] >= '0' && zone[4] <= '5' && zone[5] >= '0' && zone[5] <= '9'))
		return false;
	/* real offsets lie within UTC-12:00 .. UTC+14:00; PostgreSQL refuses 16:00 and beyond */
	return ((zone[1] - '0') * 10 + (zone[2] - '0')) * 60 + (zone[4] - '0') * 10 +
	           (zone[5] - '0') <=
	       VALIDATE_MAX_UTC_OFFSET_MINUTES;
}

bool
validate_parse_id(const char *s, long long *out)
{
	size_t n = s ? strspn(s, "0123456789") : 0;

	if (n == 0 || n > 18 || s[n] != '\0' || s[0] == '0')
		return false;
	*out = strtoll(s, NULL, 10);
	return true;
}

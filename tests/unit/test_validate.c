/* Unit tests of the server's pure code: request-body validation and token shapes. */
#include "token.h"
#include "validate.h"
#include "weektime.h"
#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const roles[] = {"mentor", "mentee", NULL};
static const struct vrule item_rules[] = {
    {.name = "skill", .type = V_STRING, .required = true, .min = 1, .max = 40},
    {.name = "level", .type = V_INT, .required = true, .min = 1, .max = 5},
};
static const struct vrule rules[] = {
    {.name = "email",
     .type = V_STRING,
     .required = true,
     .min = 3,
     .max = 254,
     .check = validate_email},
    {.name = "name", .type = V_STRING, .min = 1, .max = 5},
    {.name = "role", .type = V_STRING, .choices = roles},
    {.name = "manager", .type = V_STRING, .nullable = true, .min = 0, .max = 10},
    {.name = "langs",
     .type = V_STRING_ARRAY,
     .min = 1,
     .max = 3,
     .check = validate_language,
     .unique = true},
    {.name = "skills",
     .type = V_OBJECT_ARRAY,
     .min = 0,
     .max = 5,
     .items = item_rules,
     .nitems = 2},
    {.name = "share", .type = V_NUMBER, .min = 0, .max = 1},
    {.name = "on", .type = V_BOOL},
};

/* Validates text against the rules and returns the error code ("ok" when valid). */
static const char *
check_body(const char *text, bool partial, char *field, size_t len)
{
	static struct verr err;
	json_t *body = json_loads(text, 0, NULL);
	bool ok;

	if (body == NULL)
		return "unparsable";
	ok = validate_object(body, rules, sizeof(rules) / sizeof(rules[0]), partial, "", &err);
	json_decref(body);
	snprintf(field, len, "%s", ok ? "" : err.field);
	return ok ? "ok" : err.code;
}

static void
test_objects(void)
{
	char f[96];

	CHECK(strcmp(check_body("{\"email\":\"a@b.co\"}", false, f, sizeof(f)), "ok") == 0);
	CHECK(strcmp(check_body("{}", false, f, sizeof(f)), "missing_field") == 0 &&
	      strcmp(f, "email") == 0);
	CHECK(strcmp(check_body("{}", true, f, sizeof(f)), "ok") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"x\":1}", false, f, sizeof(f)),
	             "unknown_field") == 0 &&
	      strcmp(f, "x") == 0);
	CHECK(strcmp(check_body("{\"email\":5}", false, f, sizeof(f)), "invalid_type") == 0);
	CHECK(strcmp(check_body("{\"email\":null}", false, f, sizeof(f)), "invalid_type") == 0);
	CHECK(strcmp(check_body("{\"email\":\"nope\"}", false, f, sizeof(f)), "invalid_value") ==
	      0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"manager\":null}", false, f, sizeof(f)),
	             "ok") == 0);
	/* length counts characters, not bytes: five two-byte characters fit in max 5 */
	CHECK(
	    strcmp(
	        check_body(
	            "{\"email\":\"a@b.co\",\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	            false, f, sizeof(f)),
	        "ok") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"name\":\"abcdef\"}", false, f, sizeof(f)),
	             "invalid_value") == 0);
	CHECK(
	    strcmp(check_body("{\"email\":\"a@b.co\",\"name\":\"a\\u0001\"}", false, f, sizeof(f)),
	           "invalid_value") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"name\":\"   \"}", false, f, sizeof(f)),
	             "invalid_value") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"role\":\"boss\"}", false, f, sizeof(f)),
	             "invalid_value") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"langs\":[\"fr\",\"fr\"]}", false, f,
	                        sizeof(f)),
	             "invalid_value") == 0 &&
	      strcmp(f, "langs[1]") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"langs\":[\"FR\"]}", false, f, sizeof(f)),
	             "invalid_value") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"langs\":[]}", false, f, sizeof(f)),
	             "invalid_value") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"skills\":[{\"skill\":\"x\",\"level\":9}]}",
	                        false, f, sizeof(f)),
	             "invalid_value") == 0 &&
	      strcmp(f, "skills[0].level") == 0);
	CHECK(
	    strcmp(check_body("{\"email\":\"a@b.co\",\"skills\":[{\"skill\":\"x\",\"level\":2.0}]}",
	                      false, f, sizeof(f)),
	           "invalid_type") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"skills\":[3]}", false, f, sizeof(f)),
	             "invalid_type") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"share\":1.5}", false, f, sizeof(f)),
	             "invalid_value") == 0);
	CHECK(strcmp(check_body("{\"email\":\"a@b.co\",\"on\":1}", false, f, sizeof(f)),
	             "invalid_type") == 0);
}

static void
test_formats(void)
{
	int m, d, y, mo, da;

	CHECK(validate_email("ana.silva+x@corp.example.com"));
	CHECK(!validate_email("ana@"));
	CHECK(!validate_email("@corp.com"));
	CHECK(!validate_email("a@b@c.com"));
	CHECK(!validate_email("a b@c.com"));
	CHECK(!validate_email("a@com"));
	CHECK(!validate_email("a@.com"));
	CHECK(validate_slug("ai_assistants") && !validate_slug("AI") && !validate_slug("1ab") &&
	      !validate_slug("a"));
	CHECK(validate_parse_time("09:15", &m) && m == 555);
	CHECK(validate_parse_time("24:00", &m) && m == 1440);
	CHECK(!validate_parse_time("09:10", &m));
	CHECK(!validate_parse_time("24:15", &m));
	CHECK(!validate_parse_time("9:15", &m));
	CHECK(!validate_parse_time("25:00", &m));
	CHECK(weektime_parse_day("sun", false, &d) && d == 6);
	CHECK(!weektime_parse_day("Sunday", false, &d));
	CHECK(weektime_parse_day("Sunday", true, &d) && d == 6);
	CHECK(weektime_parse_day("TUE", true, &d) && d == 1);
	CHECK(!weektime_parse_day("sundae", true, &d));
	CHECK(!weektime_parse_hhmm("+9:00", &m));
	CHECK(!weektime_parse_hhmm(" 9:00", &m));
	CHECK(weektime_parse_hhmm("09:10", &m) && m == 550);
	CHECK(!weektime_parse_hhmm("09:60", &m));
	{
		char buf[6];
		weektime_format_hhmm(555, buf);
		CHECK(strcmp(buf, "09:15") == 0);
		weektime_format_hhmm(1440, buf);
		CHECK(strcmp(buf, "24:00") == 0);
		CHECK(strcmp(weektime_day_name(0), "mon") == 0 &&
		      strcmp(weektime_day_name(7), "?") == 0);
	}
	CHECK(validate_parse_date("2028-02-29", &y, &mo, &da) && y == 2028 && mo == 2 && da == 29);
	CHECK(!validate_parse_date("2027-02-29", &y, &mo, &da));
	CHECK(!validate_parse_date("2027-13-01", &y, &mo, &da));
	CHECK(!validate_parse_date("2027-1-01", &y, &mo, &da));
	CHECK(validate_timestamp("2026-11-27T09:30:00Z"));
	CHECK(validate_timestamp("2026-11-27T09:30:00.123+01:00"));
	CHECK(!validate_timestamp("2026-11-27T09:30:00"));
	CHECK(!validate_timestamp("2026-11-27 09:30:00Z"));
	CHECK(!validate_timestamp("2026-02-30T09:30:00Z"));
	CHECK(!validate_timestamp("2026-11-27T24:30:00Z"));
	CHECK(!validate_timestamp("2026-11-27T09:30:00+1:00"));
}

/* Timestamps carry only real UTC offsets: +16:00 used to reach PostgreSQL and fail as a 500. */
static void
test_timestamp_offsets(void)
{
	CHECK(validate_timestamp("2026-11-27T09:30:00+14:00"));
	CHECK(validate_timestamp("2026-11-27T09:30:00-12:00"));
	CHECK(validate_timestamp("2026-11-27T09:30:00+05:45"));
	CHECK(!validate_timestamp("2026-11-27T09:30:00+14:01"));
	CHECK(!validate_timestamp("2026-11-27T09:30:00+16:00"));
	CHECK(!validate_timestamp("2026-11-27T09:30:00-23:59"));
	CHECK(!validate_timestamp("2026-11-27T09:30:00+99:00"));
}

/* Text reaching PostgreSQL must be well-formed UTF-8: %FF in a query used to fail as a 500. */
/* The control-character rule of every text a person reads (names, departments, sites, titles). */
static void
test_no_controls(void)
{
	CHECK(validate_no_controls(""));
	CHECK(validate_no_controls("Zo\xc3\xa9 O'Neill-Smith (Paris)"));
	CHECK(!validate_no_controls("Eve\r\nATTACH:x"));
	CHECK(!validate_no_controls("a\tb"));
	CHECK(!validate_no_controls("\x1f"));
	CHECK(!validate_no_controls("del\x7f"));
}

static void
test_utf8(void)
{
	CHECK(validate_utf8(""));
	CHECK(validate_utf8("plain ascii"));
	CHECK(validate_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	CHECK(!validate_utf8("\xff"));
	CHECK(!validate_utf8("\xc3\x28"));
	CHECK(!validate_utf8("\xc0\xaf"));         /* overlong '/' */
	CHECK(!validate_utf8("\xe0\x80\xaf"));     /* overlong */
	CHECK(!validate_utf8("\xed\xa0\x80"));     /* surrogate */
	CHECK(!validate_utf8("\xf4\x90\x80\x80")); /* past U+10FFFF */
	CHECK(!validate_utf8("\xe2\x82"));         /* truncated */
}

/* Checks a slot list given as JSON text; returns the error code or "ok". */
static const char *
check_slots(const char *text, char *field, size_t len)
{
	static struct verr err;
	json_t *slots = json_loads(text, 0, NULL);
	bool ok = validate_slots(slots, &err);

	json_decref(slots);
	snprintf(field, len, "%s", ok ? "" : err.field);
	return ok ? "ok" : err.code;
}

static void
test_slots(void)
{
	char f[96];

	CHECK(strcmp(check_slots("[{\"day\":\"mon\",\"start\":\"09:00\",\"end\":\"10:00\"},"
	                         "{\"day\":\"mon\",\"start\":\"10:00\",\"end\":\"11:00\"}]",
	                         f, sizeof(f)),
	             "ok") == 0); /* touching is fine */
	CHECK(strcmp(check_slots("[{\"day\":\"mon\",\"start\":\"09:00\",\"end\":\"10:15\"},"
	                         "{\"day\":\"mon\",\"start\":\"10:00\",\"end\":\"11:00\"}]",
	                         f, sizeof(f)),
	             "overlapping_slots") == 0 &&
	      strcmp(f, "slots[1]") == 0);
	CHECK(strcmp(check_slots("[{\"day\":\"mon\",\"start\":\"09:00\",\"end\":\"10:15\"},"
	                         "{\"day\":\"tue\",\"start\":\"10:00\",\"end\":\"11:00\"}]",
	                         f, sizeof(f)),
	             "ok") == 0);
	CHECK(strcmp(check_slots("[{\"day\":\"mon\",\"start\":\"10:00\",\"end\":\"10:00\"}]", f,
	                         sizeof(f)),
	             "invalid_value") == 0 &&
	      strcmp(f, "slots[0].end") == 0);
	CHECK(strcmp(check_slots("[{\"day\":\"mon\",\"start\":\"24:00\",\"end\":\"24:00\"}]", f,
	                         sizeof(f)),
	             "invalid_value") == 0 &&
	      strcmp(f, "slots[0].start") == 0);
	CHECK(strcmp(check_slots("[{\"day\":\"xyz\",\"start\":\"10:00\",\"end\":\"11:00\"}]", f,
	                         sizeof(f)),
	             "invalid_value") == 0 &&
	      strcmp(f, "slots[0].day") == 0);
	CHECK(strcmp(check_slots("[{\"day\":\"sun\",\"start\":\"23:00\",\"end\":\"24:00\"}]", f,
	                         sizeof(f)),
	             "ok") == 0);
}

/* Hashes "abc" on another thread (token_hash keeps one digest context per thread). */
static void *
test_hash_thread(void *out)
{
	if (!token_hash("abc", out))
		((char *)out)[0] = '\0';
	return NULL;
}

static void
test_tokens(void)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1], header[80];

	CHECK(token_generate(a, sizeof(a)) && token_generate(b, sizeof(b)));
	CHECK(strlen(a) == TOKEN_LEN && strncmp(a, "tdm_", 4) == 0);
	CHECK(strcmp(a, b) != 0);
	CHECK(token_well_formed(a));
	CHECK(!token_well_formed("tdm_short"));
	snprintf(header, sizeof(header), "Bearer %s", a);
	CHECK(token_from_header(header) != NULL && strcmp(token_from_header(header), a) == 0);
	snprintf(header, sizeof(header), "bearer %s", a);
	CHECK(token_from_header(header) != NULL);
	snprintf(header, sizeof(header), "Basic %s", a);
	CHECK(token_from_header(header) == NULL);
	CHECK(token_from_header(NULL) == NULL);
	a[10] = '!';
	CHECK(!token_well_formed(a));
	CHECK(!token_generate(b, 10));
	{
		char h[TOKEN_HASH_LEN]; /* the stored form: bytea hex input of SHA-256 (FIPS 180-2
		                           "abc") */

		CHECK(token_hash("abc", h) &&
		      strcmp(h, "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9"
		                "cb410ff61f20015ad") == 0);
		/* the thread's context is reused: the next hashes start afresh */
		CHECK(token_hash("", h) &&
		      strcmp(h, "\\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
		                "a495991b7852b855") == 0);
		CHECK(token_hash("abc", h) && strncmp(h, "\\xba7816bf", 10) == 0);
	}
	{
		pthread_t t;
		char h[TOKEN_HASH_LEN] = "";

		/* another thread has a context of its own (freed when it ends) */
		CHECK(pthread_create(&t, NULL, test_hash_thread, h) == 0 &&
		      pthread_join(t, NULL) == 0);
		CHECK(strncmp(h, "\\xba7816bf", 10) == 0);
	}
}

int
main(void)
{
	test_objects();
	test_formats();
	test_timestamp_offsets();
	test_utf8();
	test_no_controls();
	test_slots();
	test_tokens();
	return CHECK_SUMMARY();
}

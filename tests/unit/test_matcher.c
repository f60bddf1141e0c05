/* Unit tests of the matcher library: hand-made instances with known optima, every hard rule,
 * DST handling, error codes, and seeded random instances checked against brute force. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "matcher.h"

#include "check.h"

/* Solves a JSON text; returns the parsed result (NULL unless rc 0) and stores the return code. */
static json_t *
solve_text(const char *text, int *rc)
{
	char *out = NULL, *err = NULL;
	json_t *r = NULL;

	*rc = matcher_solve_json(text, strlen(text), &out, &err);
	if (*rc == 0)
		r = json_loads(out, 0, NULL);
	else if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "  (rc %d: %s)\n", *rc, err ? err : "?");
	if (*rc != 0 && (err == NULL || out != NULL))
		check_failed++, fprintf(stderr, "error contract broken (rc %d)\n", *rc);
	free(out);
	free(err);
	return r;
}

/* Solves a json_t instance (not consumed). */
static json_t *
solve_json(json_t *inst, int *rc)
{
	char *text = json_dumps(inst, JSON_COMPACT);
	json_t *r = solve_text(text, rc);

	free(text);
	return r;
}

/* Returns the mentor id paired with the mentee in a result, or NULL. */
static const char *
mentor_of(json_t *res, const char *mentee)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(res, "pairs"), i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "mentee")), mentee) == 0)
			return json_string_value(json_object_get(p, "mentor"));
	}
	return NULL;
}

/* Reads a numeric member. */
static double
num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* Tells whether the result status equals s. */
static bool
status_is(json_t *r, const char *s)
{
	return r != NULL && strcmp(json_string_value(json_object_get(r, "status")), s) == 0;
}

/* Builds a JSON text from a format string (single quotes become double quotes). */
static char *
fmt(const char *f, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	for (char *c = s; c && *c; c++)
		if (*c == '\'')
			*c = '"';
	return s;
}

/* A greedy choice is wrong; lexicographic and max_score optima are known. */
static void
test_explicit_basics(void)
{
	int rc;
	const char *base = "{'objective':'%s','mentors':[{'id':'m1','capacity':1},{'id':'m2',"
	                   "'capacity':1}],'mentees':[{'id':'e1'},{'id':'e2'}],'edges':[{'mentor':"
	                   "'m1','mentee':'e1','score':10},{'mentor':'m2','mentee':'e1','score':9},"
	                   "{'mentor':'m1','mentee':'e2','score':9}]}";
	char *t = fmt(base, "max_score");
	json_t *r = solve_text(t, &rc);

	/* greedy takes e1-m1 (10) and leaves e2 alone; optimum is 9 + 9 */
	CHECK(rc == 0 && status_is(r, "optimal"));
	CHECK(r && num(r, "objective") == 18 && num(r, "matched") == 2);
	CHECK(r && mentor_of(r, "e1") && strcmp(mentor_of(r, "e1"), "m2") == 0);
	CHECK(r && json_is_true(json_object_get(json_object_get(r, "proof"),
	                                        "optimal_over_all_feasible_pairs")));
	json_decref(r);
	free(t);

	/* lexicographic vs max_score give different answers */
	base = "{'objective':'%s','mentors':[{'id':'m1','capacity':1},{'id':'m2','capacity':1}],"
	       "'mentees':[{'id':'e1'},{'id':'e2'}],'edges':[{'mentor':'m1','mentee':'e1','score':"
	       "10},{'mentor':'m2','mentee':'e1','score':1},{'mentor':'m1','mentee':'e2','score':"
	       "1}]}";
	t = fmt(base, "max_score");
	r = solve_text(t, &rc);
	CHECK(rc == 0 && r && num(r, "objective") == 10 && num(r, "matched") == 1);
	json_decref(r);
	free(t);
	t = fmt(base, "max_matched_then_score");
	r = solve_text(t, &rc);
	CHECK(rc == 0 && r && num(r, "objective") == 2 && num(r, "matched") == 2);
	json_decref(r);
	free(t);

	/* capacity: m1 takes its two best */
	t = fmt(
	    "{'mentors':[{'id':'m1','capacity':2}],'mentees':[{'id':'a'},{'id':'b'},{'id':'c'}],"
	    "'edges':[{'mentor':'m1','mentee':'a','score':3},{'mentor':'m1','mentee':'b','score':"
	    "5},{'mentor':'m1','mentee':'c','score':4}]}");
	r = solve_text(t, &rc);
	CHECK(rc == 0 && r && num(r, "matched") == 2 && num(r, "objective") == 9);
	CHECK(r && mentor_of(r, "a") == NULL);
	CHECK(r && strcmp(json_string_value(json_object_get(
	                      json_array_get(json_object_get(r, "unmatched"), 0), "reason")),
	                  "candidates_taken") == 0);
	json_decref(r);
	free(t);
}

/* Ties: the same instance in another order gives the same pairs. */
static void
test_ties_deterministic(void)
{
	int rc1, rc2;
	char *a = fmt("{'mentors':[{'id':'m1','capacity':1},{'id':'m2','capacity':1},{'id':'m3',"
	              "'capacity':1}],'mentees':[{'id':'e1'},{'id':'e2'}],'edges':[{'mentor':'m1',"
	              "'mentee':'e1','score':5},{'mentor':'m2','mentee':'e1','score':5},{'mentor':"
	              "'m3','mentee':'e1','score':5},{'mentor':'m1','mentee':'e2','score':5},"
	              "{'mentor':'m2','mentee':'e2','score':5},{'mentor':'m3','mentee':'e2',"
	              "'score':5}]}");
	char *b = fmt("{'mentors':[{'id':'m3','capacity':1},{'id':'m2','capacity':1},{'id':'m1',"
	              "'capacity':1}],'mentees':[{'id':'e2'},{'id':'e1'}],'edges':[{'mentor':'m3',"
	              "'mentee':'e2','score':5},{'mentor':'m2','mentee':'e2','score':5},{'mentor':"
	              "'m1','mentee':'e2','score':5},{'mentor':'m3','mentee':'e1','score':5},"
	              "{'mentor':'m2','mentee':'e1','score':5},{'mentor':'m1','mentee':'e1',"
	              "'score':5}]}");
	json_t *r1 = solve_text(a, &rc1), *r2 = solve_text(b, &rc2);

	CHECK(rc1 == 0 && rc2 == 0 && r1 && r2);
	CHECK(r1 && r2 && json_equal(json_object_get(r1, "pairs"), json_object_get(r2, "pairs")));
	CHECK(r1 && num(r1, "objective") == 10);
	json_decref(r1);
	json_decref(r2);
	free(a);
	free(b);
}

/* Bad instances return 2 with a message and no output. */
static void
test_errors(void)
{
	static const char *const bad[] = {
	    "not json",
	    "[]",
	    "{'mentors':[{'id':'m1','capacity':1}],'mentees':[{'id':'e1'}],'edges':[{'mentor':'mX',"
	    "'mentee':'e1','score':1}]}",
	    "{'mentors':[{'id':'m1','capacity':-1}],'mentees':[],'edges':[]}",
	    "{'mentors':[{'id':'m1','capacity':1.5}],'mentees':[],'edges':[]}",
	    "{'mentors':[{'id':'m1','capacity':1},{'id':'m1','capacity':1}],'mentees':[],'edges':[]"
	    "}",
	    "{'mentors':[{'id':'m1','capacity':1}],'mentees':[{'id':'e1'}],'edges':[{'mentor':'m1',"
	    "'mentee':'e1','score':'high'}]}",
	    "{'mentors':[{'id':'m1'}],'mentees':[],'edges':[]}",
	    "{'mentors':{},'mentees':[],'edges':[]}",
	    "{'mentors':[{'id':'m1','capacity':1}],'mentees':[{'id':'e1'}],'edges':[{'mentor':'m1',"
	    "'mentee':'e1','score':1},{'mentor':'m1','mentee':'e1','score':2}]}",
	    "{'objective':'best','mentors':[],'mentees':[],'edges':[]}",
	    "{'mentors':[],'mentees':[],'edges':[],'pins':[{'mentor':'x','mentee':'y'}]}",
	    "{'reference_week':'2026-12-01','session_minutes':60,'mentors':[],'mentees':[]}",
	    "{'reference_week':'2026-11-30','session_minutes':60,'mentors':[{'id':'1','timezone':"
	    "'Mars/Olympus','languages':[],'capacity':1,'teaches':[],'availability':[]}],"
	    "'mentees':[]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = fmt("%s", bad[i]);
		int rc;
		json_t *r = solve_text(t, &rc);

		if (rc != 2)
			fprintf(stderr, "  bad instance %zu gave rc %d\n", i, rc);
		CHECK(rc == 2 && r == NULL);
		free(t);
	}
}

/* Pins that break a rule or capacity give status infeasible; a valid pin is forced. */
static void
test_pins_and_side_constraints(void)
{
	int rc;
	char *t = fmt("{'objective':'max_score','mentors':[{'id':'m1','capacity':1},{'id':'m2',"
	              "'capacity':1}],'mentees':[{'id':'e1'},{'id':'e2'}],'edges':[{'mentor':'m1',"
	              "'mentee':'e1','score':10},{'mentor':'m2','mentee':'e1','score':1}],'pins':"
	              "[{'mentor':'m2','mentee':'e1'}]}");
	json_t *r = solve_text(t, &rc);

	CHECK(rc == 0 && status_is(r, "optimal") && num(r, "objective") == 1);
	json_decref(r);
	free(t);
	t = fmt("{'mentors':[{'id':'m1','capacity':1}],'mentees':[{'id':'e1'}],'edges':[],'pins':"
	        "[{'mentor':'m1','mentee':'e1'}]}");
	r = solve_text(t, &rc);
	CHECK(rc == 0 && status_is(r, "infeasible") && json_object_get(r, "message"));
	json_decref(r);
	free(t);
	t = fmt(
	    "{'mentors':[{'id':'m1','capacity':1}],'mentees':[{'id':'e1'},{'id':'e2'}],"
	    "'edges':[{'mentor':'m1','mentee':'e1','score':1},{'mentor':'m1','mentee':'e2',"
	    "'score':1}],'pins':[{'mentor':'m1','mentee':'e1'},{'mentor':'m1','mentee':'e2'}]}");
	r = solve_text(t, &rc);
	CHECK(rc == 0 && status_is(r, "infeasible"));
	json_decref(r);
	free(t);
	/* at most one mentor of team A: e1 and e2 cannot both use A's mentors */
	t = fmt(
	    "{'mentors':[{'id':'a1','capacity':1,'team':'A'},{'id':'a2','capacity':1,'team':'A'},"
	    "{'id':'b1','capacity':1,'team':'B'}],'mentees':[{'id':'e1'},{'id':'e2'}],'edges':["
	    "{'mentor':'a1','mentee':'e1','score':10},{'mentor':'a2','mentee':'e2','score':10},"
	    "{'mentor':'b1','mentee':'e2','score':1}],'constraints':{'max_mentors_per_team':1}}");
	r = solve_text(t, &rc);
	CHECK(rc == 0 && status_is(r, "optimal") && num(r, "matched") == 2 &&
	      num(r, "objective") == 11);
	json_decref(r);
	free(t);
	/* min_department_share cannot be met: Sales has a mentee with no edge */
	t = fmt(
	    "{'mentors':[{'id':'m1','capacity':1}],'mentees':[{'id':'e1','department':'Sales'},"
	    "{'id':'e2','department':'Sales'}],'edges':[{'mentor':'m1','mentee':'e1','score':1}],"
	    "'constraints':{'min_department_share':1.0}}");
	r = solve_text(t, &rc);
	CHECK(rc == 0 && status_is(r, "infeasible"));
	json_decref(r);
	free(t);
}

/* Builds a one-mentor, one-mentee domain instance that is feasible; tests mutate it. */
static json_t *
domain_pair_instance(void)
{
	char *t = fmt(
	    "{'objective':'max_matched_then_score','reference_week':'2026-11-30','session_minutes':"
	    "60,"
	    "'mentors':[{'id':'7','department':'IT','team':'t1','timezone':'Europe/"
	    "Paris','languages':"
	    "['fr','en'],'capacity':1,'teaches':[{'skill':'linkedin','level':4}],'availability':[{"
	    "'day':'mon','start':'15:00','end':'17:00'}]}],"
	    "'mentees':[{'id':'12','department':'Sales','team':'t2','timezone':'America/New_York',"
	    "'languages':['en'],'goals':[{'skill':'linkedin','current_level':1,'priority':1}],"
	    "'availability':[{'day':'mon','start':'09:00','end':'11:00'}],"
	    "'previously_unmatched':true}],"
	    "'reporting_lines':[{'id':'12','manager':'3'},{'id':'3','manager':'99'}],"
	    "'history':[],'pins':[],'forbidden':[],'keep':[]}");
	json_t *j = json_loads(t, 0, NULL);

	free(t);
	return j;
}

/* Returns the rule count of the first unmatched mentee for a rule. */
static long
rule_count(json_t *r, const char *rule)
{
	json_t *u = json_array_get(json_object_get(r, "unmatched"), 0);

	return (long)json_integer_value(json_object_get(json_object_get(u, "rule_counts"), rule));
}

/* Each hard rule eliminates the only pair and is reported under its name. */
static void
test_domain_rules(void)
{
	int rc;
	json_t *inst = domain_pair_instance(), *r = solve_json(inst, &rc), *p;
	json_t *m = json_array_get(json_object_get(inst, "mentors"), 0);
	json_t *e = json_array_get(json_object_get(inst, "mentees"), 0);

	/* Paris 15:00-17:00 CET = 14-16 UTC; New York 09:00-11:00 EST = 14-16 UTC */
	CHECK(rc == 0 && num(r, "matched") == 1);
	p = json_array_get(json_object_get(r, "pairs"), 0);
	CHECK(p && num(json_object_get(p, "breakdown"), "skill_gain") == 9);
	CHECK(p && num(json_object_get(p, "breakdown"), "cross_department") == 4);
	CHECK(p && num(json_object_get(p, "breakdown"), "overlap") == 1);
	CHECK(p && num(json_object_get(p, "breakdown"), "previously_unmatched") == 2);
	CHECK(p && num(p, "score") == 16);
	CHECK(p &&
	      strcmp(json_string_value(json_object_get(
	                 json_object_get(json_object_get(p, "proposed_slot"), "utc"), "start")),
	             "14:00") == 0);
	CHECK(p && strcmp(json_string_value(json_object_get(
	                      json_object_get(json_object_get(p, "proposed_slot"), "mentee_local"),
	                      "start")),
	                  "09:00") == 0);
	json_decref(r);

	json_object_set_new(e, "languages", json_pack("[s]", "de"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "language") == 1);
	json_decref(r);
	json_object_set_new(e, "languages", json_pack("[s]", "EN"));
	json_object_set_new(m, "teaches",
	                    json_pack("[{s:s,s:i}]", "skill", "linkedin", "level", 1));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "skill") == 1);
	json_decref(r);
	json_object_set_new(m, "teaches",
	                    json_pack("[{s:s,s:i}]", "skill", "LinkedIn", "level", 2));
	json_object_set_new(
	    e, "availability",
	    json_pack("[{s:s,s:s,s:s}]", "day", "mon", "start", "10:30", "end", "12:00"));
	r = solve_json(inst, &rc);
	/* overlap is only 30 minutes (15:30-16:00 UTC) */
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "availability") == 1);
	json_decref(r);
	json_object_set_new(
	    e, "availability",
	    json_pack("[{s:s,s:s,s:s}]", "day", "mon", "start", "09:00", "end", "10:00"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	/* reporting line up the chain: 7 -> 5 -> 12 (7's manager is 5, whose manager is 12) */
	json_object_set_new(inst, "reporting_lines",
	                    json_pack("[{s:s,s:s},{s:s,s:s}]", "id", "7", "manager", "5", "id", "5",
	                              "manager", "12"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "reporting_line") == 1);
	json_decref(r);
	/* a management cycle 7 -> 12 -> 7 must not hang and blocks the pair */
	json_object_set_new(inst, "reporting_lines",
	                    json_pack("[{s:s,s:s},{s:s,s:s}]", "id", "7", "manager", "12", "id",
	                              "12", "manager", "7"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "reporting_line") == 1);
	json_decref(r);
	/* peers: 7 and 12 both report to 5; paired unless exclude_same_manager, which counts them
	 * under reporting_line */
	json_object_set_new(inst, "reporting_lines",
	                    json_pack("[{s:s,s:s},{s:s,s:s}]", "id", "7", "manager", "5", "id",
	                              "12", "manager", "5"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	json_object_set_new(inst, "exclude_same_manager", json_true());
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "reporting_line") == 1);
	json_decref(r);
	/* ... only for the same direct manager: 12 under 6, 6 under 5 is no peer of 7 */
	json_object_set_new(inst, "reporting_lines",
	                    json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "id", "7", "manager", "5",
	                              "id", "12", "manager", "6", "id", "6", "manager", "5"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	/* two reports of managers unknown to the lines (none) are no peers */
	json_object_set_new(inst, "reporting_lines", json_array());
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	json_object_del(inst, "exclude_same_manager");
	json_object_set_new(inst, "history",
	                    json_pack("[{s:s,s:s}]", "mentor", "7", "mentee", "12"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "history") == 1);
	json_decref(r);
	json_object_set_new(inst, "allow_repeat_pairs", json_true());
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	json_object_set_new(inst, "forbidden",
	                    json_pack("[{s:s,s:s}]", "mentor", "7", "mentee", "12"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "forbidden") == 1);
	json_decref(r);
	/* pinning a forbidden pair is infeasible, not a crash */
	json_object_set_new(inst, "pins", json_pack("[{s:s,s:s}]", "mentor", "7", "mentee", "12"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && status_is(r, "infeasible"));
	json_decref(r);
	json_object_set_new(inst, "pins", json_array());
	json_object_set_new(inst, "forbidden", json_array());
	/* a person in both lists is never paired with themselves */
	json_object_set_new(e, "id", json_string("7"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 &&
	      strcmp(json_string_value(json_object_get(
	                 json_array_get(json_object_get(r, "unmatched"), 0), "reason")),
	             "no_candidate") == 0);
	json_decref(r);
	json_decref(inst);
}

/* Priority 1 = most wanted weighs most (issue 7): a manager with esn_posting at priority 1 and
 * video_meetings at priority 3, one level-4 mentor for each, gets the esn_posting mentor. */
static void
test_priority_weights(void)
{
	int rc;
	char *t =
	    fmt("{'reference_week':'2026-11-30','session_minutes':60,"
	        "'mentors':[{'id':'1','timezone':'Europe/Paris','languages':['en'],'capacity':1,"
	        "'teaches':[{'skill':'video_meetings','level':4}],"
	        "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]},"
	        "{'id':'2','timezone':'Europe/Paris','languages':['en'],'capacity':1,"
	        "'teaches':[{'skill':'esn_posting','level':4}],"
	        "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}],"
	        "'mentees':[{'id':'9','timezone':'Europe/Paris','languages':['en'],"
	        "'goals':[{'skill':'esn_posting','current_level':0,'priority':1},"
	        "{'skill':'video_meetings','current_level':0,'priority':3}],"
	        "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}]}");
	json_t *r = solve_text(t, &rc), *p = json_array_get(json_object_get(r, "pairs"), 0);

	CHECK(rc == 0 && mentor_of(r, "9") && strcmp(mentor_of(r, "9"), "2") == 0);
	/* weights 3, 2, 1 for priorities 1, 2, 3: 3 x (4 - 0) */
	CHECK(p && num(json_object_get(p, "breakdown"), "skill_gain") == 12);
	json_decref(r);
	free(t);
	/* priority 2 weighs 2; priorities outside 1..3 or not integers are bad instances */
	t = fmt("{'reference_week':'2026-11-30','session_minutes':60,"
	        "'mentors':[{'id':'1','timezone':'UTC','languages':['en'],'capacity':1,"
	        "'teaches':[{'skill':'x','level':4}],"
	        "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}],"
	        "'mentees':[{'id':'9','timezone':'UTC','languages':['en'],"
	        "'goals':[{'skill':'x','current_level':1,'priority':%s}],"
	        "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}]}",
	        "2");
	r = solve_text(t, &rc);
	p = json_array_get(json_object_get(r, "pairs"), 0);
	CHECK(rc == 0 && p && num(json_object_get(p, "breakdown"), "skill_gain") == 6);
	json_decref(r);
	free(t);
	for (int i = 0; i < 3; i++) {
		static const char *const bad[] = {"0", "4", "1.5"};

		t = fmt("{'reference_week':'2026-11-30','session_minutes':60,'mentors':[],"
		        "'mentees':[{'id':'9','timezone':'UTC','languages':['en'],"
		        "'goals':[{'skill':'x','current_level':1,'priority':%s}],"
		        "'availability':[]}]}",
		        bad[i]);
		r = solve_text(t, &rc);
		CHECK(rc == 2 && r == NULL);
		free(t);
	}
}

/* Builds a one-pair instance over March-November 2026: mentor (zone zm, Monday/Tuesday/Sunday
 * slot) and mentee (zone ze); pinned when pin is true. Caller frees. */
static char *
period_instance(const char *zm, const char *mslot, const char *ze, const char *eslot, bool pin)
{
	return fmt("{'session_minutes':60,'starts_on':'2026-03-02','ends_on':'2026-11-29',"
	           "'mentors':[{'id':'m','timezone':'%s','languages':['en'],'capacity':1,"
	           "'teaches':[{'skill':'x','level':4}],'availability':[%s]}],"
	           "'mentees':[{'id':'e','timezone':'%s','languages':['en'],"
	           "'goals':[{'skill':'x','current_level':1}],'availability':[%s]}],"
	           "'pins':[%s]}",
	           zm, mslot, ze, eslot, pin ? "{'mentor':'m','mentee':'e'}" : "");
}

/* Renders the valid_weeks of the first pair's proposed slot as "from..to,from..to". */
static void
valid_weeks_text(json_t *r, char *buf, size_t len)
{
	json_t *ps =
	    json_object_get(json_array_get(json_object_get(r, "pairs"), 0), "proposed_slot");
	json_t *w;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(ps, "valid_weeks"), i, w) n +=
	    (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s..%s", i ? "," : "",
	                     json_string_value(json_object_get(w, "from")),
	                     json_string_value(json_object_get(w, "to")));
}

/* Availability holds in every week of the period (issue 7): New York changes clocks on March 8
 * and November 1 2026, Paris on March 29 and October 25, Singapore never. */
static void
test_period_availability(void)
{
	int rc;
	char weeks[512];
	const char *ny_mon9 = "{'day':'mon','start':'09:00','end':'10:00'}";
	char *t = period_instance("Europe/Paris", "{'day':'mon','start':'15:00','end':'16:00'}",
	                          "America/New_York", ny_mon9, false);
	json_t *r = solve_text(t, &rc), *p, *ps;

	/* NY 09:00 is Paris 15:00 when 6 h apart, 14:00 for the weeks they are 5 h apart */
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "availability") == 1);
	json_decref(r);
	free(t);
	/* a pin wins, and the explanation says which weeks work */
	t = period_instance("Europe/Paris", "{'day':'mon','start':'15:00','end':'16:00'}",
	                    "America/New_York", ny_mon9, true);
	r = solve_text(t, &rc);
	p = json_array_get(json_object_get(r, "pairs"), 0);
	ps = json_object_get(p, "proposed_slot");
	CHECK(rc == 0 && status_is(r, "optimal") && num(r, "matched") == 1);
	CHECK(ps && json_is_false(json_object_get(ps, "every_week")));
	CHECK(ps && strcmp(json_string_value(json_object_get(ps, "anchor")), "mentee") == 0);
	valid_weeks_text(r, weeks, sizeof(weeks));
	CHECK(strcmp(weeks, "2026-03-02..2026-03-08,2026-03-30..2026-10-25,"
	                    "2026-11-02..2026-11-29") == 0);
	if (strcmp(weeks, "2026-03-02..2026-03-08,2026-03-30..2026-10-25,2026-11-02..2026-11-29"))
		fprintf(stderr, "  valid weeks: %s\n", weeks);
	/* the worst week has no common hour */
	CHECK(p && num(json_object_get(p, "breakdown"), "overlap") == 0);
	json_decref(r);
	free(t);
	/* Paris 14:00-16:00 covers both offsets: every week, slot as in the first week */
	t = period_instance("Europe/Paris", "{'day':'mon','start':'14:00','end':'16:00'}",
	                    "America/New_York", ny_mon9, false);
	r = solve_text(t, &rc);
	ps = json_object_get(json_array_get(json_object_get(r, "pairs"), 0), "proposed_slot");
	CHECK(rc == 0 && num(r, "matched") == 1 && json_is_true(json_object_get(ps, "every_week")));
	CHECK(ps && strcmp(json_string_value(
	                       json_object_get(json_object_get(ps, "mentor_local"), "start")),
	                   "15:00") == 0);
	CHECK(ps && strcmp(json_string_value(json_object_get(json_object_get(ps, "utc"), "start")),
	                   "14:00") == 0);
	valid_weeks_text(r, weeks, sizeof(weeks));
	CHECK(strcmp(weeks, "2026-03-02..2026-11-29") == 0);
	json_decref(r);
	free(t);
	/* Singapore Monday 08:00-10:00 holds a New York Sunday 20:00 meeting all year (12 or 13 h)
	 */
	t = period_instance("Asia/Singapore", "{'day':'mon','start':'08:00','end':'10:00'}",
	                    "America/New_York", "{'day':'sun','start':'20:00','end':'21:00'}",
	                    false);
	r = solve_text(t, &rc);
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	free(t);
	/* Singapore 16:00 is Paris 09:00 only in Paris winter time (7 h apart) */
	t = period_instance("Asia/Singapore", "{'day':'tue','start':'16:00','end':'17:00'}",
	                    "Europe/Paris", "{'day':'tue','start':'09:00','end':'10:00'}", false);
	r = solve_text(t, &rc);
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "availability") == 1);
	json_decref(r);
	free(t);
	t = period_instance("Asia/Singapore", "{'day':'tue','start':'16:00','end':'17:00'}",
	                    "Europe/Paris", "{'day':'tue','start':'09:00','end':'10:00'}", true);
	r = solve_text(t, &rc);
	valid_weeks_text(r, weeks, sizeof(weeks));
	CHECK(rc == 0 && strcmp(weeks, "2026-03-02..2026-03-29,2026-10-26..2026-11-29") == 0);
	json_decref(r);
	free(t);
	/* bad periods are bad instances */
	{
		static const char *const bad[] = {
		    "'starts_on':'2026-03-02'", "'starts_on':'2026-03-02','ends_on':'2026-03-01'",
		    "'starts_on':'2026-03-02','ends_on':'2029-03-01'",
		    "'starts_on':'2026-02-30','ends_on':'2026-03-09'"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			t = fmt("{'session_minutes':60,%s,'mentors':[],'mentees':[]}", bad[i]);
			r = solve_text(t, &rc);
			CHECK(rc == 2 && r == NULL);
			free(t);
		}
	}
}

/* Returns the i-th issue's string member k, or "" when absent. */
static const char *
issue_str(json_t *r, size_t i, const char *k)
{
	const char *v =
	    json_string_value(json_object_get(json_array_get(json_object_get(r, "issues"), i), k));

	return v != NULL ? v : "";
}

/* Issues are machine-readable (issue 7: HR reads names, so the server must get ids and codes):
 * every bad pin is listed with its code, mentor, mentee and rule, a capacity overflow with the
 * capacity; a pin fitting some weeks only is a warning. */
static void
test_structured_issues(void)
{
	int rc;
	json_t *inst = domain_pair_instance(), *r;

	/* 7 reports to 12: pinning them breaks reporting_line */
	json_object_set_new(inst, "reporting_lines",
	                    json_pack("[{s:s,s:s}]", "id", "7", "manager", "12"));
	json_object_set_new(inst, "pins", json_pack("[{s:s,s:s}]", "mentor", "7", "mentee", "12"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && status_is(r, "infeasible"));
	CHECK(json_array_size(json_object_get(r, "issues")) == 1);
	CHECK(strcmp(issue_str(r, 0, "level"), "error") == 0 &&
	      strcmp(issue_str(r, 0, "code"), "pin_breaks_rule") == 0 &&
	      strcmp(issue_str(r, 0, "mentor"), "7") == 0 &&
	      strcmp(issue_str(r, 0, "mentee"), "12") == 0 &&
	      strcmp(issue_str(r, 0, "rule"), "reporting_line") == 0);
	CHECK(r && strcmp(json_string_value(json_object_get(r, "message")),
	                  issue_str(r, 0, "message")) == 0);
	json_decref(r);
	json_decref(inst);
	/* explicit form: two mentees pinned to a capacity-1 mentor, and a pin that is no edge */
	{
		char *t = fmt("{'mentors':[{'id':'m1','capacity':1},{'id':'m2','capacity':1}],"
		              "'mentees':[{'id':'e1'},{'id':'e2'},{'id':'e3'}],"
		              "'edges':[{'mentor':'m1','mentee':'e1','score':1},"
		              "{'mentor':'m1','mentee':'e2','score':1}],"
		              "'pins':[{'mentor':'m1','mentee':'e1'},{'mentor':'m1','mentee':'e2'},"
		              "{'mentor':'m2','mentee':'e3'}]}");

		r = solve_text(t, &rc);
		CHECK(rc == 0 && status_is(r, "infeasible"));
		CHECK(json_array_size(json_object_get(r, "issues")) == 2);
		CHECK(strcmp(issue_str(r, 0, "code"), "pin_not_an_edge") == 0 &&
		      strcmp(issue_str(r, 0, "mentor"), "m2") == 0 &&
		      strcmp(issue_str(r, 0, "mentee"), "e3") == 0);
		CHECK(strcmp(issue_str(r, 1, "code"), "pins_exceed_capacity") == 0 &&
		      strcmp(issue_str(r, 1, "mentor"), "m1") == 0 &&
		      json_integer_value(json_object_get(
		          json_array_get(json_object_get(r, "issues"), 1), "capacity")) == 1);
		json_decref(r);
		free(t);
		/* a pin fitting some weeks only: solved, with a warning */
		t = period_instance("Europe/Paris", "{'day':'mon','start':'15:00','end':'16:00'}",
		                    "America/New_York",
		                    "{'day':'mon','start':'09:00','end':'10:00'}", true);
		r = solve_text(t, &rc);
		CHECK(rc == 0 && status_is(r, "optimal"));
		CHECK(strcmp(issue_str(r, 0, "level"), "warning") == 0 &&
		      strcmp(issue_str(r, 0, "code"), "pin_fits_some_weeks") == 0 &&
		      strcmp(issue_str(r, 0, "rule"), "availability") == 0 &&
		      strcmp(issue_str(r, 0, "mentor"), "m") == 0);
		json_decref(r);
		free(t);
	}
}

/* stats.kept counts the pairs kept from the previous solution (issue 7: it was always null). */
static void
test_kept_count(void)
{
	int rc;
	char *t =
	    fmt("{'mentors':[{'id':'m1','capacity':1},{'id':'m2','capacity':1}],"
	        "'mentees':[{'id':'e1'},{'id':'e2'}],"
	        "'edges':[{'mentor':'m1','mentee':'e1','score':5},"
	        "{'mentor':'m2','mentee':'e2','score':5},{'mentor':'m2','mentee':'e1','score':1}],"
	        "'keep':[{'mentor':'m1','mentee':'e1'},{'mentor':'m2','mentee':'e2'},"
	        "{'mentor':'m9','mentee':'e2'}]}");
	json_t *r = solve_text(t, &rc), *st = json_object_get(r, "stats");

	CHECK(rc == 0 && json_integer_value(json_object_get(st, "kept")) == 2);
	CHECK(json_integer_value(json_object_get(st, "keep_feasible")) == 2);
	json_decref(r);
	free(t);
	t = fmt("{'mentors':[{'id':'m1','capacity':1}],'mentees':[{'id':'e1'}],"
	        "'edges':[{'mentor':'m1','mentee':'e1','score':5}]}");
	r = solve_text(t, &rc);
	st = json_object_get(r, "stats");
	CHECK(rc == 0 && json_is_integer(json_object_get(st, "kept")) &&
	      json_integer_value(json_object_get(st, "kept")) == 0);
	json_decref(r);
	free(t);
}

/* DST: in the week of 2026-03-09 New York is on EDT but Paris still on CET, so the overlap moves.
 */
static void
test_dst_week(void)
{
	int rc;
	json_t *inst = domain_pair_instance(), *r;
	json_t *e = json_array_get(json_object_get(inst, "mentees"), 0);
	json_t *m = json_array_get(json_object_get(inst, "mentors"), 0);

	/* mentor Paris Mon 15:00-16:00 = 14:00 UTC (CET); mentee NY Mon 10:00-11:00 */
	json_object_set_new(
	    m, "availability",
	    json_pack("[{s:s,s:s,s:s}]", "day", "mon", "start", "15:00", "end", "16:00"));
	json_object_set_new(
	    e, "availability",
	    json_pack("[{s:s,s:s,s:s}]", "day", "mon", "start", "10:00", "end", "11:00"));
	json_object_set_new(inst, "reference_week", json_string("2026-03-09"));
	r = solve_json(inst, &rc); /* EDT: 10:00 = 14:00 UTC -> overlap */
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	json_object_set_new(inst, "reference_week", json_string("2026-03-02"));
	r = solve_json(inst, &rc); /* EST: 10:00 = 15:00 UTC -> none */
	CHECK(rc == 0 && num(r, "matched") == 0 && rule_count(r, "availability") == 1);
	json_decref(r);
	/* Tokyo Monday 08:00 is Sunday 23:00 UTC: the week wraps Sunday -> Monday */
	json_object_set_new(m, "timezone", json_string("Asia/Tokyo"));
	json_object_set_new(
	    m, "availability",
	    json_pack("[{s:s,s:s,s:s}]", "day", "mon", "start", "08:00", "end", "10:00"));
	json_object_set_new(e, "timezone", json_string("UTC"));
	json_object_set_new(
	    e, "availability",
	    json_pack("[{s:s,s:s,s:s}]", "day", "sun", "start", "23:00", "end", "24:00"));
	r = solve_json(inst, &rc);
	CHECK(rc == 0 && num(r, "matched") == 1);
	json_decref(r);
	json_decref(inst);
}

/* Deterministic pseudo-random generator for property tests. */
static unsigned long long rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng_state >> 33) % n);
}

struct small {
	int nm, ne, cap[6];
	int edge[7][6]; /* score or -1 */
};

/* Brute force: best (matched, score) lexicographically or best score over all assignments. */
static void
brute(const struct small *s, int e, int *load, int cnt, int sc, bool lexi, int *bc, int *bs)
{
	if (e == s->ne) {
		if ((lexi && (cnt > *bc || (cnt == *bc && sc > *bs))) || (!lexi && sc > *bs)) {
			*bc = cnt;
			*bs = sc;
		}
		return;
	}
	brute(s, e + 1, load, cnt, sc, lexi, bc, bs);
	for (int m = 0; m < s->nm; m++)
		if (s->edge[e][m] >= 0 && load[m] < s->cap[m]) {
			load[m]++;
			brute(s, e + 1, load, cnt + 1, sc + s->edge[e][m], lexi, bc, bs);
			load[m]--;
		}
}

/* Random explicit instances: the solver's optimum equals brute force and is a valid matching. */
static void
test_random_vs_brute_force(void)
{
	int bad = 0;

	rng_state = 42;
	for (int it = 0; it < 300; it++) {
		struct small s;
		json_t *inst = json_object(), *ms = json_array(), *es = json_array(),
		       *ed = json_array(), *r;
		bool lexi = it % 2 == 0;
		int rc, bc = -1, bs = -1, load[6] = {0}, mload[6] = {0}, seen[7] = {0};
		double obj = 0;
		size_t i;
		json_t *p;

		s.nm = 1 + (int)rnd(5);
		s.ne = 1 + (int)rnd(6);
		for (int m = 0; m < s.nm; m++) {
			char id[16];

			s.cap[m] = (int)rnd(3);
			snprintf(id, sizeof(id), "m%d", m);
			json_array_append_new(
			    ms, json_pack("{s:s,s:i}", "id", id, "capacity", s.cap[m]));
		}
		for (int e = 0; e < s.ne; e++) {
			char id[16];

			snprintf(id, sizeof(id), "e%d", e);
			json_array_append_new(es, json_pack("{s:s}", "id", id));
			for (int m = 0; m < s.nm; m++) {
				s.edge[e][m] = rnd(10) < 6 ? (int)rnd(20) - 3 : -1;
				if (s.edge[e][m] >= 0) {
					char mid[16];

					snprintf(mid, sizeof(mid), "m%d", m);
					json_array_append_new(
					    ed, json_pack("{s:s,s:s,s:i}", "mentor", mid, "mentee",
					                  id, "score", s.edge[e][m]));
				}
			}
		}
		json_object_set_new(inst, "objective",
		                    json_string(lexi ? "max_matched_then_score" : "max_score"));
		json_object_set_new(inst, "mentors", ms);
		json_object_set_new(inst, "mentees", es);
		json_object_set_new(inst, "edges", ed);
		brute(&s, 0, load, 0, 0, lexi, &bc, &bs);
		r = solve_json(inst, &rc);
		if (rc != 0 || !status_is(r, "optimal")) {
			bad++;
			json_decref(r);
			json_decref(inst);
			continue;
		}
		json_array_foreach(json_object_get(r, "pairs"), i, p)
		{
			int m = atoi(json_string_value(json_object_get(p, "mentor")) + 1);
			int e = atoi(json_string_value(json_object_get(p, "mentee")) + 1);

			if (s.edge[e][m] < 0 || ++mload[m] > s.cap[m] || seen[e]++)
				bad++;
			obj += s.edge[e][m];
		}
		if (fabs(obj - bs) > 1e-6 || fabs(num(r, "objective") - bs) > 1e-6 ||
		    (lexi && num(r, "matched") != bc)) {
			fprintf(stderr, "  random %d: got %g/%g want %d/%d\n", it, obj,
			        num(r, "matched"), bs, bc);
			bad++;
		}
		/* max_score: the combinatorial start is an optimal basis (GLPK pivots 0 times) */
		if (!lexi && (strcmp(json_string_value(
		                         json_object_get(json_object_get(r, "stats"), "lp_start")),
		                     "combinatorial") != 0 ||
		              num(json_object_get(r, "stats"), "lp_iterations") != 0)) {
			if (getenv("TEST_VERBOSE"))
				json_dumpf(inst, stderr, JSON_COMPACT);
			fprintf(stderr,
			        "  random %d: combinatorial start not taken as optimal (%s, %g)\n",
			        it,
			        json_string_value(
			            json_object_get(json_object_get(r, "stats"), "lp_start")),
			        num(json_object_get(r, "stats"), "lp_iterations"));
			bad++;
		}
		json_decref(r);
		json_decref(inst);
	}
	CHECK(bad == 0);
}

/* Combinatorial start: taken on a lexicographic instance whose max-score optimum already has N*
 * pairs, and left for the greedy start when the max-score optimum matches fewer (same optimum). */
static void
test_combinatorial_start(void)
{
	int rc;
	char *t = fmt("{'objective':'max_matched_then_score','mentors':[{'id':'m1','capacity':1},"
	              "{'id':'m2','capacity':1}],'mentees':[{'id':'e1'},{'id':'e2'}],'edges':["
	              "{'mentor':'m1','mentee':'e1','score':10},{'mentor':'m2','mentee':'e1',"
	              "'score':9},{'mentor':'m1','mentee':'e2','score':9}]}");
	json_t *r = solve_text(t, &rc), *st = json_object_get(r, "stats");

	CHECK(rc == 0 && num(r, "objective") == 18 && num(r, "matched") == 2);
	CHECK(st &&
	      strcmp(json_string_value(json_object_get(st, "lp_start")), "combinatorial") == 0 &&
	      num(st, "lp_iterations") == 0);
	json_decref(r);
	free(t);
	/* max score takes e1-m1 alone (10); N* = 2 needs e1-m2 and e2-m1 (score 2) */
	t = fmt("{'objective':'max_matched_then_score','mentors':[{'id':'m1','capacity':1},"
	        "{'id':'m2','capacity':1}],'mentees':[{'id':'e1'},{'id':'e2'}],'edges':["
	        "{'mentor':'m1','mentee':'e1','score':10},{'mentor':'m2','mentee':'e1','score':1},"
	        "{'mentor':'m1','mentee':'e2','score':1}]}");
	r = solve_text(t, &rc);
	st = json_object_get(r, "stats");
	CHECK(rc == 0 && num(r, "objective") == 2 && num(r, "matched") == 2);
	CHECK(st && strcmp(json_string_value(json_object_get(st, "lp_start")), "greedy") == 0);
	CHECK(r && json_is_true(json_object_get(json_object_get(r, "proof"),
	                                        "optimal_over_all_feasible_pairs")));
	json_decref(r);
	free(t);
}

/* Random domain instances with fixed-offset zones: every returned pair obeys the hard rules
 * checked independently here, and the optimum equals brute force over independently computed
 * feasible pairs. */
static void
test_random_domain(void)
{
	long implicit_expansions = 0;
	static const char *const zones[] = {"UTC", "Etc/GMT-1", "Etc/GMT+5", "Etc/GMT-9"};
	static const int offs[] = {0, 1, -5, 9};
	static const char *const langs[] = {"en", "fr", "de"};
	int bad = 0;

	rng_state = 7;
	for (int it = 0; it < 120; it++) {
		int nm = 1 + (int)rnd(4), ne = 1 + (int)rnd(5), rc;
		int mz[5], ez[6], ml[5], el[6], mlev[5], ecur[6], mh[5], eh[6], mboss[5];
		struct small s;
		json_t *inst = json_object(), *ms = json_array(), *es = json_array(),
		       *lines = json_array(), *r, *p;
		int bc = -1, bs = -1, load[6] = {0};
		size_t i;
		bool lexi = it % 2 == 1;

		s.nm = nm;
		s.ne = ne;
		for (int m = 0; m < nm; m++) {
			char id[16], st[16], en[16];

			mz[m] = (int)rnd(4);
			ml[m] = 1 + (int)rnd(7); /* language bit mask */
			mlev[m] = 1 + (int)rnd(4);
			mh[m] = 8 + (int)rnd(10); /* local start hour on Monday, 2 hours */
			s.cap[m] = 1 + (int)rnd(2);
			mboss[m] = rnd(4) == 0 ? (int)rnd((unsigned)ne) : -1;
			snprintf(id, sizeof(id), "m%d", m);
			snprintf(st, sizeof(st), "%02d:00", mh[m]);
			snprintf(en, sizeof(en), "%02d:00", mh[m] + 2);
			json_t *lv = json_array();
			for (int b = 0; b < 3; b++)
				if (ml[m] & (1 << b))
					json_array_append_new(lv, json_string(langs[b]));
			json_array_append_new(
			    ms, json_pack("{s:s,s:s,s:s,s:o,s:i,s:[{s:s,s:i}],s:[{s:s,s:s,s:s}]}",
			                  "id", id, "department", m % 2 ? "A" : "B", "timezone",
			                  zones[mz[m]], "languages", lv, "capacity", s.cap[m],
			                  "teaches", "skill", "x", "level", mlev[m], "availability",
			                  "day", "mon", "start", st, "end", en));
			if (mboss[m] >= 0) {
				char bid[16];

				snprintf(bid, sizeof(bid), "e%d", mboss[m]);
				json_array_append_new(
				    lines, json_pack("{s:s,s:s}", "id", id, "manager", bid));
			}
		}
		for (int e = 0; e < ne; e++) {
			char id[16], st[16], en[16];

			ez[e] = (int)rnd(4);
			el[e] = 1 + (int)rnd(7);
			ecur[e] = (int)rnd(3);
			eh[e] = 8 + (int)rnd(10);
			snprintf(id, sizeof(id), "e%d", e);
			snprintf(st, sizeof(st), "%02d:00", eh[e]);
			snprintf(en, sizeof(en), "%02d:00", eh[e] + 2);
			json_t *lv = json_array();
			for (int b = 0; b < 3; b++)
				if (el[e] & (1 << b))
					json_array_append_new(lv, json_string(langs[b]));
			json_array_append_new(
			    es, json_pack("{s:s,s:s,s:s,s:o,s:[{s:s,s:i,s:i}],s:[{s:s,s:s,s:s}]}",
			                  "id", id, "department", e % 2 ? "A" : "B", "timezone",
			                  zones[ez[e]], "languages", lv, "goals", "skill", "x",
			                  "current_level", ecur[e], "priority", 1, "availability",
			                  "day", "mon", "start", st, "end", en));
		}
		/* independent oracle: feasibility and integer score (weights chosen integral;
		 * priority 1 weighs 3, skill_gain weight 2) */
		for (int e = 0; e < ne; e++)
			for (int m = 0; m < nm; m++) {
				int a0 = mh[m] - offs[mz[m]], b0 = eh[e] - offs[ez[e]];
				int ov = (a0 + 2 < b0 + 2 ? a0 + 2 : b0 + 2) - (a0 > b0 ? a0 : b0);
				bool ok = (ml[m] & el[e]) && mlev[m] > ecur[e] && ov >= 1 &&
				          mboss[m] != e;

				s.edge[e][m] = ok ? (mlev[m] - ecur[e]) * 3 * 2 +
				                        (m % 2 != e % 2 ? 3 : 0) + ov * 1
				                  : -1;
			}
		json_object_set_new(inst, "objective",
		                    json_string(lexi ? "max_matched_then_score" : "max_score"));
		json_object_set_new(inst, "reference_week", json_string("2026-06-01"));
		json_object_set_new(inst, "session_minutes", json_integer(60));
		json_object_set_new(inst, "weights",
		                    json_pack("{s:f,s:f,s:f,s:f,s:f}", "skill_gain", 2.0,
		                              "cross_department", 3.0, "overlap_per_hour", 1.0,
		                              "overlap_cap_hours", 8.0, "previously_unmatched",
		                              0.0));
		json_object_set_new(inst, "mentors", ms);
		json_object_set_new(inst, "mentees", es);
		json_object_set_new(inst, "reporting_lines", lines);
		brute(&s, 0, load, 0, 0, lexi, &bc, &bs);
		r = solve_json(inst, &rc);
		if (rc != 0 || !status_is(r, "optimal")) {
			bad++;
		} else {
			double obj = 0;
			int mload[6] = {0}, seen[7] = {0};

			json_array_foreach(json_object_get(r, "pairs"), i, p)
			{
				int m = atoi(json_string_value(json_object_get(p, "mentor")) + 1);
				int e = atoi(json_string_value(json_object_get(p, "mentee")) + 1);

				if (s.edge[e][m] < 0 || ++mload[m] > s.cap[m] || seen[e]++ ||
				    fabs(num(p, "score") - s.edge[e][m]) > 1e-9)
					bad++;
				obj += s.edge[e][m];
			}
			if (fabs(obj - bs) > 1e-6 || (lexi && num(r, "matched") != bc)) {
				fprintf(stderr, "  domain random %d: got %g want %d\n", it, obj,
				        bs);
				bad++;
			}
		}
		json_decref(r);
		/* one pair per mentee held (the others bounded, added when the duals ask):
		 * the same optimum, proven */
		json_object_set_new(inst, "solver", json_pack("{s:i}", "pairs_per_mentee", it % 3));
		r = solve_json(inst, &rc);
		if (rc != 0 || !status_is(r, "optimal") || fabs(num(r, "objective") - bs) > 1e-6 ||
		    (lexi && num(r, "matched") != bc) ||
		    !json_is_true(json_object_get(json_object_get(r, "proof"),
		                                  "optimal_over_all_feasible_pairs"))) {
			fprintf(stderr, "  domain random %d (%d pairs held): got %g want %d\n", it,
			        it % 3, r ? num(r, "objective") : -1.0, bs);
			bad++;
		}
		implicit_expansions +=
		    r ? (long)num(json_object_get(r, "stats"), "expanded_mentees") : 0;
		json_decref(r);
		json_decref(inst);
	}
	CHECK(bad == 0);
	/* the bound really is exercised: some mentees needed their other pairs */
	CHECK(implicit_expansions > 0);
}

/* Mentees with several goals over a few skills (the threshold read's vector gain pass): every
 * pair's score equals an independent computation, and holding 1 or 2 pairs per mentee gives the
 * objective of holding them all, proven, on 60 random instances. */
static void
test_random_multigoal(void)
{
	static const char *skills[] = {"s0", "s1", "s2", "s3"};
	static const int weight[] = {0, 3, 2, 1};
	int bad = 0;

	for (int it = 0; it < 60; it++) {
		int nm = 4 + (int)rnd(12), ne = 3 + (int)rnd(10), lvl[16][4], cur[13][4], pr[13][4];
		json_t *inst = json_object(), *ms = json_array(), *es = json_array(), *r, *p;
		double full = 0;
		size_t i;

		for (int m = 0; m < nm; m++) {
			char id[16];
			json_t *t = json_array();

			snprintf(id, sizeof(id), "m%d", m);
			for (int k = 0; k < 4; k++) {
				lvl[m][k] = rnd(2) ? 1 + (int)rnd(5) : -1;
				if (lvl[m][k] >= 0)
					json_array_append_new(t, json_pack("{s:s,s:i}", "skill",
					                                   skills[k], "level",
					                                   lvl[m][k]));
			}
			json_array_append_new(
			    ms, json_pack("{s:s,s:s,s:[s],s:i,s:o,s:[{s:s,s:s,s:s}]}", "id", id,
			                  "timezone", "UTC", "languages", "en", "capacity",
			                  1 + (int)rnd(2), "teaches", t, "availability", "day",
			                  "mon", "start", "09:00", "end", "12:00"));
		}
		for (int e = 0; e < ne; e++) {
			char id[16];
			json_t *g = json_array();

			snprintf(id, sizeof(id), "e%d", e);
			for (int k = 0; k < 4; k++) {
				cur[e][k] = rnd(3) ? (int)rnd(3) : -1; /* -1: not a goal */
				pr[e][k] = 1 + (int)rnd(3);
				if (cur[e][k] >= 0)
					json_array_append_new(
					    g, json_pack("{s:s,s:i,s:i}", "skill", skills[k],
					                 "current_level", cur[e][k], "priority",
					                 pr[e][k]));
			}
			json_array_append_new(
			    es,
			    json_pack("{s:s,s:s,s:[s],s:o,s:[{s:s,s:s,s:s}]}", "id", id, "timezone",
			              "UTC", "languages", "en", "goals", g, "availability", "day",
			              "mon", "start", "10:00", "end", rnd(2) ? "11:00" : "12:00"));
		}
		json_object_set_new(inst, "objective", json_string("max_score"));
		json_object_set_new(inst, "reference_week", json_string("2026-06-01"));
		json_object_set_new(inst, "session_minutes", json_integer(60));
		json_object_set_new(inst, "weights",
		                    json_pack("{s:f,s:f,s:f,s:f,s:f}", "skill_gain", 1.0,
		                              "cross_department", 0.0, "overlap_per_hour", 0.0,
		                              "overlap_cap_hours", 4.0, "previously_unmatched",
		                              0.0));
		json_object_set_new(inst, "mentors", ms);
		json_object_set_new(inst, "mentees", es);
		for (int held = 0; held <= 2; held++) {
			json_object_set_new(inst, "solver",
			                    json_pack("{s:i}", "pairs_per_mentee", held));
			r = solve_json(inst, &(int){0});
			if (!status_is(r, "optimal") ||
			    !json_is_true(json_object_get(json_object_get(r, "proof"),
			                                  "optimal_over_all_feasible_pairs"))) {
				bad++;
				json_decref(r);
				continue;
			}
			json_array_foreach(json_object_get(r, "pairs"), i, p)
			{
				int m = atoi(json_string_value(json_object_get(p, "mentor")) + 1);
				int e = atoi(json_string_value(json_object_get(p, "mentee")) + 1),
				    want = 0;

				for (int k = 0; k < 4; k++)
					if (cur[e][k] >= 0 && lvl[m][k] > cur[e][k])
						want += weight[pr[e][k]] * (lvl[m][k] - cur[e][k]);
				if (fabs(num(p, "score") - want) > 1e-9)
					bad++;
			}
			if (held == 0)
				full = num(r, "objective");
			else if (fabs(num(r, "objective") - full) > 1e-9) {
				fprintf(stderr, "  multigoal random %d (%d held): got %g want %g\n",
				        it, held, num(r, "objective"), full);
				bad++;
			}
			json_decref(r);
		}
		json_decref(inst);
	}
	CHECK(bad == 0);
}

/* The day hulls bounding the overlap of two weeks (the threshold read's cheap score bound):
 * never below the exact overlap of random weeks, equal to it when every day of both is free in
 * one piece (week_days_one_piece, checked against a count per day: then the score uses it), and
 * each hull spans exactly its day's first to last free slot. */
static void
test_week_hull_bound(void)
{
	int bad = 0;

	rng_state = 11;
	for (int it = 0; it < 2000; it++) {
		bool one_piece = it % 2 == 0;
		week_t a, b;
		struct week_hull ha, hb;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		for (int x = 0; x < 2; x++) {
			week_t *w = x == 0 ? &a : &b;

			for (int d = 0; d < 7; d++) {
				int pieces = one_piece ? (int)rnd(2) : (int)rnd(4);

				for (int k = 0; k < pieces; k++) {
					int s = (int)rnd(DAY_SLOTS), len = 1 + (int)rnd(24);

					for (int q = s; q < s + len && q < DAY_SLOTS; q++)
						week_set(w, d * DAY_SLOTS + q);
				}
			}
		}
		bool pieces_one = true;

		week_day_hull(&a, &ha);
		week_day_hull(&b, &hb);
		for (int d = 0; d < 7; d++) {
			int lo = -1, hi = 0, n = 0;

			for (int q = 0; q < DAY_SLOTS; q++)
				if (week_get(&a, d * DAY_SLOTS + q)) {
					lo = lo < 0 ? q : lo;
					hi = q + 1;
					n++;
				}
			if (ha.lo[d] != (lo < 0 ? 0 : lo) || ha.hi[d] != hi)
				bad++;
			pieces_one = pieces_one && n == (lo < 0 ? 0 : hi - lo);
		}
		if (week_days_one_piece(&a, &ha) != pieces_one || (one_piece && !pieces_one))
			bad++;
		if (week_hull_overlap(&ha, &hb) < week_overlap(&a, &b) ||
		    (week_days_one_piece(&a, &ha) && week_days_one_piece(&b, &hb) &&
		     week_hull_overlap(&ha, &hb) != week_overlap(&a, &b)))
			bad++;
	}
	CHECK(bad == 0);
}

/* The availability test from day hulls (weeks free in one piece a day) equals the test of the
 * window starts on random such weeks, with parts touching midnight (runs over several days, the
 * Sunday to Monday wrap, whole free weeks) and window lengths from 1 slot to a whole week. */
static void
test_week_hull_run(void)
{
	int bad = 0, fits = 0;

	rng_state = 17;
	for (int it = 0; it < 3000; it++) {
		week_t a, b, sa, sb;
		struct week_hull ha, hb;
		int k = it % 10 == 0 ? 1 + (int)rnd(WEEK_SLOTS) : 1 + (int)rnd(16);

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		for (int x = 0; x < 2; x++) {
			week_t *w = x == 0 ? &a : &b;
			int shape = (int)rnd(4); /* 0: sparse, 1: touching midnight, 2-3: mixed */

			for (int d = 0; d < 7; d++) {
				int lo = (int)rnd(DAY_SLOTS),
				    hi = lo + 1 + (int)rnd(DAY_SLOTS - lo);

				if (it % 50 == 0 || (shape == 1 && rnd(2)) ||
				    (shape >= 2 && !rnd(4)))
					lo = 0;
				if (it % 50 == 0 || (shape == 1 && rnd(2)) ||
				    (shape >= 2 && !rnd(4)))
					hi = DAY_SLOTS;
				if (it % 50 != 0 && rnd(4) == 0)
					continue; /* a day without a free slot */
				for (int q = lo; q < hi; q++)
					week_set(w, d * DAY_SLOTS + q);
			}
		}
		week_day_hull(&a, &ha);
		week_day_hull(&b, &hb);
		week_starts(&a, k, &sa);
		week_starts(&b, k, &sb);
		if (!week_days_one_piece(&a, &ha) || !week_days_one_piece(&b, &hb) ||
		    week_hull_run(&ha, &hb, k) != week_intersects(&sa, &sb))
			bad++;
		fits += week_intersects(&sa, &sb);
	}
	CHECK(bad == 0);
	CHECK(fits > 300 && fits < 2700); /* both outcomes are exercised */
}

/* The word-wise week operations (chunks, rotations, window starts, coarse summaries) equal
 * slot-by-slot references on random weeks, for every position, shift and window length. */
static void
test_week_words(void)
{
	int bad = 0;

	rng_state = 13;
	for (int it = 0; it < 300; it++) {
		week_t a, r, st;
		int k = it % 3 == 0 ? 1 + (int)rnd(8) : (int)rnd(700), s = (int)rnd(2000) - 1000;
		uint64_t coarse = 0;

		memset(&a, 0, sizeof(a));
		for (int n = (int)rnd(60); n > 0; n--) {
			int at = (int)rnd(WEEK_SLOTS), len = 1 + (int)rnd(it % 5 == 0 ? 700 : 20);

			for (int q = at; q < at + len; q++)
				week_set(&a, q);
		}
		for (int pos = 0; pos < WEEK_SLOTS; pos++) {
			uint64_t want = 0;

			for (int b = 0; b < 64; b++)
				want |= (uint64_t)week_get(&a, pos + b) << b;
			if (week_chunk(&a, pos) != want)
				bad++;
		}
		week_rot(&a, s, &r);
		week_starts(&a, k, &st);
		for (int q = 0; q < WEEK_SLOTS; q++) {
			int j = 0;

			while (j < k && week_get(&a, q + j))
				j++;
			if (week_get(&r, q + s) != week_get(&a, q) || week_get(&st, q) != (j == k))
				bad++;
		}
		for (int g = 0; g < 62; g++)
			for (int q = g * 11; q < g * 11 + 11 && q < WEEK_SLOTS; q++)
				if (week_get(&a, q))
					coarse |= (uint64_t)1 << g;
		if (week_coarse(&a) != coarse || r.w[WEEK_WORDS - 1] >> (WEEK_SLOTS % 64) != 0 ||
		    st.w[WEEK_WORDS - 1] >> (WEEK_SLOTS % 64) != 0)
			bad++;
	}
	CHECK(bad == 0);
}

/* Keep: among equal-score optima, the previous pairs are kept. */
static void
test_keep(void)
{
	int rc;
	char *t =
	    fmt("{'mentors':[{'id':'m1','capacity':1},{'id':'m2','capacity':1}],'mentees':["
	        "{'id':'e1'},{'id':'e2'}],'edges':[{'mentor':'m1','mentee':'e1','score':5},"
	        "{'mentor':'m2','mentee':'e1','score':5},{'mentor':'m1','mentee':'e2','score':"
	        "5},{'mentor':'m2','mentee':'e2','score':5}],'keep':[{'mentor':'m2','mentee':"
	        "'e1'},{'mentor':'m1','mentee':'e2'}]}");
	json_t *r = solve_text(t, &rc);

	CHECK(rc == 0 && r && mentor_of(r, "e1") && strcmp(mentor_of(r, "e1"), "m2") == 0);
	CHECK(r && num(r, "objective") == 10);
	json_decref(r);
	free(t);
}

/* Builds a random explicit instance of ne mentees and nm mentors with a few edges each. */
static json_t *
random_explicit(int ne, int nm, int deg, bool lexi)
{
	json_t *inst = json_object(), *ms = json_array(), *es = json_array(), *ed = json_array();

	for (int m = 0; m < nm; m++) {
		char id[16];

		snprintf(id, sizeof(id), "m%d", m);
		json_array_append_new(ms, json_pack("{s:s,s:i}", "id", id, "capacity", rnd(3)));
	}
	for (int e = 0; e < ne; e++) {
		char id[16];

		snprintf(id, sizeof(id), "e%d", e);
		json_array_append_new(es, json_pack("{s:s}", "id", id));
		bool used[64] = {false};

		for (int k = 0; k < deg && k < nm && nm <= 64; k++) {
			char mid[16];
			int m = (int)rnd((unsigned)nm);

			while (used[m])
				m = (m + 1) % nm;
			used[m] = true;
			snprintf(mid, sizeof(mid), "m%d", m);
			json_array_append_new(ed,
			                      json_pack("{s:s,s:s,s:f}", "mentor", mid, "mentee",
			                                id, "score", rnd(400) / 8.0 - 5));
		}
	}
	json_object_set_new(inst, "objective",
	                    json_string(lexi ? "max_matched_then_score" : "max_score"));
	json_object_set_new(inst, "mentors", ms);
	json_object_set_new(inst, "mentees", es);
	json_object_set_new(inst, "edges", ed);
	return inst;
}

/* The solver knobs change only the restricted LP, never the proven optimum: one candidate per
 * mentee (many pricing rounds, lazily created mentor rows) and all candidates agree; bad knob
 * values are rejected. */
static void
test_solver_knobs(void)
{
	int bad = 0, rc, priced = 0;
	json_t *r;

	rng_state = 7;
	for (int it = 0; it < 40; it++) {
		json_t *inst = random_explicit(40 + (int)rnd(60), 20 + (int)rnd(40),
		                               1 + (int)rnd(12), it % 2 == 0);
		json_t *ref = solve_json(inst, &rc);
		int knobs[3][2] = {{1, 0}, {1, 3}, {1000, 1000}};

		if (rc != 0 || !status_is(ref, "optimal")) {
			bad++;
			json_decref(ref);
			json_decref(inst);
			continue;
		}
		for (int k = 0; k < 3; k++) {
			json_object_set_new(inst, "solver",
			                    json_pack("{s:i,s:i}", "candidates_per_mentee",
			                              knobs[k][0], "candidates_per_mentor",
			                              knobs[k][1]));
			r = solve_json(inst, &rc);
			if (rc != 0 || !status_is(r, "optimal") ||
			    fabs(num(r, "objective") - num(ref, "objective")) > 1e-6 ||
			    num(r, "matched") != num(ref, "matched") ||
			    !json_is_true(json_object_get(json_object_get(r, "proof"),
			                                  "optimal_over_all_feasible_pairs")))
				bad++;
			if (r && num(json_object_get(r, "proof"), "pricing_rounds") > 0)
				priced++;
			json_decref(r);
		}
		json_decref(ref);
		json_decref(inst);
	}
	CHECK(bad == 0);
	CHECK(priced > 0);
	r = solve_text("{\"mentors\":[],\"mentees\":[],\"edges\":[],\"solver\":"
	               "{\"candidates_per_mentee\":0}}",
	               &rc);
	CHECK(rc == 2 && r == NULL);
	r = solve_text("{\"mentors\":[],\"mentees\":[],\"edges\":[],\"solver\":"
	               "{\"candidates_per_mentor\":\"x\"}}",
	               &rc);
	CHECK(rc == 2 && r == NULL);
}

/* Solves a text and returns the result without its stats, the message in *err (caller frees). */
static json_t *
solve_nostats(const char *text, int *rc, char **err)
{
	char *out = NULL;
	json_t *r = NULL;

	*err = NULL;
	*rc = matcher_solve_json(text, strlen(text), &out, err);
	if (*rc == 0) {
		r = json_loads(out, 0, NULL);
		json_object_del(r, "stats");
	}
	free(out);
	return r;
}

/* The people arrays are read element by element: the same instance spelled differently (people
 * before the settings, white space, escaped ids and member names) gives the same result, and a
 * bad instance gives the whole-text reader's message (a JSON error anywhere wins over a field). */
static void
test_people_reader(void)
{
	static const char *const M1 =
	    "{'id':'1','timezone':'UTC','languages':['en'],'capacity':1,"
	    "'teaches':[{'skill':'x','level':4}],"
	    "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}";
	static const char *const M1ESC =
	    "{'\\u0069d':'\\u0031','timezone':'UTC','languages':['en'],'capacity':1,"
	    "'teaches':[{'skill':'x','level':4}],"
	    "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}";
	static const char *const M2 =
	    "{'id':'2','timezone':'UTC','languages':['en'],'capacity':1,"
	    "'teaches':[{'skill':'x','level':3}],"
	    "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}";
	static const char *const E9 =
	    "{'id':'9','timezone':'UTC','languages':['en'],'goals':[{'skill':'X','current_level':1}"
	    "],"
	    "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}";
	static const char *const E10 =
	    "{'id':'10','timezone':'UTC','languages':['en'],'goals':[{'skill':'x','current_level':"
	    "0}],"
	    "'availability':[{'day':'tue','start':'10:00','end':'11:00'}]}";
	char *a = fmt("{'reference_week':'2026-11-30','session_minutes':60,'mentors':[%s,%s],"
	              "'mentees':[%s,%s]}",
	              M2, M1, E10, E9);
	char *b = fmt("\n{ 'mentees' : [ %s ,\n %s ] ,\t'mentors':[%s,%s],'session_minutes':60,"
	              "'reference_week':'2026-11-30'}\n",
	              E9, E10, M1ESC, M2);
	char *c, *err = NULL, *err2 = NULL;
	int rc, rc2;
	json_t *ra = solve_nostats(a, &rc, &err), *rb;

	CHECK(rc == 0 && ra && num(ra, "matched") == 2);
	free(err);
	rb = solve_nostats(b, &rc2, &err);
	CHECK(rc2 == 0 && rb && json_equal(ra, rb));
	json_decref(ra);
	json_decref(rb);
	free(err);
	free(a);
	free(b);
	/* a field error of a person */
	a = fmt(
	    "{'reference_week':'2026-11-30','session_minutes':60,'mentors':[%s,{'id':'3',"
	    "'timezone':'UTC','languages':['en'],'capacity':-1,'teaches':[],'availability':[]}],"
	    "'mentees':[%s]}",
	    M1, E9);
	ra = solve_nostats(a, &rc, &err);
	CHECK(rc == 2 && ra == NULL && err &&
	      strcmp(err, "instance.mentors[id=3].capacity: -1 out of range [0, 1000000]") == 0);
	free(err);
	/* ... loses to a malformed person later in the text, as with the whole-text reader */
	b = fmt(
	    "{'reference_week':'2026-11-30','session_minutes':60,'mentors':[%s,{'id':'3',"
	    "'timezone':'UTC','languages':['en'],'capacity':-1,'teaches':[],'availability':[]}],"
	    "'mentees':[%s,{'id':'4','x':tru}]}",
	    M1, E9);
	rb = solve_nostats(b, &rc, &err);
	CHECK(rc == 2 && rb == NULL && err &&
	      strncmp(err, "invalid JSON at line 1 column ", 30) == 0 &&
	      strstr(err, "invalid token") != NULL);
	free(err);
	/* a key repeated inside a person, and an unterminated person */
	c = fmt("{'reference_week':'2026-11-30','session_minutes':60,'mentors':[%s],"
	        "'mentees':[{'id':'9','id':'8'}]}",
	        M1);
	rb = solve_nostats(c, &rc, &err);
	CHECK(rc == 2 && rb == NULL && err && strstr(err, "duplicate object key") != NULL);
	free(err);
	free(c);
	c = fmt("{'reference_week':'2026-11-30','session_minutes':60,'mentees':[],'mentors':[{'id':"
	        "'1'");
	rb = solve_nostats(c, &rc, &err);
	CHECK(rc == 2 && rb == NULL && err && strncmp(err, "invalid JSON", 12) == 0);
	free(err);
	free(c);
	/* a duplicate id, found in the stubs */
	c = fmt("{'reference_week':'2026-11-30','session_minutes':60,'mentors':[%s,%s],"
	        "'mentees':[]}",
	        M1, M1ESC);
	rb = solve_nostats(c, &rc2, &err2);
	CHECK(rc2 == 2 && rb == NULL && err2 &&
	      strcmp(err2, "instance.mentors: duplicate id \"1\"") == 0);
	free(err2);
	free(c);
	free(a);
	free(b);
}

/* Runs every test and reports the totals. */
int
main(void)
{
	test_explicit_basics();
	test_combinatorial_start();
	test_ties_deterministic();
	test_errors();
	test_pins_and_side_constraints();
	test_domain_rules();
	test_priority_weights();
	test_dst_week();
	test_period_availability();
	test_structured_issues();
	test_kept_count();
	test_keep();
	test_random_vs_brute_force();
	test_random_domain();
	test_random_multigoal();
	test_week_hull_bound();
	test_week_words();
	test_week_hull_run();
	test_solver_knobs();
	test_people_reader();
	return CHECK_SUMMARY();
}

/* domain: hard rules, scores and explanations for the domain instance form.
 *
 * Candidate pairs are enumerated per mentee through a skill index (only mentors teaching one of
 * the mentee's goals above the current level are visited), then filtered with bit masks
 * (languages), quarter-hour week bitsets (availability) and an Euler-tour ancestor test
 * (reporting lines).
 *
 * Availability over a period: each person's slots are a bitset of their own local week. For a
 * mentor zone and a mentee zone, the UTC offset difference takes a few values over the weeks of
 * the period (clock changes on different dates, or none); a meeting anchored at a mentee-local
 * slot is valid when it lies inside the mentor's local slots under every one of those values. Rule
 * counts use the first failing rule in the order language, skill, availability, reporting_line,
 * history, forbidden. */
#include "domain.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "common_parse.h"
#include "jsonget.h"
#include "pairset.h"
#include "strmap.h"
#include "tz.h"
#include "weektime.h"

enum rule { R_LANGUAGE, R_SKILL, R_AVAILABILITY, R_REPORTING, R_HISTORY, R_FORBIDDEN, R_COUNT };

static const char *const rule_names[R_COUNT] = {"language",       "skill",   "availability",
                                                "reporting_line", "history", "forbidden"};

/* Weight of a learning goal by its priority (1 = most wanted): the one place this rule lives.
 * skill_gain = sum over goals of priority_weight[priority] * (level - current_level). */
#define PRIORITY_MIN 1
#define PRIORITY_MAX 3
#define PRIORITY_DEFAULT 1
static const double priority_weight[PRIORITY_MAX + 1] = {0.0, 3.0, 2.0, 1.0};

#define DELTA_MAX 8 /* distinct offset differences of two zones over one period */
#define GAPS_MAX 32 /* distinct difference patterns over all zone pairs */
#define PERIOD_MAX_DAYS 800
#define LEVEL_MAX 100                 /* skill levels are 0 .. LEVEL_MAX */
#define LV_COL_MAX ((size_t)64 << 20) /* bytes of the dense level columns, at most */

/* Eight 16-bit lanes (GCC/clang vector extension), for the dense gain pass. */
typedef uint16_t v8u16 __attribute__((vector_size(16)));
/* whether lane 0 of a vector is the low half of its first word (little-endian byte order) */
#define LANES_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* A mentor's copies for the threshold read's score bound (16 bytes: one cache access). */
struct mhot {
	struct week_hull hull; /* day hulls of the free slots */
	uint16_t dept;         /* 0: none, else department + 1, or MHOT_DEPT_FAR when larger */
};
#define MHOT_DEPT_FAR 0xFFFF

/* Two zones over the period: mentor offset - mentee offset, in quarter hours (ascending). */
struct zpair {
	int nd, gap;        /* gap: index of the pattern {d[i] - d[0]} */
	short d[DELTA_MAX]; /* every difference met in the period */
};

struct person {
	const char *id;
	int emp, dept, team, tz;
	uint64_t lang;
	week_t avail, starts; /* own local week: free slots, starts of a free k-slot window */
	int cap;
	int n;        /* teaches (mentor) or goals (mentee) */
	int *skill;   /* mentor: sorted by skill id */
	int *level;   /* mentor: level; mentee: current level */
	double *prio; /* mentee: weight of each goal (priority_weight of its priority) */
	bool prev;
	double giving; /* mentor: ESN giving score (0 unless the round weighs it) */
};

struct domain {
	int nm, ne, nemp, nzones, k_slots;
	struct person *mentors, *mentees;
	short **zoff;     /* per zone: UTC offset (minutes) every quarter hour from day0 - 1 */
	struct zpair *zp; /* nzones x nzones, [mentor zone][mentee zone] */
	int ngaps, gap_n[GAPS_MAX];
	short gap_d[GAPS_MAX][DELTA_MAX];
	week_t *lg;       /* per mentor and gap pattern: slots p with p + g a start for all g */
	uint64_t *lgc;    /* week_coarse of each lg (a one-word reject test) */
	int *pin_mentor;  /* per mentee: mentor of its first pin or -1 */
	int *keep_mentor; /* per mentee: mentor of its first keep entry or -1 */
	struct strmap *zone_map, *skill_map, *lang_map, *emp_map, *dept_map, *team_map;
	const char **skill_names;
	char *skill_store; /* owned copies of skill_names (domain_own_strings) or NULL */
	char **sname;      /* per skill: the spelling of the last mentee goal naming it, or NULL */
	size_t nsname;
	unsigned char
	    *reread; /* per mentee: re-read once to a target (expand_cb), then all pairs */
	double w_skill, w_cross, w_overlap, cap_hours, w_prev;
	double w_giving,
	    max_giving; /* weights.giving (off: 0) and the largest mentor giving_score */
	bool allow_repeat;
	bool drop_bad_pins; /* a pin breaking a hard rule is left out with a warning, not fatal */
	int *parent, *tin, *tout, *root;
	int *boss; /* per employee: direct manager in reporting_lines, or -1 (cycles kept) */
	bool same_manager; /* exclude_same_manager: two reports of one manager break reporting_line
	                    */
	bool *oncycle;
	int *mentor_of_emp;
	struct pairset *history, *forbidden;
	unsigned char *hist_emp;    /* per employee: appears in some history entry */
	unsigned char *forb_mentee; /* per mentee: appears in some forbidden entry */
	int (*counts)[R_COUNT];
	unsigned char *counted; /* per mentee: counts filled (the threshold read skips them) */
	struct enum_ws *uws;    /* scratch space of the unmatched mentees' counts, or NULL */
	int *sk_start, *sk_mentor, *sk_level; /* skill index: mentors by level, descending */
	int *mtz, *memp;   /* per mentor: zone and employee (compact copies for the hot checks) */
	struct mhot *mhot; /* per mentor: what the score bound reads, in one record */
	unsigned char
	    *mone; /* per mentor: every day free in at most one piece (week_days_one_piece) */
	uint64_t *sk_lang; /* skill index: the mentor's languages (copy) */
	uint16_t
	    *lv_col; /* per skill, nm_pad levels: each mentor's level (0: not taught), or NULL */
	uint16_t *lang16; /* with lv_col and at most 16 languages: each mentor's languages */
	size_t nm_pad;    /* mentors rounded up to a whole number of vectors */
	long p_start, p_end, day0, nweeks, nsamp; /* period (days since 1970), its first Monday */
	const char *starts_on, *ends_on;
};

/* Interns a name case-insensitively (languages, skills) into map; -1 on OOM. */
static int
intern_lower(struct strmap *map, const char *s)
{
	char buf[128];
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
	return strmap_intern(map, buf);
}

/* Reads the availability list of a person into a bitset of their own local week. */
static bool
parse_availability(json_t *p, const char *ctx, week_t *out, char **err)
{
	json_t *arr = NULL;

	memset(out, 0, sizeof(*out));
	if (!jsonget_array(p, "availability", true, ctx, &arr, err))
		return false;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *it = json_array_get(arr, i);
		const char *day = NULL, *st = NULL, *en = NULL;
		int d, a, b;
		char c2[96];

		snprintf(c2, sizeof(c2), "%s.availability[%zu]", ctx, i);
		if (!json_is_object(it)) {
			util_errf(err, "%s: must be an object", c2);
			return false;
		}
		if (!jsonget_string(it, "day", true, c2, &day, err) ||
		    !jsonget_string(it, "start", true, c2, &st, err) ||
		    !jsonget_string(it, "end", true, c2, &en, err))
			return false;
		if (!weektime_parse_day(day, true, &d)) {
			util_errf(err, "%s.day: must be mon..sun", c2);
			return false;
		}
		if (!weektime_parse_hhmm(st, &a) || !weektime_parse_hhmm(en, &b) || a >= b) {
			util_errf(err, "%s: start/end must be HH:MM with start < end", c2);
			return false;
		}
		/* conservative rounding to the quarter-hour grid */
		for (int q = (a + 14) / 15; q < b / 15; q++)
			week_set(out, d * DAY_SLOTS + q);
	}
	return true;
}

/* Reads the fields every person has (department, team, zone, languages, availability). */
static bool
parse_person(struct domain *d, json_t *p, const char *ctx, struct person *o, char **err)
{
	const char *dept = NULL, *team = NULL, *zone = NULL;
	json_t *langs = NULL;
	int old;

	o->id = json_string_value(json_object_get(p, "id"));
	if (!jsonget_string(p, "department", false, ctx, &dept, err) ||
	    !jsonget_string(p, "team", false, ctx, &team, err) ||
	    !jsonget_string(p, "timezone", true, ctx, &zone, err) ||
	    !jsonget_array(p, "languages", true, ctx, &langs, err))
		return false;
	o->dept = dept != NULL ? strmap_intern(d->dept_map, dept) : -1;
	o->team = team != NULL ? strmap_intern(d->team_map, team) : -1;
	o->emp = strmap_intern(d->emp_map, o->id);
	if (o->emp < 0)
		return false;
	o->tz = strmap_get(d->zone_map, zone);
	if (o->tz < 0) {
		short **nz;

		if (!tz_zone_valid(zone)) {
			util_errf(err, "%s.timezone: unknown time zone \"%s\"", ctx, zone);
			return false;
		}
		nz = realloc(d->zoff, ((size_t)d->nzones + 1) * sizeof(*nz));
		if (nz == NULL)
			return false;
		d->zoff = nz;
		nz[d->nzones] = malloc((size_t)d->nsamp * sizeof(short));
		if (nz[d->nzones] == NULL)
			return false;
		d->nzones++;
		if (!tz_offsets(zone, (long long)(d->day0 - 1) * 86400, d->nsamp,
		                nz[d->nzones - 1])) {
			util_errf(err, "%s.timezone: cannot convert time zone \"%s\"", ctx, zone);
			return false;
		}
		if (!strmap_put(d->zone_map, zone, d->nzones - 1, &old))
			return false;
		o->tz = d->nzones - 1;
	}
	for (size_t i = 0; i < json_array_size(langs); i++) {
		json_t *l = json_array_get(langs, i);
		int id;

		if (!json_is_string(l)) {
			util_errf(err, "%s.languages[%zu]: must be a string", ctx, i);
			return false;
		}
		id = intern_lower(d->lang_map, json_string_value(l));
		if (id < 0)
			return false;
		if (id >= 64) {
			util_errf(err, "%s.languages: more than 64 distinct languages", ctx);
			return false;
		}
		o->lang |= (uint64_t)1 << id;
	}
	if (!parse_availability(p, ctx, &o->avail, err))
		return false;
	week_starts(&o->avail, d->k_slots, &o->starts);
	return true;
}

struct sklv {
	int skill, level;
};

/* Orders (skill, level) by skill. */
static int
cmp_sklv(const void *a, const void *b)
{
	const struct sklv *x = a, *y = b;

	return x->skill != y->skill ? (x->skill < y->skill ? -1 : 1) : 0;
}

/* Reads a mentor's capacity and taught skills (deduplicated, highest level wins). */
static bool
parse_mentor(struct domain *d, json_t *p, const char *ctx, long capcap, struct person *o,
             char **err)
{
	json_t *arr = NULL;
	long cap = 0;
	struct sklv *v = NULL;
	size_t n;
	bool ok = false;

	if (!parse_person(d, p, ctx, o, err) ||
	    !jsonget_int(p, "capacity", true, 0, 1000000, ctx, &cap, err) ||
	    !jsonget_number(p, "giving_score", false, ctx, &o->giving, err) ||
	    !jsonget_array(p, "teaches", true, ctx, &arr, err))
		goto out;
	o->cap = (int)(capcap >= 0 && cap > capcap ? capcap : cap);
	n = json_array_size(arr);
	v = malloc((n + 1) * sizeof(*v));
	o->skill = malloc((n + 1) * sizeof(int));
	o->level = malloc((n + 1) * sizeof(int));
	if (v == NULL || o->skill == NULL || o->level == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(arr, i);
		const char *sk = NULL;
		long lv = 0;
		char c2[96];

		snprintf(c2, sizeof(c2), "%s.teaches[%zu]", ctx, i);
		if (!json_is_object(it)) {
			util_errf(err, "%s: must be an object", c2);
			goto out;
		}
		if (!jsonget_string(it, "skill", true, c2, &sk, err) ||
		    !jsonget_int(it, "level", true, 0, LEVEL_MAX, c2, &lv, err))
			goto out;
		v[i].skill = intern_lower(d->skill_map, sk);
		v[i].level = (int)lv;
		if (v[i].skill < 0)
			goto out;
	}
	qsort(v, n, sizeof(*v), cmp_sklv);
	o->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (o->n > 0 && o->skill[o->n - 1] == v[i].skill) {
			if (v[i].level > o->level[o->n - 1])
				o->level[o->n - 1] = v[i].level;
			continue;
		}
		o->skill[o->n] = v[i].skill;
		o->level[o->n++] = v[i].level;
	}
	ok = true;
out:
	free(v);
	return ok;
}

/* Reads a mentee's goals and the previously_unmatched flag. */
static bool
parse_mentee(struct domain *d, json_t *p, const char *ctx, struct person *o, char **err)
{
	json_t *arr = NULL;
	size_t n;

	if (!parse_person(d, p, ctx, o, err) || !jsonget_array(p, "goals", true, ctx, &arr, err) ||
	    !jsonget_bool(p, "previously_unmatched", false, ctx, &o->prev, err))
		return false;
	n = json_array_size(arr);
	o->skill = malloc((n + 1) * sizeof(int));
	o->level = malloc((n + 1) * sizeof(int));
	o->prio = malloc((n + 1) * sizeof(double));
	if (o->skill == NULL || o->level == NULL || o->prio == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(arr, i);
		const char *sk = NULL;
		long lv = 0, pr = PRIORITY_DEFAULT;
		char c2[96];

		snprintf(c2, sizeof(c2), "%s.goals[%zu]", ctx, i);
		if (!json_is_object(it)) {
			util_errf(err, "%s: must be an object", c2);
			return false;
		}
		if (!jsonget_string(it, "skill", true, c2, &sk, err) ||
		    !jsonget_int(it, "current_level", true, 0, LEVEL_MAX, c2, &lv, err) ||
		    !jsonget_int(it, "priority", false, PRIORITY_MIN, PRIORITY_MAX, c2, &pr, err))
			return false;
		o->skill[i] = intern_lower(d->skill_map, sk);
		if (o->skill[i] < 0)
			return false;
		o->level[i] = (int)lv;
		o->prio[i] = priority_weight[pr];
	}
	o->n = (int)n;
	return true;
}

/* Keeps a copy of each goal's skill spelling of mentee o (parsed from p), the last one read
 * winning, since p is released before the per-pair "skills" lists are written; false on OOM. */
static bool
keep_skill_names(struct domain *d, json_t *p, const struct person *o)
{
	json_t *goals = json_object_get(p, "goals");

	for (int i = 0; i < o->n; i++) {
		const char *sk =
		    json_string_value(json_object_get(json_array_get(goals, (size_t)i), "skill"));
		size_t s = (size_t)o->skill[i];

		if (s >= d->nsname) {
			size_t nn = s + 16;
			char **a = realloc(d->sname, nn * sizeof(*a));

			if (a == NULL)
				return false;
			memset(a + d->nsname, 0, (nn - d->nsname) * sizeof(*a));
			d->sname = a;
			d->nsname = nn;
		}
		if (d->sname[s] == NULL || strcmp(d->sname[s], sk) != 0) {
			char *c = strdup(sk);

			if (c == NULL)
				return false;
			free(d->sname[s]);
			d->sname[s] = c;
		}
	}
	return true;
}

/* Returns the level at which mentor m teaches skill s, or -1. */
static int
teach_level(const struct person *m, int s)
{
	int lo = 0, hi = m->n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (m->skill[mid] == s)
			return m->level[mid];
		if (m->skill[mid] < s)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Computes the skill gain of a pair; optionally lists the skills to work on. */
static double
pair_gain(const struct person *m, const struct person *e, json_t *skills, const char *const *names)
{
	double g = 0;

	for (int i = 0; i < e->n; i++) {
		int lv = teach_level(m, e->skill[i]);

		if (lv > e->level[i]) {
			g += e->prio[i] * (lv - e->level[i]);
			if (skills != NULL)
				json_array_append_new(skills, json_string(names[e->skill[i]]));
		}
	}
	return g;
}

/* Tells whether the mentor teaches one of the mentee's goals above the current level. */
static bool
teaches_any(const struct person *m, const struct person *e)
{
	for (int i = 0; i < e->n; i++)
		if (teach_level(m, e->skill[i]) > e->level[i])
			return true;
	return false;
}

/* Returns the UTC offset of zone z in minutes at UTC quarter u (counted from day0 00:00 UTC). */
static int
zone_minutes(const struct domain *d, int z, long u)
{
	long i = u + DAY_SLOTS;

	if (i < 0)
		i = 0;
	if (i >= d->nsamp)
		i = d->nsamp - 1;
	return d->zoff[z][i];
}

/* Returns floor(minutes / 15). */
static int
quarters_floor(int minutes)
{
	return minutes >= 0 ? minutes / 15 : -((-minutes + 14) / 15);
}

/* Converts a local quarter of zone z (counted from day0 00:00 local) to a UTC quarter. */
static long
local_to_utc(const struct domain *d, int z, long local)
{
	long u = local - quarters_floor(zone_minutes(d, z, local));

	return local - quarters_floor(zone_minutes(d, z, u));
}

/* Adds v to an ascending set of at most DELTA_MAX values; false when it is full. */
static bool
delta_add(short *set, int *n, int v)
{
	int i = *n;

	for (int j = 0; j < *n; j++)
		if (set[j] == v)
			return true;
	if (*n == DELTA_MAX)
		return false;
	while (i > 0 && set[i - 1] > v) {
		set[i] = set[i - 1];
		i--;
	}
	set[i] = (short)v;
	(*n)++;
	return true;
}

/* Returns the offset difference (mentor zone - mentee zone, floor in quarter hours; *hi the
 * ceiling) met by a meeting at mentee-local slot q of week w, or false when that day is
 * outside the period. */
static bool
pair_delta(const struct domain *d, int zm, int ze, long w, int q, int *lo, int *hi)
{
	long day = w * 7 + q / DAY_SLOTS, u;
	int dm;

	if (d->day0 + day < d->p_start || d->day0 + day > d->p_end)
		return false;
	u = local_to_utc(d, ze, day * DAY_SLOTS + q % DAY_SLOTS);
	dm = zone_minutes(d, zm, u) - zone_minutes(d, ze, u);
	*lo = quarters_floor(dm);
	*hi = dm % 15 != 0 ? *lo + 1 : *lo;
	return true;
}

/* Computes, for every mentor zone and mentee zone, the offset differences met by a meeting at
 * any mentee-local quarter of any day of the period, and the pattern {d[i] - d[0]} of each. */
static bool
build_zone_pairs(struct domain *d, char **err)
{
	int nz = d->nzones;

	d->zp = calloc((size_t)nz * (size_t)nz + 1, sizeof(*d->zp));
	if (d->zp == NULL)
		return false;
	for (int zm = 0; zm < nz; zm++)
		for (int ze = 0; ze < nz; ze++) {
			struct zpair *z = &d->zp[zm * nz + ze];
			int g, lo, hi;

			for (long w = 0; w < d->nweeks; w++)
				for (int q = 0; q < WEEK_SLOTS; q++) {
					if (!pair_delta(d, zm, ze, w, q, &lo, &hi))
						continue;
					if (!delta_add(z->d, &z->nd, lo) ||
					    !delta_add(z->d, &z->nd, hi)) {
						util_errf(
						    err,
						    "instance: more than %d UTC offset "
						    "differences between two zones in the period",
						    DELTA_MAX);
						return false;
					}
				}
			for (g = 0; g < d->ngaps; g++) {
				bool same = d->gap_n[g] == z->nd;

				for (int i = 0; same && i < z->nd; i++)
					same = d->gap_d[g][i] == z->d[i] - z->d[0];
				if (same)
					break;
			}
			if (g == d->ngaps) {
				if (g == GAPS_MAX) {
					util_errf(err, "instance: too many distinct clock-change "
					               "patterns between zones in the period");
					return false;
				}
				d->gap_n[g] = z->nd;
				for (int i = 0; i < z->nd; i++)
					d->gap_d[g][i] = (short)(z->d[i] - z->d[0]);
				d->ngaps++;
			}
			z->gap = g;
		}
	return true;
}

/* Precomputes per mentor and pattern the slots p such that p + g starts a free window of the
 * mentor for every g of the pattern (the mentor side of the every-week availability test). */
static bool
build_mentor_gaps(struct domain *d)
{
	d->lg = malloc(((size_t)d->nm * (size_t)d->ngaps + 1) * sizeof(week_t));
	d->lgc = malloc(((size_t)d->nm * (size_t)d->ngaps + 1) * sizeof(uint64_t));
	d->mhot = aligned_alloc(16, ((size_t)d->nm + 1) * sizeof(*d->mhot));
	d->mone = malloc((size_t)d->nm + 1);
	if (d->lg == NULL || d->lgc == NULL || d->mhot == NULL || d->mone == NULL)
		return false;
	for (int m = 0; m < d->nm; m++)
		for (int g = 0; g < d->ngaps; g++) {
			week_t acc = d->mentors[m].starts, t;

			for (int i = 1; i < d->gap_n[g]; i++) {
				week_rot(&d->mentors[m].starts, -d->gap_d[g][i], &t);
				week_and(&acc, &t);
			}
			d->lg[(size_t)m * d->ngaps + g] = acc;
			d->lgc[(size_t)m * d->ngaps + g] = week_coarse(&acc);
		}
	for (int m = 0; m < d->nm; m++) {
		int dept = d->mentors[m].dept;

		week_day_hull(&d->mentors[m].avail, &d->mhot[m].hull);
		d->mone[m] = week_days_one_piece(&d->mentors[m].avail, &d->mhot[m].hull);
		d->mhot[m].dept = (uint16_t)(dept < 0                   ? 0
		                             : dept + 1 < MHOT_DEPT_FAR ? dept + 1
		                                                        : MHOT_DEPT_FAR);
	}
	return true;
}

/* A mentee's week seen from one mentor zone: window starts shifted by the smallest
 * difference, free slots shifted by each difference (into the mentor's local week). */
struct erot {
	week_t s, a[DELTA_MAX];
	uint64_t cs;         /* coarse summary of s (week_coarse) */
	struct week_hull ah; /* day hulls of a[0] (empty without a difference) */
	bool one;            /* one difference, and every day of a[0] free in at most one piece */
	int nd, gap;         /* the zone pair's number of differences and gap pattern */
};

/* Returns the zone pair of a mentor and a mentee. */
static const struct zpair *
zone_pair(const struct domain *d, const struct person *m, const struct person *e)
{
	return &d->zp[m->tz * d->nzones + e->tz];
}

/* Fills r with mentee e's sets shifted into the local week of mentor zone zm. */
static void
mentee_rot(const struct domain *d, const struct person *e, int zm, struct erot *r)
{
	const struct zpair *z = &d->zp[zm * d->nzones + e->tz];

	r->nd = z->nd;
	r->gap = z->gap;
	week_rot(&e->starts, z->nd > 0 ? z->d[0] : 0, &r->s);
	r->cs = week_coarse(&r->s);
	for (int i = 0; i < z->nd; i++)
		week_rot(&e->avail, z->d[i], &r->a[i]);
	if (z->nd > 0)
		week_day_hull(&r->a[0], &r->ah);
	else
		memset(&r->ah, 0, sizeof(r->ah));
	r->one = z->nd == 1 && week_days_one_piece(&r->a[0], &r->ah);
}

/* Tells whether a meeting anchored at some mentee-local slot fits both people in every week
 * (with one offset difference and both weeks free in one piece a day, from the day hulls: the
 * mentor's record instead of its starts). */
static bool
avail_every_week(const struct domain *d, int m, const struct person *e, const struct erot *r)
{
	const struct zpair *z = &d->zp[d->mtz[m] * d->nzones + e->tz];
	size_t at = (size_t)m * d->ngaps + (size_t)z->gap;

	if (r->one && d->mone[m])
		return week_hull_run(&r->ah, &d->mhot[m].hull, d->k_slots);
	return z->nd > 0 && (d->lgc[at] & r->cs) != 0 && week_intersects(&r->s, &d->lg[at]);
}

/* Tells whether pair (m, e) meets the every-week availability rule. */
static bool
avail_every_week_pair(const struct domain *d, int m, int e)
{
	struct erot r;

	mentee_rot(d, &d->mentees[e], d->mentors[m].tz, &r);
	return avail_every_week(d, m, &d->mentees[e], &r);
}

/* Returns the common free quarter hours of a pair in its worst week (minimum over the
 * offset differences of the period). */
static int
avail_overlap(const struct domain *d, const struct person *m, const struct person *e,
              const struct erot *r)
{
	const struct zpair *z = zone_pair(d, m, e);
	int best = -1;

	for (int i = 0; i < z->nd; i++) {
		int n = week_overlap(&r->a[i], &m->avail);

		if (best < 0 || n < best)
			best = n;
	}
	return best < 0 ? 0 : best;
}

/* Returns the mentee zone's offset in quarters at the start of the period (orders slots as the
 * UTC clock of the first week does). */
static int
first_offset(const struct domain *d, const struct person *e)
{
	return quarters_floor(zone_minutes(d, e->tz, (d->p_start - d->day0) * DAY_SLOTS));
}

/* Finds the mentee-local start valid in the most weeks (ties: earliest in the first week's
 * UTC order), week by week with that week's own offsets; fills weekok per week for it (1 fits,
 * 0 does not, 2 no meeting that week in the period) and returns its number of weeks. */
static int
best_anchor(const struct domain *d, int m, int e, int *qbest, unsigned char *weekok)
{
	const struct person *pm = &d->mentors[m], *pe = &d->mentees[e];
	short cnt[WEEK_SLOTS];
	int best = -1, bc = 0, off0 = first_offset(d, pe), lo, hi;

	memset(cnt, 0, sizeof(cnt));
	for (int q = 0; q < WEEK_SLOTS; q++)
		for (long w = 0; week_get(&pe->starts, q) && w < d->nweeks; w++)
			if (pair_delta(d, pm->tz, pe->tz, w, q, &lo, &hi) &&
			    week_get(&pm->starts, q + lo) && week_get(&pm->starts, q + hi))
				cnt[q]++;
	for (int k = 0; k < WEEK_SLOTS; k++) {
		int q = ((k + off0) % WEEK_SLOTS + WEEK_SLOTS) % WEEK_SLOTS;

		if (cnt[q] > bc) {
			bc = cnt[q];
			best = q;
		}
	}
	if (qbest != NULL)
		*qbest = best;
	for (long w = 0; weekok != NULL && w < d->nweeks; w++) {
		if (best < 0 || !pair_delta(d, pm->tz, pe->tz, w, best, &lo, &hi))
			weekok[w] = 2;
		else
			weekok[w] =
			    week_get(&pm->starts, best + lo) && week_get(&pm->starts, best + hi);
	}
	return bc;
}

/* Tells whether employee a is a (transitive) manager of employee b. */
static bool
is_manager_of(const struct domain *d, int a, int b)
{
	if (a == b)
		return false;
	if (d->tin[a] <= d->tin[b] && d->tout[b] <= d->tout[a])
		return true;
	return d->oncycle[a] && d->root[a] == d->root[b];
}

/* Returns the first rule after availability that the pair breaks, or R_COUNT. */
static int
check_people(const struct domain *d, int m, int e)
{
	const struct person *pe = &d->mentees[e];
	int me = d->memp[m];

	if (is_manager_of(d, me, pe->emp) || is_manager_of(d, pe->emp, me) ||
	    (d->same_manager && d->boss[me] >= 0 && d->boss[me] == d->boss[pe->emp]))
		return R_REPORTING;
	if (!d->allow_repeat && d->hist_emp[pe->emp] && pairset_has(d->history, me, pe->emp))
		return R_HISTORY;
	if (d->forb_mentee[e] && pairset_has(d->forbidden, m, e))
		return R_FORBIDDEN;
	return R_COUNT;
}

/* Returns the first rule after language and skill that the pair breaks, or R_COUNT; r is the
 * mentee seen from the mentor's zone (NULL: computed here). A pinned pair that fits in some but
 * not all weeks passes: HR's pin wins, and the pair's explanation says which weeks work. */
static int
check_rest(const struct domain *d, int m, int e, const struct erot *r)
{
	struct erot own;
	int rule;

	if (r == NULL) {
		mentee_rot(d, &d->mentees[e], d->mentors[m].tz, &own);
		r = &own;
	}
	if (avail_every_week(d, m, &d->mentees[e], r))
		return check_people(d, m, e);
	rule =
	    d->pin_mentor != NULL && d->pin_mentor[e] == m ? check_people(d, m, e) : R_AVAILABILITY;
	if (rule == R_COUNT && best_anchor(d, m, e, NULL, NULL) > 0)
		return R_COUNT;
	return R_AVAILABILITY;
}

/* Returns the first hard rule the pair breaks, R_COUNT if none, or -1 for a self pair. */
static int
check_pair(const struct domain *d, int mi, int ei)
{
	const struct person *m = &d->mentors[mi], *e = &d->mentees[ei];

	if (m->emp == e->emp)
		return -1;
	if ((m->lang & e->lang) == 0)
		return R_LANGUAGE;
	if (!teaches_any(m, e))
		return R_SKILL;
	return check_rest(d, mi, ei, NULL);
}

/* Returns the score of a feasible pair and its components, given its raw skill gain. When both
 * weeks are free in one piece a day (one difference), the overlap is the day hulls' (exact) and
 * the department comes from the mentor's record: the person's record is not read. */
static double
pair_score_gain(const struct domain *d, int mi, int ei, double raw, const struct erot *r,
                double *gain, double *cross, double *ov, double *prev)
{
	const struct person *m = &d->mentors[mi], *e = &d->mentees[ei];
	const struct mhot *h = &d->mhot[mi];
	double hours = (r->one && d->mone[mi] ? week_hull_overlap(&r->ah, &h->hull)
	                                      : avail_overlap(d, m, e, r)) /
	               4.0;
	int md = h->dept == MHOT_DEPT_FAR ? m->dept : h->dept - 1;

	*gain = raw * d->w_skill;
	*cross = (md >= 0 && e->dept >= 0 && md != e->dept) ? d->w_cross : 0.0;
	*ov = (hours < d->cap_hours ? hours : d->cap_hours) * d->w_overlap;
	*prev = e->prev ? d->w_prev : 0.0;
	return *gain + *cross + *ov + *prev + (d->w_giving != 0 ? d->w_giving * m->giving : 0.0);
}

/* Returns an upper bound of pair_score_gain's score of pair (mi, e) of raw skill gain raw, read
 * from compact copies (the overlap bounded by the day hulls): the same terms summed in the same
 * order, so with w_overlap >= 0 it is never below the exact score. */
static double
pair_score_bound(const struct domain *d, int mi, const struct person *e, double raw,
                 const struct erot *r)
{
	const struct mhot *h = &d->mhot[mi];
	double hours = week_hull_overlap(&r->ah, &h->hull) / 4.0;
	double cross = h->dept == 0 || e->dept < 0 ? 0.0
	               : h->dept == MHOT_DEPT_FAR  ? (d->w_cross > 0 ? d->w_cross : 0.0)
	               : h->dept - 1 != e->dept    ? d->w_cross
	                                           : 0.0;
	double ov = (hours < d->cap_hours ? hours : d->cap_hours) * d->w_overlap;

	return raw * d->w_skill + cross + ov + (e->prev ? d->w_prev : 0.0) +
	       (d->w_giving != 0 ? d->w_giving * d->mentors[mi].giving : 0.0);
}

/* Returns the score of a feasible pair and its components. */
static double
pair_score(const struct domain *d, int mi, int ei, double *gain, double *cross, double *ov,
           double *prev)
{
	struct erot r;

	mentee_rot(d, &d->mentees[ei], d->mentors[mi].tz, &r);
	return pair_score_gain(d, mi, ei, pair_gain(&d->mentors[mi], &d->mentees[ei], NULL, NULL),
	                       &r, gain, cross, ov, prev);
}

/* Builds parent links, breaks management cycles and numbers the forest (Euler tour). */
static bool
build_hierarchy(struct domain *d, json_t *lines, char **err)
{
	int n, *state = NULL, *path = NULL, *cstart = NULL, *child = NULL, *stack = NULL,
	       *fill = NULL;
	bool ok = false;
	int clock = 0;

	for (size_t i = 0; lines != NULL && i < json_array_size(lines); i++) {
		json_t *it = json_array_get(lines, i);
		const char *a = NULL, *b = NULL;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.reporting_lines[%zu]", i);
		if (!json_is_object(it)) {
			util_errf(err, "%s: must be an object", ctx);
			goto out;
		}
		if (!jsonget_string(it, "id", true, ctx, &a, err) ||
		    !jsonget_string(it, "manager", true, ctx, &b, err))
			goto out;
		if (strmap_intern(d->emp_map, a) < 0 || strmap_intern(d->emp_map, b) < 0)
			goto out;
	}
	n = d->nemp = (int)strmap_size(d->emp_map);
	d->parent = malloc(((size_t)n + 1) * sizeof(int));
	d->tin = malloc(((size_t)n + 1) * sizeof(int));
	d->tout = malloc(((size_t)n + 1) * sizeof(int));
	d->root = malloc(((size_t)n + 1) * sizeof(int));
	d->boss = malloc(((size_t)n + 1) * sizeof(int));
	d->oncycle = calloc((size_t)n + 1, sizeof(bool));
	state = calloc((size_t)n + 1, sizeof(int));
	path = malloc(((size_t)n + 1) * sizeof(int));
	cstart = calloc((size_t)n + 2, sizeof(int));
	child = malloc(((size_t)n + 1) * sizeof(int));
	stack = malloc(((size_t)n + 1) * sizeof(int));
	fill = malloc(((size_t)n + 1) * sizeof(int));
	if (d->parent == NULL || d->tin == NULL || d->tout == NULL || d->root == NULL ||
	    d->boss == NULL || d->oncycle == NULL || state == NULL || path == NULL ||
	    cstart == NULL || child == NULL || stack == NULL || fill == NULL)
		goto out;
	for (int i = 0; i < n; i++)
		d->parent[i] = -1;
	for (size_t i = 0; lines != NULL && i < json_array_size(lines); i++) {
		json_t *it = json_array_get(lines, i);
		int a = strmap_get(d->emp_map, json_string_value(json_object_get(it, "id")));
		int b = strmap_get(d->emp_map, json_string_value(json_object_get(it, "manager")));

		if (a == b)
			continue;
		if (d->parent[a] >= 0 && d->parent[a] != b) {
			util_errf(err, "instance.reporting_lines: \"%s\" has two managers",
			          json_string_value(json_object_get(it, "id")));
			goto out;
		}
		d->parent[a] = b;
	}
	memcpy(d->boss, d->parent, (size_t)n * sizeof(int));
	/* cycle detection along parent pointers; each cycle is cut at its smallest member */
	for (int s = 0; s < n; s++) {
		int len = 0, v = s;

		while (v >= 0 && state[v] == 0) {
			state[v] = 1;
			path[len++] = v;
			v = d->parent[v];
		}
		if (v >= 0 && state[v] == 1) {
			int cut = v, u = v;

			do {
				d->oncycle[u] = true;
				if (u < cut)
					cut = u;
				u = d->parent[u];
			} while (u != v);
			d->parent[cut] = -1;
		}
		for (int i = 0; i < len; i++)
			state[path[i]] = 2;
	}
	for (int i = 0; i < n; i++)
		if (d->parent[i] >= 0)
			cstart[d->parent[i] + 1]++;
	for (int i = 0; i < n; i++)
		cstart[i + 1] += cstart[i];
	memcpy(fill, cstart, (size_t)n * sizeof(int));
	for (int i = 0; i < n; i++)
		if (d->parent[i] >= 0)
			child[fill[d->parent[i]]++] = i;
	/* iterative DFS numbering: tin on entry, tout after the subtree */
	for (int r = 0; r < n; r++) {
		int sp = 0;

		if (d->parent[r] >= 0)
			continue;
		stack[sp++] = r;
		d->tin[r] = clock++;
		d->root[r] = r;
		fill[r] = cstart[r];
		while (sp > 0) {
			int v = stack[sp - 1];

			if (fill[v] < cstart[v + 1]) {
				int c = child[fill[v]++];

				d->tin[c] = clock++;
				d->root[c] = r;
				fill[c] = cstart[c];
				stack[sp++] = c;
			} else {
				d->tout[v] = clock++;
				sp--;
			}
		}
	}
	ok = true;
out:
	free(state);
	free(path);
	free(cstart);
	free(child);
	free(stack);
	free(fill);
	return ok;
}

/* Reads the weights object with defaults. */
static bool
parse_weights(struct domain *d, json_t *root, char **err)
{
	json_t *w = NULL;

	d->w_skill = 1.0;
	d->w_cross = 4.0;
	d->w_overlap = 0.5;
	d->cap_hours = 4.0;
	d->w_prev = 2.0;
	if (!jsonget_object(root, "weights", false, "instance", &w, err))
		return false;
	if (w == NULL)
		return true;
	return jsonget_number(w, "skill_gain", false, "instance.weights", &d->w_skill, err) &&
	       jsonget_number(w, "cross_department", false, "instance.weights", &d->w_cross, err) &&
	       jsonget_number(w, "overlap_per_hour", false, "instance.weights", &d->w_overlap,
	                      err) &&
	       jsonget_number(w, "overlap_cap_hours", false, "instance.weights", &d->cap_hours,
	                      err) &&
	       jsonget_number(w, "previously_unmatched", false, "instance.weights", &d->w_prev,
	                      err) &&
	       jsonget_number(w, "giving", false, "instance.weights", &d->w_giving, err) &&
	       (d->w_giving >= 0 ||
	        (util_errf(err, "instance.weights.giving: must be 0 or more"), false));
}

/* Builds the skill index: for each skill, the mentors teaching it by descending level. */
static bool
build_skill_index(struct domain *d)
{
	int ns = (int)strmap_size(d->skill_map), *pos = NULL;
	long total = 0;
	bool ok = false;

	d->sk_start = calloc((size_t)ns + 2, sizeof(int));
	if (d->sk_start == NULL)
		goto out;
	for (int m = 0; m < d->nm; m++)
		for (int i = 0; i < d->mentors[m].n; i++) {
			d->sk_start[d->mentors[m].skill[i] + 1]++;
			total++;
		}
	for (int s = 0; s < ns; s++)
		d->sk_start[s + 1] += d->sk_start[s];
	d->sk_mentor = malloc(((size_t)total + 1) * sizeof(int));
	d->sk_level = malloc(((size_t)total + 1) * sizeof(int));
	d->sk_lang = malloc(((size_t)total + 1) * sizeof(uint64_t));
	if (d->sk_mentor == NULL || d->sk_level == NULL || d->sk_lang == NULL)
		goto out;
	/* dense level columns when they are small enough (else the sequential pass alone) */
	d->nm_pad = ((size_t)d->nm + 7) / 8 * 8;
	if ((size_t)ns * d->nm_pad * sizeof(uint16_t) <= LV_COL_MAX) {
		d->lv_col = aligned_alloc(16, ((size_t)ns * d->nm_pad + 8) * sizeof(uint16_t));
		if (d->lv_col == NULL)
			goto out;
		memset(d->lv_col, 0, ((size_t)ns * d->nm_pad + 8) * sizeof(uint16_t));
		for (int m = 0; m < d->nm; m++)
			for (int i = 0; i < d->mentors[m].n; i++)
				d->lv_col[(size_t)d->mentors[m].skill[i] * d->nm_pad + (size_t)m] =
				    (uint16_t)d->mentors[m].level[i];
		if (strmap_size(d->lang_map) <= 16) {
			d->lang16 = aligned_alloc(16, (d->nm_pad + 8) * sizeof(uint16_t));
			if (d->lang16 == NULL)
				goto out;
			memset(d->lang16, 0, (d->nm_pad + 8) * sizeof(uint16_t));
			for (int m = 0; m < d->nm; m++)
				d->lang16[m] = (uint16_t)d->mentors[m].lang;
		}
	}
	/* counting sort by (skill, level descending), stable: mentors ascending within a level */
	pos = calloc((size_t)ns * (LEVEL_MAX + 1) + 1, sizeof(int));
	if (pos == NULL)
		goto out;
	for (int m = 0; m < d->nm; m++)
		for (int i = 0; i < d->mentors[m].n; i++)
			pos[d->mentors[m].skill[i] * (LEVEL_MAX + 1) + LEVEL_MAX -
			    d->mentors[m].level[i]]++;
	for (int s = 0; s < ns; s++)
		for (int j = 0, at = d->sk_start[s]; j <= LEVEL_MAX; j++) {
			int c = pos[s * (LEVEL_MAX + 1) + j];

			pos[s * (LEVEL_MAX + 1) + j] = at;
			at += c;
		}
	for (int m = 0; m < d->nm; m++) {
		const struct person *p = &d->mentors[m];

		for (int i = 0; i < p->n; i++) {
			int at = pos[p->skill[i] * (LEVEL_MAX + 1) + LEVEL_MAX - p->level[i]]++;

			d->sk_mentor[at] = m;
			d->sk_level[at] = p->level[i];
			d->sk_lang[at] = p->lang;
		}
	}
	ok = true;
out:
	free(pos);
	return ok;
}

/* Grows the pair arrays of g to hold at least need pairs; false on OOM. */
static bool
grow_pairs(struct mgraph *g, long need, long *capp)
{
	long nc = need > *capp * 3 / 2 ? need : *capp * 3 / 2;
	int *nm = NULL;
	double *ns = NULL;
	bool ok = need <= *capp;

	if (ok)
		goto out;
	nm = realloc(g->mentor, (size_t)nc * sizeof(int));
	if (nm == NULL)
		goto out;
	g->mentor = nm;
	ns = realloc(g->score, (size_t)nc * sizeof(double));
	if (ns == NULL)
		goto out;
	g->score = ns;
	*capp = nc;
	ok = true;
out:
	return ok;
}

/* A held pair of one mentee: mentor and score. */
struct held {
	int m;
	double s;
};

/* A mentor's skill gain accumulated for one mentee (stamp = that mentee's epoch); integral. */
struct tacc {
	int stamp, gain;
};

/* Scratch space of the per-mentee enumeration (sized by the mentors). */
struct enum_ws {
	struct held *held;
	int *stamp, *touched, *gcount, *pm, ngroups, epoch;
	int *read, *order, *bucket, nbucket; /* threshold read: read mark, gain order, buckets */
	int *tgain, *ogain;     /* threshold read: gains of the touched mentors, in gain order */
	struct tacc *acc;       /* threshold read: gain accumulated per mentor */
	v8u16 *g16, *sup;       /* dense gain pass: each mentor's gain; lane maxima of 8 vectors */
	uint64_t *cand, *cand2; /* dense gain pass: candidates of one gain, in and out of order */
	int *pcount;            /* dense gain pass: counts by (goal, level) of one gain */
	double *gain, *ps, *tmp;
	uint64_t *gmask, *mlang, *bits;
	unsigned char *sel;
	struct erot *er;
	int *skm, nskip;   /* threshold read: mentors passed over (bound below the k-th best) */
	double *skg, *sku; /* their raw gains and score bounds */
};

/* Frees the enumeration scratch space. */
static void
ws_free(struct enum_ws *w)
{
	free(w->stamp);
	free(w->touched);
	free(w->gcount);
	free(w->pm);
	free(w->gain);
	free(w->ps);
	free(w->tmp);
	free(w->gmask);
	free(w->mlang);
	free(w->bits);
	free(w->sel);
	free(w->er);
	free(w->held);
	free(w->read);
	free(w->acc);
	free(w->order);
	free(w->bucket);
	free(w->g16);
	free(w->cand);
	free(w->cand2);
	free(w->sup);
	free(w->pcount);
	free(w->tgain);
	free(w->ogain);
	free(w->skm);
	free(w->skg);
	free(w->sku);
	memset(w, 0, sizeof(*w));
}

/* Allocates the enumeration scratch space and groups mentors by language mask; false on OOM. */
static bool
ws_init(const struct domain *d, struct enum_ws *w)
{
	size_t n = (size_t)d->nm + 1, nwords = ((size_t)d->nm + 63) / 64 + 1;

	memset(w, 0, sizeof(*w));
	w->stamp = calloc(n, sizeof(int));
	w->touched = malloc(n * sizeof(int));
	w->gcount = calloc(n, sizeof(int));
	w->pm = malloc(n * sizeof(int));
	w->gain = malloc(n * sizeof(double));
	w->ps = malloc(n * sizeof(double));
	w->tmp = malloc(n * sizeof(double));
	w->gmask = malloc(n * sizeof(uint64_t));
	w->mlang = malloc(n * sizeof(uint64_t));
	w->bits = calloc(nwords, sizeof(uint64_t));
	w->sel = malloc(n);
	w->er = malloc(((size_t)d->nzones + 1) * sizeof(*w->er));
	w->held = malloc(n * sizeof(*w->held));
	w->read = calloc(n, sizeof(int));
	w->acc = calloc(n, sizeof(*w->acc));
	w->order = malloc(n * sizeof(int));
	w->cand = malloc(n * sizeof(uint64_t));
	w->cand2 = malloc(n * sizeof(uint64_t));
	w->pcount = malloc(256 * 128 * sizeof(int));
	w->tgain = malloc(n * sizeof(int));
	w->ogain = malloc(n * sizeof(int));
	w->skm = malloc(n * sizeof(int));
	w->skg = malloc(n * sizeof(double));
	w->sku = malloc(n * sizeof(double));
	w->g16 = aligned_alloc(16, (d->nm_pad / 8 + 8) * sizeof(v8u16));
	w->sup = aligned_alloc(16, (d->nm_pad / 64 + 1) * sizeof(v8u16));
	if (w->tgain == NULL || w->ogain == NULL || w->skm == NULL || w->skg == NULL ||
	    w->sku == NULL || w->cand == NULL || w->cand2 == NULL || w->pcount == NULL ||
	    w->g16 == NULL || w->sup == NULL || w->held == NULL || w->read == NULL ||
	    w->acc == NULL || w->order == NULL || w->stamp == NULL || w->touched == NULL ||
	    w->gcount == NULL || w->pm == NULL || w->gain == NULL || w->ps == NULL ||
	    w->tmp == NULL || w->gmask == NULL || w->mlang == NULL || w->bits == NULL ||
	    w->sel == NULL || w->er == NULL) {
		ws_free(w);
		return false;
	}
	/* distinct language masks of mentors, to count language failures per mentee fast */
	for (int m = 0; m < d->nm; m++) {
		int i;

		w->mlang[m] = d->mentors[m].lang;
		for (i = 0; i < w->ngroups && w->gmask[i] != d->mentors[m].lang; i++)
			;
		if (i == w->ngroups) {
			w->gmask[w->ngroups] = d->mentors[m].lang;
			w->gcount[w->ngroups++] = 0;
		}
		w->gcount[i]++;
	}
	return true;
}

/* Enumerates mentee e's feasible pairs into w->pm / w->ps in mentor order and returns how many;
 * counts the eliminated mentors per rule into cnt when not NULL. Skill gains accumulate over the
 * skill index for mentors sharing a language; the other rules mark a mentor bitmap, read back in
 * mentor order (no sort). */
static int
enumerate_mentee(const struct domain *d, struct enum_ws *w, int e, int *cnt)
{
	const struct person *pe = &d->mentees[e];
	int nt = 0, np = 0, self = d->mentor_of_emp[pe->emp], langfail = 0;
	size_t nwords = ((size_t)d->nm + 63) / 64;
	uint64_t lang = pe->lang;
	int ep = ++w->epoch;

	for (int z = 0; z < d->nzones; z++)
		mentee_rot(d, pe, z, &w->er[z]);
	for (int i = 0; i < pe->n; i++) {
		int s = pe->skill[i], cur = pe->level[i];
		double prio = pe->prio[i];

		for (int j = d->sk_start[s]; j < d->sk_start[s + 1]; j++) {
			int m = d->sk_mentor[j];

			if (d->sk_level[j] <= cur)
				break;
			if ((w->mlang[m] & lang) == 0 || m == self)
				continue;
			if (w->stamp[m] != ep) {
				w->stamp[m] = ep;
				w->gain[m] = 0;
				w->touched[nt++] = m;
			}
			w->gain[m] += prio * (d->sk_level[j] - cur);
		}
	}
	if (cnt != NULL) {
		for (int i = 0; i < w->ngroups; i++)
			if ((w->gmask[i] & lang) == 0)
				langfail += w->gcount[i];
		if (self >= 0 && (w->mlang[self] & lang) == 0)
			langfail--;
		cnt[R_LANGUAGE] = langfail;
		cnt[R_SKILL] = d->nm - (self >= 0 ? 1 : 0) - langfail - nt;
	}
	for (int t = 0; t < nt; t++) {
		int m = w->touched[t], r = check_rest(d, m, e, &w->er[d->mentors[m].tz]);

		if (r != R_COUNT) {
			if (cnt != NULL)
				cnt[r]++;
		} else {
			w->bits[m / 64] |= (uint64_t)1 << (m % 64);
		}
	}
	for (size_t k = 0; k < nwords; k++) {
		while (w->bits[k] != 0) {
			int m = (int)(k * 64) + __builtin_ctzll(w->bits[k]);
			double a, b, c, f;

			w->bits[k] &= w->bits[k] - 1;
			w->pm[np] = m;
			w->ps[np++] = pair_score_gain(d, m, e, w->gain[m], &w->er[d->mentors[m].tz],
			                              &a, &b, &c, &f);
		}
	}
	return np;
}

/* Returns the k-th largest value (k >= 1) of v[0..n-1], reordering v (quickselect). */
static double
kth_largest(double *v, int n, int k)
{
	int lo = 0, hi = n - 1, want = k - 1;

	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		int i = lo, j = hi;

		while (i <= j) {
			while (v[i] > pivot)
				i++;
			while (v[j] < pivot)
				j--;
			if (i <= j) {
				double t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			break;
	}
	return v[want];
}

/* Marks in w->sel which of the n enumerated pairs of mentee e are held: the best k by score
 * (ties by mentor order), plus its pin and keep; returns the best score left out. */
static double
select_pairs(const struct domain *d, struct enum_ws *w, int e, int n, int k)
{
	double rest = -INFINITY, t;
	int taken = 0;

	if (k <= 0 || n <= k) {
		memset(w->sel, 1, (size_t)n);
		return rest;
	}
	memcpy(w->tmp, w->ps, (size_t)n * sizeof(double));
	t = kth_largest(w->tmp, n, k);
	for (int i = 0; i < n; i++) {
		w->sel[i] = w->ps[i] > t;
		taken += w->sel[i];
	}
	for (int i = 0; i < n && taken < k; i++)
		if (w->ps[i] == t) {
			w->sel[i] = 1;
			taken++;
		}
	for (int i = 0; i < n; i++) {
		if (w->pm[i] == d->pin_mentor[e] || w->pm[i] == d->keep_mentor[e])
			w->sel[i] = 1;
		if (!w->sel[i] && w->ps[i] > rest)
			rest = w->ps[i];
	}
	return rest;
}

/* Orders held pairs by mentor (CSR order). */
static int
cmp_held(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	return (x->m > y->m) - (x->m < y->m);
}

/* Returns an upper bound of the score of any pair of mentee pe whose raw skill gain is g. */
static double
score_bound(const struct domain *d, const struct person *pe, double g)
{
	double hours = week_overlap(&pe->avail, &pe->avail) / 4.0;

	/* the overlap never exceeds the mentee's own free hours */
	if (hours > d->cap_hours)
		hours = d->cap_hours;
	return g * d->w_skill + (d->w_cross > 0 && pe->dept >= 0 ? d->w_cross : 0) +
	       (d->w_overlap > 0 && hours > 0 ? hours * d->w_overlap : 0) +
	       (pe->prev && d->w_prev > 0 ? d->w_prev : 0) +
	       (d->w_giving > 0 ? d->w_giving * d->max_giving : 0);
}

/* Adds score v to the min-heap of the k best scores (h[0] the k-th best once full). */
static void
heap_push(double *h, int *n, int k, double v)
{
	int i;

	if (*n < k) {
		i = (*n)++;
		while (i > 0 && h[(i - 1) / 2] > v) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = v;
		return;
	}
	if (v <= h[0])
		return;
	i = 0;
	for (;;) {
		int c = 2 * i + 1;

		if (c >= k)
			break;
		if (c + 1 < k && h[c + 1] < h[c])
			c++;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

/* Tells whether the threshold read may stop before a mentor whose score is at most bound: the k
 * best read reach it, or (target mode) it cannot exceed the target. */
static bool
top_done(const struct enum_ws *w, int nh, int k, double target, double bound)
{
	if (target > -INFINITY)
		return bound <= target;
	return nh == k && w->tmp[0] >= bound;
}

#define PREFETCH_AHEAD 12 /* mentors of the threshold read fetched ahead of their read */

/* Reads one mentor of the threshold read (its raw gain g): when the pair is feasible, scores it
 * into w->pm / w->ps and the heap of the k best (the mentee's pin and keep are marked read). The
 * one-word availability test comes first (a pin breaking only availability is still kept:
 * check_rest decides); then, once the heap is full, a mentor whose score bound
 * (pair_score_bound) is below the k-th best is only noted in w->skm (it can be neither held nor
 * change the heap; see skipped_rest), unless it is the mentee's pin or keep. */
static void
read_mentor(const struct domain *d, struct enum_ws *w, int e, int m, double g, int k, int *np,
            int *nh)
{
	const struct erot *r = &w->er[d->mtz[m]];
	bool own = m == d->pin_mentor[e] || m == d->keep_mentor[e];
	double a, b, c, f;

	if (own)
		w->read[m] = w->epoch;
	if (m != d->pin_mentor[e] &&
	    (r->nd == 0 || (d->lgc[(size_t)m * d->ngaps + r->gap] & r->cs) == 0))
		return;
	if (!own && *nh == k && d->w_overlap >= 0) {
		double ub = pair_score_bound(d, m, &d->mentees[e], g, r);

		if (ub < w->tmp[0]) {
			w->skm[w->nskip] = m;
			w->skg[w->nskip] = g;
			w->sku[w->nskip++] = ub;
			return;
		}
	}
	if (check_rest(d, m, e, r) != R_COUNT)
		return;
	w->pm[*np] = m;
	w->ps[*np] = pair_score_gain(d, m, e, g, r, &a, &b, &c, &f);
	heap_push(w->tmp, nh, k, w->ps[(*np)++]);
}

/* The order key of mentor m among the mentors of one gain for mentee pe, as in a sequential pass
 * over the goals' skill lists: the first goal m teaches above the current level, then its level
 * there descending (the list's order), then m (bits 39+ goal, 32-38 127 - level, 0-31 m). */
static uint64_t
dense_key(const struct domain *d, const struct person *pe, int m)
{
	int i = 0, lv = 0;

	for (; i < pe->n; i++) {
		lv = d->lv_col[(size_t)pe->skill[i] * d->nm_pad + (size_t)m];
		if (lv > pe->level[i])
			break;
	}
	return (uint64_t)i << 39 | (uint64_t)(127 - lv) << 32 | (uint32_t)m;
}

/* The threshold read of a mentee with several goals over the dense level columns: every mentor's
 * exact gain in one vector pass per goal, then the mentors of gain ranges from the top down in
 * the same order as the sequential pass (dense_key), each read as in enumerate_mentee_top until
 * top_done. False when it does not apply (gains beyond 16 bits, 256 goals or more). */
static bool
dense_read(const struct domain *d, struct enum_ws *w, int e, int k, double target, double base,
           double *rest, int *np, int *nh)
{
	const struct person *pe = &d->mentees[e];
	size_t nv = d->nm_pad / 8;
	long gtop = 0, listed = 0;
	int self = d->mentor_of_emp[pe->emp];
	uint64_t lang = pe->lang;

	if (pe->n >= 256)
		return false;
	for (int i = 0; i < pe->n; i++) {
		int s = pe->skill[i];

		listed += d->sk_start[s + 1] - d->sk_start[s];
		if (d->sk_start[s] < d->sk_start[s + 1] &&
		    d->sk_level[d->sk_start[s]] > pe->level[i])
			gtop += (long)pe->prio[i] * (d->sk_level[d->sk_start[s]] - pe->level[i]);
	}
	/* a vector lane costs about an eighth of a list entry of the sequential pass (measured on
	 * the two L companies of bench/): the sequential pass wins on short lists */
	if (gtop > 65535 || listed * 8 <= (long)d->nm * (pe->n + 2))
		return false;
	memset(w->g16, 0, (nv + 8) * sizeof(v8u16));
	for (int i = 0; i < pe->n; i++) {
		const v8u16 *col = (const v8u16 *)(d->lv_col + (size_t)pe->skill[i] * d->nm_pad);
		v8u16 cur = (v8u16){0} + (uint16_t)pe->level[i];
		v8u16 pr = (v8u16){0} + (uint16_t)pe->prio[i];
		int s = pe->skill[i];

		if (d->sk_start[s] == d->sk_start[s + 1] ||
		    d->sk_level[d->sk_start[s]] <= pe->level[i])
			continue;
		for (size_t b = 0; b < nv; b++) {
			v8u16 x = col[b];

			w->g16[b] += ((x - cur) & (v8u16)(x > cur)) * pr;
		}
	}
	/* with the languages in 16 bits, the gain of a mentor sharing none (or of the padding) is
	 * zeroed here, so only candidates are equal to a gain below */
	if (d->lang16 != NULL) {
		const v8u16 *lc = (const v8u16 *)d->lang16;
		v8u16 lv = (v8u16){0} + (uint16_t)lang;

		for (size_t b = 0; b < nv; b++)
			w->g16[b] &= (v8u16)((lc[b] & lv) != 0);
	}
	/* lane maxima of each run of 8 vectors (64 mentors): a run without the gain sought is
	 * skipped */
	for (size_t j = 0; j * 8 < nv; j++) {
		v8u16 mx = w->g16[j * 8];

		for (int b = 1; b < 8; b++) {
			v8u16 x = w->g16[j * 8 + b], gt = (v8u16)(x > mx);

			mx = (x & gt) | (mx & ~gt);
		}
		w->sup[j] = mx;
	}
	for (int g = (int)gtop; g >= 1; g--) {
		v8u16 gv = (v8u16){0} + (uint16_t)g;
		int nc = 0, nkey = pe->n * 128;

		for (size_t j = 0; j * 8 < nv; j++) {
			v8u16 ge = (v8u16)(w->sup[j] >= gv);
			uint64_t any[2];

			memcpy(any, &ge, sizeof(any));
			if ((any[0] | any[1]) == 0)
				continue;
			for (size_t b = j * 8; b < j * 8 + 8 && b < nv; b++) {
				v8u16 eq = (v8u16)(w->g16[b] == gv);

				memcpy(any, &eq, sizeof(any));
				/* one bit per lane equal to g: lanes 0-3 from any[0], 4-7 from
				 * any[1] */
				for (int h = 0; h < 2; h++)
					for (uint64_t bits = any[h] & 0x0001000100010001ULL;
					     bits != 0; bits &= bits - 1) {
						int l = __builtin_ctzll(bits) / 16;
						int m =
						    (int)(b * 8) + h * 4 + (LANES_LE ? l : 3 - l);

						if (m < d->nm &&
						    (d->lang16 != NULL ||
						     (w->mlang[m] & lang) != 0) &&
						    m != self)
							w->cand[nc++] = dense_key(d, pe, m);
					}
			}
		}
		if (nc == 0)
			continue;
		/* stable counting sort by (goal, level descending): mentors stay ascending */
		memset(w->pcount, 0, ((size_t)nkey + 1) * sizeof(int));
		for (int c = 0; c < nc; c++)
			w->pcount[(w->cand[c] >> 32) + 1]++;
		for (int x = 1; x <= nkey; x++)
			w->pcount[x] += w->pcount[x - 1];
		for (int c = 0; c < nc; c++)
			w->cand2[w->pcount[w->cand[c] >> 32]++] = w->cand[c];
		for (int c = 0; c < nc; c++) {
			int m = (int)(uint32_t)w->cand2[c];

			if (c + PREFETCH_AHEAD < nc)
				__builtin_prefetch(
				    &d->mhot[(uint32_t)w->cand2[c + PREFETCH_AHEAD]]);

			if (top_done(w, *nh, k, target, base + g * d->w_skill)) {
				*rest = base + g * d->w_skill;
				return true;
			}
			read_mentor(d, w, e, m, g, k, np, nh);
		}
	}
	return true;
}

/* Reads mentee e's candidate mentors in descending order of their exact skill gain, scoring each
 * (all rules), and stops once k feasible pairs score at least what any mentor not yet read could
 * (a threshold algorithm: the bound is the gain of the next mentor plus the largest
 * cross-department, overlap, previously-unmatched and giving terms). With one goal the skill
 * index list is already in that order and is read lazily; with several, the gains come from one
 * sequential pass over the goals' lists (mentors sharing a language, teaching a goal above its
 * current level), bucketed by value (integers: priority weights times level steps). The mentors
 * read are in w->pm / w->ps (any order), their count is returned (-1: not applicable, enumerate
 * everything), *rest = an upper bound of the score of every feasible pair not read. With a
 * target above -INFINITY the read instead stops once no mentor left can score above target. */
static int
enumerate_mentee_top(const struct domain *d, struct enum_ws *w, int e, int k, double target,
                     double *rest)
{
	const struct person *pe = &d->mentees[e];
	int np = 0, nt = 0, nh = 0, self = d->mentor_of_emp[pe->emp], ep = ++w->epoch;
	int gmax = 0;
	uint64_t lang = pe->lang;
	double base;

	*rest = -INFINITY;
	w->nskip = 0;
	if (d->w_skill < 0)
		return -1;
	for (int z = 0; z < d->nzones; z++)
		mentee_rot(d, pe, z, &w->er[z]);
	base = score_bound(d, pe, 0);
	if (pe->n == 1) {
		int s = pe->skill[0], cur = pe->level[0];
		double prio = pe->prio[0];

		for (int j = d->sk_start[s]; j < d->sk_start[s + 1] && d->sk_level[j] > cur; j++) {
			int m = d->sk_mentor[j];
			double g = prio * (d->sk_level[j] - cur);

			if (j + PREFETCH_AHEAD < d->sk_start[s + 1])
				__builtin_prefetch(&d->mhot[d->sk_mentor[j + PREFETCH_AHEAD]]);

			if ((d->sk_lang[j] & lang) == 0 || m == self)
				continue;
			if (top_done(w, nh, k, target, base + g * d->w_skill)) {
				*rest = base + g * d->w_skill;
				break;
			}
			read_mentor(d, w, e, m, g, k, &np, &nh);
		}
		goto pins;
	}
	for (int i = 0; i < pe->n; i++)
		if (pe->prio[i] != floor(pe->prio[i]) || pe->prio[i] > 1000)
			return -1;
	if (d->lv_col != NULL && dense_read(d, w, e, k, target, base, rest, &np, &nh))
		goto pins;
	for (int i = 0; i < pe->n; i++) {
		int s = pe->skill[i], cur = pe->level[i], prio = (int)pe->prio[i];

		for (int j = d->sk_start[s]; j < d->sk_start[s + 1]; j++) {
			int m = d->sk_mentor[j];
			struct tacc *t = &w->acc[m];

			if (d->sk_level[j] <= cur)
				break;
			if ((d->sk_lang[j] & lang) == 0 || m == self)
				continue;
			if (t->stamp != ep) {
				t->stamp = ep;
				t->gain = 0;
				w->touched[nt++] = m;
			}
			t->gain += prio * (d->sk_level[j] - cur);
		}
	}
	/* bucket by gain, descending (ties keep the index order); each gain read once */
	for (int t = 0; t < nt; t++) {
		w->tgain[t] = w->acc[w->touched[t]].gain;
		if (w->tgain[t] > gmax)
			gmax = w->tgain[t];
	}
	if (gmax + 2 > w->nbucket) {
		int *nb = realloc(w->bucket, ((size_t)gmax + 2) * sizeof(int));

		if (nb == NULL)
			return -1;
		w->bucket = nb;
		w->nbucket = gmax + 2;
	}
	memset(w->bucket, 0, ((size_t)gmax + 2) * sizeof(int));
	for (int t = 0; t < nt; t++)
		w->bucket[gmax - w->tgain[t] + 1]++;
	for (int b = 1; b <= gmax + 1; b++)
		w->bucket[b] += w->bucket[b - 1];
	for (int t = 0; t < nt; t++) {
		int at = w->bucket[gmax - w->tgain[t]]++;

		w->order[at] = w->touched[t];
		w->ogain[at] = w->tgain[t];
	}
	for (int at = 0; at < nt; at++) {
		int m = w->order[at];
		double g = w->ogain[at];

		if (at + PREFETCH_AHEAD < nt)
			__builtin_prefetch(&d->mhot[w->order[at + PREFETCH_AHEAD]]);

		if (top_done(w, nh, k, target, base + g * d->w_skill)) {
			*rest = base + g * d->w_skill;
			break;
		}
		read_mentor(d, w, e, m, g, k, &np, &nh);
	}
pins:
	/* a pin or keep not read yet must be held: read it */
	for (int x = 0; x < 2; x++) {
		int m = x == 0 ? d->pin_mentor[e] : d->keep_mentor[e];
		double a, b, c, f;

		if (m < 0 || w->read[m] == ep || (w->mlang[m] & lang) == 0 || m == self ||
		    !teaches_any(&d->mentors[m], pe) ||
		    check_rest(d, m, e, &w->er[d->mentors[m].tz]) != R_COUNT)
			continue;
		w->read[m] = ep;
		w->pm[np] = m;
		w->ps[np++] = pair_score_gain(d, m, e, pair_gain(&d->mentors[m], pe, NULL, NULL),
		                              &w->er[d->mentors[m].tz], &a, &b, &c, &f);
	}
	return np;
}

/* Returns the larger of rest and the best score of the feasible pairs that mentee e's last
 * threshold read passed over (w->skm, each below the k-th best then, so never held): the best
 * score left out stays exact. Only bounds above rest are checked. */
static double
skipped_rest(const struct domain *d, struct enum_ws *w, int e, double rest)
{
	for (int i = 0; i < w->nskip; i++) {
		int m = w->skm[i];
		double a, b, c, f, s;

		if (w->sku[i] <= rest || check_rest(d, m, e, &w->er[d->mtz[m]]) != R_COUNT)
			continue;
		s = pair_score_gain(d, m, e, w->skg[i], &w->er[d->mtz[m]], &a, &b, &c, &f);
		if (s > rest)
			rest = s;
	}
	return rest;
}

/* Enumerates every feasible pair, counting eliminated mentors per rule, and holds the best
 * g->pairs_mentee of each mentee in g (CSR by mentee), with the best score left out in
 * g->rest_bound (pricing bounds the pairs left out without storing them). */
static bool
enumerate_pairs(struct domain *d, struct mgraph *g)
{
	struct enum_ws w;
	long np = 0, capp = 1024;
	bool ok = false;

	if (!ws_init(d, &w))
		return false;
	g->mentor = malloc((size_t)capp * sizeof(int));
	g->score = malloc((size_t)capp * sizeof(double));
	g->rest_bound = malloc(((size_t)d->ne + 1) * sizeof(double));
	d->counts = calloc((size_t)d->ne + 1, sizeof(*d->counts));
	d->counted = calloc((size_t)d->ne + 1, 1);
	d->reread = calloc((size_t)d->ne + 1, 1);
	if (g->mentor == NULL || g->score == NULL || g->rest_bound == NULL || d->counts == NULL ||
	    d->counted == NULL || d->reread == NULL)
		goto out;
	g->n_feasible = 0;
	g->n_coverable = 0;
	for (int e = 0; e < d->ne; e++) {
		double unread = -INFINITY, r;
		int n = g->pairs_mentee > 0
		            ? enumerate_mentee_top(d, &w, e, g->pairs_mentee, -INFINITY, &unread)
		            : -1;
		long first = np;

		if (n < 0) {
			n = enumerate_mentee(d, &w, e, d->counts[e]);
			d->counted[e] = 1;
			unread = -INFINITY;
		} else {
			g->n_feasible = -1; /* not every pair was read */
		}
		if (g->n_feasible >= 0)
			g->n_feasible += n;
		g->n_coverable += n > 0 || unread > -INFINITY;
		r = select_pairs(d, &w, e, n, g->pairs_mentee);
		g->rest_bound[e] = r > unread ? r : unread;
		if (!d->counted[e])
			g->rest_bound[e] = skipped_rest(d, &w, e, g->rest_bound[e]);
		if (!grow_pairs(g, np + n, &capp))
			goto out;
		/* held pairs in mentor order */
		for (int i = 0; i < n; i++)
			if (w.sel[i]) {
				w.held[np - first].m = w.pm[i];
				w.held[np++ - first].s = w.ps[i];
			}
		qsort(w.held, (size_t)(np - first), sizeof(*w.held), cmp_held);
		for (long i = first; i < np; i++) {
			g->mentor[i] = w.held[i - first].m;
			g->score[i] = w.held[i - first].s;
		}
		g->start[e + 1] = np;
	}
	/* give back the growth slack */
	if (np + 1 < capp) {
		int *nm = realloc(g->mentor, ((size_t)np + 1) * sizeof(int));
		double *ns = realloc(g->score, ((size_t)np + 1) * sizeof(double));

		if (nm != NULL)
			g->mentor = nm;
		if (ns != NULL)
			g->score = ns;
	}
	ok = true;
out:
	ws_free(&w);
	return ok;
}

/* Re-reads mentee e's mentors (threshold read in target mode) down to the score
 * g->expand_target[e] (the pairs the current duals could price in) and puts in w->pm / w->ps, in
 * mentor order, its pairs held so far plus the pairs read above the target; g->rest_bound[e]
 * becomes the bound of what is still left out. Returns the count, or -1 on OOM. */
static int
reread_mentee(const struct domain *d, struct enum_ws *w, struct mgraph *g, int e)
{
	double rest = -INFINITY, left = -INFINITY, t = g->expand_target[e];
	int n = enumerate_mentee_top(d, w, e, d->nm + 1, t, &rest), nh = 0, ep;

	if (n < 0) {
		/* not applicable (gains not integral): every pair */
		g->rest_bound[e] = -INFINITY;
		return enumerate_mentee(d, w, e, NULL);
	}
	ep = ++w->epoch;
	for (long p = g->start[e]; p < g->start[e + 1]; p++) {
		w->stamp[g->mentor[p]] = ep;
		w->held[nh].m = g->mentor[p];
		w->held[nh++].s = g->score[p];
	}
	for (int i = 0; i < n; i++) {
		if (w->stamp[w->pm[i]] == ep)
			continue;
		if (w->ps[i] > t) {
			w->stamp[w->pm[i]] = ep;
			w->held[nh].m = w->pm[i];
			w->held[nh++].s = w->ps[i];
		} else if (w->ps[i] > left) {
			left = w->ps[i];
		}
	}
	qsort(w->held, (size_t)nh, sizeof(*w->held), cmp_held);
	for (int i = 0; i < nh; i++) {
		w->pm[i] = w->held[i].m;
		w->ps[i] = w->held[i].s;
	}
	g->rest_bound[e] = rest > left ? rest : left;
	return nh;
}

/* Adds every feasible pair of the marked mentees to g (the solver found that one of their pairs
 * left out might improve the optimum): rebuilds the arrays, and the pins and keeps by mentor. */
static bool
expand_cb(void *ctx, struct mgraph *g, const unsigned char *which)
{
	struct domain *d = ctx;
	struct enum_ws w;
	long np = 0, capp = g->start[g->n_mentees] + 1024, *nstart = NULL;
	int *nmentor = NULL, *pinm = NULL, *keepm = NULL;
	double *nscore = NULL;
	bool ok = false;

	if (!ws_init(d, &w))
		return false;
	nstart = calloc((size_t)g->n_mentees + 1, sizeof(long));
	nmentor = malloc((size_t)capp * sizeof(int));
	nscore = malloc((size_t)capp * sizeof(double));
	pinm = malloc(((size_t)g->n_mentees + 1) * sizeof(int));
	keepm = malloc(((size_t)g->n_mentees + 1) * sizeof(int));
	if (nstart == NULL || nmentor == NULL || nscore == NULL || pinm == NULL || keepm == NULL)
		goto out;
	for (int e = 0; e < g->n_mentees; e++) {
		pinm[e] = g->pin[e] >= 0 ? g->mentor[g->pin[e]] : -1;
		keepm[e] = g->keep[e] >= 0 ? g->mentor[g->keep[e]] : -1;
	}
	for (int e = 0; e < g->n_mentees; e++) {
		long need;
		int n = 0;

		if (which[e] && g->rest_bound[e] > -INFINITY && g->expand_target != NULL &&
		    g->expand_target[e] > -INFINITY && !d->reread[e]) {
			n = reread_mentee(d, &w, g, e);
			if (n < 0)
				goto out;
			d->reread[e] = 1;
		} else if (which[e] && g->rest_bound[e] > -INFINITY) {
			n = enumerate_mentee(d, &w, e, NULL);
			g->rest_bound[e] = -INFINITY;
		}
		need = np + (n > 0 ? n : g->start[e + 1] - g->start[e]);
		if (need > capp) {
			long nc = need > capp * 3 / 2 ? need : capp * 3 / 2;
			int *a = realloc(nmentor, (size_t)nc * sizeof(int));
			double *b;

			if (a == NULL)
				goto out;
			nmentor = a;
			b = realloc(nscore, (size_t)nc * sizeof(double));
			if (b == NULL)
				goto out;
			nscore = b;
			capp = nc;
		}
		if (n > 0) {
			memcpy(nmentor + np, w.pm, (size_t)n * sizeof(int));
			memcpy(nscore + np, w.ps, (size_t)n * sizeof(double));
			np += n;
		} else {
			for (long p = g->start[e]; p < g->start[e + 1]; p++) {
				nmentor[np] = g->mentor[p];
				nscore[np++] = g->score[p];
			}
		}
		nstart[e + 1] = np;
	}
	free(g->start);
	free(g->mentor);
	free(g->score);
	g->start = nstart;
	g->mentor = nmentor;
	g->score = nscore;
	nstart = NULL;
	nmentor = NULL;
	nscore = NULL;
	for (int e = 0; e < g->n_mentees; e++) {
		g->pin[e] = pinm[e] >= 0 ? graph_find(g, e, pinm[e]) : -1;
		g->keep[e] = keepm[e] >= 0 ? graph_find(g, e, keepm[e]) : -1;
	}
	ok = true;
out:
	ws_free(&w);
	free(nstart);
	free(nmentor);
	free(nscore);
	free(pinm);
	free(keepm);
	return ok;
}

/* Reads history, forbidden, pins and keep lists. */
static int
parse_pair_lists(struct domain *d, json_t *root, struct strmap *mi, struct strmap *ei, char **err)
{
	json_t *list = NULL;

	d->hist_emp = calloc((size_t)d->nemp + 1, 1);
	d->forb_mentee = calloc((size_t)d->ne + 1, 1);
	if (d->hist_emp == NULL || d->forb_mentee == NULL)
		return 1;
	if (!jsonget_array(root, "history", false, "instance", &list, err))
		return 2;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		json_t *it = json_array_get(list, i);
		const char *a = NULL, *b = NULL;
		char ctx[64];
		int x, y;

		snprintf(ctx, sizeof(ctx), "instance.history[%zu]", i);
		if (!json_is_object(it)) {
			util_errf(err, "%s: must be an object", ctx);
			return 2;
		}
		if (!jsonget_string(it, "mentor", true, ctx, &a, err) ||
		    !jsonget_string(it, "mentee", true, ctx, &b, err))
			return 2;
		x = strmap_get(d->emp_map, a);
		y = strmap_get(d->emp_map, b);
		if (x < 0 || y < 0)
			continue;
		/* history is symmetric: people who were paired (either way) count as paired */
		if (!pairset_add(d->history, x, y) || !pairset_add(d->history, y, x))
			return 1;
		d->hist_emp[x] = d->hist_emp[y] = 1;
	}
	if (!jsonget_array(root, "forbidden", false, "instance", &list, err))
		return 2;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.forbidden[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, false, &m, &e, err))
			return 2;
		if (m >= 0 && e >= 0 && !pairset_add(d->forbidden, m, e))
			return 1;
		if (m >= 0 && e >= 0)
			d->forb_mentee[e] = 1;
	}
	return 0;
}

/* Applies pins (which must satisfy every hard rule) and keeps after the pairs are known. */
static int
apply_pins(struct domain *d, json_t *root, struct mgraph *g, struct strmap *mi, struct strmap *ei,
           char **err)
{
	json_t *list = NULL;

	if (!jsonget_array(root, "pins", false, "instance", &list, err))
		return 2;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e, r;
		long p;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.pins[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, true, &m, &e, err))
			return 2;
		p = graph_find(g, e, m);
		r = check_pair(d, m, e);
		if (p < 0 || r != R_COUNT) {
			const char *rule = r < 0 ? "self" : rule_names[r < R_COUNT ? r : 0];

			/* the server asks for such pins to be left out: a solve never fails on a
			 * pin the API accepted, whatever changed since */
			graph_issue(g, !d->drop_bad_pins, "pin_breaks_rule", rule, m, e, -1,
			            "pin %s -> %s breaks hard rule \"%s\"%s", g->mentor_id[m],
			            g->mentee_id[e], rule, d->drop_bad_pins ? ": left out" : "");
		} else if (g->pin[e] >= 0 && g->pin[e] != p) {
			graph_issue(g, true, "mentee_pinned_twice", NULL, m, e, -1,
			            "mentee %s is pinned to two mentors", g->mentee_id[e]);
		} else {
			g->pin[e] = p;
			if (!avail_every_week_pair(d, m, e))
				graph_issue(g, false, "pin_fits_some_weeks", "availability", m, e,
				            -1,
				            "pin %s -> %s fits both people's availability only in "
				            "some weeks of the round",
				            g->mentor_id[m], g->mentee_id[e]);
		}
	}
	graph_check_pins(g);
	if (!jsonget_array(root, "keep", false, "instance", &list, err))
		return 2;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e;
		long p;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.keep[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, false, &m, &e, err))
			return 2;
		if (m >= 0 && e >= 0 && (p = graph_find(g, e, m)) >= 0 && g->keep[e] < 0)
			g->keep[e] = p;
	}
	return 0;
}

/* Reads the period: starts_on and ends_on (dates, both or neither), else the reference_week
 * (a Monday) alone, i.e. that one week. */
static bool
parse_period(struct domain *d, json_t *root, char **err)
{
	const char *week = NULL;

	if (!jsonget_string(root, "reference_week", false, "instance", &week, err) ||
	    !jsonget_string(root, "starts_on", false, "instance", &d->starts_on, err) ||
	    !jsonget_string(root, "ends_on", false, "instance", &d->ends_on, err))
		return false;
	if (d->starts_on == NULL && d->ends_on == NULL) {
		if (week == NULL) {
			util_errf(err,
			          "instance.reference_week: required (or starts_on and ends_on)");
			return false;
		}
		if (!tz_parse_monday(week, &d->p_start)) {
			util_errf(err, "instance.reference_week: must be a Monday as YYYY-MM-DD");
			return false;
		}
		d->p_end = d->p_start + 6;
	} else if (d->starts_on == NULL || d->ends_on == NULL) {
		util_errf(err, "instance.%s: required with %s",
		          d->starts_on ? "ends_on" : "starts_on",
		          d->starts_on ? "starts_on" : "ends_on");
		return false;
	} else if (!tz_parse_date(d->starts_on, &d->p_start)) {
		util_errf(err, "instance.starts_on: must be a date as YYYY-MM-DD");
		return false;
	} else if (!tz_parse_date(d->ends_on, &d->p_end) || d->p_end < d->p_start ||
	           d->p_end - d->p_start > PERIOD_MAX_DAYS) {
		util_errf(err,
		          "instance.ends_on: must be a date on or after starts_on, at most %d "
		          "days later",
		          PERIOD_MAX_DAYS);
		return false;
	}
	d->day0 = d->p_start - ((d->p_start + 3) % 7 + 7) % 7;
	d->nweeks = (d->p_end - d->day0) / 7 + 1;
	d->nsamp = (d->nweeks * 7 + 2) * DAY_SLOTS;
	return true;
}

/* Notes each mentee's first pinned mentor before enumeration (a pin may fit only some weeks);
 * the pins themselves are checked by apply_pins. */
static int
parse_pin_mentors(struct domain *d, json_t *root, struct strmap *mi, struct strmap *ei, char **err)
{
	json_t *list = NULL;

	d->pin_mentor = malloc(((size_t)d->ne + 1) * sizeof(int));
	d->keep_mentor = malloc(((size_t)d->ne + 1) * sizeof(int));
	if (d->pin_mentor == NULL || d->keep_mentor == NULL)
		return 1;
	for (int e = 0; e < d->ne; e++)
		d->pin_mentor[e] = d->keep_mentor[e] = -1;
	if (!jsonget_array(root, "pins", false, "instance", &list, err))
		return 2;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.pins[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, true, &m, &e, err))
			return 2;
		if (d->pin_mentor[e] < 0)
			d->pin_mentor[e] = m;
	}
	if (!jsonget_array(root, "keep", false, "instance", &list, err))
		return 2;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.keep[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, false, &m, &e, err))
			return 2;
		if (m >= 0 && e >= 0 && d->keep_mentor[e] < 0)
			d->keep_mentor[e] = m;
	}
	return 0;
}

/* Builds the whole domain model and the feasible-pair graph. */
int
domain_build(json_t *root, const struct instance_src *src, struct domain **out, struct mgraph *g,
             char **err)
{
	struct domain *d = calloc(1, sizeof(*d));
	json_t **mentors = NULL, **mentees = NULL, *lines = NULL;
	struct strmap *mi = NULL, *ei = NULL;
	long session = 60, capcap = -1;
	int ret = 1, r;

	*out = NULL;
	memset(g, 0, sizeof(*g));
	if (d == NULL)
		goto fail;
	d->zone_map = strmap_new(16);
	d->skill_map = strmap_new(64);
	d->lang_map = strmap_new(16);
	d->emp_map = strmap_new(1024);
	d->dept_map = strmap_new(16);
	d->team_map = strmap_new(64);
	d->history = pairset_new(64);
	d->forbidden = pairset_new(16);
	if (d->zone_map == NULL || d->skill_map == NULL || d->lang_map == NULL ||
	    d->emp_map == NULL || d->dept_map == NULL || d->team_map == NULL ||
	    d->history == NULL || d->forbidden == NULL)
		goto fail;
	ret = 2;
	if (!parse_period(d, root, err))
		goto out;
	if (!jsonget_int(root, "session_minutes", true, 15, 7 * 24 * 60, "instance", &session,
	                 err) ||
	    !jsonget_int(root, "mentor_capacity_cap", false, 0, 1000000, "instance", &capcap,
	                 err) ||
	    !jsonget_bool(root, "allow_repeat_pairs", false, "instance", &d->allow_repeat, err) ||
	    !jsonget_bool(root, "exclude_same_manager", false, "instance", &d->same_manager, err) ||
	    !jsonget_bool(root, "drop_pins_breaking_rules", false, "instance", &d->drop_bad_pins,
	                  err) ||
	    !parse_weights(d, root, err) ||
	    !common_parse_people(root, "mentors", &mentors, &d->nm, err) ||
	    !common_parse_people(root, "mentees", &mentees, &d->ne, err) ||
	    !jsonget_array(root, "reporting_lines", false, "instance", &lines, err))
		goto out;
	d->k_slots = (int)((session + 14) / 15);
	ret = 1;
	if (!graph_init(g, d->ne, d->nm))
		goto fail;
	ret = 2;
	if (!common_parse_settings(root, g, err))
		goto out;
	ret = 1;
	d->mentors = calloc((size_t)d->nm + 1, sizeof(*d->mentors));
	d->mentees = calloc((size_t)d->ne + 1, sizeof(*d->mentees));
	g->mentor_id = malloc(((size_t)d->nm + 1) * sizeof(*g->mentor_id));
	g->mentee_id = malloc(((size_t)d->ne + 1) * sizeof(*g->mentee_id));
	if (d->mentors == NULL || d->mentees == NULL || g->mentor_id == NULL ||
	    g->mentee_id == NULL)
		goto fail;
	for (int m = 0; m < d->nm; m++) {
		char ctx[64];

		json_t *p = common_person(src, 0, mentors[m]);
		bool ok;

		snprintf(ctx, sizeof(ctx), "instance.mentors[id=%.20s]",
		         json_string_value(json_object_get(mentors[m], "id")));
		if (p == NULL) {
			util_errf(err, "%s: not well-formed JSON", ctx);
			goto bad_or_oom;
		}
		ok = parse_mentor(d, p, ctx, capcap, &d->mentors[m], err);
		json_decref(p);
		d->mentors[m].id = json_string_value(json_object_get(mentors[m], "id"));
		if (!ok)
			goto bad_or_oom;
		if (d->mentors[m].giving < 0) {
			util_errf(err, "%s.giving_score: must be 0 or more", ctx);
			goto bad_or_oom;
		}
		if (d->mentors[m].giving > d->max_giving)
			d->max_giving = d->mentors[m].giving;
		g->mentor_id[m] = d->mentors[m].id;
		g->cap[m] = d->mentors[m].cap;
	}
	for (int e = 0; e < d->ne; e++) {
		char ctx[64];

		json_t *p = common_person(src, 1, mentees[e]);
		bool ok;

		snprintf(ctx, sizeof(ctx), "instance.mentees[id=%.20s]",
		         json_string_value(json_object_get(mentees[e], "id")));
		if (p == NULL) {
			util_errf(err, "%s: not well-formed JSON", ctx);
			goto bad_or_oom;
		}
		ok = parse_mentee(d, p, ctx, &d->mentees[e], err) &&
		     keep_skill_names(d, p, &d->mentees[e]);
		json_decref(p);
		d->mentees[e].id = json_string_value(json_object_get(mentees[e], "id"));
		if (!ok)
			goto bad_or_oom;
		g->mentee_id[e] = d->mentees[e].id;
	}
	if (!build_hierarchy(d, lines, err))
		goto bad_or_oom;
	d->skill_names = calloc(strmap_size(d->skill_map) + 1, sizeof(char *));
	d->mentor_of_emp = malloc(((size_t)d->nemp + 1) * sizeof(int));
	mi = common_index(mentors, d->nm);
	ei = common_index(mentees, d->ne);
	if (d->skill_names == NULL || d->mentor_of_emp == NULL || mi == NULL || ei == NULL)
		goto fail;
	for (int i = 0; i < d->nemp; i++)
		d->mentor_of_emp[i] = -1;
	for (int m = 0; m < d->nm; m++)
		d->mentor_of_emp[d->mentors[m].emp] = m;
	d->mtz = malloc(((size_t)d->nm + 1) * sizeof(int));
	d->memp = malloc(((size_t)d->nm + 1) * sizeof(int));
	if (d->mtz == NULL || d->memp == NULL)
		goto fail;
	for (int m = 0; m < d->nm; m++) {
		d->mtz[m] = d->mentors[m].tz;
		d->memp[m] = d->mentors[m].emp;
	}
	r = parse_pair_lists(d, root, mi, ei, err);
	if (r != 0) {
		ret = r;
		goto out;
	}
	r = parse_pin_mentors(d, root, mi, ei, err);
	if (r != 0) {
		ret = r;
		goto out;
	}
	if (!build_zone_pairs(d, err))
		goto bad_or_oom;
	/* side constraints solve a MIP over held pairs: hold them all */
	if (g->max_per_team >= 0 || g->min_share >= 0)
		g->pairs_mentee = 0;
	if (!build_mentor_gaps(d) || !build_skill_index(d) || !enumerate_pairs(d, g))
		goto fail;
	g->expand = expand_cb;
	r = apply_pins(d, root, g, mi, ei, err);
	if (r != 0) {
		ret = r;
		goto out;
	}
	/* skill names for the per-pair "skills" lists (the last mentee's spelling, kept above) */
	for (size_t i = 0; i < d->nsname && i < strmap_size(d->skill_map); i++)
		d->skill_names[i] = d->sname[i];
	if (g->max_per_team >= 0) {
		g->mentor_team = malloc(((size_t)d->nm + 1) * sizeof(int));
		if (g->mentor_team == NULL)
			goto fail;
		for (int m = 0; m < d->nm; m++)
			g->mentor_team[m] = d->mentors[m].team;
	}
	if (g->min_share >= 0) {
		g->mentee_dept = malloc(((size_t)d->ne + 1) * sizeof(int));
		if (g->mentee_dept == NULL)
			goto fail;
		for (int e = 0; e < d->ne; e++)
			g->mentee_dept[e] = d->mentees[e].dept;
		g->n_depts = (int)strmap_size(d->dept_map);
	}
	g->expand_ctx = d;
	*out = d;
	d = NULL;
	ret = 0;
	goto out;
bad_or_oom:
	ret = *err != NULL ? 2 : 1;
	goto out;
fail:
	util_errf(err, "out of memory");
	ret = 1;
out:
	if (ret != 0)
		graph_clear(g);
	domain_free(d);
	strmap_free(mi);
	strmap_free(ei);
	free(mentors);
	free(mentees);
	return ret;
}

/* Copies the skill names into one owned block; person ids and the period strings are only read
 * while building, so they are cleared. */
bool
domain_own_strings(struct domain *d)
{
	size_t ns = strmap_size(d->skill_map), total = 1, at = 0;
	char *store;

	for (size_t i = 0; i < ns; i++)
		total += d->skill_names[i] != NULL ? strlen(d->skill_names[i]) + 1 : 0;
	store = malloc(total);
	if (store == NULL)
		return false;
	for (size_t i = 0; i < ns; i++)
		if (d->skill_names[i] != NULL) {
			size_t n = strlen(d->skill_names[i]) + 1;

			memcpy(store + at, d->skill_names[i], n);
			d->skill_names[i] = store + at;
			at += n;
		}
	for (int m = 0; m < d->nm; m++)
		d->mentors[m].id = NULL;
	for (int e = 0; e < d->ne; e++)
		d->mentees[e].id = NULL;
	d->starts_on = d->ends_on = NULL;
	for (size_t i = 0; i < d->nsname; i++)
		free(d->sname[i]);
	free(d->sname);
	d->sname = NULL;
	d->nsname = 0;
	free(d->skill_store);
	d->skill_store = store;
	return true;
}

/* Frees a person's arrays. */
static void
person_clear(struct person *p)
{
	free(p->skill);
	free(p->level);
	free(p->prio);
}

/* Frees the domain model. */
void
domain_free(struct domain *d)
{
	if (d == NULL)
		return;
	for (int m = 0; d->mentors != NULL && m < d->nm; m++)
		person_clear(&d->mentors[m]);
	for (int e = 0; d->mentees != NULL && e < d->ne; e++)
		person_clear(&d->mentees[e]);
	free(d->mentors);
	free(d->mentees);
	for (int z = 0; d->zoff != NULL && z < d->nzones; z++)
		free(d->zoff[z]);
	free(d->zoff);
	free(d->zp);
	free(d->lg);
	free(d->lgc);
	free(d->pin_mentor);
	free(d->keep_mentor);
	strmap_free(d->zone_map);
	strmap_free(d->skill_map);
	strmap_free(d->lang_map);
	strmap_free(d->emp_map);
	strmap_free(d->dept_map);
	strmap_free(d->team_map);
	free(d->skill_names);
	free(d->skill_store);
	for (size_t i = 0; i < d->nsname; i++)
		free(d->sname[i]);
	free(d->sname);
	free(d->reread);
	free(d->parent);
	free(d->tin);
	free(d->tout);
	free(d->boss);
	free(d->root);
	free(d->oncycle);
	free(d->mentor_of_emp);
	pairset_free(d->history);
	pairset_free(d->forbidden);
	free(d->hist_emp);
	free(d->forb_mentee);
	free(d->counts);
	free(d->counted);
	if (d->uws != NULL)
		ws_free(d->uws);
	free(d->uws);
	free(d->sk_start);
	free(d->sk_mentor);
	free(d->sk_level);
	free(d->mtz);
	free(d->memp);
	free(d->mhot);
	free(d->mone);
	free(d->sk_lang);
	free(d->lv_col);
	free(d->lang16);
	free(d);
}

/* Formats a slot index within a day as HH:MM. */
static json_t *
hhmm(int q)
{
	char buf[6];

	weektime_format_hhmm(q * 15, buf);
	return json_string(buf);
}

/* Renders a window [s, s+len) given in one clock (slot indices of that clock's week). */
static json_t *
window_json(int s, int e, bool full)
{
	json_t *o = json_object();
	int sd = s / DAY_SLOTS, ed = e / DAY_SLOTS;

	json_object_set_new(o, "day", json_string(weektime_day_name(sd)));
	json_object_set_new(o, "start", hhmm(s % DAY_SLOTS));
	if (!full && e % DAY_SLOTS == 0 && ed == (sd + 1) % 7) {
		json_object_set_new(o, "end", json_string("24:00"));
	} else {
		json_object_set_new(o, "end", hhmm(e % DAY_SLOTS));
		if (ed != sd || full)
			json_object_set_new(o, "end_day", json_string(weektime_day_name(ed)));
	}
	return o;
}

/* Renders a window starting at mentee-local slot q for len slots, in UTC and in both local
 * clocks, as it falls in its first week in the period. */
static json_t *
slot_json(const struct domain *d, const struct person *m, const struct person *e, int q, int len)
{
	json_t *o = json_object();
	bool full = len >= WEEK_SLOTS;
	long day = q / DAY_SLOTS, u;
	int uq, mq;

	while (d->day0 + day < d->p_start)
		day += 7;
	u = local_to_utc(d, e->tz, day * DAY_SLOTS + q % DAY_SLOTS);
	uq = (int)((u % WEEK_SLOTS + WEEK_SLOTS) % WEEK_SLOTS);
	mq = ((uq + quarters_floor(zone_minutes(d, m->tz, u))) % WEEK_SLOTS + WEEK_SLOTS) %
	     WEEK_SLOTS;
	json_object_set_new(o, "utc", window_json(uq, (uq + len) % WEEK_SLOTS, full));
	json_object_set_new(o, "mentor_local", window_json(mq, (mq + len) % WEEK_SLOTS, full));
	json_object_set_new(o, "mentee_local", window_json(q, (q + len) % WEEK_SLOTS, full));
	return o;
}

/* Renders {"from","to"} for weeks w0..w1 of the period, clipped to the period. */
static json_t *
weeks_json(const struct domain *d, long w0, long w1)
{
	char a[11], b[11];
	long from = d->day0 + 7 * w0, to = d->day0 + 7 * w1 + 6;

	tz_format_date(from < d->p_start ? d->p_start : from, a);
	tz_format_date(to > d->p_end ? d->p_end : to, b);
	return json_pack("{s:s,s:s}", "from", a, "to", b);
}

/* Renders the proposed weekly meeting anchored at mentee-local slot q: its first week, the
 * anchor, and the weeks of the period in which it fits both people. */
static json_t *
proposed_json(const struct domain *d, const struct person *m, const struct person *e, int q,
              const unsigned char *weekok)
{
	json_t *o = slot_json(d, m, e, q, d->k_slots), *weeks = json_array();
	long w0 = -1;

	json_object_set_new(o, "anchor", json_string("mentee"));
	json_object_set_new(o, "every_week", json_boolean(weekok == NULL));
	for (long w = 0; w <= d->nweeks; w++) {
		bool ok = w < d->nweeks && (weekok == NULL || weekok[w] == 1);

		if (ok && w0 < 0)
			w0 = w;
		if (!ok && w0 >= 0) {
			json_array_append_new(weeks, weeks_json(d, w0, w - 1));
			w0 = -1;
		}
	}
	json_object_set_new(o, "valid_weeks", weeks);
	return o;
}

/* Adds breakdown, skills, overlapping windows (first week of the period) and the proposed
 * weekly session anchored in the mentee's zone to a pair object. */
bool
domain_pair_json(const struct domain *d, int e, int m, json_t *obj)
{
	const struct person *pm = &d->mentors[m], *pe = &d->mentees[e];
	const struct zpair *z = zone_pair(d, pm, pe);
	json_t *bd = json_object(), *skills = json_array(), *slots = json_array();
	json_t *proposed = NULL;
	double a, b, c, f;
	week_t both, bu, v, t;
	int zero = -1, off0 = first_offset(d, pe);
	unsigned char *weekok = NULL;

	if (bd == NULL || skills == NULL || slots == NULL) {
		json_decref(bd);
		json_decref(skills);
		json_decref(slots);
		return false;
	}
	pair_score(d, m, e, &a, &b, &c, &f);
	json_object_set_new(bd, "skill_gain", json_real(a));
	json_object_set_new(bd, "cross_department", json_real(b));
	json_object_set_new(bd, "overlap", json_real(c));
	json_object_set_new(bd, "previously_unmatched", json_real(f));
	if (d->w_giving > 0)
		json_object_set_new(bd, "giving", json_real(d->w_giving * pm->giving));
	pair_gain(pm, pe, skills, d->skill_names);
	/* common free slots in the mentee's week during the first week, re-indexed from Monday
	 * 00:00 UTC of that week (bit k = mentee-local slot k + off0) */
	{
		long u0 = (d->p_start - d->day0) * DAY_SLOTS;

		week_rot(&pm->avail,
		         -quarters_floor(zone_minutes(d, pm->tz, u0) - zone_minutes(d, pe->tz, u0)),
		         &both);
	}
	week_and(&both, &pe->avail);
	week_rot(&both, -off0, &bu);
	for (int i = 0; i < WEEK_SLOTS && zero < 0; i++)
		if (!week_get(&bu, i))
			zero = i;
	if (zero < 0) {
		json_array_append_new(slots, slot_json(d, pm, pe, 0, WEEK_SLOTS));
	} else {
		/* windows in order of their UTC start from Monday 00:00; a window that wraps
		 * Sunday -> Monday starts on Sunday and comes last */
		int starts[WEEK_SLOTS], lens[WEEK_SLOTS], nw = 0;

		for (int i = 1; i <= WEEK_SLOTS; i++) {
			int s = (zero + i) % WEEK_SLOTS;

			if (!week_get(&bu, s))
				continue;
			if (!week_get(&bu, s - 1)) {
				starts[nw] = s;
				lens[nw++] = 0;
			}
			lens[nw - 1]++;
		}
		for (int i = 0; i < nw; i++) {
			int j = i;

			for (int k = i + 1; k < nw; k++)
				if (starts[k] < starts[j])
					j = k;
			if (j != i) {
				int ts = starts[i], tl = lens[i];

				starts[i] = starts[j];
				lens[i] = lens[j];
				starts[j] = ts;
				lens[j] = tl;
			}
			json_array_append_new(
			    slots,
			    slot_json(d, pm, pe, (starts[i] + off0 + WEEK_SLOTS) % WEEK_SLOTS,
			              lens[i]));
		}
	}
	/* the proposed slot: the first start (UTC order of the first week) valid in every week,
	 * else the start valid in the most weeks */
	v = pe->starts;
	for (int i = 0; i < z->nd; i++) {
		week_rot(&pm->starts, -z->d[i], &t);
		week_and(&v, &t);
	}
	if (z->nd > 0 && !week_empty(&v)) {
		for (int k = 0; k < WEEK_SLOTS && proposed == NULL; k++) {
			int q = ((k + off0) % WEEK_SLOTS + WEEK_SLOTS) % WEEK_SLOTS;

			if (week_get(&v, q))
				proposed = proposed_json(d, pm, pe, q, NULL);
		}
	} else {
		int q = -1;

		weekok = malloc((size_t)d->nweeks + 1);
		if (weekok == NULL) {
			json_decref(bd);
			json_decref(skills);
			json_decref(slots);
			return false;
		}
		if (best_anchor(d, m, e, &q, weekok) > 0)
			proposed = proposed_json(d, pm, pe, q, weekok);
		free(weekok);
	}
	json_object_set_new(obj, "breakdown", bd);
	json_object_set_new(obj, "skills", skills);
	json_object_set_new(obj, "slots", slots);
	json_object_set_new(obj, "proposed_slot", proposed != NULL ? proposed : json_null());
	return true;
}

/* Adds the per-rule elimination counts of an unmatched mentee. */
bool
domain_unmatched_json(struct domain *d, int e, json_t *obj)
{
	json_t *rc = json_object();

	if (rc == NULL)
		return false;
	if (!d->counted[e]) {
		/* one scratch space for every unmatched mentee, freed with the domain */
		if (d->uws == NULL) {
			d->uws = malloc(sizeof(*d->uws));
			if (d->uws == NULL || !ws_init(d, d->uws)) {
				free(d->uws);
				d->uws = NULL;
				json_decref(rc);
				return false;
			}
		}
		enumerate_mentee(d, d->uws, e, d->counts[e]);
		d->counted[e] = 1;
	}
	for (int r = 0; r < R_COUNT; r++)
		json_object_set_new(rc, rule_names[r], json_integer(d->counts[e][r]));
	json_object_set_new(obj, "rule_counts", rc);
	return true;
}

/* bitset: a week as 7 x 96 quarter-hour slots (672 bits), Monday 00:00 = slot 0 (in one clock). */
#ifndef TANDEM_MATCHER_BITSET_H
#define TANDEM_MATCHER_BITSET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define WEEK_SLOTS 672
#define DAY_SLOTS 96
#define WEEK_WORDS 11

typedef struct {
	uint64_t w[WEEK_WORDS];
} week_t;

/* Sets slot i (taken modulo the week, so Sunday wraps to Monday). */
static inline void
week_set(week_t *b, int i)
{
	i %= WEEK_SLOTS;
	if (i < 0)
		i += WEEK_SLOTS;
	b->w[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Tells whether slot i is set. */
static inline bool
week_get(const week_t *b, int i)
{
	i %= WEEK_SLOTS;
	if (i < 0)
		i += WEEK_SLOTS;
	return (b->w[i / 64] >> (i % 64)) & 1;
}

/* Counts the slots set in both a and b. */
static inline int
week_overlap(const week_t *a, const week_t *b)
{
	int n = 0;

	for (int i = 0; i < WEEK_WORDS; i++)
		n += __builtin_popcountll(a->w[i] & b->w[i]);
	return n;
}

/* Tells whether a and b share at least one slot. */
static inline bool
week_intersects(const week_t *a, const week_t *b)
{
	for (int i = 0; i < WEEK_WORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

/* Returns the 64 slots starting at pos (0 <= pos < WEEK_SLOTS), circularly, as one word. */
static inline uint64_t
week_chunk(const week_t *a, int pos)
{
	uint64_t r = 0;
	int got = 0;

	if (pos + 64 <= WEEK_SLOTS) { /* no wrap: one or two words */
		int w = pos / 64, b = pos % 64;

		r = a->w[w] >> b;
		if (b != 0)
			r |= a->w[w + 1] << (64 - b);
		return r;
	}

	while (got < 64) {
		int w = pos / 64, b = pos % 64;
		int avail = (w == WEEK_WORDS - 1 ? WEEK_SLOTS - 64 * (WEEK_WORDS - 1) : 64) - b;
		int take = avail < 64 - got ? avail : 64 - got;
		uint64_t piece = a->w[w] >> b;

		if (take < 64)
			piece &= ((uint64_t)1 << take) - 1;
		r |= piece << got;
		got += take;
		pos = (pos + take) % WEEK_SLOTS;
	}
	return r;
}

/* Rotates a by s slots (slot i of a becomes slot i + s of out, modulo the week). */
static inline void
week_rot(const week_t *a, int s, week_t *out)
{
	s %= WEEK_SLOTS;
	if (s < 0)
		s += WEEK_SLOTS;
	for (int j = 0; j < WEEK_WORDS; j++)
		out->w[j] = week_chunk(a, ((64 * j - s) % WEEK_SLOTS + WEEK_SLOTS) % WEEK_SLOTS);
	out->w[WEEK_WORDS - 1] &= ((uint64_t)1 << (WEEK_SLOTS - 64 * (WEEK_WORDS - 1))) - 1;
}

/* Intersects out with a. */
static inline void
week_and(week_t *out, const week_t *a)
{
	for (int i = 0; i < WEEK_WORDS; i++)
		out->w[i] &= a->w[i];
}

/* Computes the slots t such that a covers t .. t+k-1 (circularly): pairs can meet for k slots
 * iff their start sets intersect. The intersection of a rotated back by 0 .. k-1 slots (a
 * rotation by a whole week or more repeats one already taken). */
static inline void
week_starts(const week_t *a, int k, week_t *out)
{
	week_t t;

	if (k <= 0) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = *a;
	for (int j = 1; j < k && j < WEEK_SLOTS; j++) {
		week_rot(a, -j, &t);
		week_and(out, &t);
	}
}

/* Returns a one-word summary: bit i is set when some slot of the i-th group of 11 is set, so
 * two weeks whose summaries do not intersect do not intersect. */
static inline uint64_t
week_coarse(const week_t *a)
{
	uint64_t c = 0;

	for (int i = 0; i < 62; i++) {
		int lo = i * 11, n = lo + 11 <= WEEK_SLOTS ? 11 : WEEK_SLOTS - lo;

		if (n > 0 && (week_chunk(a, lo) & (((uint64_t)1 << n) - 1)) != 0)
			c |= (uint64_t)1 << i;
	}
	return c;
}

/* The hull of each day of a week: lo[d] = its first set slot, hi[d] = one past its last (both 0
 * for a day without one; d < 7, slots counted from the day's 00:00). */
struct week_hull {
	uint8_t lo[7], hi[7];
};

/* Computes the hull of each day of a (a day's slots only, no wrap into the next day). */
static inline void
week_day_hull(const week_t *a, struct week_hull *h)
{
	memset(h, 0, sizeof(*h));
	for (int d = 0; d < 7; d++) {
		uint64_t c0 = week_chunk(a, d * DAY_SLOTS);
		uint64_t c1 =
		    week_chunk(a, d * DAY_SLOTS + 64) & (((uint64_t)1 << (DAY_SLOTS - 64)) - 1);

		if ((c0 | c1) == 0)
			continue;
		h->lo[d] = (uint8_t)(c0 != 0 ? __builtin_ctzll(c0) : 64 + __builtin_ctzll(c1));
		h->hi[d] =
		    (uint8_t)(c1 != 0 ? 128 - __builtin_clzll(c1) : 64 - __builtin_clzll(c0));
	}
}

/* Tells whether every day of a (of day hulls h) is free in at most one piece: week_hull_overlap
 * of two such weeks is then their exact week_overlap. */
static inline bool
week_days_one_piece(const week_t *a, const struct week_hull *h)
{
	for (int d = 0; d < 7; d++) {
		uint64_t c0 = week_chunk(a, d * DAY_SLOTS);
		uint64_t c1 =
		    week_chunk(a, d * DAY_SLOTS + 64) & (((uint64_t)1 << (DAY_SLOTS - 64)) - 1);

		if (__builtin_popcountll(c0) + __builtin_popcountll(c1) != h->hi[d] - h->lo[d])
			return false;
	}
	return true;
}

/* Tells whether two weeks whose days are each free in at most one piece (day hulls a, b) have k
 * consecutive slots free in both, circularly (a run goes on over midnight when one day's part
 * ends at its last slot and the next day's starts at its first): for such weeks, exactly whether
 * their week_starts for k intersect. */
static inline bool
week_hull_run(const struct week_hull *a, const struct week_hull *b, int k)
{
	int lo[7], hi[7], full = 0;

	if (k <= 0)
		return false;
	for (int d = 0; d < 7; d++) {
		lo[d] = a->lo[d] > b->lo[d] ? a->lo[d] : b->lo[d];
		hi[d] = a->hi[d] < b->hi[d] ? a->hi[d] : b->hi[d];
		if (hi[d] <= lo[d])
			lo[d] = hi[d] = 0;
		full += lo[d] == 0 && hi[d] == DAY_SLOTS;
	}
	if (full == 7)
		return true;
	for (int d = 0; d < 7; d++) {
		int prev = (d + 6) % 7, len, at = d;

		/* a run starts at a day not continuing the previous one */
		if (hi[d] == 0 || (lo[d] == 0 && hi[prev] == DAY_SLOTS))
			continue;
		len = hi[d] - lo[d];
		while (hi[at] == DAY_SLOTS && lo[(at + 1) % 7] == 0 && hi[(at + 1) % 7] > 0) {
			at = (at + 1) % 7;
			len += hi[at] - lo[at];
		}
		if (len >= k)
			return true;
	}
	return false;
}

/* Returns an upper bound of week_overlap of two weeks from their day hulls: the slots of each day
 * inside both hulls (exact when both are free in at most one piece a day). */
static inline int
week_hull_overlap(const struct week_hull *a, const struct week_hull *b)
{
	int n = 0;

	for (int d = 0; d < 7; d++) {
		int lo = a->lo[d] > b->lo[d] ? a->lo[d] : b->lo[d];
		int hi = a->hi[d] < b->hi[d] ? a->hi[d] : b->hi[d];

		n += hi > lo ? hi - lo : 0;
	}
	return n;
}

/* Tells whether no slot is set. */
static inline bool
week_empty(const week_t *a)
{
	for (int i = 0; i < WEEK_WORDS; i++)
		if (a->w[i])
			return false;
	return true;
}

#endif

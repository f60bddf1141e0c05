/* bitset: the UTC week as 7 x 96 quarter-hour slots (672 bits), Monday 00:00 UTC = slot 0. */
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

/* Computes the slots t such that a covers t .. t+k-1 (circularly): pairs can meet for k slots
 * iff their start sets intersect. */
static inline void
week_starts(const week_t *a, int k, week_t *out)
{
	memset(out, 0, sizeof(*out));
	for (int t = 0; t < WEEK_SLOTS; t++) {
		int j = 0;

		while (j < k && week_get(a, t + j))
			j++;
		if (j == k && k > 0)
			week_set(out, t);
	}
}

#endif

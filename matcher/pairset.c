/* pairset: open-addressing hash set of int pairs packed into 64-bit keys. */
#include "pairset.h"

#include <stdint.h>
#include <stdlib.h>

struct pairset {
	size_t mask, count;
	uint64_t *keys; /* 0 = empty; stored as packed pair + 1 */
};

/* Packs a pair into a non-zero 64-bit key. */
static uint64_t
pack(int a, int b)
{
	return (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
}

/* Mixes a key into a table position (splitmix64 finaliser). */
static size_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x;
}

/* Creates an empty set sized for hint pairs. */
struct pairset *
pairset_new(size_t hint)
{
	struct pairset *s = calloc(1, sizeof(*s));
	size_t n = 16;

	if (s == NULL)
		return NULL;
	while (n < hint * 2 + 2)
		n *= 2;
	s->mask = n - 1;
	s->keys = calloc(n, sizeof(*s->keys));
	if (s->keys == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/* Frees the set. */
void
pairset_free(struct pairset *s)
{
	if (s == NULL)
		return;
	free(s->keys);
	free(s);
}

/* Inserts a packed key without growing. */
static void
insert_key(struct pairset *s, uint64_t k)
{
	size_t i = mix(k) & s->mask;

	while (s->keys[i] != 0 && s->keys[i] != k)
		i = (i + 1) & s->mask;
	if (s->keys[i] == 0)
		s->count++;
	s->keys[i] = k;
}

/* Adds a pair, growing the table to keep the load under one half. */
bool
pairset_add(struct pairset *s, int a, int b)
{
	if ((s->count + 1) * 2 > s->mask + 1) {
		size_t on = s->mask + 1;
		uint64_t *old = s->keys;

		s->keys = calloc(on * 2, sizeof(*s->keys));
		if (s->keys == NULL) {
			s->keys = old;
			return false;
		}
		s->mask = on * 2 - 1;
		s->count = 0;
		for (size_t i = 0; i < on; i++)
			if (old[i] != 0)
				insert_key(s, old[i]);
		free(old);
	}
	insert_key(s, pack(a, b));
	return true;
}

/* Tells whether the pair was added. */
bool
pairset_has(const struct pairset *s, int a, int b)
{
	uint64_t k = pack(a, b);
	size_t i = mix(k) & s->mask;

	while (s->keys[i] != 0) {
		if (s->keys[i] == k)
			return true;
		i = (i + 1) & s->mask;
	}
	return false;
}

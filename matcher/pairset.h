/* pairset: hash set of (a, b) int pairs, for history, forbidden and keep lookups. */
#ifndef TANDEM_MATCHER_PAIRSET_H
#define TANDEM_MATCHER_PAIRSET_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct pairset;

/* Creates an empty set; caller frees with pairset_free. */
struct pairset *pairset_new(size_t hint) WUR;

/* Frees the set. */
void pairset_free(struct pairset *s);

/* Adds the pair (a, b) with both a, b >= 0; false on OOM. */
bool pairset_add(struct pairset *s, int a, int b) WUR;

/* Tells whether (a, b) is in the set. */
bool pairset_has(const struct pairset *s, int a, int b);

#endif

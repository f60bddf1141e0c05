/* bmatch: exact maximum-cardinality b-matching (mentor capacities) over all feasible pairs. */
#ifndef TANDEM_MATCHER_BMATCH_H
#define TANDEM_MATCHER_BMATCH_H

#include <stdbool.h>

#include "graph.h"
#include "util.h"

/* Finds a maximum matching containing every pin, grown from init (a valid matching, or NULL):
 * assign[e] = pair index or -1, *count = size. assign must hold g->n_mentees entries. False on
 * OOM. */
bool bmatch_max(const struct mgraph *g, const long *init, long *assign, int *count) WUR;

#endif

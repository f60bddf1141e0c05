/* explicit: the explicit-edges instance form (mentors, mentees, scored edges). */
#ifndef TANDEM_MATCHER_EXPLICIT_H
#define TANDEM_MATCHER_EXPLICIT_H

#include <jansson.h>

#include "graph.h"
#include "util.h"

/* Builds g from an explicit-edges instance (ids borrowed from root, which must outlive g).
 * Returns 0, 2 for a bad instance (*err set, caller frees), 1 on internal failure. */
int explicit_build(json_t *root, struct mgraph *g, char **err) WUR;

#endif

/* common_parse: instance fields shared by both forms (objective, limits, pins, keep, forbidden,
 * side constraints) and id tables. */
#ifndef TANDEM_MATCHER_COMMON_PARSE_H
#define TANDEM_MATCHER_COMMON_PARSE_H

#include <jansson.h>
#include <stdbool.h>

#include "graph.h"
#include "strmap.h"
#include "util.h"

/* Reads objective, time_limit_seconds, constraints and weights.keep_bonus into g. */
bool common_parse_settings(json_t *root, struct mgraph *g, char **err) WUR;

/* Reads a list of people ({"id": ...}) sorted by id into a new array of json objects (caller
 * frees the array); fails on missing or duplicate ids. */
bool common_parse_people(json_t *root, const char *key, json_t ***out, int *n, char **err) WUR;

/* Builds an id -> index map over a sorted people array; NULL on OOM. */
struct strmap *common_index(json_t **people, int n) WUR;

/* Reads a {"mentor","mentee"} pair list entry into indices; unknown ids are an error when
 * strict, else reported as -1. */
bool common_parse_pair(json_t *item, const char *ctx, const struct strmap *mentors,
                       const struct strmap *mentees, bool strict, int *mentor, int *mentee,
                       char **err) WUR;

#endif

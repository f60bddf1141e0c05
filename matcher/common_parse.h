/* common_parse: instance fields shared by both forms (objective, limits, pins, keep, forbidden,
 * side constraints) and id tables. */
#ifndef TANDEM_MATCHER_COMMON_PARSE_H
#define TANDEM_MATCHER_COMMON_PARSE_H

#include <jansson.h>
#include <stdbool.h>

#include "graph.h"
#include "strmap.h"
#include "util.h"

/* Where the elements of the two people arrays lie in the instance text when they were not kept
 * in the parsed tree (which then holds {"id", "#at"} stubs for them instead): buf == NULL means the
 * tree holds the whole instance. Index 0 = mentors, 1 = mentees; off/len by array position. */
struct instance_src {
	const char *buf;
	size_t n[2];
	size_t *off[2], *len[2];
};

/* Parses an instance text: the people arrays' elements are parsed one at a time and kept only as
 * stubs (id and position) when the text is a well-formed object whose keys are all distinct and
 * which has no "edges" member; anything else is parsed whole by json_loadb as before, so its error
 * messages are jansson's. Returns 0 (caller frees *root and common_src_clear(src)), 2 invalid
 * JSON (*err set), 1 out of memory. */
int common_parse_load(const char *buf, size_t len, json_t **root, struct instance_src *src,
                      char **err) WUR;

/* Frees the position tables of src. */
void common_src_clear(struct instance_src *src);

/* Returns the parsed person behind a people entry (new reference: caller decrefs): the entry
 * itself when src holds no text, else its element parsed again from the text; NULL on OOM. */
json_t *common_person(const struct instance_src *src, int which, json_t *entry) WUR;

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

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

/* Parses an instance text: when it is an object with distinct keys, the people arrays' elements
 * are only delimited (brackets, quotes) and kept as stubs (id and position), each element being
 * parsed by jansson when it is read (common_person); with "edges" (explicit form) they are parsed
 * in full at once. Anything else is parsed whole by json_loadb, so its errors are jansson's.
 * A bad instance read from stubs must be read again whole (common_parse_whole) to report the
 * exact error. Returns 0 (caller frees *root and common_src_clear(src)), 2 invalid
 * JSON (*err set), 1 out of memory. */
int common_parse_load(const char *buf, size_t len, json_t **root, struct instance_src *src,
                      char **err) WUR;

/* Parses the whole instance text into one tree (json_loadb, duplicate keys rejected): 0, or 2
 * with *err = jansson's message and position. */
int common_parse_whole(const char *buf, size_t len, json_t **root, char **err) WUR;

/* Frees the position tables of src. */
void common_src_clear(struct instance_src *src);

/* Returns the parsed person behind a people entry (new reference: caller decrefs): the entry
 * itself when src holds no text, else its element parsed again from the text; NULL on OOM or
 * when the element is not well-formed JSON (the caller reads the instance whole to report it). */
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

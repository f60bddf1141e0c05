/* domain: the domain instance form (people with skills, languages, time zones, availability,
 * reporting lines, history): hard rules, scores, rule counts and per-pair details. */
#ifndef TANDEM_MATCHER_DOMAIN_H
#define TANDEM_MATCHER_DOMAIN_H

#include <jansson.h>
#include <stdbool.h>

#include "common_parse.h"
#include "graph.h"
#include "util.h"

struct domain;

/* Builds the domain model and g (ids borrowed from root, which must outlive both; people entries
 * that are stubs are parsed again from src's text one at a time). Returns 0 with
 * *out (caller frees with domain_free), 2 for a bad instance (*err set), 1 on internal failure. */
int domain_build(json_t *root, const struct instance_src *src, struct domain **out,
                 struct mgraph *g, char **err) WUR;

/* Copies the strings the model borrows from the parsed JSON (skill names) into storage it owns
 * and forgets the others, so that the JSON can be released before solving; false on OOM. */
bool domain_own_strings(struct domain *d) WUR;

/* Frees the domain model. */
void domain_free(struct domain *d);

/* Adds breakdown, skills, slots and proposed_slot of the pair (mentee e, mentor m) to obj. */
bool domain_pair_json(const struct domain *d, int e, int m, json_t *obj) WUR;

/* Adds rule_counts of mentee e to obj (mentors eliminated, by first failing rule). */
bool domain_unmatched_json(struct domain *d, int e, json_t *obj) WUR;

#endif

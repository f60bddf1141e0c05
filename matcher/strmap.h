/* strmap: string -> int hash map used to resolve ids and intern names. */
#ifndef TANDEM_MATCHER_STRMAP_H
#define TANDEM_MATCHER_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct strmap;

/* Creates an empty map sized for about hint keys; caller frees with strmap_free. */
struct strmap *strmap_new(size_t hint) WUR;

/* Frees the map and its copies of the keys. */
void strmap_free(struct strmap *m);

/* Inserts key -> value unless present; *old receives the existing value or -1. False on OOM. */
bool strmap_put(struct strmap *m, const char *key, int value, int *old) WUR;

/* Returns the value stored for key, or -1 when absent. */
int strmap_get(const struct strmap *m, const char *key);

/* Returns the id for key, inserting the next dense id when absent; -1 on OOM. */
int strmap_intern(struct strmap *m, const char *key);

/* Returns the number of keys stored. */
size_t strmap_size(const struct strmap *m);

#endif

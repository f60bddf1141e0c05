/* strmap: open-addressing string -> int hash map. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct strmap {
	size_t mask, count;
	char **keys;
	int *vals;
};

/* Hashes a string with FNV-1a. */
static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Creates an empty map able to hold hint keys without growing. */
struct strmap *
strmap_new(size_t hint)
{
	struct strmap *m = calloc(1, sizeof(*m));
	size_t n = 16;

	if (m == NULL)
		goto fail;
	while (n < hint * 2 + 2)
		n *= 2;
	m->mask = n - 1;
	m->keys = calloc(n, sizeof(*m->keys));
	m->vals = calloc(n, sizeof(*m->vals));
	if (m->keys == NULL || m->vals == NULL)
		goto fail;
	return m;
fail:
	strmap_free(m);
	return NULL;
}

/* Frees the map and the key copies it owns. */
void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	if (m->keys != NULL)
		for (size_t i = 0; i <= m->mask; i++)
			free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m);
}

/* Finds the slot holding key or the empty slot where it would go. */
static size_t
find_slot(const struct strmap *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & m->mask;

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & m->mask;
	return i;
}

/* Doubles the table so the load factor stays under one half. */
static bool
grow(struct strmap *m)
{
	size_t n = (m->mask + 1) * 2;
	char **keys = calloc(n, sizeof(*keys));
	int *vals = calloc(n, sizeof(*vals));
	char **ok = m->keys;
	int *ov = m->vals;
	size_t om = m->mask;
	bool ret = false;

	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		goto out;
	}
	m->keys = keys;
	m->vals = vals;
	m->mask = n - 1;
	for (size_t i = 0; i <= om; i++) {
		if (ok[i] != NULL) {
			size_t j = find_slot(m, ok[i]);
			m->keys[j] = ok[i];
			m->vals[j] = ov[i];
		}
	}
	free(ok);
	free(ov);
	ret = true;
out:
	return ret;
}

/* Inserts key -> value unless the key exists, reporting the existing value in *old. */
bool
strmap_put(struct strmap *m, const char *key, int value, int *old)
{
	size_t i;

	*old = -1;
	if ((m->count + 1) * 2 > m->mask + 1 && !grow(m))
		return false;
	i = find_slot(m, key);
	if (m->keys[i] != NULL) {
		*old = m->vals[i];
		return true;
	}
	m->keys[i] = strdup(key);
	if (m->keys[i] == NULL)
		return false;
	m->vals[i] = value;
	m->count++;
	return true;
}

/* Returns the value of key or -1. */
int
strmap_get(const struct strmap *m, const char *key)
{
	size_t i = find_slot(m, key);

	return m->keys[i] != NULL ? m->vals[i] : -1;
}

/* Returns the dense id of key, assigning the next one when new. */
int
strmap_intern(struct strmap *m, const char *key)
{
	int old;
	int next = (int)m->count;

	if (!strmap_put(m, key, next, &old))
		return -1;
	return old >= 0 ? old : next;
}

/* Returns how many keys the map holds. */
size_t
strmap_size(const struct strmap *m)
{
	return m->count;
}

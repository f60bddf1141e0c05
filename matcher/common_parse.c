/* common_parse: fields and id handling shared by the explicit and domain instance forms. */
#include "common_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"

/* Reads the objective, time limit, keep bonus and optional side constraints. */
bool
common_parse_settings(json_t *root, struct mgraph *g, char **err)
{
	const char *obj = "max_matched_then_score";
	json_t *cons = NULL, *solver = NULL;
	long k = -1, ke = g->cand_mentee, km = g->cand_mentor, kp = g->pairs_mentee;
	double share = -1, tl = 60, kb = 1e-3;

	if (!jsonget_string(root, "objective", false, "instance", &obj, err))
		return false;
	if (strcmp(obj, "max_matched_then_score") == 0) {
		g->objective = OBJ_MAX_MATCHED_THEN_SCORE;
	} else if (strcmp(obj, "max_score") == 0) {
		g->objective = OBJ_MAX_SCORE;
	} else {
		util_errf(err, "instance.objective: must be \"max_matched_then_score\" or "
		               "\"max_score\"");
		return false;
	}
	if (!jsonget_number(root, "time_limit_seconds", false, "instance", &tl, err))
		return false;
	if (tl <= 0 || tl > 86400) {
		util_errf(err, "instance.time_limit_seconds: must be in (0, 86400]");
		return false;
	}
	g->time_limit = tl;
	if (!jsonget_number(root, "keep_bonus", false, "instance", &kb, err))
		return false;
	if (kb < 0) {
		util_errf(err, "instance.keep_bonus: must be >= 0");
		return false;
	}
	g->keep_bonus = kb;
	if (!jsonget_object(root, "constraints", false, "instance", &cons, err))
		return false;
	if (cons != NULL) {
		if (!jsonget_int(cons, "max_mentors_per_team", false, 0, 1000000,
		                 "instance.constraints", &k, err) ||
		    !jsonget_number(cons, "min_department_share", false, "instance.constraints",
		                    &share, err))
			return false;
		if (json_object_get(cons, "min_department_share") != NULL &&
		    !json_is_null(json_object_get(cons, "min_department_share")) &&
		    (share < 0 || share > 1)) {
			util_errf(err,
			          "instance.constraints.min_department_share: must be in [0, 1]");
			return false;
		}
	}
	g->max_per_team = (int)k;
	g->min_share = share;
	if (!jsonget_object(root, "solver", false, "instance", &solver, err))
		return false;
	if (solver != NULL && (!jsonget_int(solver, "candidates_per_mentee", false, 1, 1000,
	                                    "instance.solver", &ke, err) ||
	                       !jsonget_int(solver, "candidates_per_mentor", false, 0, 1000,
	                                    "instance.solver", &km, err) ||
	                       !jsonget_int(solver, "pairs_per_mentee", false, 0, 1000000,
	                                    "instance.solver", &kp, err)))
		return false;
	g->pairs_mentee = (int)kp;
	g->cand_mentee = (int)ke;
	g->cand_mentor = (int)km;
	return true;
}

/* Orders people objects by their id. */
static int
cmp_people(const void *a, const void *b)
{
	const char *ia = json_string_value(json_object_get(*(json_t *const *)a, "id"));
	const char *ib = json_string_value(json_object_get(*(json_t *const *)b, "id"));

	return util_id_compare(ia, ib);
}

/* Reads and sorts a people list, rejecting entries without a string id and duplicate ids. */
bool
common_parse_people(json_t *root, const char *key, json_t ***out, int *n, char **err)
{
	json_t *arr = NULL, **v = NULL;
	size_t len;
	bool ok = false;

	*out = NULL;
	*n = 0;
	if (!jsonget_array(root, key, true, "instance", &arr, err))
		goto out;
	len = json_array_size(arr);
	if (len > 10000000) {
		util_errf(err, "instance.%s: too many entries", key);
		goto out;
	}
	v = malloc((len + 1) * sizeof(*v));
	if (v == NULL)
		goto out;
	for (size_t i = 0; i < len; i++) {
		json_t *p = json_array_get(arr, i);
		const char *id = NULL;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.%s[%zu]", key, i);
		if (!json_is_object(p)) {
			util_errf(err, "%s: must be an object", ctx);
			goto out;
		}
		if (!jsonget_string(p, "id", true, ctx, &id, err))
			goto out;
		if (id[0] == '\0') {
			util_errf(err, "%s.id: must not be empty", ctx);
			goto out;
		}
		v[i] = p;
	}
	qsort(v, len, sizeof(*v), cmp_people);
	for (size_t i = 1; i < len; i++) {
		const char *a = json_string_value(json_object_get(v[i - 1], "id"));
		const char *b = json_string_value(json_object_get(v[i], "id"));

		if (strcmp(a, b) == 0) {
			util_errf(err, "instance.%s: duplicate id \"%s\"", key, a);
			goto out;
		}
	}
	*out = v;
	*n = (int)len;
	v = NULL;
	ok = true;
out:
	free(v);
	return ok;
}

/* Maps each id of a sorted people array to its index. */
struct strmap *
common_index(json_t **people, int n)
{
	struct strmap *m = strmap_new((size_t)n);

	for (int i = 0; m != NULL && i < n; i++) {
		int old;

		if (!strmap_put(m, json_string_value(json_object_get(people[i], "id")), i, &old)) {
			strmap_free(m);
			m = NULL;
		}
	}
	return m;
}

/* Resolves one {"mentor","mentee"} entry to indices. */
bool
common_parse_pair(json_t *item, const char *ctx, const struct strmap *mentors,
                  const struct strmap *mentees, bool strict, int *mentor, int *mentee, char **err)
{
	const char *a = NULL, *b = NULL;

	if (!json_is_object(item)) {
		util_errf(err, "%s: must be an object", ctx);
		return false;
	}
	if (!jsonget_string(item, "mentor", true, ctx, &a, err) ||
	    !jsonget_string(item, "mentee", true, ctx, &b, err))
		return false;
	*mentor = strmap_get(mentors, a);
	*mentee = strmap_get(mentees, b);
	if (strict && *mentor < 0) {
		util_errf(err, "%s: unknown mentor \"%s\"", ctx, a);
		return false;
	}
	if (strict && *mentee < 0) {
		util_errf(err, "%s: unknown mentee \"%s\"", ctx, b);
		return false;
	}
	return true;
}

/* Skips JSON white space from i. */
static size_t
skip_ws(const char *b, size_t n, size_t i)
{
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* After an element of an array or object (*i at its end): skips a ',' and the blanks after it (1:
 * another element follows) or the closing close (0: the container ended, *i past it); -1 on
 * anything else. The one separator step of the array and object readers. */
static int
next_member(const char *b, size_t n, size_t *i, char close)
{
	size_t k = skip_ws(b, n, *i);

	if (k < n && b[k] == ',') {
		*i = skip_ws(b, n, k + 1);
		return 1;
	}
	if (k < n && b[k] == close) {
		*i = k + 1;
		return 0;
	}
	*i = k;
	return -1;
}

/* Parses the one JSON value starting at b[*pos] and moves *pos past it; NULL if malformed. */
static json_t *
load_at(const char *b, size_t n, size_t *pos)
{
	json_error_t e;
	json_t *v =
	    json_loadb(b + *pos, n - *pos,
	               JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);

	if (v != NULL)
		*pos += (size_t)e.position;
	return v;
}

/* Finds the end of the object at b[i] == '{' from its brackets and quotes alone (jansson checks
 * the element when it is parsed) and where its member `name`'s string lies; *plain is false unless
 * that member is a string and no member name or that string is written with escapes (then jansson
 * must read the element to know it); *has tells whether a member is called `name` (unescaped):
 * with stop, true is returned as soon as it is seen (nothing else set). False when the brackets
 * do not close or nest too deep. */
static bool
skim_object(const char *b, size_t n, size_t i, const char *name, bool stop, size_t *end,
            size_t *id_off, size_t *id_len, bool *plain, bool *has)
{
	int depth = 0;
	bool key = false, want_id = false, names_plain = true;
	size_t nl = strlen(name);

	*has = false;

	*id_off = SIZE_MAX;
	*id_len = 0;
	while (i < n) {
		char c = b[i];

		if (c == '"') {
			size_t s = ++i;
			bool esc;

			/* the closing quote is the first one not preceded by an odd run of \\ */
			for (;;) {
				const char *q = i < n ? memchr(b + i, '"', n - i) : NULL;
				size_t k, bs = 0;

				if (q == NULL)
					return false;
				k = (size_t)(q - b);
				while (k - bs > s && b[k - bs - 1] == '\\')
					bs++;
				i = k;
				if (bs % 2 == 0)
					break;
				i++;
			}
			esc = memchr(b + s, '\\', i - s) != NULL;
			if (depth == 1 && key) {
				names_plain = names_plain && !esc;
				want_id = !esc && i - s == nl && memcmp(b + s, name, nl) == 0;
				*has = *has || want_id;
				if (*has && stop)
					return true;
				key = false;
			} else if (depth == 1 && want_id) {
				if (!esc && *id_off == SIZE_MAX) {
					*id_off = s;
					*id_len = i - s;
				}
				want_id = false;
			}
			i++;
			continue;
		}
		if (c == '{' || c == '[') {
			want_id = false;
			if (++depth > 1000)
				return false;
			key = depth == 1;
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				*end = i + 1;
				*plain = names_plain && *id_off != SIZE_MAX;
				return true;
			}
		} else if (c == ',' && depth == 1) {
			key = true;
		} else if (want_id && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ':') {
			want_id = false;
		}
		i++;
	}
	return false;
}

/* Records where element k of people array `which` lies; false on OOM. */
static bool
src_add(struct instance_src *src, int which, size_t *cap, size_t off, size_t len)
{
	size_t k = src->n[which];

	if (k == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		size_t *a = realloc(src->off[which], nc * sizeof(size_t));

		if (a == NULL)
			return false;
		src->off[which] = a;
		a = realloc(src->len[which], nc * sizeof(size_t));
		if (a == NULL)
			return false;
		src->len[which] = a;
		*cap = nc;
	}
	src->off[which][k] = off;
	src->len[which][k] = len;
	src->n[which] = k + 1;
	return true;
}

/* Scans a people array at b[*pos] == '[' element by element into an array of stubs ({"id",
 * "#at"}; an element that is not an object with a string id is kept whole, it is reported as a
 * bad entry later). Returns 0, -1 when the text is malformed, 1 on OOM. */
static int
scan_people(const char *b, size_t n, size_t *pos, int which, struct instance_src *src, json_t **out)
{
	json_t *arr = json_array();
	size_t i = skip_ws(b, n, *pos + 1), cap = 0;
	int ret = 1, rc;

	*out = NULL;
	if (arr == NULL)
		return 1;
	if (i < n && b[i] == ']') {
		i++;
		goto done;
	}
	for (;;) {
		size_t j = i, io, il;
		bool plain = false, has;
		json_t *el = NULL, *id = NULL, *stub;

		if (i < n && b[i] == '{' &&
		    !skim_object(b, n, i, "id", false, &j, &io, &il, &plain, &has)) {
			ret = -1;
			goto fail;
		}
		if (plain) {
			id = json_stringn(b + io, il);
		} else {
			j = i;
			el = load_at(b, n, &j);
			if (el == NULL) {
				ret = -1;
				goto fail;
			}
			id = json_is_object(el) ? json_object_get(el, "id") : NULL;
			id = json_is_string(id) ? json_incref(id) : NULL;
		}
		if (!src_add(src, which, &cap, i, j - i)) {
			json_decref(el);
			json_decref(id);
			goto fail;
		}
		if (id != NULL) {
			stub = json_pack("{s:o,s:I}", "id", id, "#at",
			                 (json_int_t)(src->n[which] - 1));
			json_decref(el);
		} else if (plain) {
			ret = -1; /* not UTF-8: jansson reports it */
			goto fail;
		} else {
			stub = el;
		}
		if (stub == NULL || json_array_append_new(arr, stub) != 0)
			goto fail;
		i = j;
		rc = next_member(b, n, &i, ']');
		if (rc > 0)
			continue;
		if (rc == 0)
			break;
		ret = -1;
		goto fail;
	}
done:
	*pos = i;
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return ret;
}

/* Replaces every stub of the scanned people arrays of r by its element parsed in full; -1 when an
 * element is malformed, 1 on OOM. */
static int
full_people(json_t *r, const struct instance_src *src)
{
	static const char *const keys[2] = {"mentors", "mentees"};

	for (int w = 0; w < 2; w++) {
		json_t *arr = json_object_get(r, keys[w]);

		for (size_t k = 0; src->n[w] > 0 && k < json_array_size(arr); k++) {
			json_t *stub = json_array_get(arr, k), *p;

			if (!json_is_string(json_object_get(stub, "id")))
				continue;
			p = common_person(src, w, stub);
			if (p == NULL)
				return -1;
			if (json_array_set_new(arr, k, p) != 0)
				return 1;
		}
	}
	return 0;
}

/* Scans the top-level object of an instance, its people arrays element by element; -1 when the
 * text is not such an object (or has an "edges" member or a repeated key: then parsed whole), 1 on
 * OOM. */
static int
scan_instance(const char *b, size_t n, json_t **root, struct instance_src *src)
{
	json_t *r = NULL;
	size_t i = skip_ws(b, n, 0), end, o, l;
	bool plain, has;
	int ret = -1;

	/* the explicit form ("edges") is read whole, as before */
	if (i >= n || b[i] != '{' ||
	    !skim_object(b, n, i, "edges", true, &end, &o, &l, &plain, &has) || has)
		return -1;
	r = json_object();
	if (r == NULL)
		return 1;
	i = skip_ws(b, n, i + 1);
	if (i < n && b[i] == '}') {
		i++;
		goto end;
	}
	for (;;) {
		json_t *key, *val = NULL;
		const char *k;
		int which = -1, rc;

		if (i >= n || b[i] != '"' || (key = load_at(b, n, &i)) == NULL)
			goto fail;
		k = json_string_value(key);
		if (k == NULL || json_object_get(r, k) != NULL) {
			json_decref(key);
			goto fail;
		}
		i = skip_ws(b, n, i);
		if (i >= n || b[i] != ':') {
			json_decref(key);
			goto fail;
		}
		i = skip_ws(b, n, i + 1);
		if (strcmp(k, "mentors") == 0)
			which = 0;
		else if (strcmp(k, "mentees") == 0)
			which = 1;
		if (which >= 0 && i < n && b[i] == '[') {
			rc = scan_people(b, n, &i, which, src, &val);
			if (rc != 0) {
				json_decref(key);
				ret = rc;
				goto fail;
			}
		} else {
			val = load_at(b, n, &i);
		}
		if (val == NULL || json_object_set_new(r, k, val) != 0) {
			json_decref(key);
			goto fail;
		}
		json_decref(key);
		rc = next_member(b, n, &i, '}');
		if (rc > 0)
			continue;
		if (rc == 0)
			break;
		goto fail;
	}
end:
	if (skip_ws(b, n, i) != n)
		goto fail;
	src->buf = b;
	/* "edges" written with escapes: the explicit form reads its people from the tree */
	if (json_object_get(r, "edges") != NULL) {
		ret = full_people(r, src);
		if (ret != 0)
			goto fail;
		common_src_clear(src);
	}
	*root = r;
	return 0;
fail:
	json_decref(r);
	common_src_clear(src);
	return ret;
}

/* Parses the instance text, people element by element when possible, else whole. */
int
common_parse_load(const char *buf, size_t len, json_t **root, struct instance_src *src, char **err)
{
	int rc;

	memset(src, 0, sizeof(*src));
	*root = NULL;
	rc = scan_instance(buf, len, root, src);
	if (rc >= 0)
		return rc;
	return common_parse_whole(buf, len, root, err);
}

/* Frees the position tables. */
void
common_src_clear(struct instance_src *src)
{
	for (int w = 0; w < 2; w++) {
		free(src->off[w]);
		free(src->len[w]);
	}
	memset(src, 0, sizeof(*src));
}

/* Returns the person behind a people entry, parsing its element again from the text. */
json_t *
common_person(const struct instance_src *src, int which, json_t *entry)
{
	json_error_t e;
	json_int_t at;
	json_t *p;

	if (src == NULL || src->buf == NULL)
		return json_incref(entry);
	at = json_integer_value(json_object_get(entry, "#at"));
	p = json_loadb(src->buf + src->off[which][at], src->len[which][at],
	               JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);
	/* the element must be exactly the text skimmed for it */
	if (p != NULL && (size_t)e.position != src->len[which][at]) {
		json_decref(p);
		p = NULL;
	}
	return p;
}

/* Parses the whole instance text into one tree (the reader of bad instances). */
int
common_parse_whole(const char *buf, size_t len, json_t **root, char **err)
{
	json_error_t jerr;

	*root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*root == NULL) {
		util_errf(err, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
		          jerr.text);
		return 2;
	}
	return 0;
}

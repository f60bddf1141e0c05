/* common_parse: fields and id handling shared by the explicit and domain instance forms. */
#include "common_parse.h"

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

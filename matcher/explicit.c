/* explicit: builds the pair graph from an instance that lists scored edges directly. */
#include "explicit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_parse.h"
#include "jsonget.h"
#include "pairset.h"

struct edge {
	int mentee, mentor;
	double score;
};

/* Orders edges by mentee then mentor. */
static int
cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->mentee != y->mentee)
		return x->mentee < y->mentee ? -1 : 1;
	if (x->mentor != y->mentor)
		return x->mentor < y->mentor ? -1 : 1;
	return 0;
}

/* Interns an optional string field of each person into dense indices (-1 when absent). */
static bool
intern_field(json_t **people, int n, const char *key, const char *list, int **out, int *count,
             char **err)
{
	struct strmap *names = strmap_new(16);
	int *v = malloc(((size_t)n + 1) * sizeof(*v));
	bool ok = false;

	if (names == NULL || v == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *s = NULL;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.%s[%d]", list, i);
		if (!jsonget_string(people[i], key, false, ctx, &s, err))
			goto out;
		v[i] = s != NULL ? strmap_intern(names, s) : -1;
	}
	*count = (int)strmap_size(names);
	*out = v;
	v = NULL;
	ok = true;
out:
	strmap_free(names);
	free(v);
	return ok;
}

/* Parses pins, forbidden pairs and keeps, and the edges themselves into g. */
int
explicit_build(json_t *root, struct mgraph *g, char **err)
{
	json_t **mentors = NULL, **mentees = NULL, *edges = NULL, *list = NULL;
	struct strmap *mi = NULL, *ei = NULL;
	struct pairset *forbid = NULL;
	struct edge *ev = NULL;
	int nm = 0, ne = 0, ret = 1, dummy;
	size_t nedges, kept = 0;

	memset(g, 0, sizeof(*g));
	if (!common_parse_people(root, "mentors", &mentors, &nm, err) ||
	    !common_parse_people(root, "mentees", &mentees, &ne, err) ||
	    !jsonget_array(root, "edges", true, "instance", &edges, err))
		goto bad;
	if (!graph_init(g, ne, nm))
		goto fail;
	/* explicit instances are often mentor-scarce: a thin first LP (mentee rows only where a
	 * mentee has two columns) grown by pricing was measured faster there */
	g->cand_mentee = GRAPH_CAND_MENTEE_EXPLICIT;
	g->cand_mentor = GRAPH_CAND_MENTOR_EXPLICIT;
	if (!common_parse_settings(root, g, err))
		goto bad_or_oom;
	mi = common_index(mentors, nm);
	ei = common_index(mentees, ne);
	forbid = pairset_new(16);
	g->mentor_id = malloc(((size_t)nm + 1) * sizeof(*g->mentor_id));
	g->mentee_id = malloc(((size_t)ne + 1) * sizeof(*g->mentee_id));
	nedges = json_array_size(edges);
	ev = malloc((nedges + 1) * sizeof(*ev));
	if (mi == NULL || ei == NULL || forbid == NULL || g->mentor_id == NULL ||
	    g->mentee_id == NULL || ev == NULL)
		goto fail;
	for (int m = 0; m < nm; m++) {
		long cap = 0;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.mentors[%d]", m);
		if (!jsonget_int(mentors[m], "capacity", true, 0, 1000000, ctx, &cap, err))
			goto bad;
		g->cap[m] = (int)cap;
		g->mentor_id[m] = json_string_value(json_object_get(mentors[m], "id"));
	}
	for (int e = 0; e < ne; e++)
		g->mentee_id[e] = json_string_value(json_object_get(mentees[e], "id"));
	if (!jsonget_array(root, "forbidden", false, "instance", &list, err))
		goto bad;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.forbidden[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, true, &m, &e, err))
			goto bad;
		if (!pairset_add(forbid, m, e))
			goto fail;
	}
	for (size_t i = 0; i < nedges; i++) {
		json_t *it = json_array_get(edges, i);
		int m, e;
		double sc = 0;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.edges[%zu]", i);
		if (!common_parse_pair(it, ctx, mi, ei, true, &m, &e, err) ||
		    !jsonget_number(it, "score", true, ctx, &sc, err))
			goto bad;
		/* never pair a person with themselves, nor a forbidden pair */
		if (strcmp(g->mentor_id[m], g->mentee_id[e]) == 0 || pairset_has(forbid, m, e))
			continue;
		ev[kept].mentee = e;
		ev[kept].mentor = m;
		ev[kept++].score = sc;
	}
	qsort(ev, kept, sizeof(*ev), cmp_edge);
	g->mentor = malloc((kept + 1) * sizeof(*g->mentor));
	g->score = malloc((kept + 1) * sizeof(*g->score));
	if (g->mentor == NULL || g->score == NULL)
		goto fail;
	for (size_t i = 0; i < kept; i++) {
		if (i > 0 && cmp_edge(&ev[i - 1], &ev[i]) == 0) {
			util_errf(err, "instance.edges: duplicate edge %s -> %s",
			          g->mentor_id[ev[i].mentor], g->mentee_id[ev[i].mentee]);
			goto bad;
		}
		g->mentor[i] = ev[i].mentor;
		g->score[i] = ev[i].score;
		g->start[ev[i].mentee + 1]++;
	}
	for (int e = 0; e < ne; e++)
		g->start[e + 1] += g->start[e];
	if (!jsonget_array(root, "pins", false, "instance", &list, err))
		goto bad;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e;
		long p;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.pins[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, true, &m, &e, err))
			goto bad;
		p = graph_find(g, e, m);
		if (p < 0)
			graph_issue(g, true, "pin_not_an_edge",
			            pairset_has(forbid, m, e) ? "forbidden" : NULL, m, e, -1,
			            "pin %s -> %s is not an allowed edge%s", g->mentor_id[m],
			            g->mentee_id[e],
			            pairset_has(forbid, m, e) ? " (forbidden)" : "");
		else if (g->pin[e] >= 0 && g->pin[e] != p)
			graph_issue(g, true, "mentee_pinned_twice", NULL, m, e, -1,
			            "mentee %s is pinned to two mentors", g->mentee_id[e]);
		else
			g->pin[e] = p;
	}
	graph_check_pins(g);
	if (!jsonget_array(root, "keep", false, "instance", &list, err))
		goto bad;
	for (size_t i = 0; list != NULL && i < json_array_size(list); i++) {
		int m, e;
		long p;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "instance.keep[%zu]", i);
		if (!common_parse_pair(json_array_get(list, i), ctx, mi, ei, false, &m, &e, err))
			goto bad;
		if (m >= 0 && e >= 0 && (p = graph_find(g, e, m)) >= 0 && g->keep[e] < 0)
			g->keep[e] = p;
	}
	if (g->max_per_team >= 0 &&
	    !intern_field(mentors, nm, "team", "mentors", &g->mentor_team, &dummy, err))
		goto bad_or_oom;
	if (g->min_share >= 0 &&
	    !intern_field(mentees, ne, "department", "mentees", &g->mentee_dept, &g->n_depts, err))
		goto bad_or_oom;
	ret = 0;
	goto out;
bad_or_oom:
	ret = *err != NULL ? 2 : 1;
	goto out;
bad:
	ret = 2;
	goto out;
fail:
	util_errf(err, "out of memory");
	ret = 1;
out:
	if (ret != 0)
		graph_clear(g);
	free(mentors);
	free(mentees);
	free(ev);
	strmap_free(mi);
	strmap_free(ei);
	pairset_free(forbid);
	return ret;
}

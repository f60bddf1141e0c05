/* graph: allocation and small queries of the feasible-pair graph. */
#include "graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocates the arrays indexed by mentee and mentor, with no pins and no keeps. */
bool
graph_init(struct mgraph *g, int n_mentees, int n_mentors)
{
	memset(g, 0, sizeof(*g));
	g->n_mentees = n_mentees;
	g->n_mentors = n_mentors;
	g->cap = calloc((size_t)n_mentors + 1, sizeof(*g->cap));
	g->start = calloc((size_t)n_mentees + 1, sizeof(*g->start));
	g->pin = malloc(((size_t)n_mentees + 1) * sizeof(*g->pin));
	g->keep = malloc(((size_t)n_mentees + 1) * sizeof(*g->keep));
	g->issues = calloc(GRAPH_MAX_ISSUES, sizeof(*g->issues));
	g->max_per_team = -1;
	g->min_share = -1;
	g->time_limit = 60;
	g->cand_mentee = GRAPH_CAND_MENTEE;
	g->cand_mentor = GRAPH_CAND_MENTOR;
	g->pairs_mentee = GRAPH_PAIRS_MENTEE;
	if (g->cap == NULL || g->start == NULL || g->pin == NULL || g->keep == NULL ||
	    g->issues == NULL)
		return false;
	for (int e = 0; e < n_mentees; e++)
		g->pin[e] = g->keep[e] = -1;
	return true;
}

/* Frees everything the graph owns. */
void
graph_clear(struct mgraph *g)
{
	free(g->cap);
	free(g->start);
	free(g->mentor);
	free(g->score);
	free(g->pin);
	free(g->keep);
	free(g->mentor_team);
	free(g->mentee_dept);
	free(g->mentee_id);
	free(g->mentor_id);
	free(g->id_store);
	free(g->issues);
	free(g->rest_bound);
	free(g->expand_target);
	memset(g, 0, sizeof(*g));
}

/* Copies every id into one owned block and points the id arrays at the copies. */
bool
graph_own_ids(struct mgraph *g)
{
	size_t total = 1, at = 0;
	char *store;

	for (int m = 0; m < g->n_mentors; m++)
		total += strlen(g->mentor_id[m]) + 1;
	for (int e = 0; e < g->n_mentees; e++)
		total += strlen(g->mentee_id[e]) + 1;
	store = malloc(total);
	if (store == NULL)
		return false;
	for (int x = 0; x < g->n_mentors + g->n_mentees; x++) {
		const char **id =
		    x < g->n_mentors ? &g->mentor_id[x] : &g->mentee_id[x - g->n_mentors];
		size_t n = strlen(*id) + 1;

		memcpy(store + at, *id, n);
		*id = store + at;
		at += n;
	}
	free(g->id_store);
	g->id_store = store;
	return true;
}

/* Records an issue with its formatted message; the first error is also g->infeasible. */
void
graph_issue(struct mgraph *g, bool error, const char *code, const char *rule, int mentor,
            int mentee, int capacity, const char *fmt, ...)
{
	struct issue tmp, *it = g->n_issues < GRAPH_MAX_ISSUES ? &g->issues[g->n_issues] : &tmp;
	va_list ap;

	it->error = error;
	it->code = code;
	it->rule = rule;
	it->mentor = mentor;
	it->mentee = mentee;
	it->capacity = capacity;
	va_start(ap, fmt);
	vsnprintf(it->message, sizeof(it->message), fmt, ap);
	va_end(ap);
	if (error && g->infeasible[0] == '\0')
		snprintf(g->infeasible, sizeof(g->infeasible), "%s", it->message);
	if (it == &tmp)
		g->issues_dropped++;
	else
		g->n_issues++;
}

/* Binary-searches the mentee's pairs (mentors are ascending) for the mentor. */
long
graph_find(const struct mgraph *g, int mentee, int mentor)
{
	long lo = g->start[mentee], hi = g->start[mentee + 1];

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (g->mentor[mid] < mentor)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->start[mentee + 1] && g->mentor[lo] == mentor ? lo : -1;
}

/* Tells whether no mentee has feasible pairs left out of the arrays. */
bool
graph_complete(const struct mgraph *g)
{
	for (int e = 0; g->rest_bound != NULL && e < g->n_mentees; e++)
		if (g->rest_bound[e] > -INFINITY)
			return false;
	return true;
}

/* Returns the objective coefficient: the score, plus the keep bonus on a kept pair. */
double
graph_cost(const struct mgraph *g, int mentee, long p)
{
	return g->score[p] + (g->keep[mentee] == p ? g->keep_bonus : 0.0);
}

/* Rejects pin sets that exceed a mentor's capacity (pins are already known feasible). */
void
graph_check_pins(struct mgraph *g)
{
	int *load = NULL;

	load = calloc((size_t)g->n_mentors + 1, sizeof(*load));
	if (load == NULL) {
		snprintf(g->infeasible, sizeof(g->infeasible), "out of memory checking pins");
		return;
	}
	for (int e = 0; e < g->n_mentees; e++) {
		int m;

		if (g->pin[e] < 0)
			continue;
		m = g->mentor[g->pin[e]];
		if (++load[m] == g->cap[m] + 1)
			graph_issue(g, true, "pins_exceed_capacity", NULL, m, -1, g->cap[m],
			            "pins give mentor %s more mentees than its capacity %d",
			            g->mentor_id[m], g->cap[m]);
	}
	free(load);
}

/* bmatch: Hopcroft-Karp style augmenting paths for bipartite b-matching with fixed pins. */
#include "bmatch.h"

#include <limits.h>
#include <stdlib.h>

struct hk {
	const struct mgraph *g;
	long *assign; /* per mentee: pair index or -1 */
	long *soff;   /* per mentor: first slot */
	int *load;    /* per mentor: used slots */
	int *slots;   /* mentees sitting in each mentor's slots */
	int *dist;    /* BFS layer per mentee */
	long *it;     /* DFS iterator per mentee */
	int *queue;
};

/* Returns the mentor a mentee is assigned to, or -1. */
static int
cur_mentor(const struct hk *h, int e)
{
	return h->assign[e] >= 0 ? h->g->mentor[h->assign[e]] : -1;
}

/* Layers mentees by alternating distance from the free ones; true if a free mentor is reachable. */
static bool
bfs(struct hk *h)
{
	const struct mgraph *g = h->g;
	int qh = 0, qt = 0;
	bool found = false;

	for (int e = 0; e < g->n_mentees; e++) {
		h->it[e] = g->start[e];
		if (h->assign[e] < 0 && g->start[e] < g->start[e + 1]) {
			h->dist[e] = 0;
			h->queue[qt++] = e;
		} else {
			h->dist[e] = INT_MAX;
		}
	}
	while (qh < qt) {
		int e = h->queue[qh++];

		for (long p = g->start[e]; p < g->start[e + 1]; p++) {
			int m = g->mentor[p];

			if (m == cur_mentor(h, e) || g->cap[m] <= 0)
				continue;
			if (h->load[m] < g->cap[m]) {
				found = true;
				continue;
			}
			for (long s = h->soff[m]; s < h->soff[m] + h->load[m]; s++) {
				int e2 = h->slots[s];

				if (g->pin[e2] < 0 && h->dist[e2] == INT_MAX) {
					h->dist[e2] = h->dist[e] + 1;
					h->queue[qt++] = e2;
				}
			}
		}
	}
	return found;
}

/* Moves mentee e to another mentor along a layered alternating path; the caller reuses e's old
 * slot. Returns true when e moved. */
static bool
dfs(struct hk *h, int e)
{
	const struct mgraph *g = h->g;

	for (; h->it[e] < g->start[e + 1]; h->it[e]++) {
		long p = h->it[e];
		int m = g->mentor[p];

		if (m == cur_mentor(h, e) || g->cap[m] <= 0)
			continue;
		if (h->load[m] < g->cap[m]) {
			h->slots[h->soff[m] + h->load[m]++] = e;
			h->assign[e] = p;
			return true;
		}
		for (long s = h->soff[m]; s < h->soff[m] + h->load[m]; s++) {
			int e2 = h->slots[s];

			if (g->pin[e2] < 0 && h->dist[e2] == h->dist[e] + 1 && dfs(h, e2)) {
				h->slots[s] = e;
				h->assign[e] = p;
				return true;
			}
		}
	}
	h->dist[e] = INT_MAX;
	return false;
}

/* Computes a maximum b-matching that keeps the pins: the given start (or first-fit), then
 * shortest augmenting path phases until no free mentor is reachable. */
bool
bmatch_max(const struct mgraph *g, const long *init, long *assign, int *count)
{
	struct hk h = {0};
	bool ok = false;
	long total = 0;
	int n = 0;

	h.g = g;
	h.assign = assign;
	h.soff = malloc(((size_t)g->n_mentors + 1) * sizeof(*h.soff));
	h.load = calloc((size_t)g->n_mentors + 1, sizeof(*h.load));
	h.dist = malloc(((size_t)g->n_mentees + 1) * sizeof(*h.dist));
	h.it = malloc(((size_t)g->n_mentees + 1) * sizeof(*h.it));
	h.queue = malloc(((size_t)g->n_mentees + 1) * sizeof(*h.queue));
	if (h.soff == NULL || h.load == NULL || h.dist == NULL || h.it == NULL || h.queue == NULL)
		goto out;
	for (int m = 0; m < g->n_mentors; m++) {
		h.soff[m] = total;
		total += g->cap[m] > 0 ? g->cap[m] : 0;
	}
	h.slots = malloc(((size_t)total + 1) * sizeof(*h.slots));
	if (h.slots == NULL)
		goto out;
	for (int e = 0; e < g->n_mentees; e++) {
		assign[e] = -1;
		if (g->pin[e] >= 0) {
			int m = g->mentor[g->pin[e]];

			if (h.load[m] < g->cap[m]) {
				h.slots[h.soff[m] + h.load[m]++] = e;
				assign[e] = g->pin[e];
				n++;
			}
		}
	}
	for (int e = 0; init != NULL && e < g->n_mentees; e++) {
		int m;

		if (assign[e] >= 0 || g->pin[e] >= 0 || init[e] < 0)
			continue;
		m = g->mentor[init[e]];
		if (h.load[m] < g->cap[m]) {
			h.slots[h.soff[m] + h.load[m]++] = e;
			assign[e] = init[e];
			n++;
		}
	}
	for (int e = 0; e < g->n_mentees; e++) {
		if (assign[e] >= 0 || g->pin[e] >= 0)
			continue;
		for (long p = g->start[e]; p < g->start[e + 1]; p++) {
			int m = g->mentor[p];

			if (h.load[m] < g->cap[m]) {
				h.slots[h.soff[m] + h.load[m]++] = e;
				assign[e] = p;
				n++;
				break;
			}
		}
	}
	while (bfs(&h)) {
		int gained = 0;

		for (int e = 0; e < g->n_mentees; e++)
			if (assign[e] < 0 && g->pin[e] < 0 && h.dist[e] == 0 && dfs(&h, e))
				gained++;
		if (gained == 0)
			break;
		n += gained;
	}
	*count = n;
	ok = true;
out:
	free(h.soff);
	free(h.load);
	free(h.slots);
	free(h.dist);
	free(h.it);
	free(h.queue);
	return ok;
}

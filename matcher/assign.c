/* assign: maximum-score b-matching by successive shortest augmenting paths (Dijkstra over
 * reduced costs, one mentee at a time), keeping exact complementary duals.
 *
 * Min-cost view: each mentee is assigned to a mentor slot (cost -score) or to its own "unmatched"
 * dummy (cost 0, no capacity). Potentials a[e] <= 0 (mentees) and b[m] <= 0 (mentors) keep every
 * reduced cost k - a[e] - b[m] >= 0 and matched pairs tight; u = -a, v = -b are the LP duals of
 * the mentee rows and the mentor capacity rows. Mentors only gain load, so a mentor below its
 * capacity keeps b = 0. */
#include "assign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hent {
	double d;
	int m;
};

struct sp {
	const struct mgraph *g;
	long *assign, *soff, *predp;
	int *load, *slots, *prede, *touched_m, *touched_e, ntm, nte, hn, hcap;
	double *a, *b, *dm, *de;
	unsigned char *donem, *seene;
	struct hent *heap;
};

/* Pushes (d, m) on the lazy min-heap; false on OOM. */
static bool
heap_push(struct sp *s, double d, int m)
{
	int i;

	if (s->hn == s->hcap) {
		int nc = s->hcap * 2 + 64;
		struct hent *h = realloc(s->heap, (size_t)nc * sizeof(*h));

		if (h == NULL)
			return false;
		s->heap = h;
		s->hcap = nc;
	}
	i = s->hn++;
	while (i > 0 && s->heap[(i - 1) / 2].d > d) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i].d = d;
	s->heap[i].m = m;
	return true;
}

/* Pops the smallest entry of the heap into *out. */
static void
heap_pop(struct sp *s, struct hent *out)
{
	struct hent last = s->heap[--s->hn];
	int i = 0;

	*out = s->heap[0];
	for (;;) {
		int c = 2 * i + 1;

		if (c >= s->hn)
			break;
		if (c + 1 < s->hn && s->heap[c + 1].d < s->heap[c].d)
			c++;
		if (s->heap[c].d >= last.d)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->hn > 0)
		s->heap[i] = last;
}

/* Relaxes the pairs of a reached mentee e (distance s->de[e]); false on OOM. */
static bool
relax(struct sp *s, int e)
{
	const struct mgraph *g = s->g;

	for (long p = g->start[e]; p < g->start[e + 1]; p++) {
		int m = g->mentor[p];
		double nd;

		if (p == s->assign[e] || g->cap[m] <= 0 || s->donem[m])
			continue;
		nd = s->de[e] - graph_cost(g, e, p) - s->a[e] - s->b[m];
		if (nd < s->dm[m]) {
			if (s->dm[m] == INFINITY)
				s->touched_m[s->ntm++] = m;
			s->dm[m] = nd;
			s->predp[m] = p;
			s->prede[m] = e;
			if (!heap_push(s, nd, m))
				return false;
		}
	}
	return true;
}

/* Removes mentee e from mentor m's slots. */
static void
slot_remove(struct sp *s, int m, int e)
{
	for (long i = s->soff[m]; i < s->soff[m] + s->load[m]; i++)
		if (s->slots[i] == e) {
			s->slots[i] = s->slots[s->soff[m] + s->load[m] - 1];
			s->load[m]--;
			return;
		}
}

/* Assigns mentee e0 along a shortest augmenting path (or leaves it unmatched when that is
 * cheapest) and updates the potentials; false on OOM. */
static bool
augment(struct sp *s, int e0)
{
	const struct mgraph *g = s->g;
	double best = 0, dmax;
	int term_m = -1, term_e = e0;
	bool ok = false;

	/* a[e0]: the smallest reduced cost of its pairs becomes 0 (or the dummy's) */
	for (long p = g->start[e0]; p < g->start[e0 + 1]; p++) {
		int m = g->mentor[p];
		double k = -graph_cost(g, e0, p) - s->b[m];

		if (g->cap[m] > 0 && k < best)
			best = k;
	}
	s->a[e0] = best;
	s->ntm = s->nte = s->hn = 0;
	s->de[e0] = 0;
	s->seene[e0] = 1;
	s->touched_e[s->nte++] = e0;
	dmax = -s->a[e0]; /* e0 unmatched */
	if (!relax(s, e0))
		goto out;
	while (s->hn > 0) {
		struct hent h;
		int m;

		heap_pop(s, &h);
		m = h.m;
		if (s->donem[m] || h.d > s->dm[m])
			continue;
		if (h.d >= dmax)
			break;
		s->donem[m] = 1;
		if (s->load[m] < g->cap[m]) {
			dmax = h.d;
			term_m = m;
			term_e = -1;
			break;
		}
		for (long i = s->soff[m]; i < s->soff[m] + s->load[m]; i++) {
			int e = s->slots[i];

			if (s->seene[e] || g->pin[e] >= 0)
				continue;
			s->seene[e] = 1;
			s->touched_e[s->nte++] = e;
			s->de[e] = h.d;
			if (s->de[e] - s->a[e] < dmax) {
				dmax = s->de[e] - s->a[e];
				term_e = e;
			}
			if (!relax(s, e))
				goto out;
		}
	}
	/* potentials: finalized mentors and reached mentees move by dmax - distance */
	for (int i = 0; i < s->ntm; i++) {
		int m = s->touched_m[i];

		if (s->donem[m] && s->dm[m] < dmax)
			s->b[m] -= dmax - s->dm[m];
	}
	for (int i = 0; i < s->nte; i++) {
		int e = s->touched_e[i];

		if (s->de[e] < dmax)
			s->a[e] += dmax - s->de[e];
	}
	/* augment: the path ends at a free slot of term_m, or frees mentee term_e */
	{
		int m = term_m, e;

		if (term_m < 0) {
			e = term_e;
			if (e != e0) {
				m = g->mentor[s->assign[e]];
				slot_remove(s, m, e);
				s->assign[e] = -1;
				s->a[e] = 0;
			} else {
				m = -1;
			}
		}
		while (m >= 0) {
			long p = s->predp[m];
			int prev;

			e = s->prede[m];
			prev = s->assign[e] >= 0 ? g->mentor[s->assign[e]] : -1;
			if (prev >= 0)
				slot_remove(s, prev, e);
			s->slots[s->soff[m] + s->load[m]++] = e;
			s->assign[e] = p;
			m = e == e0 ? -1 : prev;
		}
	}
	ok = true;
out:
	for (int i = 0; i < s->ntm; i++) {
		s->dm[s->touched_m[i]] = INFINITY;
		s->donem[s->touched_m[i]] = 0;
	}
	for (int i = 0; i < s->nte; i++)
		s->seene[s->touched_e[i]] = 0;
	return ok;
}

bool
assign_max_score(const struct mgraph *g, double deadline_ms, long *assign, int *count, double *u,
                 double *v)
{
	struct sp s;
	int ne = g->n_mentees, nm = g->n_mentors;
	bool ok = false;

	memset(&s, 0, sizeof(s));
	s.g = g;
	s.assign = assign;
	s.soff = malloc(((size_t)nm + 1) * sizeof(*s.soff));
	s.predp = malloc(((size_t)nm + 1) * sizeof(*s.predp));
	s.load = calloc((size_t)nm + 1, sizeof(*s.load));
	s.prede = malloc(((size_t)nm + 1) * sizeof(*s.prede));
	s.touched_m = malloc(((size_t)nm + 1) * sizeof(*s.touched_m));
	s.touched_e = malloc(((size_t)ne + 1) * sizeof(*s.touched_e));
	s.a = calloc((size_t)ne + 1, sizeof(*s.a));
	s.b = calloc((size_t)nm + 1, sizeof(*s.b));
	s.dm = malloc(((size_t)nm + 1) * sizeof(*s.dm));
	s.de = malloc(((size_t)ne + 1) * sizeof(*s.de));
	s.donem = calloc((size_t)nm + 1, 1);
	s.seene = calloc((size_t)ne + 1, 1);
	if (s.soff == NULL || s.predp == NULL || s.load == NULL || s.prede == NULL ||
	    s.touched_m == NULL || s.touched_e == NULL || s.a == NULL || s.b == NULL ||
	    s.dm == NULL || s.de == NULL || s.donem == NULL || s.seene == NULL)
		goto out;
	{
		long total = 0;

		for (int m = 0; m < nm; m++) {
			s.soff[m] = total;
			total += g->cap[m] > 0 ? g->cap[m] : 0;
			s.dm[m] = INFINITY;
		}
		s.slots = malloc(((size_t)total + 1) * sizeof(*s.slots));
		if (s.slots == NULL)
			goto out;
	}
	for (int e = 0; e < ne; e++) {
		assign[e] = g->pin[e];
		if (g->pin[e] >= 0) {
			int m = g->mentor[g->pin[e]];

			s.slots[s.soff[m] + s.load[m]++] = e;
		}
	}
	for (int e = 0; e < ne; e++) {
		if (g->pin[e] < 0 && g->start[e] < g->start[e + 1] && !augment(&s, e))
			goto out;
		/* a start, not the answer: give up rather than eat the solver's time */
		if ((e & 255) == 255 && util_now_ms() > deadline_ms)
			goto out;
	}
	*count = 0;
	for (int m = 0; m < nm; m++)
		v[m] = s.b[m] < 0 ? -s.b[m] : 0.0;
	for (int e = 0; e < ne; e++) {
		*count += assign[e] >= 0;
		u[e] = s.a[e] < 0 ? -s.a[e] : 0.0;
		if (g->pin[e] >= 0) {
			/* a pinned mentee's dual prices out its other pairs */
			u[e] = 0;
			for (long p = g->start[e]; p < g->start[e + 1]; p++) {
				double r = graph_cost(g, e, p) - v[g->mentor[p]];

				if (p != g->pin[e] && r > u[e])
					u[e] = r;
			}
		}
	}
	/* a mentor without capacity takes no pair: its dual prices out all of its pairs */
	for (int e = 0; e < ne; e++)
		for (long p = g->start[e]; p < g->start[e + 1]; p++) {
			int m = g->mentor[p];

			if (g->cap[m] <= 0 && graph_cost(g, e, p) - u[e] > v[m])
				v[m] = graph_cost(g, e, p) - u[e];
		}
	ok = true;
out:
	free(s.soff);
	free(s.predp);
	free(s.load);
	free(s.prede);
	free(s.touched_m);
	free(s.touched_e);
	free(s.a);
	free(s.b);
	free(s.dm);
	free(s.de);
	free(s.donem);
	free(s.seene);
	free(s.slots);
	free(s.heap);
	return ok;
}

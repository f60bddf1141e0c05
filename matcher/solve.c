/* solve: restricted LP over a sparse candidate set + dual pricing over every feasible pair.
 *
 * max_matched_then_score: the maximum matching size N* is computed exactly by augmenting paths
 * (bmatch), then the LP maximises score subject to sum(x) >= N*. That LP is a min-cost flow with
 * a fixed flow value, so its vertices are integral; integrality is verified anyway. */
#include "solve.h"

#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "bmatch.h"

#define ADD_PER_MENTEE 4
#define MIP_ALL_PAIRS_LIMIT 200000

struct master {
	const struct mgraph *g;
	glp_prob *lp;
	unsigned char *inlp; /* per pair: column present */
	long *colpair;       /* column j (1-based) -> pair */
	long ncols, capcols;
	int card_row;  /* 0 when absent */
	int *mentor_y; /* MIP: column of the mentor's "used" binary, or NULL */
	int *mrow;     /* per mentor: its capacity row, 0 while it has none (dual 0) */
	int *mcols;    /* per mentor: columns in the master */
	int *erow;     /* per mentee: its row, 0 while it has at most one column (x <= 1 bound) */
	int *ecol;     /* per mentee: its first column, 0 when none */
	double *ue;    /* per mentee: dual of its row, or of its single column's upper bound */
	bool lazy;     /* a mentor's row is created once its columns exceed its capacity, a
	                  mentee's with its second column */
	double budget_ms; /* time the combinatorial start may take (a quarter of what is left) */
};

/* Creates the capacity rows of mentors whose column count now exceeds their capacity (until then
 * the row is implied by the mentee rows), filling them with the mentors' existing columns. */
static bool
master_mentor_rows(struct master *ms, const long *pairs, long n)
{
	const struct mgraph *g = ms->g;
	int nnew = 0, row, *ind = NULL, *len = NULL, *first = NULL;
	double *val = NULL;
	bool ok = false;

	for (long i = 0; i < n; i++) {
		int m = g->mentor[pairs[i]];

		if (++ms->mcols[m] > g->cap[m] && ms->mrow[m] == 0) {
			ms->mrow[m] = -1;
			nnew++;
		}
	}
	if (nnew == 0) {
		ok = true;
		goto out;
	}
	row = glp_add_rows(ms->lp, nnew);
	for (long i = 0; i < n; i++) {
		int m = g->mentor[pairs[i]];

		if (ms->mrow[m] == -1) {
			ms->mrow[m] = row;
			glp_set_row_bnds(ms->lp, row++, GLP_UP, 0, g->cap[m]);
		}
	}
	/* existing columns of the new rows, grouped by row (counting sort) */
	first = calloc((size_t)nnew + 2, sizeof(*first));
	len = calloc((size_t)nnew + 1, sizeof(*len));
	ind = malloc(((size_t)ms->ncols + 1) * sizeof(*ind));
	val = malloc(((size_t)ms->ncols + 2) * sizeof(*val));
	if (first == NULL || len == NULL || ind == NULL || val == NULL)
		goto out;
	row -= nnew;
	for (long j = 1; j <= ms->ncols; j++) {
		int r = ms->mrow[g->mentor[ms->colpair[j]]] - row;

		if (r >= 0)
			first[r + 1]++;
	}
	for (int r = 0; r < nnew; r++)
		first[r + 1] += first[r];
	for (long j = 1; j <= ms->ncols; j++) {
		int r = ms->mrow[g->mentor[ms->colpair[j]]] - row;

		if (r >= 0)
			ind[1 + first[r] + len[r]++] = (int)j;
	}
	for (long j = 0; j <= ms->ncols; j++)
		val[j + 1] = 1;
	for (int r = 0; r < nnew; r++)
		if (len[r] > 0)
			glp_set_mat_row(ms->lp, row + r, len[r], ind + first[r], val);
	ok = true;
out:
	free(first);
	free(len);
	free(ind);
	free(val);
	return ok;
}

/* Returns the pair's first-level tie-break-aware comparison: higher cost first, then lower pair. */
static bool
better(const struct mgraph *g, int e1, long p1, int e2, long p2)
{
	double c1 = graph_cost(g, e1, p1), c2 = graph_cost(g, e2, p2);

	if (c1 != c2)
		return c1 > c2;
	return p1 < p2;
}

/* Marks the candidate pairs: best k per mentee, best k per mentor, pins, keeps, extra. */
static bool
pick_candidates(const struct mgraph *g, int k1, int k2, const long *extra, unsigned char *mark)
{
	long *best = NULL, *heap = NULL;
	int *hn = NULL, *he = NULL;
	long total = g->start[g->n_mentees];
	bool ok = false;

	best = malloc(((size_t)k1 + 1) * sizeof(*best));
	heap = malloc(((size_t)g->n_mentors * k2 + 1) * sizeof(*heap));
	hn = calloc((size_t)g->n_mentors + 1, sizeof(*hn));
	he = malloc(((size_t)total + 1) * sizeof(*he));
	if (best == NULL || heap == NULL || hn == NULL || he == NULL)
		goto out;
	for (int e = 0; e < g->n_mentees; e++) {
		int nb = 0;

		for (long p = g->start[e]; p < g->start[e + 1]; p++) {
			int i;

			he[p] = e;
			if (nb == k1 && !better(g, e, p, e, best[nb - 1]))
				continue;
			if (nb < k1)
				nb++;
			for (i = nb - 1; i > 0 && better(g, e, p, e, best[i - 1]); i--)
				best[i] = best[i - 1];
			best[i] = p;
		}
		for (int i = 0; i < nb; i++)
			mark[best[i]] = 1;
		if (g->pin[e] >= 0)
			mark[g->pin[e]] = 1;
		if (g->keep[e] >= 0)
			mark[g->keep[e]] = 1;
		if (extra != NULL && extra[e] >= 0)
			mark[extra[e]] = 1;
	}
	/* per mentor: a min-heap (worst on top) of its k2 best pairs */
	for (long p = 0; p < total && k2 > 0; p++) {
		int m = g->mentor[p];
		long *h = heap + (size_t)m * k2;
		int n = hn[m], i = 0;

		if (n < k2) {
			i = n++;
			while (i > 0 && better(g, he[h[(i - 1) / 2]], h[(i - 1) / 2], he[p], p)) {
				h[i] = h[(i - 1) / 2];
				i = (i - 1) / 2;
			}
			h[i] = p;
			hn[m] = n;
			continue;
		}
		if (!better(g, he[p], p, he[h[0]], h[0]))
			continue;
		for (;;) {
			int c = 2 * i + 1;

			if (c >= n)
				break;
			if (c + 1 < n && better(g, he[h[c]], h[c], he[h[c + 1]], h[c + 1]))
				c++;
			if (!better(g, he[p], p, he[h[c]], h[c]))
				break;
			h[i] = h[c];
			i = c;
		}
		h[i] = p;
	}
	for (int m = 0; m < g->n_mentors; m++)
		for (int i = 0; i < hn[m]; i++)
			mark[heap[(size_t)m * k2 + i]] = 1;
	ok = true;
out:
	free(best);
	free(heap);
	free(hn);
	free(he);
	return ok;
}

/* Finds the mentee owning pair p by binary search over the CSR offsets. */
static int
pair_mentee(const struct mgraph *g, long p)
{
	int lo = 0, hi = g->n_mentees - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;

		if (g->start[mid] <= p)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Appends columns for the given pairs (mentee row, mentor row, cardinality row). */
static bool
master_add(struct master *ms, const long *pairs, long n, const int *mentees)
{
	const struct mgraph *g = ms->g;
	int first;

	if (n == 0)
		return true;
	if (ms->ncols + n + 1 > ms->capcols) {
		long nc = (ms->ncols + n + 1) * 2;
		long *np = realloc(ms->colpair, (size_t)nc * sizeof(*np));

		if (np == NULL)
			return false;
		ms->colpair = np;
		ms->capcols = nc;
	}
	if (ms->lazy && !master_mentor_rows(ms, pairs, n))
		return false;
	first = glp_add_cols(ms->lp, (int)n);
	for (long i = 0; i < n; i++) {
		long p = pairs[i];
		int e = mentees[i], j = first + (int)i, m = g->mentor[p];
		int ind[5];
		double val[5];
		int len = 0;

		if (ms->lazy && ms->erow[e] == 0 && ms->ecol[e] != 0) {
			/* second column: the mentee's row replaces the first column's bound */
			int r = glp_add_rows(ms->lp, 1), cl, *ci = malloc(6 * sizeof(int));
			double *cv = malloc(6 * sizeof(double));

			if (ci == NULL || cv == NULL) {
				free(ci);
				free(cv);
				return false;
			}
			glp_set_row_bnds(ms->lp, r, GLP_UP, 0, 1);
			cl = glp_get_mat_col(ms->lp, ms->ecol[e], ci, cv);
			ci[cl + 1] = r;
			cv[cl + 1] = 1;
			glp_set_mat_col(ms->lp, ms->ecol[e], cl + 1, ci, cv);
			if (g->pin[e] != ms->colpair[ms->ecol[e]])
				glp_set_col_bnds(ms->lp, ms->ecol[e], GLP_LO, 0, 0);
			ms->erow[e] = r;
			free(ci);
			free(cv);
		}
		if (ms->ecol[e] == 0)
			ms->ecol[e] = j;
		if (ms->erow[e] > 0) {
			ind[++len] = ms->erow[e];
			val[len] = 1;
		}
		if (ms->mrow[m] > 0) {
			ind[++len] = ms->mrow[m];
			val[len] = 1;
		}
		if (ms->card_row) {
			ind[++len] = ms->card_row;
			val[len] = 1;
		}
		glp_set_mat_col(ms->lp, j, len, ind, val);
		glp_set_obj_coef(ms->lp, j, graph_cost(g, e, p));
		if (g->pin[e] == p)
			glp_set_col_bnds(ms->lp, j, GLP_FX, 1, 1);
		else if (ms->erow[e] == 0)
			glp_set_col_bnds(ms->lp, j, GLP_DB, 0, 1);
		else
			glp_set_col_bnds(ms->lp, j, GLP_LO, 0, 0);
		ms->colpair[j] = p;
		ms->inlp[p] = 1;
	}
	ms->ncols += n;
	return true;
}

/* Creates the rows of the restricted master: mentee <= 1, optional count, and mentor <= capacity
 * (now, or with each mentor's first column when lazy). */
static void
master_rows(struct master *ms, int card, bool lazy)
{
	const struct mgraph *g = ms->g;
	int ne = lazy ? 0 : g->n_mentees;
	int nr = ne + (card >= 0 ? 1 : 0) + (lazy ? 0 : g->n_mentors);

	ms->lazy = lazy;
	glp_set_obj_dir(ms->lp, GLP_MAX);
	if (nr > 0)
		glp_add_rows(ms->lp, nr);
	for (int e = 0; e < ne; e++) {
		ms->erow[e] = e + 1;
		glp_set_row_bnds(ms->lp, e + 1, GLP_UP, 0, 1);
	}
	if (card >= 0) {
		ms->card_row = ne + 1;
		glp_set_row_bnds(ms->lp, ms->card_row, GLP_LO, card, 0);
	}
	for (int m = 0; m < g->n_mentors; m++) {
		ms->mrow[m] = lazy ? 0 : ne + (card >= 0 ? 1 : 0) + m + 1;
		if (!lazy)
			glp_set_row_bnds(ms->lp, ms->mrow[m], GLP_UP, 0, g->cap[m]);
	}
}

/* Scans every feasible pair outside the master, returning the largest reduced cost and queueing
 * the best few positive ones per mentee. */
static double
price(struct master *ms, const double *y, double eps, long *add, int *add_e, long *nadd)
{
	const struct mgraph *g = ms->g;
	double ycard = ms->card_row ? y[ms->card_row] : 0.0, worst = -INFINITY;

	*nadd = 0;
	for (int e = 0; e < g->n_mentees; e++) {
		long top[ADD_PER_MENTEE];
		double topd[ADD_PER_MENTEE];
		int nt = 0;

		for (long p = g->start[e]; p < g->start[e + 1]; p++) {
			double d;
			int i;

			if (ms->inlp[p])
				continue;
			d = graph_cost(g, e, p) - ms->ue[e] - y[ms->mrow[g->mentor[p]]] - ycard;
			if (d > worst)
				worst = d;
			if (d <= eps * (1.0 + fabs(graph_cost(g, e, p))))
				continue;
			if (nt == ADD_PER_MENTEE && d <= topd[nt - 1])
				continue;
			if (nt < ADD_PER_MENTEE)
				nt++;
			for (i = nt - 1; i > 0 && d > topd[i - 1]; i--) {
				top[i] = top[i - 1];
				topd[i] = topd[i - 1];
			}
			top[i] = p;
			topd[i] = d;
		}
		for (int i = 0; i < nt; i++) {
			add[*nadd] = top[i];
			add_e[*nadd] = e;
			(*nadd)++;
		}
	}
	return worst;
}

/* Copies the (integral) LP solution into assign; returns false if some x is fractional. */
static bool
read_lp_solution(struct master *ms, long *assign, bool mip)
{
	const struct mgraph *g = ms->g;
	bool integral = true;

	for (int e = 0; e < g->n_mentees; e++)
		assign[e] = -1;
	for (long j = 1; j <= ms->ncols; j++) {
		double x = mip ? glp_mip_col_val(ms->lp, (int)j) : glp_get_col_prim(ms->lp, (int)j);
		long p = ms->colpair[j];

		if (fabs(x - round(x)) > 1e-6)
			integral = false;
		if (x > 0.5)
			assign[pair_mentee(g, p)] = p;
	}
	return integral;
}

/* Remaining time before the deadline in GLPK's millisecond units (at least 1). */
static int
remaining_ms(double deadline)
{
	double r = deadline - util_now_ms();

	if (r < 1)
		return 1;
	if (r > 2e9)
		return 2000000000;
	return (int)r;
}

struct mip_info {
	bool has_bound;
	double bound, gap;
};

/* GLPK branch-and-cut callback recording the best bound and gap for the report. */
static void
mip_callback(glp_tree *tree, void *info)
{
	struct mip_info *mi = info;
	int best = glp_ios_best_node(tree);

	if (best != 0) {
		mi->has_bound = true;
		mi->bound = glp_ios_node_bound(tree, best);
		mi->gap = glp_ios_mip_gap(tree);
	}
}

/* Adds the side-constraint structure (mentor-used binaries, team and department rows). */
static bool
mip_side_rows(struct master *ms)
{
	const struct mgraph *g = ms->g;
	bool ok = false;
	int *deptsize = NULL;

	if (g->max_per_team >= 0 && g->mentor_team != NULL) {
		int nteam = 0, first;

		ms->mentor_y = malloc(((size_t)g->n_mentors + 1) * sizeof(*ms->mentor_y));
		if (ms->mentor_y == NULL)
			goto out;
		for (int m = 0; m < g->n_mentors; m++)
			if (g->mentor_team[m] + 1 > nteam)
				nteam = g->mentor_team[m] + 1;
		first = nteam > 0 ? glp_add_rows(ms->lp, nteam) : 0;
		for (int t = 0; t < nteam; t++)
			glp_set_row_bnds(ms->lp, first + t, GLP_UP, 0, g->max_per_team);
		for (int m = 0; m < g->n_mentors; m++) {
			int j = glp_add_cols(ms->lp, 1), ind[3], len = 0;
			double val[3];
			int row = ms->mrow[m];

			ms->mentor_y[m] = j;
			glp_set_col_kind(ms->lp, j, GLP_BV);
			/* mentor row becomes sum(x) - cap * y <= 0 */
			glp_set_row_bnds(ms->lp, row, GLP_UP, 0, 0);
			ind[++len] = row;
			val[len] = -(double)g->cap[m];
			if (g->mentor_team[m] >= 0) {
				ind[++len] = first + g->mentor_team[m];
				val[len] = 1;
			}
			glp_set_mat_col(ms->lp, j, len, ind, val);
		}
	}
	if (g->min_share >= 0 && g->mentee_dept != NULL && g->n_depts > 0) {
		int first = glp_add_rows(ms->lp, g->n_depts);

		deptsize = calloc((size_t)g->n_depts, sizeof(*deptsize));
		if (deptsize == NULL)
			goto out;
		for (int e = 0; e < g->n_mentees; e++)
			if (g->mentee_dept[e] >= 0)
				deptsize[g->mentee_dept[e]]++;
		for (int d = 0; d < g->n_depts; d++)
			glp_set_row_bnds(ms->lp, first + d, GLP_LO,
			                 ceil(g->min_share * deptsize[d] - 1e-9), 0);
		for (long j = 1; j <= ms->ncols; j++) {
			long p = ms->colpair[j];
			int e = pair_mentee(g, p), dep = g->mentee_dept[e];
			int ind[6], len;
			double val[6];

			if (dep < 0)
				continue;
			len = glp_get_mat_col(ms->lp, (int)j, ind, val);
			ind[++len] = first + dep;
			val[len] = 1;
			glp_set_mat_col(ms->lp, (int)j, len, ind, val);
		}
	}
	ok = true;
out:
	free(deptsize);
	return ok;
}

/* Runs one branch-and-cut pass; returns the GLPK return code and fills *mi. */
static int
mip_pass(struct master *ms, double deadline, struct mip_info *mi)
{
	glp_iocp parm;

	glp_init_iocp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	parm.presolve = GLP_ON;
	parm.tm_lim = remaining_ms(deadline);
	parm.cb_func = mip_callback;
	parm.cb_info = mi;
	mi->has_bound = false;
	return glp_intopt(ms->lp, &parm);
}

/* Solves with side constraints as a MIP (two passes for the lexicographic objective). */
static int
solve_mip(struct master *ms, const long *matching, double deadline, struct solution *s)
{
	const struct mgraph *g = ms->g;
	long total = g->start[g->n_mentees];
	long *pairs = NULL;
	int *mentees = NULL, ret = -1, rc, st;
	long n = 0;
	bool all = total <= MIP_ALL_PAIRS_LIMIT;
	struct mip_info mi = {0};
	double target = 0;

	s->method = "mip";
	pairs = malloc(((size_t)total + 1) * sizeof(*pairs));
	mentees = malloc(((size_t)total + 1) * sizeof(*mentees));
	if (pairs == NULL || mentees == NULL)
		goto out;
	if (!all && !pick_candidates(g, 20, 20, matching, ms->inlp))
		goto out;
	for (int e = 0; e < g->n_mentees; e++)
		for (long p = g->start[e]; p < g->start[e + 1]; p++)
			if (all || ms->inlp[p]) {
				pairs[n] = p;
				mentees[n++] = e;
			}
	master_rows(ms, -1, false);
	if (!master_add(ms, pairs, n, mentees) || !mip_side_rows(ms))
		goto out;
	s->candidate_pairs = s->final_columns = n;
	for (long j = 1; j <= ms->ncols; j++)
		glp_set_col_kind(ms->lp, (int)j, GLP_BV);
	for (long j = 1; j <= ms->ncols; j++)
		if (g->pin[pair_mentee(g, ms->colpair[j])] == ms->colpair[j])
			glp_set_col_bnds(ms->lp, (int)j, GLP_FX, 1, 1);
	if (g->objective == OBJ_MAX_MATCHED_THEN_SCORE) {
		int row;

		for (int j = 1; j <= glp_get_num_cols(ms->lp); j++)
			glp_set_obj_coef(ms->lp, j, j <= ms->ncols ? 1.0 : 0.0);
		rc = mip_pass(ms, (deadline + util_now_ms()) / 2, &mi);
		st = glp_mip_status(ms->lp);
		if (st == GLP_NOFEAS || rc == GLP_ENOPFS || rc == GLP_ENODFS) {
			s->status = SOL_INFEASIBLE;
			s->code = "side_constraints_infeasible";
			snprintf(s->message, sizeof(s->message),
			         "side constraints cannot be met by any matching");
			ret = 0;
			goto out;
		}
		if (st != GLP_OPT && st != GLP_FEAS) {
			s->status = SOL_TIME_LIMIT;
			s->code = "time_limit";
			snprintf(s->message, sizeof(s->message),
			         "no feasible matching found in time");
			ret = 0;
			goto out;
		}
		target = round(glp_mip_obj_val(ms->lp));
		s->max_matched = st == GLP_OPT && all ? (int)target : -1;
		row = glp_add_rows(ms->lp, 1);
		{
			int *ind = malloc(((size_t)ms->ncols + 1) * sizeof(*ind));
			double *val = malloc(((size_t)ms->ncols + 1) * sizeof(*val));

			if (ind == NULL || val == NULL) {
				free(ind);
				free(val);
				goto out;
			}
			for (long j = 1; j <= ms->ncols; j++) {
				ind[j] = (int)j;
				val[j] = 1;
			}
			glp_set_mat_row(ms->lp, row, (int)ms->ncols, ind, val);
			free(ind);
			free(val);
		}
		glp_set_row_bnds(ms->lp, row, GLP_LO, target, 0);
		for (long j = 1; j <= ms->ncols; j++)
			glp_set_obj_coef(
			    ms->lp, (int)j,
			    graph_cost(g, pair_mentee(g, ms->colpair[j]), ms->colpair[j]));
	}
	rc = mip_pass(ms, deadline, &mi);
	st = glp_mip_status(ms->lp);
	if (st == GLP_NOFEAS || rc == GLP_ENOPFS || rc == GLP_ENODFS) {
		s->status = SOL_INFEASIBLE;
		s->code = "side_constraints_infeasible";
		snprintf(s->message, sizeof(s->message),
		         "side constraints cannot be met by any matching");
		ret = 0;
		goto out;
	}
	if (st != GLP_OPT && st != GLP_FEAS) {
		s->status = SOL_TIME_LIMIT;
		s->code = "time_limit";
		snprintf(s->message, sizeof(s->message), "no feasible matching found in time");
		ret = 0;
		goto out;
	}
	read_lp_solution(ms, s->assign, true);
	s->lp_integral = true;
	s->has_bound = mi.has_bound;
	s->bound = mi.has_bound ? mi.bound : glp_mip_obj_val(ms->lp);
	s->gap = mi.has_bound ? mi.gap : 0.0;
	if (st == GLP_OPT) {
		s->has_bound = true;
		s->bound = glp_mip_obj_val(ms->lp);
		s->gap = 0;
		s->status = all ? SOL_OPTIMAL : SOL_FEASIBLE;
		s->proven = all;
		if (!all) {
			s->code = "not_proven";
			snprintf(s->message, sizeof(s->message),
			         "optimal over %ld candidate pairs, not proven over all %ld", n,
			         total);
		}
	} else {
		s->status = SOL_TIME_LIMIT;
		s->code = "time_limit";
		snprintf(s->message, sizeof(s->message),
		         "time limit reached with a feasible matching");
	}
	ret = 0;
out:
	free(pairs);
	free(mentees);
	return ret;
}

/* Gives the lexicographic master a primal feasible starting basis built from the maximum
 * matching: its columns basic at 1, their mentee rows nonbasic at 1, every other row slack basic
 * (the basis matrix is a permuted identity after eliminating the unit columns). */
static void
warm_start(struct master *ms, const long *matching)
{
	const struct mgraph *g = ms->g;
	int nrows = glp_get_num_rows(ms->lp);

	for (int i = 1; i <= nrows; i++)
		glp_set_row_stat(ms->lp, i, GLP_BS);
	for (long j = 1; j <= ms->ncols; j++) {
		long p = ms->colpair[j];
		int e = pair_mentee(g, p);

		if (matching[e] == p && g->pin[e] == p && ms->erow[e] == 0) {
			glp_set_col_stat(ms->lp, (int)j, GLP_NS);
		} else if (matching[e] == p && ms->erow[e] == 0) {
			glp_set_col_stat(ms->lp, (int)j, GLP_NU);
		} else if (matching[e] == p) {
			glp_set_col_stat(ms->lp, (int)j, GLP_BS);
			glp_set_row_stat(ms->lp, ms->erow[e], GLP_NU);
		} else {
			glp_set_col_stat(ms->lp, (int)j, g->pin[e] == p ? GLP_NS : GLP_NL);
		}
	}
}

struct gpair {
	double cost;
	long p;
	int e;
};

/* Orders greedy pairs by cost descending, then by pair index. */
static int
cmp_gpair(const void *a, const void *b)
{
	const struct gpair *x = a, *y = b;

	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	return (x->p > y->p) - (x->p < y->p);
}

/* Builds a greedy matching into init: pins, then marked pairs by cost, then each mentee left
 * out takes its best pair with a free mentor (only positive costs unless all); false on OOM. */
static bool
greedy_init(const struct mgraph *g, const unsigned char *mark, bool all, long *init)
{
	long total = g->start[g->n_mentees], n = 0;
	struct gpair *v = NULL;
	int *load = NULL;
	bool ok = false;

	load = calloc((size_t)g->n_mentors + 1, sizeof(*load));
	for (long p = 0; p < total; p++)
		n += mark[p];
	v = malloc(((size_t)n + 1) * sizeof(*v));
	if (load == NULL || v == NULL)
		goto out;
	n = 0;
	for (int e = 0; e < g->n_mentees; e++) {
		init[e] = -1;
		if (g->pin[e] >= 0) {
			init[e] = g->pin[e];
			load[g->mentor[g->pin[e]]]++;
			continue;
		}
		for (long p = g->start[e]; p < g->start[e + 1]; p++)
			if (mark[p] && (all || graph_cost(g, e, p) > 0)) {
				v[n].cost = graph_cost(g, e, p);
				v[n].p = p;
				v[n++].e = e;
			}
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_gpair);
	for (long i = 0; i < n; i++) {
		int m = g->mentor[v[i].p];

		if (init[v[i].e] < 0 && load[m] < g->cap[m]) {
			init[v[i].e] = v[i].p;
			load[m]++;
		}
	}
	/* mentees whose candidates were all taken: their best pair with a free mentor */
	for (int e = 0; e < g->n_mentees; e++) {
		long best = -1;

		if (init[e] >= 0)
			continue;
		for (long p = g->start[e]; p < g->start[e + 1]; p++)
			if (load[g->mentor[p]] < g->cap[g->mentor[p]] &&
			    (all || graph_cost(g, e, p) > 0) &&
			    (best < 0 || graph_cost(g, e, p) > graph_cost(g, e, best)))
				best = p;
		if (best >= 0) {
			init[e] = best;
			load[g->mentor[best]]++;
		}
	}
	ok = true;
out:
	free(load);
	free(v);
	return ok;
}

/* Sets each mentee's dual for pricing: its row's, or for a mentee whose single column has no
 * row, that column's reduced cost when positive (the dual of its x <= 1 bound, which is the row
 * dual of the same LP with the row). */
static void
mentee_duals(struct master *ms, const double *y)
{
	for (int e = 0; e < ms->g->n_mentees; e++) {
		double d = ms->ecol[e] > 0 ? glp_get_col_dual(ms->lp, ms->ecol[e]) : 0.0;

		ms->ue[e] = ms->erow[e] > 0 ? y[ms->erow[e]] : (d > 0 ? d : 0.0);
	}
}

/* Copies the LP's row duals into a buffer grown to the current row count (y[0] stays 0, the
 * dual of a mentor without a row); false on OOM. */
static bool
read_duals(struct master *ms, double **y, int *ycap)
{
	int nrows = glp_get_num_rows(ms->lp);
	bool ok = false;

	if (nrows + 1 > *ycap) {
		double *ny = realloc(*y, ((size_t)nrows + 1) * 2 * sizeof(*ny));

		if (ny == NULL)
			goto out;
		*y = ny;
		*ycap = (nrows + 1) * 2;
	}
	(*y)[0] = 0;
	for (int i = 1; i <= nrows; i++)
		(*y)[i] = glp_get_row_dual(ms->lp, i);
	ok = true;
out:
	return ok;
}

/* Bounds the reduced cost of the pairs not held (<= rest_bound - u_mentee - w_count - min(0, v),
 * since the best pair left out scores rest_bound); adds every pair of each mentee whose bound is
 * positive, remapping the master's columns and the warm matching to the rebuilt arrays. Returns
 * the largest bound in *worst; false on OOM. */
static bool
expand_if_needed(struct master *ms, struct mgraph *gw, const double *y, long *warm,
                 struct solution *s, double *worst)
{
	const struct mgraph *g = ms->g;
	double ycard = ms->card_row ? y[ms->card_row] : 0.0, vmin = 0;
	int *colm = NULL, *cole = NULL, *warmm = NULL;
	long total;
	bool ok = false;

	*worst = -INFINITY;
	s->n_expand = 0;
	if (g->rest_bound == NULL)
		return true;
	for (int m = 0; m < g->n_mentors; m++)
		if (ms->mrow[m] > 0 && y[ms->mrow[m]] < vmin)
			vmin = y[ms->mrow[m]];
	if (gw->expand_target == NULL)
		gw->expand_target = malloc(((size_t)g->n_mentees + 1) * sizeof(double));
	if (gw->expand_target == NULL)
		return false;
	for (int e = 0; e < g->n_mentees; e++) {
		double rb = g->rest_bound[e], d;

		s->expand[e] = 0;
		gw->expand_target[e] = -INFINITY;
		if (rb == -INFINITY)
			continue;
		d = rb - ms->ue[e] - ycard - vmin;
		if (d > *worst)
			*worst = d;
		if (d > 1e-9 * (1.0 + fabs(rb))) {
			s->expand[e] = 1;
			s->n_expand++;
			/* pairs scoring at most this have a reduced cost <= 0 now */
			gw->expand_target[e] = ms->ue[e] + ycard + vmin;
		}
	}
	if (s->n_expand == 0)
		return true;
	colm = malloc(((size_t)ms->ncols + 1) * sizeof(*colm));
	cole = malloc(((size_t)ms->ncols + 1) * sizeof(*cole));
	warmm = malloc(((size_t)g->n_mentees + 1) * sizeof(*warmm));
	if (colm == NULL || cole == NULL || warmm == NULL)
		goto out;
	for (long j = 1; j <= ms->ncols; j++) {
		colm[j] = g->mentor[ms->colpair[j]];
		cole[j] = pair_mentee(g, ms->colpair[j]);
	}
	for (int e = 0; e < g->n_mentees; e++)
		warmm[e] = warm[e] >= 0 ? g->mentor[warm[e]] : -1;
	if (gw->expand == NULL || !gw->expand(gw->expand_ctx, gw, s->expand))
		goto out;
	total = g->start[g->n_mentees];
	free(ms->inlp);
	ms->inlp = calloc((size_t)total + 1, 1);
	if (ms->inlp == NULL)
		goto out;
	for (long j = 1; j <= ms->ncols; j++) {
		ms->colpair[j] = graph_find(g, cole[j], colm[j]);
		ms->inlp[ms->colpair[j]] = 1;
	}
	for (int e = 0; e < g->n_mentees; e++)
		warm[e] = warmm[e] >= 0 ? graph_find(g, e, warmm[e]) : -1;
	s->expansions++;
	s->expanded_mentees += s->n_expand;
	s->n_expand = 0;
	ok = true;
out:
	free(colm);
	free(cole);
	free(warmm);
	return ok;
}

/* Union-find root of x with path halving. */
static int
uf_find(int *par, int x)
{
	while (par[x] != x) {
		par[x] = par[par[x]];
		x = par[x];
	}
	return x;
}

/* Joins the sets of x and y; false when they were already one (the edge would close a cycle). */
static bool
uf_join(int *par, int x, int y)
{
	x = uf_find(par, x);
	y = uf_find(par, y);
	if (x == y)
		return false;
	par[x] = y;
	return true;
}

/* Tells whether pair p of mentee e is tight under the duals (u[e] + v[m] = cost). */
static bool
comb_tight(const struct mgraph *g, int e, long p, const double *u, const double *v)
{
	double c = graph_cost(g, e, p);

	return fabs(u[e] + v[g->mentor[p]] - c) <= 1e-9 * (1.0 + fabs(c));
}

/* Combinatorial start: solves the max-score b-matching over the held pairs (assign.c), then
 * builds an optimal simplex basis of the master from it: the LP holds the matched pairs plus
 * tight pairs joining every row to a row whose dual is 0 (a spanning tree of the network rooted
 * at the slacks), duals of ungrounded components are shifted along their cheapest pair. GLPK
 * then starts at an optimal basis and only verifies it (and pricing adds what it misses). Returns
 * 1 when the master holds that basis; 0, with the master untouched, when it does not apply (the
 * matching is smaller than N*, no tree is found, or out of memory before the master changed):
 * the caller then takes the usual start; -1 when out of memory with the master changed. */
static int
comb_start(struct master *ms, int card, long *nfirst)
{
	const struct mgraph *g = ms->g;
	int ne = g->n_mentees, nm = g->n_mentors, root = ne + nm, count = 0;
	long total = g->start[ne], n = 0, *asg = NULL, *pairs = NULL;
	double *u = NULL, *v = NULL, *delta = NULL;
	int *par = NULL, *load = NULL, *mentees = NULL, *comp = NULL;
	unsigned char *slack = NULL, *tree = NULL, *touch = NULL;
	int ok = 0;

	asg = malloc(((size_t)ne + 1) * sizeof(*asg));
	u = malloc(((size_t)ne + 1) * sizeof(*u));
	v = malloc(((size_t)nm + 1) * sizeof(*v));
	par = malloc(((size_t)root + 1) * sizeof(*par));
	comp = malloc(((size_t)root + 1) * sizeof(*comp));
	delta = malloc(((size_t)root + 1) * sizeof(*delta));
	load = calloc((size_t)nm + 1, sizeof(*load));
	slack = calloc((size_t)root + 1, 1);
	touch = calloc((size_t)root + 1, 1);
	tree = calloc((size_t)total + 1, 1);
	if (asg == NULL || u == NULL || v == NULL || par == NULL || comp == NULL || delta == NULL ||
	    load == NULL || slack == NULL || touch == NULL || tree == NULL)
		goto out;
	if (!assign_max_score(g, util_now_ms() + ms->budget_ms, asg, &count, u, v) ||
	    (card >= 0 && count < card))
		goto out;
	for (int x = 0; x <= root; x++)
		par[x] = x;
	for (int e = 0; e < ne; e++)
		if (asg[e] >= 0)
			load[g->mentor[asg[e]]]++;
	/* forced: matched pairs basic (x = 1 inside [0, inf)), slacks of rows below their bound */
	for (int e = 0; e < ne; e++) {
		if (asg[e] >= 0) {
			int m = g->mentor[asg[e]];

			touch[e] = touch[ne + m] = 1;
			if (g->pin[e] != asg[e]) {
				tree[asg[e]] = 1;
				if (!uf_join(par, e, ne + m))
					goto out;
			}
		} else if (!uf_join(par, e, root)) {
			goto out;
		} else {
			slack[e] = 1;
		}
	}
	for (int m = 0; m < nm; m++)
		if (load[m] < g->cap[m]) {
			if (!uf_join(par, ne + m, root))
				goto out;
			slack[ne + m] = 1;
		}
	/* optional: slacks of rows at their bound with a zero dual, then tight pairs */
	for (int x = 0; x < root; x++) {
		double d = x < ne ? u[x] : v[x - ne];

		if (!slack[x] && d <= 1e-12 && uf_join(par, x, root))
			slack[x] = 1;
	}
	for (int pass = 0;; pass++) {
		bool left = false;

		for (int e = 0; e < ne; e++)
			for (long p = g->start[e]; p < g->start[e + 1]; p++)
				if (!tree[p] && p != g->pin[e] && comb_tight(g, e, p, u, v) &&
				    uf_join(par, e, ne + g->mentor[p])) {
					tree[p] = 1;
					touch[e] = touch[ne + g->mentor[p]] = 1;
				}
		/* components of touched rows not joined to a zero-dual row: shift their duals
		 * (mentees down, mentors up) until a pair leaving them is tight or a dual is 0 */
		for (int x = 0; x <= root; x++) {
			comp[x] = uf_find(par, x);
			delta[x] = -1;
		}
		for (int x = 0; x < root; x++)
			if (touch[x] && comp[x] != comp[root]) {
				delta[comp[x]] = INFINITY;
				left = true;
			}
		if (!left)
			break;
		for (int e = 0; e < ne; e++) {
			int r = comp[e];

			if (delta[r] < 0)
				continue;
			if (u[e] < delta[r])
				delta[r] = u[e];
			for (long p = g->start[e]; p < g->start[e + 1]; p++) {
				int m = g->mentor[p];
				double rc = u[e] + v[m] - graph_cost(g, e, p);

				if (comp[ne + m] != r && p != g->pin[e] && rc < delta[r])
					delta[r] = rc;
			}
		}
		for (int x = 0; x < root; x++) {
			double d = delta[comp[x]];

			if (d < 0)
				continue;
			if (d == INFINITY)
				goto out;
			if (x < ne)
				u[x] = u[x] - d > 0 ? u[x] - d : 0;
			else
				v[x - ne] += d;
		}
		for (int e = 0; e < ne; e++)
			if (delta[comp[e]] >= 0 && u[e] <= 1e-12 && !slack[e] &&
			    uf_join(par, e, root))
				slack[e] = 1;
		if (pass == 64)
			goto out;
	}
	/* the master: a row for every touched mentee and mentor, the tree's and pins' columns */
	for (long p = 0; p < total; p++)
		n += tree[p];
	for (int e = 0; e < ne; e++)
		n += g->pin[e] >= 0;
	pairs = malloc(((size_t)n + 1) * sizeof(*pairs));
	mentees = malloc(((size_t)n + 1) * sizeof(*mentees));
	if (pairs == NULL || mentees == NULL)
		goto out;
	n = 0;
	for (int e = 0; e < ne; e++)
		for (long p = g->start[e]; p < g->start[e + 1]; p++)
			if (tree[p] || p == g->pin[e]) {
				pairs[n] = p;
				mentees[n++] = e;
			}
	master_rows(ms, card, true);
	ok = -1; /* from here on the master is changed */
	for (int x = 0; x < root; x++) {
		int r;

		if (!touch[x])
			continue;
		r = glp_add_rows(ms->lp, 1);
		if (x < ne) {
			ms->erow[x] = r;
			glp_set_row_bnds(ms->lp, r, GLP_UP, 0, 1);
		} else {
			ms->mrow[x - ne] = r;
			glp_set_row_bnds(ms->lp, r, GLP_UP, 0, g->cap[x - ne]);
		}
		glp_set_row_stat(ms->lp, r, slack[x] ? GLP_BS : GLP_NU);
	}
	if (!master_add(ms, pairs, n, mentees))
		goto out;
	if (ms->card_row)
		glp_set_row_stat(ms->lp, ms->card_row, GLP_BS);
	for (long j = 1; j <= ms->ncols; j++) {
		long p = ms->colpair[j];

		glp_set_col_stat(ms->lp, (int)j, tree[p] ? GLP_BS : GLP_NS);
	}
	*nfirst = n;
	ok = 1;
out:
	free(asg);
	free(u);
	free(v);
	free(par);
	free(comp);
	free(delta);
	free(load);
	free(slack);
	free(touch);
	free(tree);
	free(pairs);
	free(mentees);
	return ok;
}

/* Empties the master (rows, columns, lazy-row bookkeeping) and builds it again from the
 * combinatorial start over the pairs now held; returns what comb_start returns (0: the master is
 * left empty, without rows). */
static int
master_restart(struct master *ms, int card)
{
	const struct mgraph *g = ms->g;
	long first = 0;

	glp_erase_prob(ms->lp);
	ms->ncols = 0;
	ms->card_row = 0;
	memset(ms->inlp, 0, (size_t)g->start[g->n_mentees] + 1);
	memset(ms->mrow, 0, ((size_t)g->n_mentors + 1) * sizeof(*ms->mrow));
	memset(ms->mcols, 0, ((size_t)g->n_mentors + 1) * sizeof(*ms->mcols));
	memset(ms->erow, 0, ((size_t)g->n_mentees + 1) * sizeof(*ms->erow));
	memset(ms->ecol, 0, ((size_t)g->n_mentees + 1) * sizeof(*ms->ecol));
	memset(ms->ue, 0, ((size_t)g->n_mentees + 1) * sizeof(*ms->ue));
	return comb_start(ms, card, &first);
}

/* Solves the LP master over the marked candidates plus the warm matching with column generation
 * until no feasible pair has positive reduced cost. */
static int
solve_lp(struct master *ms, struct mgraph *gw, long *warm, int card, double deadline,
         struct solution *s)
{
	const struct mgraph *g = ms->g;
	long total = g->start[g->n_mentees], n = 0;
	long *pairs = NULL;
	int *mentees = NULL, ret = -1, ycap = 0, comb;
	long first = 0, it0 = s->lp_iterations;
	double *y = NULL, t;
	glp_smcp parm;

	s->method = "lp_column_generation";
	for (int e = 0; e < g->n_mentees; e++)
		if (warm[e] >= 0)
			ms->inlp[warm[e]] = 1;
	for (long p = 0; p < total; p++)
		n += ms->inlp[p];
	/* room for the first columns and for one pricing round */
	if (n < (long)g->n_mentees * ADD_PER_MENTEE)
		n = (long)g->n_mentees * ADD_PER_MENTEE;
	pairs = malloc(((size_t)n + 1) * sizeof(*pairs));
	mentees = malloc(((size_t)n + 1) * sizeof(*mentees));
	n = 0;
	if (pairs == NULL || mentees == NULL)
		goto out;
	for (int e = 0; e < g->n_mentees; e++) {
		for (long p = g->start[e]; p < g->start[e + 1]; p++)
			if (ms->inlp[p]) {
				pairs[n] = p;
				mentees[n++] = e;
			}
	}
	memset(ms->inlp, 0, (size_t)total);
	t = util_now_ms();
	ms->budget_ms = (deadline - t) / 4;
	comb = comb_start(ms, card, &first);
	s->comb_ms = util_now_ms() - t;
	if (comb < 0)
		goto out;
	if (comb > 0) {
		s->comb_start = true;
		n = first;
	} else {
		master_rows(ms, card, true);
		if (!master_add(ms, pairs, n, mentees))
			goto out;
		warm_start(ms, warm);
	}
	s->candidate_pairs = n;
	glp_init_smcp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	parm.meth = GLP_PRIMAL;
	parm.presolve = GLP_OFF;
	for (;;) {
		int rc;
		double worst;

		parm.tm_lim = remaining_ms(deadline);
		t = util_now_ms();
		if (ms->ncols > 0) {
			rc = glp_simplex(ms->lp, &parm);
			if (s->comb_start && s->pricing_rounds == 0 &&
			    (rc == GLP_EBADB || rc == GLP_ESING || rc == GLP_ECOND)) {
				/* not expected: the combinatorial basis is rejected; start over */
				s->comb_start = false;
				warm_start(ms, warm);
				rc = glp_simplex(ms->lp, &parm);
			}
			s->lp_iterations = it0 + glp_get_it_cnt(ms->lp);
			if (rc == GLP_ETMLIM) {
				s->status = SOL_TIME_LIMIT;
				s->code = "time_limit";
				snprintf(
				    s->message, sizeof(s->message),
				    "time limit in LP round %d; returning the starting matching",
				    s->pricing_rounds);
				for (int e = 0; e < g->n_mentees; e++)
					s->assign[e] = warm[e];
				ret = 0;
				goto out;
			}
			if (rc != 0 || glp_get_status(ms->lp) != GLP_OPT) {
				snprintf(s->message, sizeof(s->message),
				         "LP solver failed (code %d, status %d)", rc,
				         glp_get_status(ms->lp));
				goto out;
			}
		}
		if (!read_duals(ms, &y, &ycap))
			goto out;
		mentee_duals(ms, y);
		s->lp_ms += util_now_ms() - t;
		t = util_now_ms();
		worst = price(ms, y, 1e-9, pairs, mentees, &n);
		s->price_ms += util_now_ms() - t;
		s->max_reduced_cost = worst == -INFINITY ? 0 : worst;
		if (n == 0) {
			double bound;
			long before = s->expanded_mentees;

			if (!expand_if_needed(ms, gw, y, warm, s, &bound)) {
				snprintf(s->message, sizeof(s->message),
				         "out of memory adding pairs");
				goto out;
			}
			if (bound > s->max_reduced_cost)
				s->max_reduced_cost = bound;
			if (s->expanded_mentees == before)
				break;
			if (s->comb_start) {
				/* start again from the combinatorial optimum over the pairs now
				 * held (cheaper than pivoting the old basis towards it) */
				t = util_now_ms();
				ms->budget_ms = (deadline - t) / 4;
				comb = master_restart(ms, card);
				s->comb_ms += util_now_ms() - t;
				if (comb < 0)
					goto out;
				if (comb > 0)
					continue;
				/* not applicable any more: the warm matching's columns */
				s->comb_start = false;
				n = 0;
				for (int e = 0; e < g->n_mentees; e++)
					if (warm[e] >= 0) {
						pairs[n] = warm[e];
						mentees[n++] = e;
					}
				master_rows(ms, card, true);
				if (!master_add(ms, pairs, n, mentees))
					goto out;
				warm_start(ms, warm);
				continue;
			}
			/* price the pairs just added with the same duals (pricing adds at most
			 * ADD_PER_MENTEE per mentee: the buffers still fit) */
			continue;
		}
		s->pricing_rounds++;
		s->pairs_added += n;
		if (!master_add(ms, pairs, n, mentees))
			goto out;
	}
	s->final_columns = ms->ncols;
	s->lp_integral = read_lp_solution(ms, s->assign, false);
	s->proven = s->lp_integral;

	s->status = SOL_OPTIMAL;
	if (!s->lp_integral) {
		/* Not expected (the LP is a network flow); fall back to branch-and-bound on the
		 * final column set. */
		glp_iocp ip;

		glp_init_iocp(&ip);
		ip.msg_lev = GLP_MSG_OFF;
		ip.tm_lim = remaining_ms(deadline);
		for (long j = 1; j <= ms->ncols; j++)
			glp_set_col_kind(ms->lp, (int)j, GLP_IV);
		if (glp_intopt(ms->lp, &ip) != 0 || glp_mip_status(ms->lp) != GLP_OPT) {
			s->status = SOL_TIME_LIMIT;
			for (int e = 0; e < g->n_mentees; e++)
				s->assign[e] = warm[e];
		} else {
			read_lp_solution(ms, s->assign, true);
			s->status = SOL_FEASIBLE;
		}
		s->code = "lp_fractional";
		snprintf(s->message, sizeof(s->message), "LP optimum was fractional; used MIP");
	}
	ret = 0;
out:
	free(pairs);
	free(mentees);
	free(y);
	return ret;
}

/* One attempt on the pairs held: candidates and a greedy matching (or the previous attempt's
 * matching, prev = mentor per mentee), the exact maximum matching grown from it, then the score
 * LP with pricing (or the MIP when side constraints exist). Marks in s->expand the mentees whose
 * pairs left out must be added (N* not proven, or a positive reduced-cost bound). */
static int
solve_attempt(struct mgraph *gw, struct solution *s, const int *prev)
{
	const struct mgraph *g = gw;
	struct master ms = {0};
	long *matching = NULL, *init = NULL;
	long total = g->start[g->n_mentees];
	int ret = -1, count = 0;
	double deadline = util_now_ms() + g->time_limit * 1000.0, t = util_now_ms();
	bool side = (g->max_per_team >= 0 && g->mentor_team != NULL) ||
	            (g->min_share >= 0 && g->mentee_dept != NULL);
	bool lexi = g->objective == OBJ_MAX_MATCHED_THEN_SCORE;

	s->max_matched = -1;
	s->components = 1;
	s->n_expand = 0;
	memset(s->expand, 0, (size_t)g->n_mentees + 1);
	matching = malloc(((size_t)g->n_mentees + 1) * sizeof(*matching));
	init = malloc(((size_t)g->n_mentees + 1) * sizeof(*init));
	ms.inlp = calloc((size_t)total + 1, 1);
	ms.mrow = calloc((size_t)g->n_mentors + 1, sizeof(*ms.mrow));
	ms.mcols = calloc((size_t)g->n_mentors + 1, sizeof(*ms.mcols));
	ms.erow = calloc((size_t)g->n_mentees + 1, sizeof(*ms.erow));
	ms.ecol = calloc((size_t)g->n_mentees + 1, sizeof(*ms.ecol));
	ms.ue = calloc((size_t)g->n_mentees + 1, sizeof(*ms.ue));
	if (matching == NULL || init == NULL || ms.inlp == NULL || ms.mrow == NULL ||
	    ms.mcols == NULL || ms.erow == NULL || ms.ecol == NULL || ms.ue == NULL) {
		snprintf(s->message, sizeof(s->message), "out of memory");
		goto out;
	}
	for (int e = 0; e < g->n_mentees; e++)
		s->assign[e] = -1;
	if (g->infeasible[0] != '\0') {
		s->status = SOL_INFEASIBLE;
		s->code = "infeasible_pins";
		snprintf(s->message, sizeof(s->message), "%s", g->infeasible);
		ret = 0;
		goto out;
	}
	if (!side && (!pick_candidates(g, g->cand_mentee, g->cand_mentor, NULL, ms.inlp) ||
	              (prev == NULL && !greedy_init(g, ms.inlp, lexi, init)))) {
		snprintf(s->message, sizeof(s->message), "out of memory");
		goto out;
	}
	for (int e = 0; !side && prev != NULL && e < g->n_mentees; e++)
		init[e] = prev[e] >= 0 ? graph_find(g, e, prev[e]) : -1;
	if (!bmatch_max(g, side ? NULL : init, matching, &count)) {
		snprintf(s->message, sizeof(s->message), "out of memory");
		goto out;
	}
	s->match_ms += util_now_ms() - t;
	if (lexi && count < g->n_coverable && !graph_complete(g)) {
		/* a larger matching may use pairs not held: hold them all (N* must be exact) */
		free(gw->expand_target);
		gw->expand_target = NULL;
		for (int e = 0; e < g->n_mentees; e++) {
			s->assign[e] = matching[e];
			if (g->rest_bound[e] > -INFINITY) {
				s->expand[e] = 1;
				s->n_expand++;
			}
		}
		ret = 0;
		goto out;
	}
	if (lexi && !side)
		s->max_matched = count;
	ms.g = g;
	ms.lp = glp_create_prob();
	if (side)
		ret = solve_mip(&ms, matching, deadline, s);
	else
		ret = solve_lp(&ms, gw, lexi ? matching : init, lexi ? count : -1, deadline, s);
out:
	if (ms.lp != NULL)
		glp_delete_prob(ms.lp);
	free(ms.inlp);
	free(ms.colpair);
	free(ms.mentor_y);
	free(ms.mrow);
	free(ms.mcols);
	free(ms.erow);
	free(ms.ecol);
	free(ms.ue);
	free(matching);
	free(init);
	return ret;
}

/* Solves g: attempts on the pairs held, adding the pairs of the mentees the last attempt
 * marked (g->expand) and re-solving from its matching, until the dual bound proves that no pair
 * left out can improve the optimum. */
int
solve_run(struct mgraph *g, struct solution *s)
{
	int *prev = NULL, ret = -1;

	memset(s, 0, sizeof(*s));
	s->assign = malloc(((size_t)g->n_mentees + 1) * sizeof(*s->assign));
	s->expand = calloc((size_t)g->n_mentees + 1, 1);
	prev = malloc(((size_t)g->n_mentees + 1) * sizeof(*prev));
	if (s->assign == NULL || s->expand == NULL || prev == NULL) {
		snprintf(s->message, sizeof(s->message), "out of memory");
		goto out;
	}
	for (;;) {
		ret = solve_attempt(g, s, s->expanded_mentees > 0 ? prev : NULL);
		if (ret != 0 || s->n_expand == 0)
			break;
		for (int e = 0; e < g->n_mentees; e++)
			prev[e] = s->assign[e] >= 0 ? g->mentor[s->assign[e]] : -1;
		if (g->expand == NULL || !g->expand(g->expand_ctx, g, s->expand)) {
			snprintf(s->message, sizeof(s->message), "out of memory adding pairs");
			ret = -1;
			break;
		}
		s->expansions++;
		s->expanded_mentees += s->n_expand;
		s->pricing_rounds = 0;
		s->pairs_added = 0;
		s->proven = false;
	}
out:
	free(prev);
	return ret;
}

/* Frees the assignment and expansion arrays. */
void
solution_clear(struct solution *s)
{
	free(s->assign);
	free(s->expand);
	s->assign = NULL;
	s->expand = NULL;
}

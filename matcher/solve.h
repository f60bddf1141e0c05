/* solve: optimal b-matching on the feasible-pair graph with GLPK, proving optimality over all
 * feasible pairs by LP duality (column generation), or a MIP when side constraints are present. */
#ifndef TANDEM_MATCHER_SOLVE_H
#define TANDEM_MATCHER_SOLVE_H

#include <stdbool.h>

#include "graph.h"
#include "util.h"

enum sol_status { SOL_OPTIMAL, SOL_FEASIBLE, SOL_INFEASIBLE, SOL_TIME_LIMIT };

struct solution {
	enum sol_status status;
	long *assign;       /* per mentee: chosen pair or -1 (owned; solution_clear frees) */
	char message[512];  /* why infeasible / time limit, else empty */
	const char *code;   /* static machine-readable code of message, or NULL */
	const char *method; /* "lp_column_generation" or "mip" */
	bool proven;        /* optimal over all feasible pairs, with a dual certificate */
	bool lp_integral;   /* the final LP solution was integral (always expected) */
	int pricing_rounds;
	long pairs_added;     /* columns added by pricing */
	long candidate_pairs; /* columns in the first restricted LP */
	long final_columns;
	double max_reduced_cost; /* over feasible pairs left out of the final LP */
	int max_matched;         /* exact maximum matching size (lexicographic objective), or -1 */
	bool has_bound;
	double bound, gap; /* MIP: best bound and relative gap */
	int components;
	double match_ms, lp_ms, price_ms; /* candidates + matchings, simplex, pricing scans */
	bool comb_start;       /* the first LP started at the combinatorial optimum's basis */
	double comb_ms;        /* combinatorial max-score matching and its basis */
	long lp_iterations;    /* simplex iterations over all rounds */
	unsigned char *expand; /* per mentee: pairs left out may improve the optimum (owned) */
	int n_expand;          /* mentees marked in expand by the last attempt */
	int expansions;        /* re-solves after adding the pairs of marked mentees */
	long expanded_mentees; /* mentees whose every pair was added, over all re-solves */
};

/* Solves g: fills s (caller releases with solution_clear). Returns 0, or -1 on internal failure
 * with s->message set. Calls GLPK: the caller must have installed an error hook. */
int solve_run(struct mgraph *g, struct solution *s) WUR;

/* Releases what a solution owns. */
void solution_clear(struct solution *s);

#endif

/* graph: the solver's view of an instance, shared by the instance builders and the solver.
 * Feasible pairs are stored once, grouped by mentee (CSR), mentors ascending inside a mentee. */
#ifndef TANDEM_MATCHER_GRAPH_H
#define TANDEM_MATCHER_GRAPH_H

#include <stdbool.h>

#include "util.h"

/* Default sizes of the first restricted LP (instance field "solver" overrides them). */
#define GRAPH_CAND_MENTEE 4
#define GRAPH_CAND_MENTOR 0
#define GRAPH_CAND_MENTEE_EXPLICIT 1
#define GRAPH_CAND_MENTOR_EXPLICIT 3
/* Default number of best pairs per mentee held in memory (domain form); 0 = all. */
#define GRAPH_PAIRS_MENTEE 48

enum objective { OBJ_MAX_MATCHED_THEN_SCORE, OBJ_MAX_SCORE };

#define GRAPH_MAX_ISSUES 100

/* A problem found in the instance, machine-readable (ids as indices, -1 when absent) with a
 * human message; errors make the instance infeasible, warnings only explain. */
struct issue {
	bool error;
	const char *code; /* static: pin_breaks_rule, mentee_pinned_twice, ... */
	const char *rule; /* static hard-rule name or NULL */
	int mentor, mentee, capacity;
	char message[200];
};

struct mgraph {
	int n_mentees, n_mentors;
	const char **mentee_id, **mentor_id; /* borrowed from the parsed JSON, or id_store */
	char *id_store;                      /* owned copies of the ids (graph_own_ids) or NULL */
	int *cap;                            /* effective capacity of each mentor */
	long *start;                         /* n_mentees + 1 offsets into mentor/score */
	int *mentor;                         /* mentor of each feasible pair */
	double *score;                       /* score of each feasible pair */
	long *pin;                           /* per mentee: pinned pair index or -1 */
	long *keep;        /* per mentee: pair to keep (minimal disruption) or -1 */
	double keep_bonus; /* objective bonus of a kept pair (not reported) */
	enum objective objective;
	double time_limit; /* seconds */
	int cand_mentee;   /* first restricted LP: best pairs per mentee */
	int cand_mentor;   /* first restricted LP: best pairs per mentor */
	int pairs_mentee;  /* domain form: best pairs per mentee held in memory (0 = all) */
	/* Implicit pairs (domain form): only some feasible pairs are held; rest_bound[e] is the
	 * best score among mentee e's pairs left out (-INFINITY when all are held; NULL: graph
	 * complete). expand() adds every pair of the marked mentees (rebuilding the arrays, pins
	 * and keeps). */
	double *rest_bound;
	long n_feasible; /* feasible pairs, held or not */
	int n_coverable; /* mentees with at least one feasible pair */
	bool (*expand)(void *ctx, struct mgraph *g, const unsigned char *which);
	/* per mentee (or NULL): the score above which its pairs left out could price in under the
	 * current duals; expand() may then add only those (once per mentee), -INFINITY: all */
	double *expand_target;
	void *expand_ctx;
	int max_per_team; /* -1: no limit on used mentors per team */
	int *mentor_team; /* team index per mentor or -1 (NULL when no team limit) */
	double min_share; /* < 0: no department share constraint */
	int *mentee_dept; /* department index per mentee or -1 */
	int n_depts;
	char infeasible[512]; /* non-empty: the instance is infeasible for this reason (bad pin) */
	struct issue *issues; /* GRAPH_MAX_ISSUES slots, n_issues used; more are counted only */
	int n_issues;
	long issues_dropped;
};

/* Allocates the per-mentee and per-mentor arrays (pairs are added by the builder); false on OOM. */
bool graph_init(struct mgraph *g, int n_mentees, int n_mentors) WUR;

/* Frees the arrays the graph owns (ids are borrowed unless graph_own_ids copied them). */
void graph_clear(struct mgraph *g);

/* Copies the mentor and mentee ids into storage the graph owns, so that the parsed JSON can be
 * released before solving; false on OOM. */
bool graph_own_ids(struct mgraph *g) WUR;

/* Returns the pair index of (mentee, mentor) or -1 when the pair is not feasible. */
long graph_find(const struct mgraph *g, int mentee, int mentor);

/* Tells whether every feasible pair is held in the arrays. */
bool graph_complete(const struct mgraph *g);

/* Returns the LP objective coefficient of a pair (score plus keep bonus). */
double graph_cost(const struct mgraph *g, int mentee, long p);

/* Records an issue (an error also becomes g->infeasible when it is the first); mentor, mentee
 * and capacity are -1 when they do not apply. */
void graph_issue(struct mgraph *g, bool error, const char *code, const char *rule, int mentor,
                 int mentee, int capacity, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* Validates pins against mentee uniqueness and mentor capacities, filling g->infeasible. */
void graph_check_pins(struct mgraph *g);

#endif

/* matcher: parses an instance, builds the pair graph, solves it and renders the result JSON. */
#include "matcher.h"

#include <glpk.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_parse.h"
#include "domain.h"
#include "explicit.h"
#include "graph.h"
#include "solve.h"
#include "util.h"

static jmp_buf glpk_jump;

/* GLPK error hook: leaves the failed call through longjmp instead of aborting the process. */
static void
glpk_error(void *info)
{
	(void)info;
	longjmp(glpk_jump, 1);
}

/* Returns the result status name. */
static const char *
status_name(enum sol_status s)
{
	switch (s) {
	case SOL_OPTIMAL:
		return "optimal";
	case SOL_FEASIBLE:
		return "feasible";
	case SOL_INFEASIBLE:
		return "infeasible";
	case SOL_TIME_LIMIT:
		return "time_limit";
	}
	return "feasible";
}

/* Builds the proof object describing how optimality was established. */
static json_t *
proof_json(const struct mgraph *g, const struct solution *s)
{
	json_t *p = json_object();

	if (p == NULL)
		return NULL;
	json_object_set_new(p, "method", json_string(s->method != NULL ? s->method : "none"));
	json_object_set_new(p, "optimal_over_all_feasible_pairs", json_boolean(s->proven));
	json_object_set_new(
	    p, "objective",
	    json_string(g->objective == OBJ_MAX_SCORE ? "max_score" : "max_matched_then_score"));
	if (s->max_matched >= 0)
		json_object_set_new(p, "max_matched", json_integer(s->max_matched));
	json_object_set_new(p, "pricing_rounds", json_integer(s->pricing_rounds));
	json_object_set_new(p, "pairs_added", json_integer(s->pairs_added));
	json_object_set_new(p, "final_columns", json_integer(s->final_columns));
	json_object_set_new(p, "max_reduced_cost_outside", json_real(s->max_reduced_cost));
	json_object_set_new(p, "lp_integral", json_boolean(s->lp_integral));
	if (s->has_bound) {
		json_object_set_new(p, "bound", json_real(s->bound));
		json_object_set_new(p, "gap", json_real(s->gap));
	}
	if (s->message[0] != '\0')
		json_object_set_new(p, "note", json_string(s->message));
	return p;
}

/* Renders the instance's issues and the solver's own message (if not already one of them) as
 * {"level","code","message", "mentor"?, "mentee"?, "rule"?, "capacity"?} objects. */
static json_t *
issues_json(const struct mgraph *g, const struct solution *s)
{
	json_t *a = json_array();
	bool seen = s->message[0] == '\0';

	for (int i = 0; a != NULL && i < g->n_issues; i++) {
		const struct issue *it = &g->issues[i];
		json_t *o = json_pack("{s:s,s:s,s:s}", "level", it->error ? "error" : "warning",
		                      "code", it->code, "message", it->message);

		if (it->mentor >= 0)
			json_object_set_new(o, "mentor", json_string(g->mentor_id[it->mentor]));
		if (it->mentee >= 0)
			json_object_set_new(o, "mentee", json_string(g->mentee_id[it->mentee]));
		if (it->rule != NULL)
			json_object_set_new(o, "rule", json_string(it->rule));
		if (it->capacity >= 0)
			json_object_set_new(o, "capacity", json_integer(it->capacity));
		json_array_append_new(a, o);
		seen = seen || strcmp(it->message, s->message) == 0;
	}
	if (a != NULL && !seen)
		json_array_append_new(
		    a, json_pack(
		           "{s:s,s:s,s:s}", "level",
		           s->status == SOL_INFEASIBLE || s->status == SOL_TIME_LIMIT ? "error"
		                                                                      : "warning",
		           "code", s->code != NULL ? s->code : "solver", "message", s->message));
	if (a != NULL && g->issues_dropped > 0)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:I}", "level", "warning", "code",
		                                   "more_issues", "message",
		                                   "more issues were found than are listed",
		                                   "count", (json_int_t)g->issues_dropped));
	return a;
}

/* Renders the result document for a solved (or infeasible) graph. */
static json_t *
result_json(const struct mgraph *g, struct domain *d, const struct solution *s, double build_ms,
            double solve_ms)
{
	json_t *r = json_object(), *pairs = json_array(), *un = json_array(), *st = json_object();
	double total = 0;
	int matched = 0, kept = 0, keep_asked = 0;
	bool ok = r != NULL && pairs != NULL && un != NULL && st != NULL;
	bool show = s->status != SOL_INFEASIBLE && !(s->status == SOL_TIME_LIMIT && !s->assign);

	for (int e = 0; ok && show && e < g->n_mentees; e++) {
		long p = s->assign[e];
		json_t *o = json_object();

		ok = o != NULL;
		if (!ok)
			break;
		json_object_set_new(o, "mentee", json_string(g->mentee_id[e]));
		if (p >= 0) {
			json_object_set_new(o, "mentor", json_string(g->mentor_id[g->mentor[p]]));
			json_object_set_new(o, "score", json_real(g->score[p]));
			if (g->pin[e] == p)
				json_object_set_new(o, "pinned", json_true());
			if (g->keep[e] >= 0)
				json_object_set_new(o, "kept", json_boolean(g->keep[e] == p));
			kept += g->keep[e] >= 0 && g->keep[e] == p;
			if (d != NULL && !domain_pair_json(d, e, g->mentor[p], o))
				ok = false;
			total += g->score[p];
			matched++;
			json_array_append_new(pairs, o);
		} else {
			json_object_set_new(o, "reason",
			                    json_string(g->start[e] == g->start[e + 1]
			                                    ? "no_candidate"
			                                    : "candidates_taken"));
			if (d != NULL && !domain_unmatched_json(d, e, o))
				ok = false;
			json_array_append_new(un, o);
		}
	}
	if (!ok) {
		json_decref(r);
		json_decref(pairs);
		json_decref(un);
		json_decref(st);
		return NULL;
	}
	json_object_set_new(r, "status", json_string(status_name(s->status)));
	if (s->message[0] != '\0')
		json_object_set_new(r, "message", json_string(s->message));
	json_object_set_new(r, "objective", json_real(total));
	json_object_set_new(r, "matched", json_integer(matched));
	json_object_set_new(r, "pairs", pairs);
	json_object_set_new(r, "unmatched", un);
	json_object_set_new(r, "issues", issues_json(g, s));
	json_object_set_new(r, "proof", proof_json(g, s));
	for (int e = 0; e < g->n_mentees; e++)
		keep_asked += g->keep[e] >= 0;
	json_object_set_new(st, "mentors", json_integer(g->n_mentors));
	json_object_set_new(st, "mentees", json_integer(g->n_mentees));
	/* unknown when the threshold read skipped pairs that cannot matter */
	if (g->rest_bound == NULL || g->n_feasible >= 0)
		json_object_set_new(
		    st, "feasible_pairs",
		    json_integer(g->rest_bound != NULL ? g->n_feasible : g->start[g->n_mentees]));
	json_object_set_new(st, "held_pairs", json_integer(g->start[g->n_mentees]));
	json_object_set_new(st, "expansions", json_integer(s->expansions));
	json_object_set_new(st, "expanded_mentees", json_integer(s->expanded_mentees));
	json_object_set_new(st, "candidate_pairs", json_integer(s->candidate_pairs));
	json_object_set_new(st, "build_ms", json_real(build_ms));
	json_object_set_new(st, "solve_ms", json_real(solve_ms));
	json_object_set_new(st, "matching_ms", json_real(s->match_ms));
	json_object_set_new(st, "lp_ms", json_real(s->lp_ms));
	json_object_set_new(st, "lp_iterations", json_integer(s->lp_iterations));
	json_object_set_new(st, "lp_start",
	                    json_string(s->comb_start ? "combinatorial" : "greedy"));
	json_object_set_new(st, "combinatorial_ms", json_real(s->comb_ms));
	json_object_set_new(st, "pricing_ms", json_real(s->price_ms));
	json_object_set_new(st, "pricing_rounds", json_integer(s->pricing_rounds));
	json_object_set_new(st, "kept", json_integer(kept));
	json_object_set_new(st, "keep_feasible", json_integer(keep_asked));
	json_object_set_new(r, "stats", st);
	return r;
}

/* Runs the solver with GLPK's error hook armed so that a GLPK failure returns -1 instead of
 * aborting; GLPK memory is released with its environment in that case. */
static int
guarded_solve(struct mgraph *g, struct solution *sol, char **err)
{
	volatile int ret = -1;

	glp_term_out(GLP_OFF);
	if (setjmp(glpk_jump) != 0) {
		glp_error_hook(NULL, NULL);
		glp_free_env();
		util_errf(err, "internal failure: GLPK error");
		return -1;
	}
	glp_error_hook(glpk_error, NULL);
	if (solve_run(g, sol) != 0)
		util_errf(err, "internal failure: %s", sol->message);
	else
		ret = 0;
	glp_error_hook(NULL, NULL);
	return ret;
}

/* Parses, builds, solves and renders; GLPK failures jump back here and become exit code 1. */
int
matcher_solve_json_opts(const char *input, size_t len, int pretty, char **out, char **err)
{
	json_t *root = NULL, *res = NULL;
	struct instance_src src;
	struct mgraph g;
	struct domain *dom = NULL;
	struct solution sol;
	int ret = 1;
	bool have_graph = false, have_sol = false;
	double t0 = util_now_ms(), t1, t2;

	*out = NULL;
	*err = NULL;
	memset(&sol, 0, sizeof(sol));
	memset(&src, 0, sizeof(src));
	ret = common_parse_load(input, len, &root, &src, err);
	if (ret != 0) {
		if (ret == 1)
			util_errf(err, "internal failure: out of memory");
		goto out;
	}
	if (!json_is_object(root)) {
		util_errf(err, "instance: must be a JSON object");
		ret = 2;
		goto out;
	}
	if (json_object_get(root, "edges") != NULL) {
		ret = explicit_build(root, &g, err);
	} else {
		struct domain *dd = NULL;

		ret = domain_build(root, &src, &dd, &g, err);
		if (ret == 2 && src.buf != NULL) {
			/* a bad instance is read again whole, so that what is reported (a JSON
			 * error or the first invalid field) is exactly what the whole tree gives */
			free(*err);
			*err = NULL;
			json_decref(root);
			root = NULL;
			common_src_clear(&src);
			ret = common_parse_whole(input, len, &root, err);
			if (ret == 0)
				ret = domain_build(root, &src, &dd, &g, err);
		}
		dom = dd;
	}
	if (ret != 0) {
		if (*err == NULL)
			util_errf(err, ret == 2 ? "invalid instance" : "internal failure");
		goto out;
	}
	have_graph = true;
	/* the parsed instance is no longer needed: release it before solving and rendering */
	if (!graph_own_ids(&g) || (dom != NULL && !domain_own_strings(dom))) {
		util_errf(err, "internal failure: out of memory");
		ret = 1;
		goto out;
	}
	json_decref(root);
	root = NULL;
	common_src_clear(&src);
	t1 = util_now_ms();
	ret = 1;
	have_sol = true;
	if (guarded_solve(&g, &sol, err) != 0)
		goto out;
	t2 = util_now_ms();
	res = result_json(&g, dom, &sol, t1 - t0, t2 - t1);
	if (res == NULL) {
		util_errf(err, "internal failure: out of memory rendering result");
		goto out;
	}
	*out = json_dumps(res, JSON_REAL_PRECISION(15) | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
	if (*out == NULL) {
		util_errf(err, "internal failure: out of memory rendering result");
		goto out;
	}
	ret = 0;
out:
	if (have_sol)
		solution_clear(&sol);
	if (have_graph)
		graph_clear(&g);
	domain_free(dom);
	json_decref(res);
	json_decref(root);
	common_src_clear(&src);
	return ret;
}

/* Solves with compact output (the server's entry point). */
int
matcher_solve_json(const char *input, size_t len, char **out, char **err)
{
	return matcher_solve_json_opts(input, len, 0, out, err);
}

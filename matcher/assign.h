/* assign: combinatorial maximum-score b-matching with its LP duals (successive shortest
 * augmenting paths), used to hand GLPK an optimal starting basis; GLPK still proves the result. */
#ifndef TANDEM_MATCHER_ASSIGN_H
#define TANDEM_MATCHER_ASSIGN_H

#include <stdbool.h>

#include "graph.h"
#include "util.h"

/* Maximises the sum of graph_cost over a b-matching of the pairs held in g (pins fixed, a mentee
 * may stay unmatched): assign[e] = pair or -1, *count = matched mentees, u[e] >= 0 and v[m] >= 0
 * duals with u[e] + v[m] >= cost for every held pair, equality on matched pairs, u = 0 on
 * unmatched mentees and v = 0 on mentors below capacity (pinned mentees and mentors of capacity
 * 0: the smallest dual that prices out their other pairs). False on OOM or when the clock
 * (util_now_ms) passes deadline_ms before the end. */
bool assign_max_score(const struct mgraph *g, double deadline_ms, long *assign, int *count,
                      double *u, double *v) WUR;

#endif

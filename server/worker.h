/* The HTTP event loops: one thread per loop, each with its own event_base, evhttp, database pool
 * and metrics, all accepting on one listening socket (memcached's model). */
#ifndef TANDEM_WORKER_H
#define TANDEM_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>

struct listener;
struct server;
struct settings;
struct solver;
struct workers;

/* Creates cfg->threads loops (not yet running) attached to l. Loop 0 is meant to run on the calling
 * thread (workers_run). NULL on failure. Caller frees with workers_free. */
struct workers *workers_new(const struct settings *cfg, const char *conninfo, struct listener *l,
                            atomic_bool *schema_ready) __attribute__((warn_unused_result));

/* The server state of loop 0 (it also carries the signal handlers and upkeep). */
struct server *workers_main(struct workers *ws);

/* Gives every loop the solver to kick when a round is queued. */
void workers_set_solver(struct workers *ws, struct solver *solver);

/* Starts loops 1..N-1 on their threads, runs loop 0 here until it exits, then joins the others;
 * false when a thread could not start (the loops started are stopped and joined). */
bool workers_run(struct workers *ws) __attribute__((warn_unused_result));

/* Asks every loop to stop accepting, finish its in-flight requests (10 s grace) and exit. Any
 * thread. */
void workers_stop(struct workers *ws);

/* Closes every loop's connections and pool (after workers_run returned); the bases stay for
 * whatever else still has events on loop 0 (upkeep) until workers_free. */
void workers_close(struct workers *ws);

/* Frees every loop's base and the set itself (after workers_close). */
void workers_free(struct workers *ws);

#endif

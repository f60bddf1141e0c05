/* The matching-rounds worker: a thread that solves queued rounds one at a time, each in a child
 * process running the matcher library, so the event loop never blocks and a solver crash is
 * contained. */
#ifndef TANDEM_SOLVER_H
#define TANDEM_SOLVER_H

#include <stdbool.h>
#include <stddef.h>

struct server;
struct solver;

/* Starts the worker thread with its own database connection to conninfo (the application role's,
 * as the request pools use); caller frees with solver_free. */
struct solver *solver_new(struct server *srv, const char *conninfo)
    __attribute__((warn_unused_result));

/* Wakes the worker because a round was queued. Safe to call from the event loop. */
void solver_kick(struct solver *s);

/* Stops the worker (a solve in progress is abandoned and re-queued at the next start) and joins it.
 */
void solver_free(struct solver *s);

#endif

/* matcher: the Tandem matching library (no HTTP, no database). */
#ifndef TANDEM_MATCHER_H
#define TANDEM_MATCHER_H

#include <stddef.h>

/* Solves one instance given as JSON text (domain or explicit-edges form).
 * Returns 0 with *out = result JSON text (caller frees with free());
 * returns 2 for a bad instance with *err = message (caller frees); 1 for an internal failure
 * with *err set. Not thread-safe (GLPK, TZ): call from one thread, ideally a child process. */
int matcher_solve_json(const char *input, size_t len, char **out, char **err)
    __attribute__((warn_unused_result));

/* Same as matcher_solve_json with output options: pretty = indent the JSON. */
int matcher_solve_json_opts(const char *input, size_t len, int pretty, char **out, char **err)
    __attribute__((warn_unused_result));

#endif

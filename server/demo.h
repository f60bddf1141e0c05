/* The demo company a newcomer can load to try a matching round at once. */
#ifndef TANDEM_DEMO_H
#define TANDEM_DEMO_H

#include <stdbool.h>
#include <stddef.h>

/* Loads the demo company (idempotent: a second call changes nothing). Blocking: before the loop. */
bool demo_load(const char *conninfo, char *err, size_t errlen) __attribute__((warn_unused_result));

#endif

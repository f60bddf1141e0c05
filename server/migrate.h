/* Schema migrations: numbered SQL files applied once each, under an advisory lock. */
#ifndef TANDEM_MIGRATE_H
#define TANDEM_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

/* Applies, in order and each in its own transaction, the files NNN_name.sql of schema_dir not yet
 * recorded in schema_migrations. Blocking: run before the event loop. Concurrent starts are safe.
 */
bool migrate_run(const char *conninfo, const char *schema_dir, int *version, char *err,
                 size_t errlen) __attribute__((warn_unused_result));

#endif

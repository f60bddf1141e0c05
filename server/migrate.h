/* Schema migrations: numbered SQL files applied once each, under an advisory lock. */
#ifndef TANDEM_MIGRATE_H
#define TANDEM_MIGRATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum migrate_result { MIGRATE_OK, MIGRATE_UNREACHABLE, MIGRATE_FAILED };

struct migrate_retry;

/* Applies, in order and each in its own transaction, the files NNN_name.sql of schema_dir not yet
 * recorded in schema_migrations. Blocking. Concurrent starts are safe. MIGRATE_UNREACHABLE means
 * the database could not be reached (worth retrying); MIGRATE_FAILED a broken migration. */
enum migrate_result migrate_run(const char *conninfo, const char *schema_dir, int *version,
                                char *err, size_t errlen) __attribute__((warn_unused_result));

/* Retries migrate_run every two seconds in a thread until it succeeds, then sets *ready; used when
 * the database is down at start so the server still answers /healthz and /readyz.
 * Caller frees with migrate_retry_free. */
struct migrate_retry *migrate_retry_new(const char *conninfo, const char *schema_dir,
                                        atomic_bool *ready) __attribute__((warn_unused_result));

/* Stops and joins the retry thread; NULL is a no-op. */
void migrate_retry_free(struct migrate_retry *m);

#endif

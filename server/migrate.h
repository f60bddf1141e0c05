/* Schema migrations: versioned SQL files applied once each (checksummed), module files of functions
 * re-applied at every start, and the application role that requests and the solver connect as. */
#ifndef TANDEM_MIGRATE_H
#define TANDEM_MIGRATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* The role the request path and the solver connect as: it may only EXECUTE the functions of schema
 * api. */
#define MIGRATE_APP_ROLE "tandem_app"

enum migrate_result { MIGRATE_OK, MIGRATE_UNREACHABLE, MIGRATE_FAILED };

struct migrate_retry;

/* As the owner role of conninfo: applies, in version order and each in its own transaction, the
 * files schema_dir/migrations/V<n>__<name>.sql not yet recorded in schema_migrations (failing,
 * naming the file, when a recorded one was edited since), creates the application role if
 * missing, then re-applies schema_dir/modules/<name>.sql in name order in one transaction.
 * Blocking. Concurrent starts are safe. MIGRATE_UNREACHABLE means the database could not be
 * reached (worth retrying); MIGRATE_FAILED a broken or edited migration. */
enum migrate_result migrate_run(const char *conninfo, const char *schema_dir, int *version,
                                char *err, size_t errlen) __attribute__((warn_unused_result));

/* The conninfo of the application role for the same database as the owner's conninfo (user
 * replaced, password left out), as a key='value' string the caller frees; NULL if unparsable. */
char *migrate_app_conninfo(const char *conninfo) __attribute__((warn_unused_result));

/* Retries migrate_run every two seconds in a thread until it succeeds, then sets *ready; used when
 * the database is down at start so the server still answers /healthz and /readyz.
 * Caller frees with migrate_retry_free. */
struct migrate_retry *migrate_retry_new(const char *conninfo, const char *schema_dir,
                                        atomic_bool *ready) __attribute__((warn_unused_result));

/* Stops and joins the retry thread; NULL is a no-op. */
void migrate_retry_free(struct migrate_retry *m);

#endif

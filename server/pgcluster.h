/* Private PostgreSQL 15 cluster managed by tandemd under its state directory (Unix socket only). */
#ifndef TANDEM_PGCLUSTER_H
#define TANDEM_PGCLUSTER_H

#include <stdbool.h>
#include <stddef.h>

struct pgcluster;
/* Starts the private cluster under state_dir (initdb on first use, then pg_ctl start -w), as
 * run_as_user when root; attaches if it is already running; creates database "tandem" if missing.
 * Holds a shared lock on state_dir/tandemd.lock until pgcluster_stop, and makes this process the
 * child subreaper of the postmasters it starts. Returns NULL with a message in errbuf on failure.
 * Blocking: call before the event loop runs. */
struct pgcluster *pgcluster_start(const char *state_dir, const char *run_as_user,
                                  const char *bindir, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));
/* libpq conninfo for database "tandem" on the cluster's socket (owned by c, valid until
 * pgcluster_stop). */
const char *pgcluster_conninfo(const struct pgcluster *c);
/* Starts a thread that checks the postmaster every second and starts it again when it died (it
 * reaps only postgres processes). Call once threads may exist (after dropping root); the cluster's
 * tools then run as this process's account. False if the thread cannot start. */
bool pgcluster_supervise(struct pgcluster *c) __attribute__((warn_unused_result));
/* Stops the supervisor, then the cluster (pg_ctl stop -m fast -w) when no other process uses it
 * (no other holds the lock), whether this process started or adopted it; frees c. NULL is a no-op.
 */
void pgcluster_stop(struct pgcluster *c);

#endif

/* Private PostgreSQL 15 cluster managed by tandemd under its state directory (Unix socket only). */
#ifndef TANDEM_PGCLUSTER_H
#define TANDEM_PGCLUSTER_H

#include <stddef.h>

struct pgcluster;
/* Starts the private cluster under state_dir (initdb on first use, then pg_ctl start -w), as
 * run_as_user when root; attaches without owning it if it is already running; creates database
 * "tandem" if missing. Returns NULL with a message in errbuf on failure. Blocking: call before the
 * event loop runs. */
struct pgcluster *pgcluster_start(const char *state_dir, const char *run_as_user,
                                  const char *bindir, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));
/* libpq conninfo for database "tandem" on the cluster's socket (owned by c, valid until
 * pgcluster_stop). */
const char *pgcluster_conninfo(const struct pgcluster *c);
/* Stops the cluster (pg_ctl stop -m fast -w) if this process started it, then frees c; NULL is a
 * no-op. */
void pgcluster_stop(struct pgcluster *c);

#endif

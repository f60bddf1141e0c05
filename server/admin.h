/* Administrative commands run from the shell (not over HTTP). */
#ifndef TANDEM_ADMIN_H
#define TANDEM_ADMIN_H

#include "settings.h"

/* Runs the admin sub-command named in cfg against conninfo; returns the process exit code. */
int admin_run(const struct settings *cfg, const char *conninfo);

#endif

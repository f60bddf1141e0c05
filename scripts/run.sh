#!/usr/bin/env bash
# Installs what is missing, builds, and runs tandemd on 127.0.0.1:8080 with its embedded PostgreSQL
# (state in /var/lib/tandem as root, ./state otherwise) and the web app at http://127.0.0.1:8080/.
# Extra arguments go to tandemd (e.g. --demo).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -eq 0 ]]; then
	scripts/install-deps.sh
fi
build=$(scripts/build.sh | tail -n 1)
scripts/build-web.sh >/dev/null # the web app served at / (web/dist)
exec "$build/tandemd" "$@"

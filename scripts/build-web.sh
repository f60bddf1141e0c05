#!/usr/bin/env bash
# Builds the web app: npm ci from web/package-lock.json (exact versions), then Vite into web/dist,
# then a .gz beside each text asset (tandemd serves it to clients that accept gzip).
# Also installs the browser tests' packages (tests/web, playwright-core and axe-core) with --tests.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
# npm ci only when the lockfile changed since the last install
install() { # $1 = directory with package-lock.json
	local stamp="$1/node_modules/.package-lock.json"
	if [[ ! -f "$stamp" || "$1/package-lock.json" -nt "$stamp" ]]; then
		(cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
	fi
}
install "$top/web"
(cd "$top/web" && npx --no-install vite build --logLevel warn)
find "$top/web/dist" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \) \
	-exec gzip -9 -k -f -n {} \;
if [[ "${1:-}" == "--tests" ]]; then
	install "$top/tests/web"
fi
echo "$top/web/dist"

#!/bin/sh
# Lints api-spec/openapi.yaml with Redocly CLI (recommended ruleset, see api-spec/redocly.yaml).
# Installs @redocly/cli under <repo>/.tools/redocly on first use (npm registry needed once), then reuses it.
# Usage: scripts/lint-spec.sh [extra redocly lint args]
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tools="$repo/.tools/redocly"
redocly="$tools/node_modules/.bin/redocly"
if [ ! -x "$redocly" ]; then
	command -v npm >/dev/null 2>&1 || { echo "lint-spec: npm not found (need Node.js >= 20)" >&2; exit 2; }
	echo "lint-spec: installing @redocly/cli into $tools" >&2
	mkdir -p "$tools"
	npm install --no-save --no-audit --no-fund --prefix "$tools" @redocly/cli@2.77.0 >&2
fi
cd "$repo/api-spec"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec "$redocly" lint --config "$repo/api-spec/redocly.yaml" "$@" openapi.yaml

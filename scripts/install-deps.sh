#!/usr/bin/env bash
# Installs Tandem's build/test dependencies on Debian 12 and creates the "tandem" system account
# that tandemd's private PostgreSQL cluster runs as. Idempotent; run as root.
set -euo pipefail

PACKAGES=(
	build-essential autoconf automake pkg-config
	libevent-dev libssl-dev libpq-dev libjansson-dev libglpk-dev libcjose-dev
	postgresql-15 postgresql-client-15
	tzdata curl ca-certificates openssl
	python3 python3-pytest python3-requests python3-jsonschema python3-yaml python3-scipy
	python3-numpy python3-icalendar python3-recurring-ical-events python3-dateutil
	python3-jwcrypto
	nodejs npm
	chromium fonts-dejavu-core # browser tests (tests/web): Debian's chromium, driven headless by playwright-core
	nginx
	clang-format # the C style check of scripts/test.sh (.clang-format)
)
ACCOUNT="${TANDEM_USER:-tandem}"

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps.sh: must run as root (apt-get and useradd)" >&2
	exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [[ "$status" == "install ok installed" ]]; then
		continue
	fi
	# NodeSource's nodejs package bundles npm and conflicts with Debian's npm: accept a working
	# npm/node command instead of forcing the Debian package over it.
	if [[ "$pkg" == npm ]] && command -v npm >/dev/null; then
		echo "install-deps.sh: npm provided by $(command -v npm) (not the Debian package); keeping it"
		continue
	fi
	missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
	echo "install-deps.sh: installing ${#missing[@]} missing package(s): ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# nginx (the tested TLS front) and postgresql-15 would start system services on install; the
	# tests run their own instances, so refuse service starts during the install when nothing
	# else (a container's policy-rc.d) already decides
	policy=
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
	if [[ -n "$policy" ]]; then
		rm -f "$policy"
		trap - EXIT
	fi
else
	echo "install-deps.sh: all ${#PACKAGES[@]} packages present"
fi

# postgresql-15 may create and start Debian's own "main" cluster (port 5432 on
# /var/run/postgresql); tandemd never uses it: its private cluster listens only on a socket under
# its state directory, so the two coexist and we leave "main" alone.

if getent passwd "$ACCOUNT" >/dev/null; then
	echo "install-deps.sh: system account '$ACCOUNT' already exists"
else
	useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$ACCOUNT"
	echo "install-deps.sh: created system account '$ACCOUNT' (runs the private PostgreSQL)"
fi

if [[ ! -x /usr/lib/postgresql/15/bin/initdb ]]; then
	echo "install-deps.sh: warning: /usr/lib/postgresql/15/bin/initdb not found" >&2
fi
echo "install-deps.sh: done"

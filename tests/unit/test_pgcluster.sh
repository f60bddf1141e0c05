#!/usr/bin/env bash
# Exercises server/pgcluster.c through tests/unit/pgcluster_driver: first start (initdb), socket
# access from another OS user, two users of one cluster (the first to leave leaves it running), the
# last user stopping a cluster it adopted, crash recovery after kill -9 of the postmaster, clean
# stop, restart without initdb. Usage: test_pgcluster.sh [DRIVER]
set -euo pipefail

DRIVER="${1:-${PGCLUSTER_DRIVER:-$(dirname "$0")/pgcluster_driver}}"
BINDIR="${TANDEM_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
DRIVER="$(cd "$(dirname "$DRIVER")" && pwd)/$(basename "$DRIVER")"

if [[ ! -x "$DRIVER" || ! -x "$BINDIR/initdb" ]]; then
	echo "FAIL: need $DRIVER and $BINDIR/initdb (scripts/install-deps.sh)" >&2
	exit 1
fi
if [[ $(id -u) -eq 0 ]] && ! getent passwd tandem >/dev/null; then
	echo "FAIL: running as root needs the 'tandem' account (scripts/install-deps.sh)" >&2
	exit 1
fi
# A kill -9'd postmaster is re-parented to PID 1; where PID 1 does not reap (some containers and
# VMs) it stays a zombie that pg_ctl status reports as alive, so act as subreaper ourselves.
if [[ -z "${PGCLUSTER_TEST_REAPED:-}" ]]; then
	export PGCLUSTER_TEST_REAPED=1
	exec "$DRIVER" reap bash "$0" "$DRIVER"
fi

TMP="$(mktemp -d /tmp/pgcluster-test.XXXXXX)"
chmod 0755 "$TMP"
STATE="$TMP/state"
LOG="$STATE/postgresql.log"
DRIVER_PID=
STEPS=0

fail() {
	echo "FAIL: $*" >&2
	[[ -f "$LOG" ]] && tail -20 "$LOG" >&2
	exit 1
}

cleanup() {
	if [[ -n "$DRIVER_PID" ]]; then
		exec 3>&- || true
		wait "$DRIVER_PID" || true
	fi
	if [[ -f "$STATE/pgdata/postmaster.pid" ]]; then
		if [[ $(id -u) -eq 0 ]]; then
			setpriv --reuid=tandem --regid="$(id -g tandem)" --init-groups \
				"$BINDIR/pg_ctl" stop -D "$STATE/pgdata" -m immediate >/dev/null 2>&1 || true
		else
			"$BINDIR/pg_ctl" stop -D "$STATE/pgdata" -m immediate >/dev/null 2>&1 || true
		fi
	fi
	if [[ -n "${PGCLUSTER_TEST_KEEP:-}" ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# Runs psql against conninfo as the caller (root, or the account that owns the cluster).
sql() {
	"$BINDIR/psql" -X -q -At -d "$1" -c "$2"
}

# True when an unrelated unprivileged account can connect (the socket must refuse it: trust auth).
sql_as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$BINDIR/psql" -X -q -At -d "$1" -c "SELECT 1" >/dev/null 2>&1
}

# Starts "driver run" in the background holding the cluster until stop_held; sets CI.
start_held() {
	rm -f "$TMP/ctl" "$TMP/out"
	mkfifo "$TMP/ctl"
	"$DRIVER" run "$STATE" <"$TMP/ctl" >"$TMP/out" &
	DRIVER_PID=$!
	exec 3>"$TMP/ctl"
	for _ in $(seq 1 1200); do
		[[ -s "$TMP/out" ]] && break
		kill -0 "$DRIVER_PID" 2>/dev/null || fail "driver exited early"
		sleep 0.1
	done
	CI="$(head -1 "$TMP/out")"
	[[ -n "$CI" ]] || fail "no conninfo from driver"
}

# Closes the driver's stdin so it calls pgcluster_stop, and waits for it.
stop_held() {
	exec 3>&-
	wait "$DRIVER_PID" || fail "driver run exited with $?"
	DRIVER_PID=
}

initdb_count() {
	grep -c '^creating subdirectories' "$LOG" || true
}

STEPS=$((STEPS + 1))
echo "1. first start (initdb) and leave it running"
CI="$("$DRIVER" leak "$STATE")" || fail "first start"
[[ "$CI" == *"dbname=tandem"* ]] || fail "unexpected conninfo $CI"
[[ "$(initdb_count)" == 1 ]] || fail "initdb did not run once"
[[ "$(stat -c %a "$STATE/pgdata")" == 700 ]] || fail "pgdata mode"
sql "$CI" "CREATE TABLE probe(x int); INSERT INTO probe VALUES (42);" || fail "psql write"
if [[ $(id -u) -eq 0 ]] && sql_as_nobody "$CI"; then
	fail "an unrelated account could connect to the private cluster"
fi

STEPS=$((STEPS + 1))
echo "2. two users: the one leaving while the other holds the cluster leaves it running"
start_held
"$DRIVER" run "$STATE" </dev/null >/dev/null 2>"$TMP/err" || fail "attach"
grep -q 'another process still uses' "$TMP/err" || fail "second user did not see the first: $(cat "$TMP/err")"
[[ "$(sql "$CI" "SELECT x FROM probe")" == 42 ]] || fail "cluster gone while another user holds it"

STEPS=$((STEPS + 1))
echo "3. the last user stops the cluster it adopted (its starter exited without stopping it)"
stop_held
[[ ! -e "$STATE/pgdata/postmaster.pid" ]] || fail "adopted cluster left running (postmaster.pid)"
"$BINDIR/pg_isready" -q -h "$STATE/run" && fail "adopted cluster still accepting after the last user left"

STEPS=$((STEPS + 1))
echo "4. kill -9 the postmaster, then start again (crash recovery)"
CI="$("$DRIVER" leak "$STATE")" || fail "start to crash"
PM_PID="$(head -1 "$STATE/pgdata/postmaster.pid")"
kill -9 "$PM_PID"
for _ in $(seq 1 100); do
	kill -0 "$PM_PID" 2>/dev/null || break
	sleep 0.1
done
start_held
[[ "$(sql "$CI" "SELECT x FROM probe")" == 42 ]] || fail "data lost after crash"
grep -q 'not properly shut down' "$LOG" || fail "no crash recovery in log"
stop_held
[[ ! -e "$STATE/pgdata/postmaster.pid" ]] || fail "postmaster.pid left after stop"
"$BINDIR/pg_isready" -q -h "$STATE/run" && fail "server still accepting after stop"

STEPS=$((STEPS + 1))
echo "5. restart after clean stop: no second initdb, fast mode"
TANDEM_PG_FAST=1 start_held
[[ "$(sql "$CI" "SHOW fsync")" == off ]] || fail "TANDEM_PG_FAST ignored"
[[ "$(sql "$CI" "SELECT count(*) FROM probe")" == 1 ]] || fail "data after restart"
stop_held
[[ "$(initdb_count)" == 1 ]] || fail "initdb ran again"

if [[ $(id -u) -eq 0 ]]; then
	STEPS=$((STEPS + 1))
	echo "6. root: unsearchable parent and missing account are reported"
	mkdir -m 0700 "$TMP/closed"
	out="$("$DRIVER" run "$TMP/closed/state" </dev/null 2>&1)" && fail "closed parent accepted"
	[[ "$out" == *"not searchable"* ]] || fail "unclear message: $out"
	out="$("$DRIVER" run "$TMP/other" no-such-account-x </dev/null 2>&1)" && fail "bad account"
	[[ "$out" == *"install-deps.sh"* ]] || fail "unclear message: $out"
fi
echo "PASS"
echo "$STEPS passed, 0 failed"

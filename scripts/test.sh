#!/usr/bin/env bash
# Installs what is missing, builds, lints the API spec, and runs the whole test suite twice: on a
# normal build and on an AddressSanitizer/UBSan build. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
status=0

if [[ $(id -u) -eq 0 ]]; then
	scripts/install-deps.sh || exit 1
fi

run_suite() { # $1 = build flag ("" or --asan)
	local build
	build=$(scripts/build.sh $1 | tail -n 1) || return 1
	echo "== make check in $build"
	make -C "$build" check || {
		cat "$build"/test-suite.log 2>/dev/null | tail -n 200
		return 1
	}
}

# the OpenID Provider the single sign-on tests start (oidc-provider, pinned in its lockfile)
echo "== npm ci in tests/oidc"
(cd tests/oidc && npm ci --ignore-scripts --no-audit --no-fund) || status=1

echo "== lint api-spec/openapi.yaml"
scripts/lint-spec.sh || status=1
echo "== clang-format --dry-run -Werror (.clang-format) on the C sources"
git ls-files -z -- '*.c' '*.h' | xargs -0 clang-format --dry-run -Werror || status=1
run_suite "" || status=1
# The browser suite (tests/web) on the normal build: builds the web app, then drives Debian's
# chromium through a whole programme; it prints its own "N passed, N failed" into its log.
run_web() {
	mkdir -p build/tests/web
	scripts/build-web.sh --tests >/dev/null || return 1
	echo "== browser tests (tests/web/run.mjs), screenshots in build/web-artifacts"
	TANDEMD="$top/build/tandemd" TANDEM_WEB_ARTIFACTS="$top/build/web-artifacts" \
		node tests/web/run.mjs >build/tests/web/web.log 2>&1
	local rc=$?
	grep -E '^(not ok|first load)|passed, [0-9]+ failed' build/tests/web/web.log
	return $rc
}
rm -f build/tests/web/web.log
run_web || status=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite --asan || status=1

# Every C test program prints "N passed, N failed"; pytest prints its own summary. Count them apart,
# per build, then close with one line for CI. A skip pytest did not find declared is already a failure
# (tests/api/conftest.py); declared skips are counted and shown.
count_logs() { # $1 = glob of logs, prints "passed failed skipped"
	local p=0 f=0 s=0 log a b c
	for log in $1; do
		[[ -f "$log" ]] || continue
		read -r a b c < <(awk '
			/(passed|failed|error|skipped).* in [0-9.]+s/ { # pytest summary, with or without -q
				for (i = 2; i <= NF; i++) {
					if ($(i) ~ /^passed/) p += $(i-1)
					if ($(i) ~ /^failed/) f += $(i-1)
					if ($(i) ~ /^error/) f += $(i-1)
					if ($(i) ~ /^skipped/) s += $(i-1)
				}
				next
			}
			/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
			END { print p+0, f+0, s+0 }' "$log")
		p=$((p + a)) f=$((f + b)) s=$((s + c))
	done
	echo "$p $f $s"
}
passed=0
failed=0
skipped=0
for build in build build-asan; do
	read -r cp cf _ < <(count_logs "$build/tests/unit/*.log")
	read -r ap af as < <(count_logs "$build/tests/api/*.log")
	read -r wp wf _ < <(count_logs "$build/tests/web/*.log")
	echo "== $build: C checks $cp passed, $cf failed; API tests (pytest) $ap passed, $af failed, $as skipped (declared); browser tests $wp passed, $wf failed"
	passed=$((passed + cp + ap + wp)) failed=$((failed + cf + af + wf)) skipped=$((skipped + as))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then
	failed=1 # a step failed outside the counted tests (build, lint, harness)
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status

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

echo "== lint api-spec/openapi.yaml"
scripts/lint-spec.sh || status=1
run_suite "" || status=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite --asan || status=1

# every test program prints "N passed, N failed" (C) or pytest's summary; add them up
passed=0
failed=0
for log in build/tests/*/*.log build-asan/tests/*/*.log; do
	[[ -f "$log" ]] || continue
	read -r p f < <(awk '
		/(passed|failed|error).* in [0-9.]+s/ { # pytest summary, with or without -q
			for (i = 2; i <= NF; i++) {
				if ($(i) ~ /^passed/) p += $(i-1)
				if ($(i) ~ /^failed/) f += $(i-1)
				if ($(i) ~ /^error/) f += $(i-1)
			}
			next
		}
		/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
		END { print p+0, f+0 }' "$log")
	passed=$((passed + p))
	failed=$((failed + f))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then
	failed=1 # a step failed outside the counted tests (build, lint, harness)
fi
echo "$passed passed, $failed failed"
exit $status

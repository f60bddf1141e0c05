#!/bin/sh
# Benchmarks tandem-match. usage: bench/run.sh [SIZES...]   (default: S M; add L and XL explicitly)
# Figures and commands: bench/README.md.
# Needs a built ./tandem-match (TANDEM_MATCH=path to override). Instances are generated once into
# $TANDEM_BENCH_DIR (default /tmp/tandem-bench-instances) and reused; generation time is printed
# apart. Per size: build (parse + enumeration), matching, combinatorial start, LP (and its simplex
# iterations), pricing, total (wall and user CPU), peak RSS, matched, objective, status, proof,
# and the load average before and after; then explicit-edges instances vs scipy
# linear_sum_assignment in the same run (both objectives, both times, the ratio).
set -e
here=$(cd "$(dirname "$0")" && pwd)
exe=${TANDEM_MATCH:-$here/../tandem-match}
dir=${TANDEM_BENCH_DIR:-/tmp/tandem-bench-instances}
tmp=${TMPDIR:-/tmp}/tandem-bench.$$
mkdir -p "$tmp" "$dir"
trap 'rm -rf "$tmp"' EXIT
sizes=${*:-"S M"}

# gen NAME ARGS...: generates $dir/NAME.json once (printing how long it took), else reuses it
gen() {
	name=$1
	shift
	if [ ! -s "$dir/$name.json" ]; then
		/usr/bin/time -f "%e" -o "$tmp/gen.time" /usr/bin/python3 "$here/gen_company.py" "$@" > "$dir/$name.json.part"
		mv "$dir/$name.json.part" "$dir/$name.json"
		echo "generated $name in $(cat "$tmp/gen.time") s (not part of the figures below)"
	fi
}

for s in $sizes; do
	gen "$s" --size "$s" --seed 1
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	/usr/bin/time -f "%e %U %M" -o "$tmp/$s.time" "$exe" < "$dir/$s.json" > "$tmp/$s.out"
	/usr/bin/python3 - "$tmp/$s.out" "$tmp/$s.time" "$s" "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); wall, user, rss = open(sys.argv[2]).read().split()[-3:]
st, p = r["stats"], r["proof"]
print("size %s: mentors %d mentees %d feasible_pairs %s held_pairs %d first_lp_columns %d\n"
      "  build (parse + pair enumeration) %.0f ms | matching %.0f ms | combinatorial start %.0f ms (%s)"
      " | lp %.0f ms (%d iterations) | pricing %.0f ms\n"
      "  total wall %s s (user CPU %s s) | peak RSS %.0f MB | load average %s -> %s\n"
      "  matched %d objective %.3f status %s proven %s rounds %d added %d expanded_mentees %d"
      % (sys.argv[3], st["mentors"], st["mentees"], st.get("feasible_pairs", "not counted"), st.get("held_pairs", 0),
         st["candidate_pairs"], st["build_ms"], st.get("matching_ms", 0), st.get("combinatorial_ms", 0),
         st.get("lp_start", "-"), st.get("lp_ms", 0), st.get("lp_iterations", 0),
         st.get("pricing_ms", 0), wall, user, int(rss) / 1024, sys.argv[4], sys.argv[5],
         r["matched"], r["objective"],
         r["status"], p["optimal_over_all_feasible_pairs"], p["pricing_rounds"], p["pairs_added"],
         st.get("expanded_mentees", 0)))
PY
done
for spec in "300 600 10 max_matched_then_score" "300 600 10 max_score" "1000 2000 8 max_matched_then_score" \
	"1000 2000 8 max_score" "2000 10000 8 max_matched_then_score" "2000 10000 8 max_score" \
	"4000 40000 9 max_matched_then_score"; do
	set -- $spec
	gen "x-$1-$2-$3-$4" --explicit --mentors "$1" --mentees "$2" --degree "$3" --objective "$4" --seed 3
	echo "explicit $1 mentors x $2 mentees, degree $3 ($(($2 * $3)) edges), $4 (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
	/usr/bin/python3 "$here/ref_compare.py" "$exe" "$dir/x-$1-$2-$3-$4.json" || true
done

#!/bin/sh
# Benchmarks tandem-match. usage: bench/run.sh [SIZES...]   (default: S M; add L explicitly)
# Figures and commands: bench/README.md.
# Needs a built ./tandem-match (TANDEM_MATCH=path to override). Prints per size: build time,
# solve time (matching / LP / pricing), peak RSS, matched, objective, status; then explicit-edges
# instances vs scipy linear_sum_assignment (both objectives, both times).
set -e
here=$(cd "$(dirname "$0")" && pwd)
exe=${TANDEM_MATCH:-$here/../tandem-match}
tmp=${TMPDIR:-/tmp}/tandem-bench.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
sizes=${*:-"S M"}
for s in $sizes; do
	/usr/bin/python3 "$here/gen_company.py" --size "$s" --seed 1 > "$tmp/$s.json"
	/usr/bin/time -f "%e %M" -o "$tmp/$s.time" "$exe" < "$tmp/$s.json" > "$tmp/$s.out"
	/usr/bin/python3 - "$tmp/$s.out" "$tmp/$s.time" "$s" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); wall, rss = open(sys.argv[2]).read().split()[-2:]
st, p = r["stats"], r["proof"]
print("size %s: mentors %d mentees %d feasible_pairs %d first_lp_columns %d\n"
      "  build (parse + pair enumeration) %.0f ms | solve %.0f ms = matching %.0f + lp %.0f + pricing %.0f"
      " | wall %s s peak %.0f MB\n"
      "  matched %d objective %.3f status %s proven %s rounds %d added %d"
      % (sys.argv[3], st["mentors"], st["mentees"], st["feasible_pairs"], st["candidate_pairs"],
         st["build_ms"], st["solve_ms"], st.get("matching_ms", 0), st.get("lp_ms", 0),
         st.get("pricing_ms", 0), wall, int(rss) / 1024, r["matched"], r["objective"],
         r["status"], p["optimal_over_all_feasible_pairs"], p["pricing_rounds"], p["pairs_added"]))
PY
done
for spec in "300 600 10 max_matched_then_score" "300 600 10 max_score" "1000 2000 8 max_matched_then_score" "1000 2000 8 max_score"; do
	set -- $spec
	/usr/bin/python3 "$here/gen_company.py" --explicit --mentors "$1" --mentees "$2" --degree "$3" --objective "$4" --seed 3 > "$tmp/x.json"
	echo "explicit $1 mentors x $2 mentees, degree $3, $4:"
	/usr/bin/python3 "$here/ref_compare.py" "$exe" "$tmp/x.json" || true
done

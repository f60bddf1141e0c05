#!/usr/bin/env python3
"""The HR import of a 10,000-row CSV extract through the API (issue 9): a dry run, the apply, and the
same file applied again (idempotent: nothing changes), each timed from the first byte sent to the
last byte of the answer. Reference in the same run, on the same cluster: psql's \\copy of the same
file into a temporary table (parsing and storing the rows, nothing else).

Usage: bench/hr_import.py [--tandemd build/tandemd] [--rows 10000]
"""

import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import time

from benchlib import running_tandemd

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = ["Employee ID", "Work Email", "First Name", "Last Name", "Department", "Location", "Job Title",
          "Time Zone", "Languages", "Manager ID"]
DEPTS = ["Sales", "Finance", "Engineering", "Marketing", "Operations", "Legal", "HR", "Support"]
SITES = ["Lyon", "Paris", "Berlin", "Madrid", "London"]
ZONES = ["Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/London", "UTC"]


def extract(n):
    """A company of n: employee i reports to employee i // 8 (a tree 5 levels deep at 10,000)."""
    out = io.StringIO()
    out.write("\ufeff" + ";".join(HEADER) + "\r\n")
    for i in range(n):
        manager = f"E{i // 8:06d}" if i else ""
        out.write(";".join([f"E{i:06d}", f"employee{i}@example.com", f"First{i}", f"Last {i % 977}",
                            DEPTS[i % len(DEPTS)], SITES[i % len(SITES)], f"\"Job; level {i % 5}\"",
                            ZONES[i % len(ZONES)], "fr, en" if i % 3 else "en", manager]) + "\r\n")
    return out.getvalue().encode("utf-8")


def post(port, token, body, mode, dry_run):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("POST", f"/v1/employees/import?mode={mode}&dry_run={'true' if dry_run else 'false'}", body=body,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    resp = conn.getresponse()
    data = resp.read()
    ms = (time.perf_counter() - t0) * 1000
    if resp.status != 200:
        sys.exit(f"import answered {resp.status}: {data[:300]!r}")
    return ms, json.loads(data), len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandemd", default=os.path.join(HERE, "..", "build", "tandemd"))
    ap.add_argument("--rows", type=int, default=10000)
    args = ap.parse_args()
    body = extract(args.rows)
    # the bulk statement timeout is the default (5 min): the apply runs on the bulk connection
    with running_tandemd(args.tandemd, prefix="tandem-bench-hr-") as (port, state, _):
        out = subprocess.run([args.tandemd, "admin", "create-hr", "--email", "bench-hr@example.com", "--name", "Bench",
                              "--state-dir", state], capture_output=True, check=True, cwd=state)
        token = json.loads(out.stdout)["token"]
        print(f"extract: {args.rows} rows, {len(body):,} bytes (CSV, ';', BOM, quoted fields)")
        dry_ms, dry, dry_len = post(port, token, body, "full", True)
        print(f"dry run  (mode=full):        {dry_ms:8.0f} ms   counts {dry['counts']}   answer {dry_len:,} bytes")
        apply_ms, app, _ = post(port, token, body, "full", False)
        print(f"apply    (mode=full):        {apply_ms:8.0f} ms   counts {app['counts']}")
        again_ms, again, _ = post(port, token, body, "full", False)
        print(f"re-apply (same file):        {again_ms:8.0f} ms   counts {again['counts']}")
        with tempfile.NamedTemporaryFile(suffix=".csv", dir=state) as f:
            f.write(body[3:])  # psql's CSV reader does not skip a BOM
            f.flush()
            os.chmod(f.name, 0o644)
            copy = ("CREATE TEMP TABLE x (id text, email text, first text, last text, dept text, site text, "
                    "title text, tz text, langs text, manager text); "
                    f"\\copy x FROM '{f.name}' WITH (FORMAT csv, HEADER true, DELIMITER ';')")
            t0 = time.perf_counter()
            subprocess.run(["psql", f"host={state}/run dbname=tandem user=tandem", "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                           input=copy.encode(), check=True)
            copy_ms = (time.perf_counter() - t0) * 1000
        print(f"reference: psql \\copy of the same rows into a temp table: {copy_ms:.0f} ms "
              f"(dry run {dry_ms / copy_ms:.1f} x, apply {apply_ms / copy_ms:.1f} x)")
        ok = (dry["counts"]["created"] == args.rows and app["counts"]["created"] == args.rows
              and again["counts"]["unchanged"] == args.rows and again["counts"]["updated"] == 0)
        print("check: dry run = apply = rows created, re-apply changed nothing:", "yes" if ok else "NO")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

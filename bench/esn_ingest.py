#!/usr/bin/env python3
"""Ingests N ESN events (default 1,000,000) through the bulk path (POST /v1/esn/import, NDJSON batches)
into a fresh tandemd, and prints events/s and the database size, beside a reference in the same run:
psql \\copy of the same rows into a plain, unindexed table of the same cluster. Then HR's ambassador
candidates (GET /v1/esn/ambassadors, the 90-day giving score of everyone who acted) beside counting
and sorting the same window's actors in that plain table.

Usage: bench/esn_ingest.py [--events 1000000] [--employees 2000] [--batch 20000]"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import running_tandemd  # noqa: E402

KINDS = ["post", "comment", "reaction_given", "answer_accepted", "share", "community_created", "community_animated"]
WEIGHTS = [20, 30, 35, 8, 4, 1, 2]


def psql(state, sql):
    out = subprocess.run(["psql", f"host={state}/run dbname=tandem user=tandem", "-X", "-q", "-At", "-v",
                          "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def events(n, people, seed=7):
    """n synthetic events: actor, kind, community, time in the last 365 days, a target for answers/comments/reactions."""
    rnd = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    for i in range(n):
        kind = rnd.choices(KINDS, WEIGHTS)[0]
        e = {"id": f"bench:{i}", "actor_email": rnd.choice(people), "kind": kind,
             "community": f"Community {rnd.randrange(200)}",
             "occurred_at": (now - dt.timedelta(seconds=rnd.randrange(365 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if kind in ("comment", "reaction_given", "answer_accepted"):
            e["target_email"] = rnd.choice(people)
        yield e


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandemd", default=os.path.join(HERE, "..", "build", "tandemd"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=20000)
    args = ap.parse_args()
    with running_tandemd(args.tandemd, "--max-body-bytes", str(64 << 20), "--bulk-statement-timeout-ms", "0",
                         prefix="tandem-bench-esn-") as (port, state, _):
        hr = subprocess.run([os.path.abspath(args.tandemd), "admin", "create-hr", "--email", "hr@example.com",
                             "--name", "HR", "--state-dir", state], check=True, capture_output=True, text=True)
        token = json.loads(hr.stdout)["token"]
        psql(state, f"""INSERT INTO employees (email, display_name, department, site, timezone, languages, role)
                        SELECT 'p' || i || '@example.com', 'P ' || i, 'Dept ' || (i % 20), 'Site ' || (i % 5), 'UTC',
                               '{{en}}', 'mentee' FROM generate_series(1, {args.employees}) i""")
        # 2 % of the events come from people who are not employees (counted as unmatched)
        people = [f"p{i}@example.com" for i in range(1, args.employees + 1)]
        people += [f"stranger{i}@example.com" for i in range(max(1, args.employees // 50))]
        db0 = int(psql(state, "SELECT pg_database_size('tandem')"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        sent = stored = unmatched = 0
        batch_times = []
        rows_for_copy = []
        t0 = time.monotonic()
        gen = events(args.events, people)
        while sent < args.events:
            chunk = [next(gen) for _ in range(min(args.batch, args.events - sent))]
            rows_for_copy.extend(chunk)
            body = ("\n".join(json.dumps(e, separators=(",", ":")) for e in chunk) + "\n").encode()
            b0 = time.monotonic()
            conn.request("POST", "/v1/esn/import", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
            resp = conn.getresponse()
            reply = json.loads(resp.read())
            if resp.status != 200:
                raise SystemExit(f"import failed: {resp.status} {reply}")
            batch_times.append(time.monotonic() - b0)
            sent += len(chunk)
            stored += reply["stored"]
            unmatched += reply["unmatched"]
        # the generation of the JSON is client time inside the loop; the server's share is the batch times
        total = time.monotonic() - t0
        server = sum(batch_times)
        sizes = psql(state, """SELECT pg_total_relation_size('esn_events'), pg_total_relation_size('esn_ingest_keys'),
                                      pg_database_size('tandem')""").split("|")
        # reference: the same rows as CSV, \\copy into a plain table with no index, no key, no check
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            for e in rows_for_copy:
                f.write(",".join([e["id"], e["actor_email"], e["kind"], e["community"], e["occurred_at"],
                                  e.get("target_email", "")]) + "\n")
            path = f.name
        psql(state, "CREATE TABLE bench_copy (id text, actor text, kind text, community text, t timestamptz, target text)")
        c0 = time.monotonic()
        subprocess.run(["psql", f"host={state}/run dbname=tandem user=tandem", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-c", f"\\copy bench_copy FROM '{path}' WITH (FORMAT csv)"], check=True, capture_output=True)
        copy_s = time.monotonic() - c0
        copy_size = int(psql(state, "SELECT pg_total_relation_size('bench_copy')"))
        os.unlink(path)
        # HR's ambassador candidates over the default 90 days, beside the least a ranking of givers
        # needs: the same window's events per actor counted and sorted from the plain copy
        psql(state, "ANALYZE")
        amb = []
        for _ in range(3):
            a0 = time.monotonic()
            conn.request("GET", "/v1/esn/ambassadors?limit=20", headers={"Authorization": f"Bearer {token}"})
            resp = conn.getresponse()
            listed = json.loads(resp.read())
            if resp.status != 200:
                raise SystemExit(f"ambassadors failed: {resp.status} {listed}")
            amb.append(time.monotonic() - a0)
        ref = []
        for _ in range(3):
            r0 = time.monotonic()
            psql(state, "SELECT actor, count(*) FROM bench_copy WHERE t >= now() - interval '90 days' "
                        "GROUP BY actor ORDER BY 2 DESC LIMIT 20")
            ref.append(time.monotonic() - r0)
        batch_times.sort()
        print(f"events sent {sent:,}, stored {stored:,}, unmatched {unmatched:,}, employees {args.employees:,}, "
              f"batch {args.batch:,}")
        print(f"tandem bulk import: {sent / server:,.0f} events/s (server time {server:.1f} s; "
              f"with client JSON generation {sent / total:,.0f} events/s over {total:.1f} s); "
              f"batch p50 {batch_times[len(batch_times) // 2]:.2f} s, max {batch_times[-1]:.2f} s")
        print(f"database size: esn_events {int(sizes[0]) / 2**20:.1f} MiB, esn_ingest_keys {int(sizes[1]) / 2**20:.1f} MiB, "
              f"whole database {int(sizes[2]) / 2**20:.1f} MiB (was {db0 / 2**20:.1f} MiB)")
        print(f"GET /v1/esn/ambassadors (90 days, {len(listed['items'])} listed): median "
              f"{sorted(amb)[1] * 1000:.0f} ms of 3; reference, psql counting and sorting the same window's "
              f"actors in the plain copy: median {sorted(ref)[1] * 1000:.0f} ms of 3 (psql's start included) = "
              f"{sorted(amb)[1] / sorted(ref)[1]:.1f} x reference")
        print(f"reference psql \\copy into a plain table: {sent / copy_s:,.0f} rows/s ({copy_s:.1f} s), "
              f"{copy_size / 2**20:.1f} MiB; tandem = {(sent / server) / (sent / copy_s):.3f} x reference")


if __name__ == "__main__":
    main()

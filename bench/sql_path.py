#!/usr/bin/env python3
"""The SQL cost of one authenticated request, GET /v1/me, measured with pgbench on one cluster in
one run (issue 8): pgbench -S (the reference), the two statements of before issue 8
(api_authenticate, then profile_json, both LANGUAGE sql: planned again at every call), and the one
statement of now (SELECT api.me($1) as tandem_app: plpgsql, plans cached per session, reading the
profile cached by the writers in employee_profiles), and that statement building the profile at the
call instead (core.profile_json(core.auth_employee($1)) as the owner: the path before the cache); and the write side, PUT /v1/me/availability's statement
(one employee per client) with the cache's triggers, then with them disabled, in the same run.

Usage: bench/sql_path.py [--tandemd build/tandemd] [--clients 16] [--seconds 10]
       [--pgbench /usr/lib/postgresql/15/bin/pgbench]
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import subprocess
import tempfile

from benchlib import running_tandemd

HERE = os.path.dirname(os.path.abspath(__file__))

# The functions GET /v1/me ran before issue 8, verbatim (schema 001_foundation.sql at 0451854), in
# a scratch schema of the benchmark's own database.
BEFORE = r"""
DROP SCHEMA IF EXISTS bench_before CASCADE; CREATE SCHEMA bench_before; SET search_path = bench_before, public;
CREATE FUNCTION ts_text(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
CREATE FUNCTION hhmm(m integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT lpad((m / 60)::text, 2, '0') || ':' || lpad((m % 60)::text, 2, '0')
$$;
CREATE FUNCTION day_name(d integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['mon','tue','wed','thu','fri','sat','sun'])[d + 1]
$$;
CREATE FUNCTION employee_json(e employees) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', e.id, 'email', e.email, 'display_name', e.display_name,
        'department', e.department, 'site', e.site, 'job_title', e.job_title,
        'timezone', e.timezone, 'languages', to_jsonb(e.languages),
        'manager_email', e.manager_email, 'role', e.role,
        'mentor_capacity', e.mentor_capacity, 'leaderboard_opt_in', e.leaderboard_opt_in,
        'created_at', ts_text(e.created_at), 'updated_at', ts_text(e.updated_at))
$$;
CREATE FUNCTION teaching_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('skill', skill, 'level', level) ORDER BY skill), '[]')
    FROM teaching WHERE employee_id = eid
$$;
CREATE FUNCTION learning_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('skill', skill, 'current_level', current_level,
                                                 'priority', priority) ORDER BY skill), '[]')
    FROM learning WHERE employee_id = eid
$$;
CREATE FUNCTION availability_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('day', day_name(day), 'start', hhmm(start_min),
                                                 'end', hhmm(end_min)) ORDER BY day, start_min), '[]')
    FROM availability WHERE employee_id = eid
$$;
CREATE FUNCTION profile_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT employee_json(e) || jsonb_build_object('teaching', teaching_json(e.id),
                                                  'learning', learning_json(e.id),
                                                  'availability', availability_json(e.id))
    FROM employees e WHERE e.id = eid
$$;
CREATE FUNCTION api_authenticate(token text, OUT employee_id bigint, OUT hr_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.employee_id, t.hr_id FROM api_tokens t
    WHERE t.token_hash = sha256(convert_to(token, 'UTF8'))
    UNION ALL SELECT NULL, NULL
    LIMIT 1
$$;
"""


def call(port, method, path, body=None, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    assert resp.status < 300, (method, path, resp.status, data)
    return json.loads(data) if data else None


def pgbench(exe, conninfo, clients, seconds, script=None, builtin=None, defines=(), env=None):
    cmd = [exe, "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds)]
    cmd += ["-S"] if builtin == "select-only" else ["-f", script]
    for d in defines:
        cmd += ["-D", d]
    out = subprocess.run(cmd + [conninfo], capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    m = re.search(r"^tps = ([0-9.]+)", out.stdout, re.M)
    if out.returncode != 0 or m is None:
        raise SystemExit(f"pgbench failed: {' '.join(cmd)}\n{out.stdout}\n{out.stderr}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandemd", default=os.path.join(HERE, "..", "build", "tandemd"))
    ap.add_argument("--pgbench", default="/usr/lib/postgresql/15/bin/pgbench")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    with running_tandemd(args.tandemd, prefix="tandem-bench-sql-") as (port, state, _):
        owner = f"host={state}/run dbname=tandem user=tandem"
        signup = call(port, "POST", "/v1/employees", {
            "email": "bench@example.com", "display_name": "Bench", "department": "D",
            "timezone": "Europe/Paris", "languages": ["fr", "en"], "role": "mentee"})
        token, eid = signup["token"], signup["employee"]["id"]
        call(port, "PUT", "/v1/me/availability", {"slots": [{"day": "mon", "start": "09:00", "end": "10:00"},
                                                            {"day": "thu", "start": "14:00", "end": "16:00"}]}, token)
        call(port, "PUT", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 1, "priority": 1}]}, token)
        subprocess.run(["psql", owner, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", BEFORE], check=True,
                       capture_output=True)
        # the write side: one employee per pgbench client (client_id), their token hashes in a scratch table
        writers = [call(port, "POST", "/v1/employees", {
            "email": f"writer{i}@example.com", "display_name": f"Writer {i}", "department": "D",
            "timezone": "UTC", "languages": ["en"], "role": "mentee"})["token"] for i in range(args.clients)]
        rows = ",".join(f"({i}, '\\x{hashlib.sha256(t.encode()).hexdigest()}'::bytea)" for i, t in enumerate(writers))
        subprocess.run(["psql", owner, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                        f"CREATE TABLE bench_before.writers (i integer PRIMARY KEY, h bytea); "
                        f"INSERT INTO bench_before.writers VALUES {rows}"], check=True, capture_output=True)
        subprocess.run(["psql", f"host={state}/run dbname=tandem user=tandem", "-X", "-q", "-c",
                        "CREATE DATABASE pgbench"], check=True, capture_output=True)
        subprocess.run([args.pgbench, "-i", "-q", "-s", "1",
                        f"host={state}/run dbname=pgbench user=tandem"], check=True, capture_output=True)
        with tempfile.TemporaryDirectory() as tmp:
            before, after = os.path.join(tmp, "before.sql"), os.path.join(tmp, "after.sql")
            with open(before, "w") as f:
                f.write("SELECT employee_id, hr_id FROM api_authenticate(:tok);\nSELECT profile_json(:eid);\n")
            with open(after, "w") as f:
                f.write("SELECT api.me(:hash);\n")
            build = os.path.join(tmp, "build.sql")
            with open(build, "w") as f:
                f.write("SELECT core.profile_json(core.auth_employee(:hash));\n")
            digest = "\\x" + hashlib.sha256(token.encode()).hexdigest()
            ref = pgbench(args.pgbench, f"host={state}/run dbname=pgbench user=tandem", args.clients, args.seconds,
                          builtin="select-only")
            old = pgbench(args.pgbench, owner, args.clients, args.seconds, before, defines=[f"tok={token}", f"eid={eid}"],
                          env={"PGOPTIONS": "-c search_path=bench_before,public"})
            new = pgbench(args.pgbench, f"host={state}/run dbname=tandem user=tandem_app", args.clients, args.seconds,
                          after, defines=[f"hash={digest}"])
            put = os.path.join(tmp, "put.sql")
            with open(put, "w") as f:
                f.write("SELECT api.me_put_availability((SELECT h FROM bench_before.writers WHERE i = :client_id), "
                        "'{\"slots\": [{\"day\": \"mon\", \"start\": \"09:00\", \"end\": \"10:00\"}, "
                        "{\"day\": \"thu\", \"start\": \"14:00\", \"end\": \"16:00\"}]}');\n")
            cached_put = pgbench(args.pgbench, owner, args.clients, args.seconds, put)
            triggers = ("employees_profile", "availability_profile")
            toggle = "; ".join(f"ALTER TABLE {t.split('_')[0]} %s TRIGGER {t}" for t in triggers)
            subprocess.run(["psql", owner, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", toggle % (("DISABLE",) * 2)],
                           check=True, capture_output=True)
            plain_put = pgbench(args.pgbench, owner, args.clients, args.seconds, put)
            subprocess.run(["psql", owner, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", toggle % (("ENABLE",) * 2)],
                           check=True, capture_output=True)
            built = pgbench(args.pgbench, owner, args.clients, args.seconds, build, defines=[f"hash={digest}"],
                            env={"PGOPTIONS": "-c search_path=core,public"})
    print(f"pgbench -S -M prepared, {args.clients} clients:            {ref:10.0f} tps   (reference)")
    print(f"before: api_authenticate + profile_json (2 statements): {old:10.0f} tps   {old / ref:.3f} x reference")
    print(f"now:    SELECT api.me($1) as tandem_app (1 statement):   {new:10.0f} tps   {new / ref:.3f} x reference,"
          f" {new / old:.2f} x before")
    print(f"built:  auth + profile_json at the call (no cache):       {built:10.0f} tps   {built / ref:.3f} x reference,"
          f" cache = {new / built:.2f} x built")
    print(f"write:  api.me_put_availability, cache kept:           {cached_put:10.0f} tps   "
          f"{cached_put / plain_put:.2f} x the same with the cache's triggers disabled ({plain_put:.0f} tps)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""End-to-end matching round through the API, on a synthetic company loaded straight into the
embedded database: time from POST /v1/rounds to "solved" (instance built in SQL, matcher child,
result stored), the solver's own time, and how the API answers while the round solves
(/healthz and GET /v1/me latency, sampled from another thread) compared with the same load when
idle — the reference. Sizes: S 200 managers x 800 juniors, M 1,000 x 4,000 (default), L 10,000 x 40,000.

Usage: bench/round_api.py [--tandemd build/tandemd] [--size S|M|L] [--seed 1] [--template DIR]
                          [--save-instance FILE]
--template DIR: the loaded company (state directory of the stopped server, with its HR and probe
tokens) is kept in DIR on the first run and copied from there on the next ones, so that repeated
measurements skip the load and solve the same company's first round. --save-instance writes the
instance the solver got (built again after the solve, same SQL) to FILE, e.g. for tandem-match alone.
Bounded: one round, polling stops after 600 s; traffic stays on 127.0.0.1.
"""

import argparse
import http.client
import json
import os
import subprocess
import threading
import time

from benchlib import running_tandemd

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SIZES = {"S": (200, 800), "M": (1000, 4000), "L": (10000, 40000)}

SQL = os.path.join(REPO, "bench", "synthetic_company.sql")


def call(port, method, path, token=None, body=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def sample(port, token, stop, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        for path, tok in (("/healthz", None), ("/v1/me", token)):
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": "Bearer " + tok} if tok else {})
            conn.getresponse().read()
            out.setdefault(path, []).append((time.perf_counter() - t0) * 1000)
        time.sleep(0.005)
    conn.close()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def measure(port, token, seconds):
    stop, out = threading.Event(), {}
    t = threading.Thread(target=sample, args=(port, token, stop, out))
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join()
    return out


def load_company(tandemd, port, state, seed, mentees, mentors):
    """Loads the synthetic company by SQL, creates the HR account and signs up the probe; returns
    (seconds the load took, HR token, probe token)."""
    env = dict(os.environ, TANDEM_PG_FAST="1")
    conninfo = f"host={state}/run dbname=tandem user=tandem"
    t0 = time.monotonic()
    gen = subprocess.run(["psql", conninfo, "-q", "-v", "ON_ERROR_STOP=1", "-v", f"seed={seed}",
                          "-v", f"mentees={mentees}", "-v", f"mentors={mentors}", "-f", SQL],
                         capture_output=True, text=True)
    if gen.returncode != 0:
        raise SystemExit(gen.stderr)
    load_s = time.monotonic() - t0
    hr = json.loads(subprocess.run([tandemd, "admin", "create-hr", "--email", "hr@bench.example", "--name",
                                    "HR", "--state-dir", state], capture_output=True, env=env,
                                   check=True).stdout)["token"]
    status, data = call(port, "POST", "/v1/employees", body={
        "email": "probe@bench.example", "display_name": "Probe", "department": "Probe", "timezone": "UTC",
        "languages": ["en"], "role": "mentee"})
    return load_s, hr, json.loads(data)["token"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandemd", default=os.path.join(REPO, "build", "tandemd"))
    ap.add_argument("--size", default="M", choices=sorted(SIZES))
    ap.add_argument("--seed", type=float, default=0.42)
    ap.add_argument("--template", help="keep the loaded company here / start from its copy")
    ap.add_argument("--save-instance", help="write the round's instance (as the solver got it) here")
    args = ap.parse_args()
    tandemd = os.path.abspath(args.tandemd)
    mentees, mentors = SIZES[args.size]

    tokens_file = os.path.join(args.template, "bench-tokens.json") if args.template else None
    if args.template and not os.path.exists(tokens_file):
        if os.path.exists(args.template):
            raise SystemExit(f"{args.template} exists but holds no loaded company")
        with running_tandemd(tandemd, prefix="tandem-round-template-", keep=True) as (port, state, _):
            load_s, hr, probe = load_company(tandemd, port, state, args.seed, mentees, mentors)
        with open(os.path.join(state, "bench-tokens.json"), "w") as f:
            json.dump({"hr": hr, "probe": probe, "size": args.size, "seed": args.seed, "load_s": load_s}, f)
        os.rename(state, args.template)
    template = None
    if args.template:
        with open(tokens_file) as f:
            saved = json.load(f)
        if (saved["size"], saved["seed"]) != (args.size, args.seed):
            raise SystemExit(f"{args.template} holds size {saved['size']} seed {saved['seed']}")
        template = os.path.abspath(args.template)

    with running_tandemd(tandemd, prefix="tandem-round-bench-", template=template) as (port, state, _):
        conninfo = f"host={state}/run dbname=tandem user=tandem"
        if template:
            load_s, hr, probe = saved["load_s"], saved["hr"], saved["probe"]
        else:
            load_s, hr, probe = load_company(tandemd, port, state, args.seed, mentees, mentors)

        idle = measure(port, probe, 3)
        stop, during = threading.Event(), {}
        sampler = threading.Thread(target=sample, args=(port, probe, stop, during))
        t0 = time.monotonic()
        status, data = call(port, "POST", "/v1/rounds", hr, {"name": f"bench {args.size}", "time_limit_seconds": 300})
        rid = json.loads(data)["id"]
        sampler.start()
        while time.monotonic() - t0 < 600:
            tg = time.monotonic()
            status, data = call(port, "GET", f"/v1/rounds/{rid}", hr, timeout=120)
            get_s = time.monotonic() - tg
            rd = json.loads(data)
            if rd["status"] not in ("draft", "solving"):
                break
            time.sleep(0.25)
        wall = time.monotonic() - t0
        stop.set()
        sampler.join()
        res = rd.get("result") or {}
        # the instance again, alone, as the solver worker builds it (same SQL, same database)
        t1 = time.monotonic()
        inst = subprocess.run(["psql", conninfo, "-At", "-c", "SET search_path = core, public",
                               "-c", f"SELECT length(round_instance({rid})::text)"],
                              capture_output=True, text=True, check=True).stdout.split()[-1]
        inst_s = time.monotonic() - t1
        if args.save_instance:
            with open(args.save_instance, "w") as f:
                subprocess.run(["psql", conninfo, "-qAt", "-c", "SET search_path = core, public",
                                "-c", f"SELECT round_instance({rid})::text"], stdout=f, check=True)
        print(f"size {args.size}: {mentees} managers x {mentors} juniors (+ reporting lines, 6 sites, 4 time zones); "
              f"loaded by SQL in {load_s:.1f} s" + (f" (copied from {template})" if template else ""))
        print(f"round: status {rd['status']}, solver {res.get('solver_status')}, matched {res.get('matched')} of "
              f"{res.get('mentees')}, objective {res.get('objective')}, proven "
              f"{(res.get('proof') or {}).get('optimal_over_all_feasible_pairs')}")
        print(f"POST /v1/rounds -> solved: {wall:.2f} s wall (polled every 0.25 s); matcher child {res.get('solve_ms')} ms "
              f"(instance built in SQL, solved, result stored)")
        print(f"steps: instance SQL {inst_s:.2f} s ({inst} bytes, built again after the solve); matcher child "
              f"{(res.get('solve_ms') or 0) / 1000:.2f} s; GET of the solved round's detail {get_s:.2f} s; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for path in ("/healthz", "/v1/me"):
            a, b = idle.get(path, []), during.get(path, [])
            print(f"{path:9s} idle (reference): p50 {pct(a, .5):6.2f} ms p99 {pct(a, .99):6.2f} ms ({len(a)} samples)"
                  f" | during the solve: p50 {pct(b, .5):6.2f} ms p99 {pct(b, .99):6.2f} ms max {max(b or [0]):6.2f} ms"
                  f" ({len(b)} samples)")


if __name__ == "__main__":
    main()

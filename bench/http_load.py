#!/usr/bin/python3
"""HTTP request-path benchmark (issue 8), one run on one machine: starts tandemd on a private embedded
cluster, drives GET /healthz, GET /v1/me and PUT /v1/me/availability with wrk at 16, 256 and 1,000
connections, runs `pgbench -S -M prepared` at 16 clients on the same cluster, reads tandemd's RSS
before and after, and prints every figure beside its goal from issue 8.

Usage: bench/http_load.py [--tandemd build/tandemd] [--seconds 10] [--threads N] [--pool-size 8] [--repeat 3]
Needs wrk (installed with apt-get when missing and running as root) and pgbench (postgresql-15).
Loopback only; every phase is bounded by --seconds.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchlib import running_tandemd, signup_tokens

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PGBIN = "/usr/lib/postgresql/15/bin"
TOKENS = 256  # employees signed up; writes rotate over them so rows do not contend

# Every request is formatted once per wrk thread, in init: formatting it at each call (wrk.format in
# request()) cost the load generator CPU that the server under test shares on this machine.
LUA = r"""
local tokens = {%(tokens)s}
local method, path, body = "%(method)s", "%(path)s", %(body)s
local requests = {}
init = function(args)
  for i, token in ipairs(tokens) do
    local h = {["Authorization"] = "Bearer " .. token}
    if body ~= nil then h["Content-Type"] = "application/json" end
    requests[i] = wrk.format(method, path, h, body)
  end
end
local n = 0
request = function()
  n = n + 1
  return requests[(n %% #requests) + 1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%%.0f,"duration_us":%%.0f,"connect":%%.0f,"read":%%.0f,' ..
    '"write":%%.0f,"status":%%.0f,"timeout":%%.0f,"p50_us":%%.0f,"p99_us":%%.0f}\n', summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("wrk not found: apt-get install wrk")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wrk(port, tmp, name, conns, seconds, tokens, method="GET", path="/v1/me", body=None):
    script = os.path.join(tmp, name.replace(" ", "_").replace("/", "_") + f"_{conns}.lua")
    with open(script, "w") as f:
        f.write(LUA % {"tokens": ",".join(json.dumps(t) for t in tokens), "method": method, "path": path,
                       "body": json.dumps(body) if body is not None else "nil"})
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{int(seconds)}s", "--timeout", "10s", "-s", script,
           f"http://127.0.0.1:{port}{path}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("WRKJSON ")), None)
    if line is None:
        sys.exit(f"wrk gave no summary: {proc.stdout}\n{proc.stderr}")
    r = json.loads(line[8:])
    secs = r["duration_us"] / 1e6
    errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    r.update(name=name, conns=conns, rps=r["requests"] / secs,
             ok_rps=(r["requests"] - r["status"] - errors) / secs, errors=errors + r["status"])
    print(f"{name:26s} {conns:5d} conns  {r['rps']:9.0f} req/s  {r['ok_rps']:9.0f} ok/s  "
          f"p50 {r['p50_us'] / 1000:7.2f} ms  p99 {r['p99_us'] / 1000:7.2f} ms  "
          f"non-2xx {r['status']}  socket errors {errors}", flush=True)
    return r


def pgbench_command(state):
    """The command prefix (as the cluster's owner) and connection options for pgbench."""
    pre = ["runuser", "-u", "tandem", "--"] if os.geteuid() == 0 else []
    return pre, ["-h", os.path.join(state, "run"), "-p", "5432", "-U", "tandem"]


def pgbench_init(state):
    pre, conn = pgbench_command(state)
    subprocess.run(pre + [f"{PGBIN}/pgbench", "-i", "-q", "-s", "1"] + conn + ["tandem"], check=True,
                   capture_output=True)


def pgbench(state, seconds):
    pre, conn = pgbench_command(state)
    out = subprocess.run(pre + [f"{PGBIN}/pgbench", "-S", "-M", "prepared", "-c", "16", "-j", "2", "-T",
                                str(int(seconds))] + conn + ["tandem"],
                         check=True, capture_output=True, text=True).stdout
    tps = next(float(l.split("=")[1].split()[0]) for l in out.splitlines() if l.startswith("tps ="))
    lat = next((l for l in out.splitlines() if "latency average" in l), "").strip()
    print(f"{'pgbench -S -M prepared':26s} {16:5d} clnts {tps:9.0f} tps  ({lat})", flush=True)
    return tps


def ratio_line(what, value, goal, ok):
    print(f"  {'PASS' if ok else 'MISS'}  {what}: {value}  (goal {goal})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandemd", default=os.environ.get("TANDEMD", os.path.join(REPO, "build", "tandemd")))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--pool-size", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3, help="pairs of GET /v1/me at 16 and pgbench -S (odd)")
    args = ap.parse_args()
    ensure_wrk()
    tmp = tempfile.mkdtemp(prefix="tandem-http-bench-")
    # --signup-rate 0: the 256 sign-ups below come from one address (the default burst is 120)
    extra = ["--threads", str(args.threads), "--pool-size", str(args.pool_size), "--signup-rate", "0"]
    try:
        with running_tandemd(os.path.abspath(args.tandemd), *extra) as (port, state, proc):
            tokens = signup_tokens(port, TOKENS, "bench")
            print(f"tandemd {args.tandemd}: {args.threads} event loop(s) x pool {args.pool_size}, "
                  f"{os.cpu_count()} cores, wrk -t2 on loopback, {args.seconds:.0f} s per phase, "
                  f"fsync off (TANDEM_PG_FAST), load average {os.getloadavg()[0]:.2f}", flush=True)
            s = args.seconds
            rss0 = rss_mb(proc.pid)
            health = wrk(port, tmp, "GET /healthz", 16, s, tokens[:1], path="/healthz")
            # the floor of the p99 goal: the same server at 256 connections answering without a database
            health256 = wrk(port, tmp, "GET /healthz", 256, s, tokens[:1], path="/healthz")
            # the ratio's two sides run back to back, --repeat times: on a shared machine the load
            # changes between phases, and the median of adjacent pairs follows it less than one pair
            pgbench_init(state)
            pairs = []
            for _ in range(args.repeat):
                r = wrk(port, tmp, "GET /v1/me", 16, s, tokens)
                pairs.append((r, pgbench(state, s)))
            # the connection sweep again from 16, so that 1,000 / 16 compares neighbouring phases
            me = {c: wrk(port, tmp, "GET /v1/me", c, s, tokens) for c in (16, 256, 1000)}
            slots = {"slots": [{"day": "mon", "start": "09:00", "end": "10:00"},
                               {"day": "wed", "start": "14:00", "end": "16:30"}]}
            put = {c: wrk(port, tmp, "PUT /v1/me/availability", c, s, tokens, method="PUT",
                          path="/v1/me/availability", body=json.dumps(slots)) for c in (16, 256, 1000)}
            rss1 = rss_mb(proc.pid)
            total = health["requests"] + health256["requests"] + sum(r["requests"] for r, _ in pairs) + \
                sum(r["requests"] for r in list(me.values()) + list(put.values()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"goals (issue 8), load average at the end {os.getloadavg()[0]:.2f}:")
    ratios = sorted(r["rps"] / t for r, t in pairs)
    median = ratios[len(ratios) // 2]
    tps = statistics.median(t for _, t in pairs)
    ratio_line("GET /v1/me at 16 / pgbench -S, median of adjacent pairs",
               f"{median:.3f} (pairs: " + ", ".join(f"{r['rps']:.0f} / {t:.0f} = {r['rps'] / t:.3f}" for r, t in pairs)
               + ")", ">= 0.25", median >= 0.25)
    for name, r in (("GET /v1/me", me), ("PUT /v1/me/availability", put)):
        ratio_line(f"{name} p99 at 256", f"{r[256]['p99_us'] / 1000:.2f} ms", "< 10 ms",
                   r[256]["p99_us"] < 10000)
        ratio_line(f"{name} successful/s at 1000 / at 16",
                   f"{r[1000]['ok_rps']:.0f} / {r[16]['ok_rps']:.0f} = {r[1000]['ok_rps'] / r[16]['ok_rps']:.2f}",
                   ">= 0.8", r[1000]["ok_rps"] >= 0.8 * r[16]["ok_rps"])
        ratio_line(f"{name} errors at 16 and 256", f"{r[16]['errors']} and {r[256]['errors']}", "0 and 0",
                   r[16]["errors"] == 0 and r[256]["errors"] == 0)
    # Little's law for a closed loop (wrk sends the next request when the answer arrives): the mean
    # latency at C connections is C / throughput, so p99 < 10 ms at 256 needs over 25,600 req/s
    ratio_line("GET /v1/me mean latency at 256 by Little's law (256 / req/s)",
               f"{256 / me[256]['rps'] * 1000:.1f} ms; p99 < 10 ms needs > 25600 req/s = "
               f"{25600 / tps:.2f} x pgbench -S of this run", "(reference)", True)
    ratio_line("GET /healthz (no database) p99 at 256, the floor of any request at 256",
               f"{health256['p99_us'] / 1000:.2f} ms at {health256['rps']:.0f} req/s", "(reference)", True)
    ratio_line("GET /v1/me at 16 / GET /healthz at 16",
               f"{me[16]['rps']:.0f} / {health['rps']:.0f} = {me[16]['rps'] / health['rps']:.3f}", "(reference)",
               True)
    ratio_line("RSS before / after", f"{rss0:.1f} MB / {rss1:.1f} MB over {total} requests",
               "flat", rss1 < rss0 * 1.5 + 16)


if __name__ == "__main__":
    main()

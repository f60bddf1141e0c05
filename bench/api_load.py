#!/usr/bin/python3
"""Load benchmark of the HTTP API: starts tandemd on a private embedded cluster, signs up employees,
then drives GET /v1/me (auth + one query), PUT /v1/me/availability (a write transaction) and /healthz
(no database: the reference the others are compared to) from concurrent keep-alive clients on
loopback. Prints requests/s, latency percentiles and tandemd's peak RSS.

Usage: bench/api_load.py [--tandemd build/tandemd] [--clients 16] [--seconds 5]
Bounded: every phase stops after --seconds; nothing leaves 127.0.0.1.
"""

import argparse
import json
import os
import threading
import time

from benchlib import running_tandemd
import http.client

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def request(conn, method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data


def phase(port, name, make_call, clients, seconds):
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            status, _ = make_call(conn, i)
            mine.append(time.perf_counter() - t0)
            if status >= 400:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    latencies.sort()
    n = len(latencies)
    pct = lambda p: latencies[min(n - 1, int(p * n))] * 1000 if n else float("nan")
    print(f"{name:28s} {n / elapsed:9.0f} req/s   p50 {pct(0.5):6.2f} ms   p99 {pct(0.99):6.2f} ms"
          f"   errors {errors[0]}   ({n} requests, {clients} clients, {elapsed:.1f} s)")
    return n / elapsed


def peak_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandemd", default=os.path.join(REPO, "build", "tandemd"))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--pool-size", type=int, default=4)
    args = ap.parse_args()
    args.tandemd = os.path.abspath(args.tandemd)

    with running_tandemd(args.tandemd, "--pool-size", str(args.pool_size), "--queue-max", "100000") as (
            port, _, proc):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        tokens = []
        for i in range(args.clients):
            status, data = request(conn, "POST", "/v1/employees", body={
                "email": f"bench{i}@example.com", "display_name": f"Bench {i}", "department": "Bench",
                "timezone": "Europe/Paris", "languages": ["fr"], "role": "both"})
            assert status == 201, data
            tokens.append(json.loads(data)["token"])
        print(f"tandemd {args.tandemd}, pool {args.pool_size}, {os.cpu_count()} cores, loopback, "
              f"fsync off (TANDEM_PG_FAST)")
        ref = phase(port, "GET /healthz (reference)", lambda c, i: request(c, "GET", "/healthz"),
                    args.clients, args.seconds)
        me = phase(port, "GET /v1/me", lambda c, i: request(c, "GET", "/v1/me", tokens[i]),
                   args.clients, args.seconds)
        slots = {"slots": [{"day": "mon", "start": "09:00", "end": "10:00"},
                           {"day": "wed", "start": "14:00", "end": "16:30"}]}
        put = phase(port, "PUT /v1/me/availability", lambda c, i: request(c, "PUT", "/v1/me/availability",
                                                                             tokens[i], slots),
                    args.clients, args.seconds)
        print(f"relative to /healthz: GET /v1/me {me / ref:.2f}x, PUT availability {put / ref:.2f}x")
        print(f"tandemd peak RSS {peak_rss_kb(proc.pid) / 1024:.1f} MB")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""tandemd's RSS over a long run (issue 8: flat RSS over 10 million requests): starts tandemd on a
private embedded cluster, signs up --tokens employees, then drives GET /v1/me and PUT
/v1/me/availability with wrk (--conns connections) in --step-seconds steps (every --put-every-th step
is the PUT one; 2 = alternate) until
--requests requests were sent or --max-seconds passed, and prints the RSS after every step with the
request count so far. The count reached is printed as it is: on a shared machine 10 million may
take longer than the time given.

Usage: bench/rss_soak.py [--tandemd build/tandemd] [--requests 10000000] [--max-seconds 600]
       [--conns 64] [--step-seconds 30] [--pool-size 8] [--put-every 2]
"""

import argparse
import json
import os
import shutil
import tempfile
import time

from benchlib import running_tandemd, signup_tokens
from http_load import TOKENS, ensure_wrk, rss_mb, wrk

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandemd", default=os.environ.get("TANDEMD", os.path.join(REPO, "build", "tandemd")))
    ap.add_argument("--requests", type=int, default=10_000_000)
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--step-seconds", type=float, default=30)
    ap.add_argument("--pool-size", type=int, default=8)
    ap.add_argument("--put-every", type=int, default=2)
    args = ap.parse_args()
    ensure_wrk()
    tmp = tempfile.mkdtemp(prefix="tandem-rss-soak-")
    slots = json.dumps({"slots": [{"day": "mon", "start": "09:00", "end": "10:00"}]})
    try:
        with running_tandemd(os.path.abspath(args.tandemd), "--pool-size", str(args.pool_size),
                             "--signup-rate", "0") as (port, _, proc):
            tokens = signup_tokens(port, TOKENS, "soak")
            rss = [rss_mb(proc.pid)]
            print(f"RSS at start {rss[0]:.1f} MB; load average {os.getloadavg()[0]:.2f}", flush=True)
            total, errors, step, t0 = 0, 0, 0, time.monotonic()
            while total < args.requests and time.monotonic() - t0 < args.max_seconds:
                if step % args.put_every != args.put_every - 1:
                    r = wrk(port, tmp, "GET /v1/me", args.conns, args.step_seconds, tokens)
                else:
                    r = wrk(port, tmp, "PUT /v1/me/availability", args.conns, args.step_seconds, tokens,
                            method="PUT", path="/v1/me/availability", body=slots)
                total += int(r["requests"])
                errors += int(r["errors"])
                rss.append(rss_mb(proc.pid))
                print(f"  after {total:>10d} requests: RSS {rss[-1]:.1f} MB", flush=True)
                step += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{total} requests in {time.monotonic() - t0:.0f} s ({errors} non-2xx or socket errors), "
          f"load average {os.getloadavg()[0]:.2f}; RSS start {rss[0]:.1f} MB, after the first step "
          f"{rss[1]:.1f} MB, max {max(rss):.1f} MB, end {rss[-1]:.1f} MB")


if __name__ == "__main__":
    main()

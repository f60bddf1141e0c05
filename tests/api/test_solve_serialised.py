"""Only one round solves at a time across every tandemd on one database (issue 3): two servers share
a database holding a company big enough for each solve to take a while; rounds created on both at
once are solved one after the other (their solve intervals never overlap), each exactly once."""

import datetime
import os
import re
import subprocess
import time

from conftest import Client, Tandemd, create_hr, make_state_dir

HERE = os.path.dirname(os.path.abspath(__file__))
COMPANY_SQL = os.path.abspath(os.path.join(HERE, "..", "..", "bench", "synthetic_company.sql"))


def test_rounds_from_two_servers_never_solve_at_once():
    state_a = make_state_dir("tandem-serial-a-")
    state_b = make_state_dir("tandem-serial-b-")
    a = Tandemd(["--state-dir", state_a], state_a, name="serial-a")
    conninfo = f"host={state_a}/run dbname=tandem user=tandem"
    b = Tandemd(["--database-url", conninfo, "--state-dir", state_b], state_b, name="serial-b")
    try:
        load = subprocess.run(["psql", conninfo, "-q", "-v", "ON_ERROR_STOP=1", "-v", "seed=0.5", "-v",
                               "mentees=600", "-v", "mentors=2400", "-f", COMPANY_SQL],
                              capture_output=True, text=True, timeout=120)
        assert load.returncode == 0, load.stderr
        hr = create_hr(state_a)["token"]
        apis = [Client(a.base_url), Client(b.base_url)]
        ids = []
        for i in range(4):
            r = apis[i % 2].post("/v1/rounds", {"name": f"serial {i}"}, token=hr)
            assert r.status == 202, r
            ids.append(r.body["id"])
        deadline = time.monotonic() + 120
        rounds = {}
        while time.monotonic() < deadline:
            rounds = {rid: apis[0].get(f"/v1/rounds/{rid}", token=hr).body for rid in ids}
            if all(rd["status"] == "solved" for rd in rounds.values()):
                break
            time.sleep(0.3)
        assert all(rd["status"] == "solved" for rd in rounds.values()), {k: v["status"] for k, v in rounds.items()}
        # every solve is logged by the tandemd that ran it: "round N: solving" ... "round N: solved in"
        spans = []
        for srv in (a, b):
            start = {}
            for line in srv.stderr_text().splitlines():
                m = re.match(r"^(\S+) tandemd info: round (\d+): (solving|solved in|failed in)", line)
                if not m:
                    continue
                at = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
                if m.group(3) == "solving":
                    start[m.group(2)] = at
                else:
                    spans.append((start.pop(m.group(2)), at, int(m.group(2)), srv.port))
        spans.sort()
        assert sorted(s[2] for s in spans) == sorted(ids), f"each round solved exactly once: {spans}"
        for first, second in zip(spans, spans[1:]):
            assert first[1] <= second[0], f"two solves overlapped: {first} and {second}"
        assert all(e - s > 0.05 for s, e, _, _ in spans), f"solves too short to show anything: {spans}"
    finally:
        code_b = b.terminate()
        code_a = a.terminate()
        b.cleanup()
        a.cleanup()
    assert code_a == 0 and code_b == 0

"""Parallel requests: sign-ups get distinct ids and tokens; a sign-up race on one email has one winner."""

import concurrent.futures as cf
import uuid

import requests

from conftest import Client, employee_body


def _signup(base_url, body):
    c = Client(base_url)
    c.session = requests.Session()
    return c.post("/v1/employees", body)


def test_50_parallel_signups(api):
    bodies = [employee_body() for _ in range(50)]
    with cf.ThreadPoolExecutor(max_workers=50) as ex:
        results = list(ex.map(lambda b: _signup(api.base_url, b), bodies))
    assert [r.status for r in results] == [201] * 50, [r for r in results if r.status != 201][:3]
    ids = {r.body["employee"]["id"] for r in results}
    tokens = {r.body["token"] for r in results}
    assert len(ids) == 50 and len(tokens) == 50
    for b, r in zip(bodies, results):
        assert r.body["employee"]["email"] == b["email"]


def test_parallel_signups_same_email_one_winner(api):
    email = f"race-{uuid.uuid4().hex[:12]}@example.com"
    bodies = [employee_body(email=email if i % 2 else email.upper()) for i in range(12)]
    with cf.ThreadPoolExecutor(max_workers=12) as ex:
        results = list(ex.map(lambda b: _signup(api.base_url, b), bodies))
    statuses = sorted(r.status for r in results)
    assert statuses == [201] + [409] * 11, statuses
    assert all(r.body["code"] == "email_taken" for r in results if r.status == 409)


def test_parallel_reads_and_writes(api, make_employee):
    emps = [make_employee() for _ in range(10)]

    def work(i):
        e = emps[i % 10]
        c = Client(api.base_url)
        if i % 3 == 0:
            return c.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 1 + i % 5}]}, token=e.token).status
        if i % 3 == 1:
            return c.get("/v1/me", token=e.token).status
        return c.get("/v1/skills").status

    with cf.ThreadPoolExecutor(max_workers=30) as ex:
        statuses = list(ex.map(work, range(90)))
    assert statuses == [200] * 90


def test_concurrent_logs_of_one_time_store_one_session(api, server, make_pair):
    """Sixteen identical session logs at once (no Idempotency-Key): the overlap rule holds under
    concurrency, so hours cannot be stacked on one moment. To make the race certain rather than likely,
    a transaction holds back every insert into sessions (not the reads) until the logs are all in the
    database: with the share lock the pair used to take, each had then passed the overlap check."""
    import subprocess
    import threading
    import time
    from conftest import session_body
    from test_external_db import conninfo
    pair = make_pair()
    body = session_body(pair)
    n = 16
    clients = [Client(api.base_url) for _ in range(n)]
    sessions = [requests.Session() for _ in range(n)]
    for c, s in zip(clients, sessions):
        assert c.get("/healthz", session=s).status == 200
    gate = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo(server.state_dir)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    gate.stdin.write(b"BEGIN; LOCK TABLE sessions IN SHARE ROW EXCLUSIVE MODE; SELECT 1;\n")
    gate.stdin.flush()
    time.sleep(0.5)
    start = threading.Barrier(n)

    def post(i):
        start.wait()
        return clients[i].post(f"/v1/pairs/{pair.id}/sessions", body, token=pair.mentee.token, session=sessions[i]).status

    def waiting():
        out = subprocess.run(["psql", "-X", "-Atc", "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
                              conninfo(server.state_dir)], capture_output=True, text=True, timeout=30)
        return int(out.stdout.strip() or 0)

    try:
        with cf.ThreadPoolExecutor(max_workers=n) as ex:
            futures = [ex.submit(post, i) for i in range(n)]
            deadline = time.monotonic() + 3
            while waiting() < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            gate.stdin.write(b"COMMIT;\n")
            gate.stdin.close()
            codes = sorted(f.result() for f in futures)
    finally:
        gate.wait(timeout=30)
    assert codes == [201] + [409] * (n - 1), codes
    assert len(api.get(f"/v1/pairs/{pair.id}/sessions", token=pair.mentee.token).body["items"]) == 1

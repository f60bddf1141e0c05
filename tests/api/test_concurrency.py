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

"""`tandemd admin issue-token`: a new token for an existing employee (lost token, demo employees)."""

import json
import subprocess

from conftest import TANDEMD, base_env, employee_body


def issue(server, email):
    return subprocess.run([TANDEMD, "admin", "issue-token", "--email", email, "--state-dir", server.state_dir],
                          capture_output=True, timeout=60, env=base_env(), cwd=server.state_dir)


def test_issue_token_for_an_employee(api, server):
    body = employee_body()
    r = api.post("/v1/employees", body)
    assert r.status == 201
    old = r.body["token"]
    proc = issue(server, body["email"].upper())
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["employee_id"] == r.body["employee"]["id"] and out["email"] == body["email"].lower()
    assert out["token"] != old
    for tok in (out["token"], old):  # both work: issuing does not revoke
        me = api.get("/v1/me", token=tok)
        assert me.status == 200 and me.body["id"] == out["employee_id"]


def test_issue_token_for_unknown_email_fails(server):
    proc = issue(server, "nobody-at-all@example.com")
    assert proc.returncode != 0 and proc.stdout == b""
    assert b"no active employee" in proc.stderr


def test_issue_token_needs_an_email(server):
    proc = subprocess.run([TANDEMD, "admin", "issue-token", "--state-dir", server.state_dir], capture_output=True,
                          timeout=60, env=base_env(), cwd=server.state_dir)
    assert proc.returncode == 2 and proc.stdout == b""

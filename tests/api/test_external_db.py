"""A second tandemd on the first one's cluster (--database-url, external mode) with --allowed-email-domains
and --max-body-bytes; a tandemd whose database is unreachable; SIGTERM exits 0."""

import json
import os
import uuid

import pytest

from conftest import Client, Tandemd, assert_error, employee_body, make_state_dir


def conninfo(state_dir):
    return f"host={os.path.join(state_dir, 'run')} dbname=tandem user=tandem"


@pytest.fixture(scope="module")
def restricted(server):
    d = make_state_dir("tandem-api-ext-")
    srv = Tandemd(["--database-url", conninfo(server.state_dir), "--state-dir", d,
                   "--allowed-email-domains", "example.com,Corp.Example.ORG", "--max-body-bytes", "4096"],
                  d, env={"TANDEM_ALLOWED_EMAIL_DOMAINS": "flag-must-win.test"}, name="tandemd-ext")
    yield srv
    code = srv.terminate()
    assert code == 0, f"external-mode tandemd exited {code} after SIGTERM\n{srv.tail()}"
    srv.cleanup()


@pytest.fixture(scope="module")
def rapi(restricted):
    return Client(restricted.base_url)


def test_allowed_domain_signup(rapi, api):
    r = rapi.post("/v1/employees", employee_body(email=f"ok-{uuid.uuid4().hex[:10]}@example.com"))
    assert r.status == 201, r
    # same database: the first server knows the token
    me = api.get("/v1/me", token=r.body["token"])
    assert me.status == 200 and me.body["id"] == r.body["employee"]["id"]


def test_allowed_domain_is_case_insensitive(rapi):
    r = rapi.post("/v1/employees", employee_body(email=f"ok-{uuid.uuid4().hex[:10]}@EXAMPLE.com"))
    assert r.status == 201, r
    r = rapi.post("/v1/employees", employee_body(email=f"ok-{uuid.uuid4().hex[:10]}@corp.example.org"))
    assert r.status == 201, r


@pytest.mark.parametrize("domain", ["other.org", "notexample.com", "example.com.evil.org", "sub.example.com",
                                    "flag-must-win.test"])
def test_disallowed_domain_is_403(rapi, api, domain):
    email = f"no-{uuid.uuid4().hex[:10]}@{domain}"
    assert_error(rapi.post("/v1/employees", employee_body(email=email)), 403, "email_domain_not_allowed", "email")
    # nothing written: the unrestricted server can still sign this email up
    assert api.post("/v1/employees", employee_body(email=email)).status == 201


def test_patch_email_outside_allowed_domains_is_403(rapi):
    r = rapi.post("/v1/employees", employee_body(email=f"mv-{uuid.uuid4().hex[:10]}@example.com"))
    tok = r.body["token"]
    before = rapi.get("/v1/me", token=tok).body
    assert_error(rapi.patch("/v1/me", {"email": f"mv-{uuid.uuid4().hex[:10]}@other.org"}, token=tok),
                 403, "email_domain_not_allowed", "email")
    assert rapi.get("/v1/me", token=tok).body == before


def test_max_body_bytes_flag(rapi):
    body = employee_body(email=f"big-{uuid.uuid4().hex[:10]}@example.com", job_title="x" * 90)
    body["display_name"] = "y" * 90
    data = json.dumps(dict(body, pad="z" * 5000)).encode()
    assert_error(rapi.request("POST", "/v1/employees", data=data, headers={"Content-Type": "application/json"}),
                 413, "body_too_large")
    assert rapi.post("/v1/employees", body).status == 201


def test_external_mode_ready(rapi):
    r = rapi.get("/readyz")
    assert r.status == 200 and r.body["status"] == "ready"


def test_access_log_in_external_mode(rapi, restricted):
    rapi.get("/v1/skills")
    entries = []
    for ln in restricted.stderr_text().splitlines():
        try:
            e = json.loads(ln)
        except ValueError:
            continue
        if isinstance(e, dict) and e.get("path", "").startswith("/v1/skills"):
            entries.append(e)
    assert entries and entries[-1]["method"] == "GET" and entries[-1]["status"] == 200


def test_unreachable_database_not_ready_then_sigterm():
    d = make_state_dir("tandem-api-nodb-")
    srv = Tandemd(["--database-url", f"host={d}/nowhere dbname=tandem user=tandem connect_timeout=2",
                   "--state-dir", d], d, wait_path="/healthz", name="tandemd-nodb")
    try:
        c = Client(srv.base_url)
        assert c.get("/healthz").status == 200
        assert_error(c.get("/readyz"), 503, "not_ready")
        r = c.get("/v1/skills")
        assert r.status == 503 and r.body["code"] in ("database_unavailable", "not_ready"), r
    finally:
        code = srv.terminate()
    assert code == 0, f"exit {code} after SIGTERM\n{srv.tail()}"
    srv.cleanup()


def test_overload_gives_503_overloaded_with_retry_after(server):
    """--pool-size 1 --queue-max 1 under 60 parallel requests: every answer is 200 or 503 overloaded
    (shape and Retry-After checked by the validator), and the server recovers."""
    import concurrent.futures as cf
    d = make_state_dir("tandem-api-ovl-")
    srv = Tandemd(["--database-url", conninfo(server.state_dir), "--state-dir", d, "--pool-size", "1",
                   "--queue-max", "1"], d, name="tandemd-ovl")
    try:
        def hit(_):
            return Client(srv.base_url).get("/v1/skills")
        with cf.ThreadPoolExecutor(max_workers=60) as ex:
            rs = list(ex.map(hit, range(120)))
        for r in rs:
            assert r.status == 200 or (r.status == 503 and r.body["code"] == "overloaded"), r
        assert Client(srv.base_url).get("/v1/skills").status == 200
    finally:
        code = srv.terminate()
    assert code == 0, f"exit {code} after SIGTERM\n{srv.tail()}"
    srv.cleanup()

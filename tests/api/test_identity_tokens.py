"""Issue 9, tokens and sign-up: every token expires, personal tokens have a scope, HR lists (never
the secret) and revokes anyone's tokens, sign-up modes, and per-address rate limits (429 +
Retry-After) on sign-ups and failed authentications."""

import datetime
import time

import requests

from conftest import Client, Tandemd, assert_error, create_hr, employee_body, make_state_dir, unique_email
from test_migrations import psql


def parse_ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def days_from_now(s):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (parse_ts(s) - now).total_seconds() / 86400


def own_tokens(api, token):
    r = api.get("/v1/tokens", token=token)
    assert r.status == 200, r
    return r.body["items"]


def test_signup_token_expires_after_token_days(api, employee):
    (tok,) = own_tokens(api, employee.token)
    assert tok["kind"] == "api" and tok["scope"] == "write" and tok["employee_id"] == employee.id
    assert 89.9 < days_from_now(tok["expires_at"]) <= 90.01
    assert "token" not in tok and "token_hash" not in tok


def test_personal_token_has_the_asked_expiry_name_and_scope(api, employee):
    r = api.post("/v1/tokens", {"name": "calendar sync", "scope": "read", "expires_in_days": 7},
                 token=employee.token)
    assert r.status == 201, r
    assert r.body["token"].startswith("tdr_") and r.body["scope"] == "read"
    assert r.body["name"] == "calendar sync" and 6.99 < days_from_now(r.body["expires_at"]) <= 7.01
    listed = {t["id"]: t for t in own_tokens(api, employee.token)}
    assert listed[r.body["id"]]["name"] == "calendar sync"
    assert all("token" not in t for t in listed.values())


def test_expired_token_is_refused(api, server, employee):
    r = api.post("/v1/tokens", {"expires_in_days": 1}, token=employee.token)
    assert api.get("/v1/me", token=r.body["token"]).status == 200
    out = psql(server.state_dir, f"UPDATE api_tokens SET expires_at = now() - interval '1 second' "
                                 f"WHERE id = {r.body['id']}")
    assert out.returncode == 0, out.stderr
    assert_error(api.get("/v1/me", token=r.body["token"]), 401, "unauthorized")
    assert_error(api.post("/v1/tokens", token=r.body["token"]), 401, "unauthorized")
    # the other token of the employee still works, and the expired one is no longer listed
    assert api.get("/v1/me", token=employee.token).status == 200
    assert r.body["id"] not in [t["id"] for t in own_tokens(api, employee.token)]


def test_read_only_token_reads_but_cannot_write(api, employee):
    ro = api.post("/v1/tokens", {"scope": "read"}, token=employee.token).body["token"]
    assert api.get("/v1/me", token=ro).status == 200
    assert api.get("/v1/me/teaching", token=ro).status == 200
    assert_error(api.patch("/v1/me", {"display_name": "Nope"}, token=ro), 403, "insufficient_scope")
    assert_error(api.put("/v1/me/availability", {"slots": []}, token=ro), 403, "insufficient_scope")
    assert_error(api.post("/v1/tokens", {"scope": "write"}, token=ro), 403, "insufficient_scope")
    assert_error(api.delete("/v1/me", token=ro), 403, "insufficient_scope")
    assert api.get("/v1/me", token=employee.token).body["display_name"] != "Nope"
    # a forged read-only token is unknown (401), not merely out of scope
    assert_error(api.patch("/v1/me", {}, token="tdr_" + "Q" * 43), 401, "unauthorized")


def test_hr_read_only_token_cannot_write(api, hr_token):
    ro = api.post("/v1/tokens", {"scope": "read", "name": "bi export"}, token=hr_token).body["token"]
    assert api.get("/v1/employees", token=ro, params={"limit": "1"}).status == 200
    assert_error(api.post("/v1/skills", {"slug": "ro_skill", "name": "RO"}, token=ro), 403, "insufficient_scope")


def test_hr_lists_and_revokes_anyones_tokens(api, hr_token, make_employee):
    a, b = make_employee(), make_employee()
    extra = api.post("/v1/tokens", {"name": "laptop"}, token=a.token).body
    r = api.get("/v1/tokens", token=hr_token, params={"employee_id": str(a.id)})
    assert r.status == 200, r
    assert {t["employee_id"] for t in r.body["items"]} == {a.id} and len(r.body["items"]) == 2
    assert all(set(t) == {"id", "kind", "scope", "name", "employee_id", "hr_id", "created_at",
                          "expires_at", "last_used_at"} for t in r.body["items"])
    # an employee sees only their own, whatever they ask for
    mine = api.get("/v1/tokens", token=b.token, params={"employee_id": str(a.id)}).body["items"]
    assert {t["employee_id"] for t in mine} == {b.id}
    # an employee cannot revoke another's token; HR can
    assert_error(api.delete(f"/v1/tokens/{extra['id']}", token=b.token), 404, "not_found")
    assert api.get("/v1/me", token=extra["token"]).status == 200
    assert api.delete(f"/v1/tokens/{extra['id']}", token=hr_token).status == 204
    assert_error(api.get("/v1/me", token=extra["token"]), 401, "unauthorized")
    assert_error(api.delete(f"/v1/tokens/{extra['id']}", token=hr_token), 404, "not_found")
    assert api.get("/v1/me", token=a.token).status == 200


def test_employee_revokes_own_token_by_id(api, employee):
    extra = api.post("/v1/tokens", token=employee.token).body
    assert api.delete(f"/v1/tokens/{extra['id']}", token=employee.token).status == 204
    assert_error(api.get("/v1/me", token=extra["token"]), 401, "unauthorized")


def test_token_list_pages(api, employee):
    for _ in range(3):
        assert api.post("/v1/tokens", token=employee.token).status == 201
    first = api.get("/v1/tokens", token=employee.token, params={"limit": "2"}).body
    assert len(first["items"]) == 2 and first["next_cursor"] is not None
    rest = api.get("/v1/tokens", token=employee.token, params={"limit": "2", "cursor": first["next_cursor"]}).body
    ids = [t["id"] for t in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 4 and ids == sorted(ids, reverse=True)
    assert_error(api.get("/v1/tokens", token=employee.token, params={"employee_id": "x"}), 400,
                 "invalid_parameter", "employee_id")
    assert_error(api.get("/v1/tokens", token=employee.token, params={"owner": "1"}), 400,
                 "invalid_parameter", "owner")


# --- sign-up modes and rate limits: servers of their own -------------------------------------------

def own_server(args, env=None, name="tandemd-ident"):
    state = make_state_dir("tandem-ident-")
    return Tandemd(["--state-dir", state] + args, state, env=env, name=name)


def stop(srv):
    assert srv.terminate() == 0, srv.tail()
    srv.cleanup()


def test_signup_modes():
    srv = own_server(["--signup-mode", "closed"])
    try:
        api = Client(srv.base_url)
        assert_error(api.post("/v1/employees", employee_body()), 403, "signup_closed")
    finally:
        stop(srv)
    srv = own_server(["--allowed-email-domains", "corp.example"])  # domain is the default with a list
    try:
        api = Client(srv.base_url)
        assert api.post("/v1/employees", employee_body(email=unique_email(domain="corp.example"))).status == 201
        assert_error(api.post("/v1/employees", employee_body(email=unique_email(domain="else.example"))),
                     403, "email_domain_not_allowed", "email")
    finally:
        stop(srv)


def test_open_signup_reveals_existing_email_with_409(api):
    body = employee_body()
    assert api.post("/v1/employees", body).status == 201
    assert_error(api.post("/v1/employees", body), 409, "email_taken", "email")


def test_domain_mode_needs_an_allow_list():
    import subprocess

    from conftest import TANDEMD, base_env
    p = subprocess.run([TANDEMD, "--signup-mode", "domain", "--listen", "127.0.0.1:0"], capture_output=True,
                       text=True, timeout=30, env=base_env())
    assert p.returncode != 0 and "--allowed-email-domains" in p.stderr, p.stderr
    p = subprocess.run([TANDEMD, "--signup-mode", "invite", "--listen", "127.0.0.1:0"], capture_output=True,
                       text=True, timeout=30, env=base_env())
    assert p.returncode != 0 and "closed, domain or open" in p.stderr, p.stderr


def test_signup_rate_limit_gives_429_with_retry_after():
    srv = own_server(["--signup-rate", "5"])
    try:
        api = Client(srv.base_url)
        for _ in range(5):
            assert api.post("/v1/employees", employee_body()).status == 201
        r = api.post("/v1/employees", employee_body())
        assert_error(r, 429, "rate_limited")
        retry = int(r.headers["Retry-After"])
        assert 1 <= retry <= 12, retry
        time.sleep(retry)
        assert api.post("/v1/employees", employee_body()).status == 201
    finally:
        stop(srv)


def test_default_limits_let_an_office_enrol_at_once():
    # the defaults (no TANDEM_SIGNUP_RATE / TANDEM_AUTH_FAILURE_RATE): 100 sign-ups in a burst pass
    srv = own_server([], env={"TANDEM_SIGNUP_RATE": None, "TANDEM_AUTH_FAILURE_RATE": None})
    try:
        api = Client(srv.base_url)
        with requests.Session() as s:
            for i in range(100):
                r = s.post(srv.base_url + "/v1/employees", json=employee_body(), timeout=10)
                assert r.status_code == 201, (i, r.status_code, r.text)
        # and the default does limit: a few dozen more in the same minute are refused
        statuses = [api.post("/v1/employees", employee_body()).status for _ in range(30)]
        assert 429 in statuses, statuses
    finally:
        stop(srv)


def test_failed_authentications_are_rate_limited():
    srv = own_server(["--auth-failure-rate", "3"])
    try:
        api = Client(srv.base_url)
        good = api.post("/v1/employees", employee_body()).body["token"]
        for _ in range(3):
            assert_error(api.get("/v1/me", token="tdm_" + "Z" * 43), 401, "unauthorized")
        r = api.get("/v1/me", token=good)
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1
        # sign-up needs no authentication and is not blocked by it
        assert api.post("/v1/employees", employee_body()).status == 201
        time.sleep(int(r.headers["Retry-After"]))
        assert api.get("/v1/me", token=good).status == 200
    finally:
        stop(srv)


def test_hr_admin_token_expires_too(server):
    hr = create_hr(server.state_dir)
    out = psql(server.state_dir, f"SELECT expires_at > now() + interval '89 days' FROM api_tokens "
                                 f"WHERE hr_id = {hr['hr_id']}")
    assert out.returncode == 0 and out.stdout.strip() == "t", (out.stdout, out.stderr)


def test_session_kind_token_expires_when_idle(api, server, employee):
    # browser sessions (kind session, for single sign-on) carry an idle lifetime; their last use is
    # written at most once a minute. Inserted directly: nothing in this build creates them yet.
    import hashlib
    import secrets
    toks = {}
    for name, last_used in (("fresh", "now() - interval '2 minutes'"), ("idle", "now() - interval '11 minutes'")):
        tok = "tds_" + secrets.token_urlsafe(32)[:43]
        toks[name] = tok
        h = hashlib.sha256(tok.encode()).hexdigest()
        out = psql(server.state_dir, f"INSERT INTO api_tokens (token_hash, employee_id, kind, idle_seconds, "
                                     f"created_at, last_used_at) VALUES ('\\x{h}', {employee.id}, 'session', 600, "
                                     f"now() - interval '1 hour', {last_used})")
        assert out.returncode == 0, out.stderr
    assert api.get("/v1/me", token=toks["fresh"]).status == 200
    assert_error(api.get("/v1/me", token=toks["idle"]), 401, "unauthorized")
    out = psql(server.state_dir, f"SELECT last_used_at > now() - interval '10 seconds' FROM api_tokens "
                                 f"WHERE token_hash = '\\x{hashlib.sha256(toks['fresh'].encode()).hexdigest()}'")
    assert out.stdout.strip() == "t", (out.stdout, out.stderr)


def test_rate_limits_key_on_the_client_behind_trusted_proxies():
    """Behind the README's nginx front every client used to share the proxy's bucket: with
    --trusted-proxies, X-Forwarded-For names the client (read from the right, past trusted hops), so
    one client's limit does not block another, and a client cannot escape it by prefixing the
    header."""
    srv = own_server(["--signup-rate", "2", "--trusted-proxies", "127.0.0.0/8, ::1/128"])
    try:
        api = Client(srv.base_url)

        def signup(xff):
            return api.post("/v1/employees", employee_body(), headers={"X-Forwarded-For": xff})

        assert signup("203.0.113.5").status == 201
        assert signup("198.51.100.7, 203.0.113.5").status == 201  # a spoofed left part is not believed
        assert_error(signup("192.0.2.99, 203.0.113.5, 127.0.0.1"), 429, "rate_limited")  # trusted hop skipped
        assert signup("203.0.113.6").status == 201  # another client, its own bucket
        assert signup("203.0.113.6").status == 201
        assert_error(signup("203.0.113.6"), 429, "rate_limited")
        # a malformed entry stops the walk at the proxy: the proxy's own bucket
        assert signup("not-an-address").status == 201
        assert signup("").status == 201
        assert_error(api.post("/v1/employees", employee_body()), 429, "rate_limited")
    finally:
        stop(srv)


def test_forwarded_for_is_ignored_without_trusted_proxies():
    srv = own_server(["--signup-rate", "2"])
    try:
        api = Client(srv.base_url)
        for xff in ("203.0.113.1", "203.0.113.2"):
            assert api.post("/v1/employees", employee_body(), headers={"X-Forwarded-For": xff}).status == 201
        r = api.post("/v1/employees", employee_body(), headers={"X-Forwarded-For": "203.0.113.3"})
        assert_error(r, 429, "rate_limited")
    finally:
        stop(srv)


def test_trusted_proxies_must_be_cidrs():
    import subprocess

    from conftest import TANDEMD, base_env
    p = subprocess.run([TANDEMD, "--trusted-proxies", "10.0.0.0/8,nginx.internal", "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30, env=base_env())
    assert p.returncode != 0 and "--trusted-proxies" in p.stderr and "nginx.internal" in p.stderr, p.stderr

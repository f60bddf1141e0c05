"""Sign-out also ends the identity provider's session (OpenID Connect RP-Initiated Logout 1.0),
against the real OpenID Provider of tests/oidc (npm oidc-provider, which advertises an
end_session_endpoint): POST /v1/auth/logout of a session opened through the provider answers 200
with the provider's logout URL (id_token_hint = the ID token of that sign-in, kept on the session's
row until the row goes), following it ends the provider's session (the next sign-in asks for
credentials again), and a bearer token's sign-out answers 204 as before."""
import hashlib
import json
import re
import urllib.parse
import time
import uuid

import pytest
import requests
from jwcrypto import jwk, jwt

from conftest import Client, assert_error, employee_body, free_port
from test_migrations import psql
from test_oidc_provider import CLIENT_ID, CLIENT_SECRET, RealProvider, browser_sign_in, start_tandemd


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tag = uuid.uuid4().hex[:8]
    accounts = {"ada": {"email": f"ada-{tag}@example.com", "email_verified": True, "name": "Ada Lovelace"},
                "bob": {"email": f"bob-{tag}@example.com", "email_verified": True, "name": "Bob Byron"},
                "cy": {"email": f"cy-{tag}@example.com", "email_verified": True, "name": "Cy Twombly"}}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # the default --oidc-post-logout-redirect-uri: the web app's sign-in page, registered here
    provider = RealProvider([base + "/v1/auth/callback"], accounts, [base + "/signin?signed_out=1"])
    secret = tmp_path_factory.mktemp("oidc-logout") / "secret"
    secret.write_text(CLIENT_SECRET + "\n")
    # an upkeep tick every second: it clears expired sessions' ID tokens
    srv = start_tandemd(port, provider, str(secret), extra=("--maintenance-seconds", "1"))
    api = Client(srv.base_url)
    employees = {}
    for login, claims in accounts.items():
        made = api.post("/v1/employees", employee_body(email=claims["email"]))
        assert made.status == 201, made
        employees[login] = made.body
    yield {"provider": provider, "srv": srv, "accounts": accounts, "employees": employees}
    assert srv.terminate() == 0, srv.tail()
    srv.cleanup()
    provider.stop()


def token_hash(tok):
    return "\\x" + hashlib.sha256(tok.encode()).hexdigest()


def stored_id_token(srv, session_token):
    """The id_token column of a session's row: None when NULL, False when there is no row."""
    out = psql(srv.state_dir, "SELECT coalesce(id_token, '<null>') FROM api_tokens "
                              f"WHERE token_hash = '{token_hash(session_token)}'")
    assert out.returncode == 0, out.stderr
    v = out.stdout.strip()
    return False if v == "" else (None if v == "<null>" else v)


def logout(srv, s):
    return Client(srv.base_url).post("/v1/auth/logout", session=s,
                                     headers={"X-CSRF-Token": s.cookies.get("tandem_csrf")})


def provider_answer(srv, s):
    """Starts a sign-in in browser s and follows the provider's redirects: "callback" when the
    provider sends the browser straight back (its session is alive), else the prompt of the first
    form it shows ("login" when it asks for credentials)."""
    r = Client(srv.base_url).get("/v1/auth/login", session=s)
    assert r.status == 302, r
    url = r.headers["Location"]
    for _ in range(10):
        if url.startswith(srv.base_url + "/v1/auth/callback"):
            return "callback"
        resp = s.get(url, allow_redirects=False, timeout=10)
        if resp.status_code in (302, 303):
            url = urllib.parse.urljoin(url, resp.headers["Location"])
            continue
        assert resp.status_code == 200, f"{url}: {resp.status_code} {resp.text[:300]}"
        prompt = re.search(r'name="prompt" value="(\w+)"', resp.text)
        assert prompt, resp.text[:1000]
        return prompt.group(1)
    raise AssertionError("the provider never answered with a form or the callback")


def discovery(provider):
    return requests.get(provider.issuer + "/.well-known/openid-configuration", timeout=10).json()


def test_logout_names_the_providers_end_session_url_with_this_sign_ins_id_token(world):
    srv, provider = world["srv"], world["provider"]
    s, cb = browser_sign_in(srv, "ada")
    assert cb.status == 302, cb
    session = s.cookies.get("tandem_session")
    kept = stored_id_token(srv, session)
    assert kept, "the session's row holds no ID token"
    out = logout(srv, s)
    assert out.status == 200, out
    assert out.headers["Cache-Control"] == "no-store"
    assert "tandem_session=;" in out.headers["Set-Cookie"] and "Max-Age=0" in out.headers["Set-Cookie"]
    url = urllib.parse.urlsplit(out.body["end_session_url"])
    doc = discovery(provider)
    assert urllib.parse.urlunsplit(url._replace(query="")) == doc["end_session_endpoint"], url
    q = urllib.parse.parse_qs(url.query, strict_parsing=True)
    assert sorted(q) == ["client_id", "id_token_hint", "post_logout_redirect_uri"], q
    assert all(len(v) == 1 for v in q.values()), q
    assert q["client_id"] == [CLIENT_ID]
    assert q["post_logout_redirect_uri"] == [srv.base_url + "/signin?signed_out=1"]
    hint = q["id_token_hint"][0]
    assert hint == kept  # the very ID token this sign-in was opened with
    # ... which the provider signed, for this client and this user
    keys = jwk.JWKSet.from_json(requests.get(doc["jwks_uri"], timeout=10).text)
    claims = jwt.JWT(jwt=hint, key=keys, check_claims={"iss": provider.issuer, "aud": CLIENT_ID,
                                                       "sub": "ada"}).claims
    assert json.loads(claims)["email"] == world["accounts"]["ada"]["email"]
    # the session is revoked, its row (and the ID token on it) gone
    assert stored_id_token(srv, session) is False
    stale = requests.Session()
    stale.cookies.set("tandem_session", session)
    assert_error(Client(srv.base_url).get("/v1/me", session=stale), 401, "unauthorized")


def test_following_the_end_session_url_ends_the_provider_session(world):
    """While the provider's session lives a new sign-in goes straight back to Tandem; after the
    browser followed end_session_url (and confirmed at the provider) it asks for credentials again,
    then sends the browser to Tandem's sign-in page."""
    srv = world["srv"]
    s, cb = browser_sign_in(srv, "bob")
    assert cb.status == 302, cb
    assert provider_answer(srv, s) == "callback"  # the provider remembers bob
    out = logout(srv, s)
    assert out.status == 200, out
    page = s.get(out.body["end_session_url"], allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text[:500]
    form = re.search(r'<form id="op.logoutForm" method="post" action="([^"]+)">'
                     r'<input type="hidden" name="xsrf" value="([^"]+)"/>', page.text)
    assert form, page.text[:1000]
    done = s.post(urllib.parse.urljoin(out.body["end_session_url"], form.group(1)),
                  data={"xsrf": form.group(2), "logout": "yes"}, allow_redirects=False, timeout=10)
    assert done.status_code in (302, 303), done.text[:500]
    assert done.headers["Location"] == srv.base_url + "/signin?signed_out=1"
    assert provider_answer(srv, s) == "login"  # signed out at the provider too
    again, cb2 = browser_sign_in(srv, "bob")
    assert cb2.status == 302, cb2


def test_bearer_token_logout_answers_204_as_before(world):
    srv = world["srv"]
    api = Client(srv.base_url)
    made = api.post("/v1/employees", employee_body())
    assert made.status == 201, made
    tok = made.body["token"]
    out = api.post("/v1/auth/logout", token=tok)
    assert out.status == 204 and out.text == "", out
    assert_error(api.get("/v1/me", token=tok), 401, "unauthorized")
    assert_error(api.post("/v1/auth/logout", token=tok), 401, "unauthorized")


def test_revoked_and_expired_sessions_keep_no_id_token(world):
    srv = world["srv"]
    api = Client(srv.base_url)
    s, cb = browser_sign_in(srv, "ada")
    assert cb.status == 302, cb
    session = s.cookies.get("tandem_session")
    assert stored_id_token(srv, session)
    # revoked through /v1/tokens (by its owner; HR's revocation is the same DELETE)
    mine = [t for t in api.get("/v1/tokens", session=s).body["items"] if t["kind"] == "session"]
    tid = max(t["id"] for t in mine)
    r = api.delete(f"/v1/tokens/{tid}", session=s, headers={"X-CSRF-Token": s.cookies.get("tandem_csrf")})
    assert r.status == 204, r
    assert stored_id_token(srv, session) is False
    # an expired session's row may linger; its ID token is cleared by the next upkeep tick, and a
    # live session's is kept
    s2, cb2 = browser_sign_in(srv, "ada")
    s3, cb3 = browser_sign_in(srv, "ada")
    assert cb2.status == 302 and cb3.status == 302, (cb2, cb3)
    old, live = s2.cookies.get("tandem_session"), s3.cookies.get("tandem_session")
    assert stored_id_token(srv, old) and stored_id_token(srv, live)
    out = psql(srv.state_dir, "UPDATE api_tokens SET expires_at = now() - interval '1 second' "
                              f"WHERE token_hash = '{token_hash(old)}'")
    assert out.returncode == 0, out.stderr
    deadline = time.monotonic() + 30
    while stored_id_token(srv, old) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_id_token(srv, old) is None, "the upkeep tick left an expired session's ID token"
    assert stored_id_token(srv, live)
    # an expired session's sign-out still ends it and names the provider's logout: without the
    # cleared ID token, client_id says whose post-logout URI it is, and the provider asks to confirm
    out = logout(srv, s2)
    assert out.status == 200, out
    assert "tandem_session=;" in out.headers["Set-Cookie"], out.headers
    url = urllib.parse.urlsplit(out.body["end_session_url"])
    q = urllib.parse.parse_qs(url.query, strict_parsing=True)
    assert sorted(q) == ["client_id", "post_logout_redirect_uri"], q
    assert q["client_id"] == [CLIENT_ID] and q["post_logout_redirect_uri"] == [srv.base_url + "/signin?signed_out=1"]
    assert stored_id_token(srv, old) is False  # the row is gone
    page = s2.get(out.body["end_session_url"], allow_redirects=False, timeout=10)
    assert page.status_code == 200 and 'id="op.logoutForm"' in page.text, page.text[:500]


def test_erased_employee_keeps_no_id_token(world):
    """DELETE /v1/me (erasure) removes every session of the employee, and the ID tokens with them."""
    srv = world["srv"]
    (s1, cb1), (s2, cb2) = browser_sign_in(srv, "cy"), browser_sign_in(srv, "cy")
    assert cb1.status == 302 and cb2.status == 302, (cb1, cb2)
    sessions = [s1.cookies.get("tandem_session"), s2.cookies.get("tandem_session")]
    assert all(stored_id_token(srv, t) for t in sessions)
    gone = Client(srv.base_url).delete("/v1/me", session=s1, headers={"X-CSRF-Token": s1.cookies.get("tandem_csrf")})
    assert gone.status == 204, gone
    assert [stored_id_token(srv, t) for t in sessions] == [False, False]
    out = psql(srv.state_dir, "SELECT count(*) FROM api_tokens WHERE employee_id = "
                              f"{world['employees']['cy']['employee']['id']}")
    assert out.returncode == 0 and out.stdout.strip() == "0", (out.stdout, out.stderr)

"""Sign-out also ends the identity provider's session (OpenID Connect RP-Initiated Logout 1.0),
against the real OpenID Provider of tests/oidc (npm oidc-provider, which advertises an
end_session_endpoint): POST /v1/auth/logout of a session opened through the provider answers 200
with the provider's logout URL (id_token_hint = the ID token of that sign-in, kept on the session's
row until the row goes), following it ends the provider's session (the next sign-in asks for
credentials again), and a bearer token's sign-out answers 204 as before. A browser whose session is
gone already (revoked elsewhere, or expired and purged) still signs out: its cookies are cleared and
it learns the provider's logout URL (without id_token_hint)."""
import base64
import hashlib
import secrets
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
                "cy": {"email": f"cy-{tag}@example.com", "email_verified": True, "name": "Cy Twombly"},
                "dee": {"email": f"dee-{tag}@example.com", "email_verified": True, "name": "Dee Dee"},
                "hr": {"email": f"hr-{tag}@example.com", "email_verified": True, "name": "Grace HR",
                       "groups": ["tandem-hr"]}}
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
        if login == "hr":
            continue  # HR's account is made at its first sign-in (the groups claim)
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


def confirm_provider_logout(srv, s, url):
    """Follows an end_session_url like a browser: the provider asks to confirm, then sends it back to
    Tandem's post-logout page."""
    page = s.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text[:500]
    form = re.search(r'<form id="op.logoutForm" method="post" action="([^"]+)">'
                     r'<input type="hidden" name="xsrf" value="([^"]+)"/>', page.text)
    assert form, page.text[:1000]
    done = s.post(urllib.parse.urljoin(url, form.group(1)), data={"xsrf": form.group(2), "logout": "yes"},
                  allow_redirects=False, timeout=10)
    assert done.status_code in (302, 303), done.text[:500]
    assert done.headers["Location"] == srv.base_url + "/signin?signed_out=1"


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
    confirm_provider_logout(srv, s, out.body["end_session_url"])
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


def set_cookies(resp):
    """The Set-Cookie lines of a response, one per cookie, sorted."""
    return sorted(resp.raw.raw.headers.getlist("Set-Cookie"))


def csrf_of(session_token):
    """The tandem_csrf value tandemd derives from a session token (auth.c, auth_csrf_value)."""
    digest = hashlib.sha256(b"tandem-csrf:" + session_token.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def revoke_everywhere_from_another_device(srv, s):
    """The user signs in on a second device and signs out everywhere there (DELETE /v1/tokens/all)."""
    other, cb = browser_sign_in(srv, "dee")
    assert cb.status == 302, cb
    r = Client(srv.base_url).delete("/v1/tokens/all", session=other,
                                    headers={"X-CSRF-Token": other.cookies.get("tandem_csrf")})
    assert r.status == 204, r


def revoke_by_hr(srv, s):
    """HR, signed in through the provider, revokes the employee's sessions (DELETE /v1/tokens/{id})."""
    hr, cb = browser_sign_in(srv, "hr")
    assert cb.status == 302, cb
    api = Client(srv.base_url)
    me = api.get("/v1/me", session=s)
    assert me.status == 200, me
    listed = api.get(f"/v1/tokens?employee_id={me.body['id']}", session=hr)
    assert listed.status == 200, listed
    sessions = [t["id"] for t in listed.body["items"] if t["kind"] == "session"]
    assert sessions, listed.body
    for tid in sessions:
        r = api.delete(f"/v1/tokens/{tid}", session=hr, headers={"X-CSRF-Token": hr.cookies.get("tandem_csrf")})
        assert r.status == 204, r


def purge_the_row(srv, s):
    """The session's row is gone as an expired and purged one's is (deleted behind tandemd's back)."""
    out = psql(srv.state_dir, "DELETE FROM api_tokens "
                              f"WHERE token_hash = '{token_hash(s.cookies.get('tandem_session'))}'")
    assert out.returncode == 0 and out.stdout.strip() == "DELETE 1", (out.stdout, out.stderr)


@pytest.mark.parametrize("revoke", [revoke_everywhere_from_another_device, revoke_by_hr, purge_the_row])
def test_logout_of_a_session_gone_elsewhere_clears_the_cookie_and_ends_the_provider_session(world, revoke):
    """A session revoked elsewhere (the user signed out everywhere from another device, or HR revoked
    it) or expired and purged: the browser still holds the dead cookie and the provider's session. Signing out
    answers as for a live session: the same cookie deletions, and the provider's logout URL, without
    id_token_hint (no row to take it from: client_id says whose post-logout URI it is); following it
    ends the provider's session."""
    srv = world["srv"]
    api = Client(srv.base_url)
    live, cb = browser_sign_in(srv, "dee")
    assert cb.status == 302, cb
    normal = logout(srv, live)  # what a live session's sign-out sets, to compare with
    assert normal.status == 200, normal
    s, cb = browser_sign_in(srv, "dee")
    assert cb.status == 302, cb
    assert provider_answer(srv, s) == "callback"  # the provider's session is alive
    session = s.cookies.get("tandem_session")
    revoke(srv, s)
    assert stored_id_token(srv, session) is False
    assert_error(api.get("/v1/me", session=s), 401, "unauthorized")
    # the CSRF check stays: without the header the dead cookie is refused and kept
    forged = api.post("/v1/auth/logout", session=s)
    assert_error(forged, 401, "unauthorized")
    assert "Set-Cookie" not in forged.headers, forged.headers
    out = logout(srv, s)
    assert out.status == 200, out
    assert out.headers["Cache-Control"] == "no-store"
    assert set_cookies(out) == set_cookies(normal), (set_cookies(out), set_cookies(normal))
    assert any(c.startswith("tandem_session=;") and "Max-Age=0" in c for c in set_cookies(out))
    assert any(c.startswith("tandem_csrf=;") and "Max-Age=0" in c for c in set_cookies(out))
    assert s.cookies.get("tandem_session") is None and s.cookies.get("tandem_csrf") is None
    url = urllib.parse.urlsplit(out.body["end_session_url"])
    assert urllib.parse.urlunsplit(url._replace(query="")) == discovery(world["provider"])["end_session_endpoint"]
    q = urllib.parse.parse_qs(url.query, strict_parsing=True)
    assert q == {"client_id": [CLIENT_ID], "post_logout_redirect_uri": [srv.base_url + "/signin?signed_out=1"]}, q
    # the browser follows it: the provider asks to confirm, then sends it back to Tandem
    confirm_provider_logout(srv, s, out.body["end_session_url"])
    assert provider_answer(srv, s) == "login"  # signed out at the provider too


def test_logout_without_any_credential_is_refused_and_sets_nothing(world):
    """No session cookie and no bearer token: nothing proves the request comes from Tandem's page (the
    CSRF value derives from the session), so nothing is cleared: 401 as before."""
    for base in (world["srv"].base_url,):
        out = Client(base).post("/v1/auth/logout", session=requests.Session())
        assert_error(out, 401, "unauthorized")
        assert "Set-Cookie" not in out.headers, out.headers


def test_dead_bearer_session_token_is_still_refused(world):
    """A session token sent as a bearer token (an API client, no cookie to clear) keeps its 401 once
    the session is gone: the caller learns its credential is dead."""
    srv = world["srv"]
    s, cb = browser_sign_in(srv, "dee")
    assert cb.status == 302, cb
    session = s.cookies.get("tandem_session")
    purge_the_row(srv, s)
    out = Client(srv.base_url).post("/v1/auth/logout", token=session)
    assert_error(out, 401, "unauthorized")
    assert "Set-Cookie" not in out.headers, out.headers


def test_logout_of_a_gone_session_without_sso_clears_the_cookie(api):
    """Without single sign-on (the shared server) a dead session cookie's sign-out answers 204 and
    clears the cookies, as a live one's would."""
    dead = "tds_" + secrets.token_urlsafe(32)
    s = requests.Session()
    s.cookies.set("tandem_session", dead)
    s.cookies.set("tandem_csrf", csrf_of(dead))
    assert_error(api.post("/v1/auth/logout", session=s), 401, "unauthorized")  # no CSRF header
    out = api.post("/v1/auth/logout", session=s, headers={"X-CSRF-Token": csrf_of(dead)})
    assert out.status == 204 and out.text == "", out
    cookies = set_cookies(out)
    assert len(cookies) == 2 and all("Max-Age=0" in c and "SameSite=Lax" in c and "Path=/" in c for c in cookies), cookies
    assert cookies[0].startswith("tandem_csrf=;") and cookies[1].startswith("tandem_session=;"), cookies
    assert "HttpOnly" in cookies[1] and "HttpOnly" not in cookies[0], cookies

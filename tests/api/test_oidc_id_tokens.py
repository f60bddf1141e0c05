"""Single sign-on against a hostile OpenID Provider run by the test itself (discovery, JWKS, an
authorization endpoint that sends the browser straight back, and a token endpoint returning an ID
token crafted per case with jwcrypto): each bad token is refused for its exact reason, a good one
opens a browser session (cookie + CSRF), the key set is re-fetched on an unknown key id."""
import base64
import hashlib
import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from jwcrypto import jwk, jwt

from conftest import Client, Tandemd, assert_error, employee_body, free_port, make_state_dir

CLIENT_ID = "tandem-test"
CLIENT_SECRET = "s3cret-for-tests"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class HostileProvider:
    """Discovery + JWKS + authorize + token endpoints; `next_claims`/`next_header`/`next_key` craft the
    next ID token (the nonce of the authorize request is filled in unless overridden)."""

    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.rsa = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa1")
        self.ec = jwk.JWK.generate(kty="EC", crv="P-256", kid="ec1")
        self.stranger = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa-unknown")
        self.published = [self.rsa, self.ec]
        self.jwks_fetches = []
        self.codes = {}
        self.craft = None  # function(nonce) -> compact token
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, status, body=None, headers=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self.reply(200, {"issuer": outer.issuer,
                                     "authorization_endpoint": outer.issuer + "/authorize",
                                     "token_endpoint": outer.issuer + "/token",
                                     "jwks_uri": outer.issuer + "/jwks",
                                     "response_types_supported": ["code"],
                                     "id_token_signing_alg_values_supported": ["RS256", "ES256"]})
                elif url.path == "/jwks":
                    outer.jwks_fetches.append(time.monotonic())
                    self.reply(200, {"keys": [k.export_public(as_dict=True) for k in outer.published]})
                elif url.path == "/authorize":
                    code = uuid.uuid4().hex
                    outer.codes[code] = q
                    back = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
                    self.reply(302, headers={"Location": back})
                else:
                    self.reply(404, {"error": "not_found"})

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                auth = self.headers.get("Authorization", "")
                want = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                req = outer.codes.pop(form.get("code"), None)
                if auth != want:
                    return self.reply(401, {"error": "invalid_client"})
                if req is None or form.get("grant_type") != "authorization_code" or \
                        form.get("redirect_uri") != req["redirect_uri"]:
                    return self.reply(400, {"error": "invalid_grant"})
                challenge = b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
                if req.get("code_challenge_method") != "S256" or challenge != req.get("code_challenge"):
                    return self.reply(400, {"error": "invalid_grant", "error_description": "PKCE"})
                self.reply(200, {"access_token": "at", "token_type": "Bearer",
                                 "id_token": outer.craft(req["nonce"])})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def claims(self, sent_nonce, email, **over):
        now = int(time.time())
        c = {"iss": self.issuer, "sub": email, "aud": CLIENT_ID, "exp": now + 300, "iat": now,
             "nonce": sent_nonce, "email": email, "email_verified": True, "name": "Signed In"}
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def signed(self, key, alg, claims):
        t = jwt.JWT(header={"alg": alg, "kid": key.get("kid")}, claims=claims)
        t.make_signed_token(key)
        return t.serialize()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def provider():
    p = HostileProvider()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def sso(provider, tmp_path_factory):
    secret = tmp_path_factory.mktemp("oidc") / "client-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    secret.chmod(0o644)  # read at start, before privileges are dropped; tandem may read it too
    state = make_state_dir("tandem-oidc-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["--state-dir", state, "--signup-mode", "open", "--public-base-url", base,
            "--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID,
            "--oidc-client-secret-file", str(secret), "--oidc-redirect-uri", base + "/v1/auth/callback",
            "--oidc-hr-claim", "groups", "--oidc-hr-value", "tandem-hr"]
    srv = start_on(port, args, state)
    yield srv
    assert srv.terminate() == 0, srv.tail()
    srv.cleanup()


def start_on(port, args, state):
    """A Tandemd on a chosen port (the redirect URI must name it before it starts)."""
    import conftest
    orig = conftest.free_port
    conftest.free_port = lambda: port
    try:
        return Tandemd(args, state, name="tandemd-oidc")
    finally:
        conftest.free_port = orig


def sign_in(srv, provider, craft):
    """Browser-like: /v1/auth/login -> provider -> /v1/auth/callback; returns (session, callback response)."""
    provider.craft = craft
    s = requests.Session()
    api = Client(srv.base_url)
    r = api.get("/v1/auth/login", session=s)
    assert r.status == 302, r
    assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["Location"]).query))
    assert q["code_challenge_method"] == "S256" and q["client_id"] == CLIENT_ID
    assert len(q["state"]) >= 43 and len(q["nonce"]) >= 43 and "openid" in q["scope"].split()
    back = s.get(r.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    path = urllib.parse.urlsplit(back.headers["Location"])
    assert f"{path.scheme}://{path.netloc}" == srv.base_url
    cb = api.get(path.path + "?" + path.query, session=s)
    return s, cb


def good(provider, email, key=None, alg="RS256", **over):
    return lambda nonce: provider.signed(key or provider.rsa, alg, provider.claims(nonce, email, **over))


@pytest.fixture
def known(sso):
    api = Client(sso.base_url)
    r = api.post("/v1/employees", employee_body())
    assert r.status == 201, r
    return r.body["employee"]


def csrf_of(s):
    return s.cookies.get("tandem_csrf")


def test_sso_sign_in_session_cookie_and_csrf(sso, provider, known):
    s, cb = sign_in(sso, provider, good(provider, known["email"]))
    assert cb.status == 302, cb
    assert cb.headers["Location"] == sso.base_url + "/"
    cookies = cb.raw.headers.get("Set-Cookie")
    assert "tandem_session=tds_" in cookies and "HttpOnly" in cookies and "SameSite=Lax" in cookies
    assert "Secure" not in cookies  # the public base URL is plain http here
    session = s.cookies.get("tandem_session")
    assert session.startswith("tds_") and len(session) == 47
    api = Client(sso.base_url)
    me = api.get("/v1/me", session=s)
    assert me.status == 200 and me.body["id"] == known["id"], me
    # a write with the cookie only is refused; with the CSRF header it passes
    assert_error(api.patch("/v1/me", {"site": "Oslo"}, session=s), 403, "csrf_failed")
    assert_error(api.patch("/v1/me", {"site": "Oslo"}, session=s, headers={"X-CSRF-Token": "x" * 43}),
                 403, "csrf_failed")
    ok = api.patch("/v1/me", {"site": "Oslo"}, session=s, headers={"X-CSRF-Token": csrf_of(s)})
    assert ok.status == 200 and ok.body["site"] == "Oslo", ok
    # logout needs it too, then revokes the session; this provider's discovery document has no
    # end_session_endpoint, so there is no provider session to end: 204 as for a bearer token
    assert_error(api.post("/v1/auth/logout", session=s), 403, "csrf_failed")
    out = api.post("/v1/auth/logout", session=s, headers={"X-CSRF-Token": csrf_of(s)})
    assert out.status == 204 and out.text == "", out
    assert "Max-Age=0" in out.raw.headers.get("Set-Cookie")
    again = requests.Session()
    again.cookies.set("tandem_session", session)
    assert_error(api.get("/v1/me", session=again), 401, "unauthorized")


def test_sso_es256_and_state_used_once(sso, provider, known):
    s, cb = sign_in(sso, provider, good(provider, known["email"], key=provider.ec, alg="ES256"))
    assert cb.status == 302, cb
    assert Client(sso.base_url).get("/v1/me", session=s).body["id"] == known["id"]
    # replaying the provider's redirect: the state was taken
    provider.craft = good(provider, known["email"])
    api = Client(sso.base_url)
    r = api.get("/v1/auth/login", session=s)
    back = s.get(r.headers["Location"], allow_redirects=False, timeout=10)
    path = urllib.parse.urlsplit(back.headers["Location"])
    assert api.get(path.path + "?" + path.query, session=s).status == 302
    assert_error(api.get(path.path + "?" + path.query, session=s), 400, "sso_state_invalid", "state")
    # a state this browser did not start
    assert_error(api.get(path.path + "?" + path.query, session=requests.Session()), 400,
                 "sso_state_invalid", "state")


def alg_none(provider, email):
    def craft(nonce):
        head = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        body = b64url(json.dumps(provider.claims(nonce, email)).encode())
        return f"{head}.{body}."
    return craft


def hs256_with_secret(provider, email):
    def craft(nonce):
        key = jwk.JWK(kty="oct", k=b64url(CLIENT_SECRET.encode()), kid="rsa1")
        return provider.signed(key, "HS256", provider.claims(nonce, email))
    return craft


def forged_kid(provider, email):
    def craft(nonce):  # signed by a stranger's key, claiming the provider's key id
        t = jwt.JWT(header={"alg": "RS256", "kid": "rsa1"}, claims=provider.claims(nonce, email))
        t.make_signed_token(provider.stranger)
        return t.serialize()
    return craft


BAD = {
    "wrong_audience": (lambda p, e: good(p, e, aud="someone-else"), "not for this client"),
    "several_audiences_no_azp": (lambda p, e: good(p, e, aud=[CLIENT_ID, "other"]), "azp"),
    "expired": (lambda p, e: good(p, e, exp=int(time.time()) - 3600, iat=int(time.time()) - 4000), "expired"),
    "issued_in_future": (lambda p, e: good(p, e, iat=int(time.time()) + 3600), "iat"),
    "wrong_nonce": (lambda p, e: good(p, e, nonce="not-the-nonce"), "nonce"),
    "no_nonce": (lambda p, e: good(p, e, nonce=None), "nonce"),
    "wrong_issuer": (lambda p, e: good(p, e, iss="http://evil.example"), "issuer"),
    "unknown_key": (lambda p, e: good(p, e, key=p.stranger), "unknown key"),
    "forged_signature": (forged_kid, "signature"),
    "alg_none": (alg_none, "not allowed"),
    "hs256_client_secret": (hs256_with_secret, "not allowed"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_sso_bad_id_token_refused(sso, provider, known, case):
    make, why = BAD[case]
    s, cb = sign_in(sso, provider, make(provider, known["email"]))
    assert_error(cb, 401, "sso_invalid_id_token")
    assert why in cb.body["message"], cb.body
    assert s.cookies.get("tandem_session") is None


def test_sso_unknown_employee_refused_without_jit(sso, provider):
    s, cb = sign_in(sso, provider, good(provider, f"nobody-{uuid.uuid4().hex[:8]}@example.com"))
    assert_error(cb, 403, "sso_unknown_employee", "email")
    assert "not a Tandem employee" in cb.body["message"]
    assert s.cookies.get("tandem_session") is None


def test_sso_hr_claim_gives_hr_session(sso, provider):
    email = f"people-{uuid.uuid4().hex[:8]}@example.com"
    s, cb = sign_in(sso, provider, good(provider, email, groups=["staff", "tandem-hr"]))
    assert cb.status == 302, cb
    api = Client(sso.base_url)
    assert api.get("/v1/employees", session=s).status == 200
    assert_error(api.get("/v1/me", session=s), 403, "forbidden")
    # the same person without the group is no HR (and no employee)
    s2, cb2 = sign_in(sso, provider, good(provider, email, groups=["staff"]))
    assert_error(cb2, 403, "sso_unknown_employee")


def test_sso_jwks_refetched_for_a_new_key(sso, provider, known):
    # warm the cache, then rotate: a token by a key published after the cache was filled
    s, cb = sign_in(sso, provider, good(provider, known["email"]))
    assert cb.status == 302, cb
    rotated = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa2")
    provider.published = [provider.rsa, provider.ec, rotated]
    wait = 5.5 - (time.monotonic() - provider.jwks_fetches[-1])  # tandemd re-fetches at most every 5 s
    if wait > 0:
        time.sleep(wait)
    before = len(provider.jwks_fetches)
    s, cb = sign_in(sso, provider, good(provider, known["email"], key=rotated))
    assert cb.status == 302, cb
    assert len(provider.jwks_fetches) == before + 1
    assert Client(sso.base_url).get("/v1/me", session=s).body["id"] == known["id"]


def test_sso_provider_refusal_and_missing_parameters(sso, provider):
    api = Client(sso.base_url)
    assert_error(api.get("/v1/auth/callback", params={"error": "access_denied"}), 401, "sso_denied")
    assert_error(api.get("/v1/auth/callback", params={"code": "x"}), 400, "invalid_parameter", "state")
    assert_error(api.get("/v1/auth/callback", params={"state": "x"}), 400, "invalid_parameter", "code")


def test_sso_default_signup_mode_closed(provider, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(CLIENT_SECRET)
    secret.chmod(0o644)
    tmp_path.chmod(0o755)
    state = make_state_dir("tandem-oidc-closed-")
    srv = Tandemd(["--state-dir", state, "--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID,
                   "--oidc-client-secret-file", str(secret),
                   "--oidc-redirect-uri", "http://127.0.0.1:1/v1/auth/callback"], state, name="tandemd-oidc2")
    try:
        assert_error(Client(srv.base_url).post("/v1/employees", employee_body()), 403, "signup_closed")
    finally:
        assert srv.terminate() == 0, srv.tail()
        srv.cleanup()


def test_sso_provider_unreachable_json_for_clients_back_to_the_app_for_browsers(tmp_path):
    """/v1/auth/login with the provider down: 502 sso_provider_unavailable for an API client; a
    browser's navigation (Accept: text/html) is sent back to the web app's sign-in page instead."""
    secret = tmp_path / "secret"
    secret.write_text(CLIENT_SECRET)
    secret.chmod(0o644)
    tmp_path.chmod(0o755)
    state = make_state_dir("tandem-oidc-down-")
    srv = Tandemd(["--state-dir", state, "--oidc-issuer", f"http://127.0.0.1:{free_port()}",
                   "--oidc-client-id", CLIENT_ID, "--oidc-client-secret-file", str(secret),
                   "--oidc-redirect-uri", "http://127.0.0.1:1/v1/auth/callback"], state, name="tandemd-oidc-down")
    try:
        api = Client(srv.base_url)
        assert_error(api.get("/v1/auth/login"), 502, "sso_provider_unavailable")
        r = api.get("/v1/auth/login", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert r.status == 303, r
        assert r.headers["Location"].endswith("/signin?sso_error=sso_provider_unavailable"), r
        assert "Set-Cookie" not in r.headers, r.headers
        assert api.get("/v1/auth/methods").body == {"sso": True, "signup": False}
    finally:
        assert srv.terminate() == 0, srv.tail()
        srv.cleanup()

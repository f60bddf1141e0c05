"""Single sign-on through a real OpenID Provider: the npm package oidc-provider (certified
implementation, pinned in tests/oidc/package-lock.json, installed by scripts/test.sh with
`npm ci --ignore-scripts`), driven like a browser: /v1/auth/login, the provider's login and consent
forms, back to /v1/auth/callback, then the session cookie reaches /v1/me."""
import json
import os
import re
import subprocess
import time
import urllib.parse
import uuid

import pytest
import requests

import conftest
from conftest import Client, Tandemd, assert_error, employee_body, free_port, make_state_dir

HERE = os.path.dirname(os.path.abspath(__file__))
OIDC_DIR = os.path.join(HERE, "..", "oidc")
CLIENT_ID = "tandem"
CLIENT_SECRET = "real-provider-secret-for-tests"


class RealProvider:
    def __init__(self, redirect_uris, accounts, post_logout_uris=()):
        if not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
            pytest.fail("tests/oidc/node_modules missing: run `npm ci --ignore-scripts` in tests/oidc "
                        "(scripts/test.sh does)", pytrace=False)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log_path = f"/tmp/oidc-provider-{self.port}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["node", "provider.mjs", str(self.port), ",".join(redirect_uris), CLIENT_ID, CLIENT_SECRET,
             json.dumps(accounts), ",".join(post_logout_uris)], cwd=OIDC_DIR, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.issuer + "/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert self.proc.poll() is None, self.tail()
            time.sleep(0.1)
        self.stop()
        raise AssertionError("oidc-provider did not start\n" + self.tail())

    def tail(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-3000:]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


ACCOUNTS = {
    "ada": {"email": "ada-{tag}@example.com", "email_verified": True, "name": "Ada Lovelace"},
    "hr": {"email": "hr-{tag}@example.com", "email_verified": True, "name": "Grace HR",
           "groups": ["staff", "tandem-hr"]},
    "stranger": {"email": "stranger-{tag}@example.com", "email_verified": True, "name": "Stranger"},
    "newcomer": {"email": "newcomer-{tag}@example.com", "email_verified": True, "name": "New Comer"},
    # a name claim the user edited at the provider, with line breaks (test_sso_identity)
    "multiline": {"email": "multiline-{tag}@example.com", "email_verified": True,
                  "name": "Eve\r\nATTACH:https://evil.example/x"},
}


def start_tandemd(port, provider, secret_file, extra=(), signup=("--signup-mode", "open")):
    state = make_state_dir("tandem-oidc-real-")
    base = f"http://127.0.0.1:{port}"
    args = ["--state-dir", state, *signup, "--public-base-url", base,
            "--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID,
            "--oidc-client-secret-file", secret_file, "--oidc-redirect-uri", base + "/v1/auth/callback",
            "--oidc-hr-claim", "groups", "--oidc-hr-value", "tandem-hr"] + list(extra)
    orig = conftest.free_port
    conftest.free_port = lambda: port
    try:
        return Tandemd(args, state, name="tandemd-oidc-real")
    finally:
        conftest.free_port = orig


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tag = uuid.uuid4().hex[:8]
    accounts = {k: {c: (v.format(tag=tag) if isinstance(v, str) else v) for c, v in claims.items()}
                for k, claims in ACCOUNTS.items()}
    port, jit_port = free_port(), free_port()
    provider = RealProvider([f"http://127.0.0.1:{p}/v1/auth/callback" for p in (port, jit_port)], accounts,
                            [f"http://127.0.0.1:{p}/signin?signed_out=1" for p in (port, jit_port)])
    secret = tmp_path_factory.mktemp("oidc-real") / "secret"
    secret.write_text(CLIENT_SECRET + "\n")
    srv = start_tandemd(port, provider, str(secret))
    jit = start_tandemd(jit_port, provider, str(secret), ["--oidc-jit"], signup=())  # SSO's default: closed
    yield {"provider": provider, "srv": srv, "jit": jit, "accounts": accounts}
    for s in (srv, jit):
        assert s.terminate() == 0, s.tail()
        s.cleanup()
    provider.stop()


def browser_sign_in(srv, login, callback_headers=None, params=None, pages=None):
    """Follows redirects and submits the provider's login and consent forms like a browser; returns
    (session, the validated response of /v1/auth/callback, sent with callback_headers). params: the
    query of /v1/auth/login; pages, a list, gets the provider's pages (HTML) as shown."""
    s = requests.Session()
    api = Client(srv.base_url)
    r = api.get("/v1/auth/login", session=s, params=params)
    assert r.status == 302, r
    url, method, form = r.headers["Location"], "GET", None
    for _ in range(20):
        if url.startswith(srv.base_url + "/v1/auth/callback"):
            path = urllib.parse.urlsplit(url)
            return s, api.get(path.path + "?" + path.query, session=s, headers=callback_headers)
        resp = s.request(method, url, data=form, allow_redirects=False, timeout=10)
        if resp.status_code in (301, 302, 303, 307):
            url, method, form = urllib.parse.urljoin(url, resp.headers["Location"]), "GET", None
            continue
        assert resp.status_code == 200, f"{method} {url}: {resp.status_code} {resp.text[:500]}"
        if pages is not None:
            pages.append(resp.text)
        action = re.search(r'<form[^>]*action="([^"]+)"', resp.text)
        prompt = re.search(r'name="prompt" value="(\w+)"', resp.text)
        assert action and prompt, resp.text[:1000]
        url, method = urllib.parse.urljoin(url, action.group(1).replace("&amp;", "&")), "POST"
        form = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            form.update({"login": login, "password": "any"})
    raise AssertionError("no redirect back to tandemd")


def test_real_provider_sign_in_reaches_me_with_csrf_on_writes(world):
    srv, acc = world["srv"], world["accounts"]["ada"]
    api = Client(srv.base_url)
    made = api.post("/v1/employees", employee_body(email=acc["email"]))
    assert made.status == 201, made
    s, cb = browser_sign_in(srv, "ada")
    assert cb.status == 302 and cb.headers["Location"] == srv.base_url + "/", cb
    me = api.get("/v1/me", session=s)
    assert me.status == 200 and me.body["id"] == made.body["employee"]["id"], me
    assert_error(api.put("/v1/me/availability", {"slots": []}, session=s), 403, "csrf_failed")
    put = api.put("/v1/me/availability", {"slots": []}, session=s,
                  headers={"X-CSRF-Token": s.cookies.get("tandem_csrf")})
    assert put.status == 200, put
    # the session is a token of kind session, listed like the others
    listed = api.get("/v1/tokens", session=s).body["items"]
    assert any(t["kind"] == "session" for t in listed), listed
    # bearer clients need no CSRF token
    assert api.patch("/v1/me", {"site": "Turin"}, token=made.body["token"]).status == 200
    out = api.post("/v1/auth/logout", session=s, headers={"X-CSRF-Token": s.cookies.get("tandem_csrf")})
    # this provider advertises end_session_endpoint: the answer says where to end its session too
    # (test_oidc_logout.py checks that URL and follows it)
    assert out.status == 200 and out.body["end_session_url"].startswith(world["provider"].issuer), out
    stale = requests.Session()
    stale.cookies.set("tandem_session", cb.raw.cookies.get("tandem_session"))
    assert_error(api.get("/v1/me", session=stale), 401, "unauthorized")


def test_real_provider_hr_group_signs_in_as_hr(world):
    api = Client(world["srv"].base_url)
    s, cb = browser_sign_in(world["srv"], "hr")
    assert cb.status == 302, cb
    assert api.get("/v1/employees", session=s).status == 200
    assert_error(api.get("/v1/me", session=s), 403, "forbidden")


def test_real_provider_unknown_employee_refused_without_jit(world):
    s, cb = browser_sign_in(world["srv"], "stranger")
    assert_error(cb, 403, "sso_unknown_employee", "email")
    assert world["accounts"]["stranger"]["email"] in cb.body["message"]
    assert s.cookies.get("tandem_session") is None


def test_real_provider_jit_creates_the_employee(world):
    api = Client(world["jit"].base_url)
    s, cb = browser_sign_in(world["jit"], "newcomer")
    assert cb.status == 302, cb
    me = api.get("/v1/me", session=s)
    assert me.status == 200, me
    assert me.body["email"] == world["accounts"]["newcomer"]["email"]
    assert me.body["display_name"] == "New Comer"


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_real_provider_refusal_in_a_browser_goes_back_to_the_app(world):
    """A browser's navigation (Accept: text/html) is never left on a JSON document: every refusal of
    the sign-in routes is a 303 to the web app's sign-in page with the error's code."""
    srv = world["srv"]
    api = Client(srv.base_url)
    s, cb = browser_sign_in(srv, "stranger", callback_headers=BROWSER)
    assert cb.status == 303, cb
    assert cb.headers["Location"] == srv.base_url + "/signin?sso_error=sso_unknown_employee", cb
    assert s.cookies.get("tandem_session") is None
    assert world["accounts"]["stranger"]["email"] not in cb.headers["Location"]
    for query, code in (("code=c&state=not-this-browsers", "sso_state_invalid"),
                        ("error=access_denied", "sso_denied"), ("state=s", "invalid_parameter")):
        r = api.get("/v1/auth/callback?" + query, headers=BROWSER)
        assert r.status == 303 and r.headers["Location"] == srv.base_url + "/signin?sso_error=" + code, r
    # API clients keep the JSON error
    assert_error(api.get("/v1/auth/callback?error=access_denied"), 401, "sso_denied")


def test_sign_in_methods_name_sso_and_sign_up_without_starting_a_sign_in(world, api):
    """GET /v1/auth/methods tells the web app which sign-in to offer; unlike /v1/auth/login it sets no
    cookie (a sign-in page opened in a second tab must not overwrite the tandem_login cookie of a sign-in
    under way in the first: the browser suite signs in across two tabs)."""
    r = Client(world["srv"].base_url).get("/v1/auth/methods")
    assert r.status == 200 and r.body == {"sso": True, "signup": True}, r  # this server: --signup-mode open
    assert "Set-Cookie" not in r.headers, r.headers
    closed = Client(world["jit"].base_url).get("/v1/auth/methods")
    assert closed.status == 200 and closed.body == {"sso": True, "signup": False}, closed
    plain = api.get("/v1/auth/methods")  # the shared server: no SSO, sign-up open by default
    assert plain.status == 200 and plain.body == {"sso": False, "signup": True}, plain


def authorization_request(srv, **kw):
    """The query of the provider's authorization URL /v1/auth/login redirects to."""
    r = Client(srv.base_url).get("/v1/auth/login", **kw)
    assert r.status == 302, r
    return urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query, strict_parsing=True)


@pytest.mark.parametrize("params, accept_language, want", [
    ({"ui_locales": "fr"}, None, "fr"),  # the web app's choice
    ({"ui_locales": "en"}, None, "en"),
    ({"ui_locales": "en"}, "fr-FR,fr;q=0.9", "en"),  # the choice wins over the browser's header
    ({"ui_locales": "fr"}, "en-GB,en;q=0.9", "fr"),
    ({}, "fr-CA,fr;q=0.9,en;q=0.8", "fr"),  # no choice: the browser's header, by primary subtag
    ({}, "de-DE, en;q=0.5, FR;Q=0.7", "fr"),  # by q-value, case-insensitive
    ({}, "en-GB,en;q=0.9,fr;q=0.8", "en"),
    ({}, "fr;q=0, de", "en"),  # q=0: not acceptable; neither: Tandem's default
    ({}, "fr;q=2, en;q=0.1", "en"),  # an invalid q-value makes its entry ignored
    ({}, "de", "en"),
    ({}, None, "en"),
])
def test_sign_in_asks_the_provider_for_the_users_language(world, params, accept_language, want):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    q = authorization_request(world["srv"], params=params, headers=headers)
    assert q["ui_locales"] == [want], q
    assert q["client_id"] == [CLIENT_ID] and q["code_challenge_method"] == ["S256"], q


def test_the_provider_gets_the_language_and_the_sign_in_completes(world):
    """The real provider receives ui_locales (its development login page lists the parameters of the
    authorization request) and the sign-in goes through as without it (the server with --oidc-jit:
    the newcomer is created at the first sign-in)."""
    srv = world["jit"]
    for lang in ("fr", "en"):
        pages = []
        s, cb = browser_sign_in(srv, "newcomer", params={"ui_locales": lang}, pages=pages)
        assert pages, "the provider showed no page"
        shown = re.search(r"<strong>ui_locales</strong>: ([^<]*)<", pages[0])
        assert shown and shown.group(1).strip() == f"&#39;{lang}&#39;", pages[0][-2000:]
        assert cb.status == 302, cb
        assert Client(srv.base_url).get("/v1/me", session=s).status == 200


@pytest.mark.parametrize("value", ["de", "FR", "fr-FR", "fr en", "", "fr&prompt=none", "en\r\nX-Injected: 1"])
def test_sign_in_refuses_a_language_tandem_does_not_speak(world, value):
    """ui_locales is one of Tandem's languages or refused: nothing the user sends is reflected into
    the provider's URL, and no sign-in is started (no tandem_login cookie). A browser is sent back to
    the sign-in page with the error's code, as for every refusal of the sign-in routes."""
    api = Client(world["srv"].base_url)
    r = api.get("/v1/auth/login", params={"ui_locales": value})
    assert_error(r, 400, "invalid_parameter", "ui_locales")
    assert "Set-Cookie" not in r.headers and "Location" not in r.headers, r.headers
    b = api.get("/v1/auth/login", params={"ui_locales": value}, headers=BROWSER)
    assert b.status == 303, b
    assert b.headers["Location"] == world["srv"].base_url + "/signin?sso_error=invalid_parameter", b
    assert "Set-Cookie" not in b.headers, b.headers

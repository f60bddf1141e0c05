"""Fixtures for the Tandem API tests: a real tandemd with an embedded PostgreSQL cluster, HR tokens,
an HTTP client that validates every response against api-spec/openapi.yaml, and employee factories."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import jsonschema
import pytest
import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SPEC_PATH = os.path.join(REPO, "api-spec", "openapi.yaml")
TANDEMD = os.path.abspath(os.environ.get("TANDEMD") or os.path.join(REPO, "tandemd"))
READY_TIMEOUT = float(os.environ.get("TANDEM_TEST_READY_TIMEOUT", "60"))
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

SEEDED_SKILLS = [
    "ai_assistants", "collaborative_docs", "data_visualisation", "esn_community", "esn_posting",
    "linkedin", "personal_branding", "security_hygiene", "short_video", "video_meetings",
]


# --------------------------------------------------------------------------------------------------
# OpenAPI spec and response validation
# --------------------------------------------------------------------------------------------------

class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.routes = []  # (regex, template), literal templates first so /v1/me/pairs wins over templates
        templates = sorted(self.doc["paths"], key=lambda t: (t.count("{"), t))
        for t in templates:
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"
            self.routes.append((re.compile(rx), t))

    def template_for(self, path):
        path = path.split("?", 1)[0]
        for rx, t in self.routes:
            if rx.match(path):
                return t
        return None

    def operation(self, method, path):
        t = self.template_for(path)
        if t is None:
            return None, None
        return t, self.doc["paths"][t].get(method.lower())

    def resolve(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            assert ref.startswith("#/"), ref
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part]
            obj = node
        return obj

    def schema_validator(self, schema):
        # Refs are "#/components/...": validate against a root that carries the components.
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "allOf": [schema], "components": self.doc["components"]}
        return jsonschema.Draft202012Validator(root)

    def validate_instance(self, schema, instance, what):
        errors = sorted(self.schema_validator(schema).iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            msgs = "\n".join(f"  at {'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors[:10])
            raise AssertionError(f"{what} does not match the spec:\n{msgs}\nbody: {json.dumps(instance)[:2000]}")

    def request_examples(self):
        """Yields (method, template, operation, example) for every request body example."""
        for t, item in self.doc["paths"].items():
            for m in HTTP_METHODS:
                op = item.get(m)
                if not op or "requestBody" not in op:
                    continue
                media = self.resolve(op["requestBody"])["content"].get("application/json", {})
                if "example" in media:
                    yield m.upper(), t, op, media["example"]

    def operations(self):
        for t, item in self.doc["paths"].items():
            for m in HTTP_METHODS:
                if m in item:
                    yield m.upper(), t, item[m]


SPEC = Spec(SPEC_PATH)
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def validate_response(method, path, resp):
    """Fails unless resp is documented in the spec for (method, path) and its body validates."""
    status = resp.status_code
    where = f"{method} {path} -> {status}"
    template, op = SPEC.operation(method, path)
    ctype = resp.headers.get("Content-Type", "")
    if op is None:
        # Unknown path (404) or unknown method on a known path (405): only the Error shape is acceptable.
        assert status in (404, 405), f"{where}: operation not in the spec and status is not 404/405"
        if template is not None:
            assert status == 405, f"{where}: known path with an undocumented method must give 405"
        else:
            assert status == 404, f"{where}: unknown path must give 404"
        responses = {str(status): {"$ref": "#/components/responses/NotFound" if status == 404
                                   else "#/components/responses/MethodNotAllowed"}}
    else:
        responses = op["responses"]
    spec_resp = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    assert spec_resp is not None, f"{where}: status {status} is not documented for this operation; body: {resp.text[:500]}"
    spec_resp = SPEC.resolve(spec_resp)
    content = spec_resp.get("content")
    if not content:
        assert resp.content == b"", f"{where}: expected an empty body, got {resp.content[:200]!r}"
        return None
    if "application/json" in content:
        assert ctype.split(";")[0].strip().lower() == "application/json", \
            f"{where}: Content-Type {ctype!r}, expected application/json"
        try:
            body = json.loads(resp.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError(f"{where}: body is not JSON ({e}): {resp.content[:300]!r}")
        SPEC.validate_instance(content["application/json"]["schema"], body, where)
        if status >= 400:
            assert body["status"] == status, f"{where}: Error.status {body['status']} != HTTP status"
            if status == 401:
                assert resp.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), \
                    f"{where}: 401 without WWW-Authenticate: Bearer"
            if status == 405:
                assert resp.headers.get("Allow"), f"{where}: 405 without an Allow header"
            if status == 503 and body["code"] == "overloaded":
                assert resp.headers.get("Retry-After") == "1", f"{where}: overloaded without Retry-After: 1"
        return body
    media, = content.keys()
    assert ctype.split(";")[0].strip().lower() == media, f"{where}: Content-Type {ctype!r}, expected {media}"
    return resp.content


class Response:
    """requests.Response plus the validated JSON body (.body)."""

    def __init__(self, resp, body):
        self.raw = resp
        self.status = resp.status_code
        self.body = body
        self.headers = resp.headers
        self.text = resp.text

    def __repr__(self):
        return f"<Response {self.status} {self.text[:300]}>"


class Client:
    def __init__(self, base_url):
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method, path, token=None, json_body=None, data=None, headers=None, params=None,
                validate=True, session=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        s = session or self.session
        resp = s.request(method, self.base_url + path, data=data, headers=h, params=params, timeout=30,
                         allow_redirects=False)
        body = validate_response(method, path, resp) if validate else None
        return Response(resp, body)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.request("POST", path, token=token, json_body=body, **kw)

    def put(self, path, body=None, token=None, **kw):
        return self.request("PUT", path, token=token, json_body=body, **kw)

    def patch(self, path, body=None, token=None, **kw):
        return self.request("PATCH", path, token=token, json_body=body, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token=token, **kw)


_UNSET = object()


def assert_error(resp, status, code, field=_UNSET):
    """resp is a validated Response; code and field may be a value or a set of acceptable values."""
    assert resp.status == status, f"expected {status} {code}, got {resp.status}: {resp.text[:500]}"
    if isinstance(code, (set, frozenset)):
        assert resp.body["code"] in code, f"expected code in {sorted(code)}, got {resp.body}"
    else:
        assert resp.body["code"] == code, f"expected code {code}, got {resp.body}"
    if field is not _UNSET:
        if isinstance(field, (set, frozenset, list, tuple)):
            assert resp.body["field"] in field, f"expected field in {sorted(map(str, field))}, got {resp.body}"
        else:
            assert resp.body["field"] == field, f"expected field {field!r}, got {resp.body}"


# --------------------------------------------------------------------------------------------------
# tandemd processes
# --------------------------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_state_dir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)  # root tandemd runs PostgreSQL as another account, which must traverse it
    return d


def base_env(extra=None):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("TANDEM_") and k not in ("TANDEM_PG_FAST",):
            del env[k]
    env["TANDEM_PG_FAST"] = "1"
    # the suite signs up thousands of employees and sends bad tokens from one address: rate limits
    # are tested by tests that set them (a value of None in extra drops a variable)
    env["TANDEM_SIGNUP_RATE"] = "0"
    env["TANDEM_AUTH_FAILURE_RATE"] = "0"
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class Tandemd:
    def __init__(self, args, state_dir, wait_path="/readyz", env=None, name="tandemd"):
        if not os.access(TANDEMD, os.X_OK):
            pytest.fail(f"tandemd binary not found or not executable: {TANDEMD} (set TANDEMD)", pytrace=False)
        self.port = free_port()
        self.state_dir = state_dir
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(tempfile.gettempdir(), f"{name}-{self.port}-{uuid.uuid4().hex[:8]}.stderr")
        self.log = open(self.log_path, "wb")
        cmd = [TANDEMD, "--listen", f"127.0.0.1:{self.port}"] + list(args)
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL,
                                     env=base_env(env), cwd=state_dir)
        self.wait_for(wait_path)

    def stderr_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tail(self, n=40):
        return "\n".join(self.stderr_text().splitlines()[-n:])

    def wait_for(self, path):
        deadline = time.monotonic() + READY_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = (f"tandemd exited with {self.proc.returncode} before {path} answered 200\n"
                       f"cmd: {' '.join(self.cmd)}\n{self.tail()}")
                self.log.close()
                self.cleanup()
                pytest.fail(msg, pytrace=False)
            try:
                r = requests.get(self.base_url + path, timeout=2)
                last = r.status_code
                if r.status_code == 200:
                    return
            except requests.RequestException as e:
                last = e
            time.sleep(0.1)
        self.kill()
        msg = f"tandemd: {path} not 200 within {READY_TIMEOUT}s (last: {last})\n{self.tail()}"
        self.log.close()
        self.cleanup()
        pytest.fail(msg, pytrace=False)

    def terminate(self, timeout=30):
        """SIGTERM, wait, return the exit code (kills and fails after timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"tandemd did not exit within {timeout}s of SIGTERM\n{self.tail()}")
        self.log.close()
        return self.proc.returncode

    def stop(self):
        """Terminates tandemd and asserts a clean exit (0 after SIGTERM); cleans up only then, so a failure
        keeps its log and state for a look."""
        code = self.terminate()
        tail = self.tail()
        if code == 0:
            self.cleanup()
        assert code == 0, f"tandemd exited with {code} after SIGTERM\n{tail}"

    def cleanup(self):
        """Removes the stderr log and the state directory (kept when TANDEM_TEST_KEEP is set)."""
        if os.environ.get("TANDEM_TEST_KEEP"):
            return
        try:
            os.unlink(self.log_path)
        except OSError:
            pass
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run_admin_create_hr(state_dir, email=None, name="HR Team", extra_args=()):
    email = email or f"hr-{uuid.uuid4().hex[:12]}@example.com"
    cmd = [TANDEMD, "admin", "create-hr", "--email", email, "--name", name, "--state-dir", state_dir] + list(extra_args)
    return subprocess.run(cmd, capture_output=True, timeout=60, env=base_env(), cwd=state_dir), email


@pytest.fixture(scope="session")
def server():
    state_dir = make_state_dir("tandem-api-test-")
    srv = Tandemd(["--state-dir", state_dir], state_dir)
    yield srv
    code = srv.terminate()
    tail = srv.tail()
    if code == 0:
        srv.cleanup()
    assert code == 0, f"tandemd exited with {code} after SIGTERM (log {srv.log_path})\n{tail}"


@pytest.fixture(scope="session")
def api(server):
    return Client(server.base_url)


def create_hr(state_dir):
    proc, email = run_admin_create_hr(state_dir)
    assert proc.returncode == 0, f"admin create-hr exit {proc.returncode}: {proc.stderr.decode(errors='replace')}"
    out = json.loads(proc.stdout.decode("utf-8"))
    assert set(out) == {"hr_id", "email", "token"}, out
    assert isinstance(out["hr_id"], int) and out["email"] == email
    assert re.fullmatch(r"tdm_[A-Za-z0-9_-]{43}", out["token"]), out["token"]
    return out


@pytest.fixture(scope="session")
def hr(server):
    return create_hr(server.state_dir)


@pytest.fixture(scope="session")
def hr_token(hr):
    return hr["token"]


def unique_email(prefix="emp", domain="example.com"):
    return f"{prefix}-{uuid.uuid4().hex[:16]}@{domain}"


def employee_body(**overrides):
    body = {
        "email": unique_email(),
        "display_name": "Test Employee",
        "department": "Sales",
        "site": "Lyon",
        "job_title": "Account manager",
        "timezone": "Europe/Paris",
        "languages": ["fr", "en"],
        "manager_email": "boss@example.com",
        "role": "mentee",
        "mentor_capacity": 1,
        "leaderboard_opt_in": False,
    }
    for k, v in overrides.items():
        if v is _DROP:
            body.pop(k, None)
        else:
            body[k] = v
    return body


_DROP = object()
DROP = _DROP


class Employee:
    def __init__(self, profile, token):
        self.profile = profile
        self.token = token
        self.id = profile["id"]
        self.email = profile["email"]


@pytest.fixture
def make_employee(api):
    def make(**overrides):
        r = api.post("/v1/employees", employee_body(**overrides))
        assert r.status == 201, r
        return Employee(r.body["employee"], r.body["token"])
    return make


@pytest.fixture
def employee(make_employee):
    return make_employee()


# --------------------------------------------------------------------------------------------------
# Issue 4 (sessions, points, badges, Open Badges, leaderboards, activity, stats, webhooks) helpers.
# Appended: nothing above is changed.
# --------------------------------------------------------------------------------------------------

import datetime as _dt
import hashlib as _hashlib
import hmac as _hmac
import http.server as _http_server
import threading as _threading

_validate_response_foundation = validate_response


def validate_response(method, path, resp):  # noqa: F811 - extends the foundation validator
    """Like the foundation validator, plus: an operation whose response offers several media types (e.g.
    stats in JSON or CSV) is checked against the one the server chose, and `+json` media types
    (application/ld+json of the Open Badges documents) are parsed and validated against their schema."""
    template, op = SPEC.operation(method, path)
    if op is not None:
        status = str(resp.status_code)
        responses = op["responses"]
        spec_resp = responses.get(status) or responses.get(f"{status[0]}XX") or responses.get("default")
        content = (SPEC.resolve(spec_resp).get("content") or {}) if spec_resp is not None else {}
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        json_like = [m for m in content if m != "application/json" and m.endswith("+json")]
        if content and (len(content) > 1 or json_like) and ctype != "application/json":
            where = f"{method} {path} -> {resp.status_code}"
            assert ctype in content, f"{where}: Content-Type {ctype!r}, expected one of {sorted(content)}"
            if ctype.endswith("+json"):
                try:
                    body = json.loads(resp.content.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as e:
                    raise AssertionError(f"{where}: body is not JSON ({e}): {resp.content[:300]!r}")
                SPEC.validate_instance(content[ctype]["schema"], body, where)
                return body
            return resp.content
    return _validate_response_foundation(method, path, resp)


def utc_now():
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def rfc3339(t):
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def today_utc():
    return utc_now().date()


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Pair:
    """A published, active pair: .id, .round_id, .mentor / .mentee (Employee), .skills, .starts_on, .tag."""

    def __init__(self, pair_id, round_id, mentor, mentee, skills, starts_on, ends_on, tag):
        self.id = pair_id
        self.round_id = round_id
        self.mentor = mentor
        self.mentee = mentee
        self.skills = skills
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.tag = tag

    def __repr__(self):
        return f"<Pair {self.id} mentor={self.mentor.id} mentee={self.mentee.id} skills={self.skills}>"


def wait_round(api, hr_token, rid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = api.get(f"/v1/rounds/{rid}", token=hr_token)
        assert r.status == 200, r
        if r.body["status"] not in ("draft", "solving"):
            return r.body
        time.sleep(0.05)
    raise AssertionError(f"round {rid} still solving after {timeout}s")


def build_pairs(api, hr_token, specs, starts_on=None, ends_on=None, tag=None):
    """Signs up one mentor and one manager (mentee) per spec, runs a round restricted (filter.departments) to
    their own fresh departments, publishes it and returns the Pairs in spec order.

    spec keys (all optional): skills (list, default ["linkedin"]), mentor / mentee (sign-up field overrides,
    e.g. leaderboard_opt_in, display_name, department, site), same_department (bool).
    Each pair i gets its own weekly slot (distinct day/hour, UTC) so the matching is forced."""
    tag = tag or uuid.uuid4().hex[:8]
    starts_on = starts_on or (today_utc() - _dt.timedelta(days=60))
    ends_on = ends_on or (today_utc() + _dt.timedelta(days=120))
    people = []
    departments = set()
    for i, spec in enumerate(specs):
        skills = list(spec.get("skills") or ["linkedin"])
        slot = {"day": DAYS[i % 7], "start": f"{6 + 2 * (i // 7):02d}:00", "end": f"{7 + 2 * (i // 7):02d}:00"}
        mdept = f"Mentors-{tag}-{i}"
        edept = mdept if spec.get("same_department") else f"Managers-{tag}-{i}"
        sides = []
        for role, dept, over in (("mentor", mdept, spec.get("mentor") or {}),
                                 ("mentee", edept, spec.get("mentee") or {})):
            fields = dict(email=unique_email(f"{role}{i}-{tag}"), display_name=f"{role.title()} {i} {tag}",
                          department=dept, site=f"Site-{tag}", job_title="", timezone="UTC", languages=["en"],
                          manager_email=None, role=role, mentor_capacity=1, leaderboard_opt_in=False)
            fields.update(over)
            departments.add(fields["department"])
            r = api.post("/v1/employees", fields)
            assert r.status == 201, r
            emp = Employee(r.body["employee"], r.body["token"])
            if role == "mentor":
                body = {"skills": [{"skill": s, "level": 5} for s in skills]}
                assert api.put("/v1/me/teaching", body, token=emp.token).status == 200
            else:
                body = {"goals": [{"skill": s, "current_level": 0, "priority": 1} for s in skills]}
                assert api.put("/v1/me/learning", body, token=emp.token).status == 200
            assert api.put("/v1/me/availability", {"slots": [slot]}, token=emp.token).status == 200
            sides.append(emp)
        people.append((sides[0], sides[1], skills))
    r = api.post("/v1/rounds", {"name": f"Issue4 {tag}", "filter": {"departments": sorted(departments), "sites": []},
                                "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
                 token=hr_token)
    assert r.status == 202, r
    rd = wait_round(api, hr_token, r.body["id"])
    assert rd["status"] == "solved", rd
    p = api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token)
    assert p.status == 200, p
    pairs = []
    for mentor, mentee, skills in people:
        mine = api.get("/v1/me/pairs", token=mentee.token).body["items"]
        assert len(mine) == 1 and mine[0]["partner"]["id"] == mentor.id, (mine, mentor.id)
        pairs.append(Pair(mine[0]["pair_id"], rd["id"], mentor, mentee, sorted(mine[0]["skills"]),
                          starts_on, ends_on, tag))
    return pairs


@pytest.fixture
def make_pairs(api, hr_token):
    """make_pairs([spec, ...], starts_on=date, ends_on=date) -> [Pair]; see build_pairs."""
    def make(specs=({},), **kw):
        return build_pairs(api, hr_token, list(specs), **kw)
    return make


@pytest.fixture
def make_pair(make_pairs):
    """make_pair(**spec) -> Pair (one fresh mentor and manager in departments of their own)."""
    def make(**spec):
        return make_pairs([spec])[0]
    return make


def session_body(pair=None, minutes_ago=None, **overrides):
    """A valid session body. Sessions of one pair may not overlap, so unless occurred_at is given each
    new body of a pair ends a minute before the previous one began (going back from now, in call
    order); minutes_ago is kept for older callers and only orders nothing."""
    minutes = overrides.get("duration_minutes", 60)
    if pair is not None and isinstance(minutes, int) and 15 <= minutes <= 240:
        cursor = getattr(pair, "_session_cursor", utc_now() - _dt.timedelta(minutes=5))
        start = cursor - _dt.timedelta(minutes=minutes)
        pair._session_cursor = start - _dt.timedelta(minutes=1)
    else:
        start = utc_now() - _dt.timedelta(minutes=5)
    body = {"occurred_at": rfc3339(start), "duration_minutes": 60,
            "skills": [pair.skills[0]] if pair is not None else ["linkedin"], "note": "Private note", "rating": 4}
    for k, v in overrides.items():
        if v is _DROP:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def log_session(api, pair, expect=201, idempotency_key=None, **overrides):
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
    r = api.post(f"/v1/pairs/{pair.id}/sessions", session_body(pair, **overrides), token=pair.mentee.token,
                 headers=headers)
    if expect is not None:
        assert r.status == expect, r
    return r


def confirmed_session(api, pair, **overrides):
    """Logs a session as the pair's manager and confirms it as its mentor; returns the confirmed Session."""
    s = log_session(api, pair, **overrides).body
    c = api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token)
    assert c.status == 200 and c.body["status"] == "confirmed", c
    return c.body


def ledger(api, emp):
    r = api.get("/v1/me/ledger", token=emp.token)
    assert r.status == 200, r
    return r.body


def achievements(api, emp):
    r = api.get("/v1/me/achievements", token=emp.token)
    assert r.status == 200, r
    return r.body


def badge_slugs(api, emp):
    return sorted(b["badge"] for b in achievements(api, emp)["badges"])


def recipient_identity(email, salt):
    return "sha256$" + _hashlib.sha256((email.lower() + salt).encode("utf-8")).hexdigest()


def webhook_signature(msg_id, timestamp, body_bytes, secret):
    """Standard Webhooks: "v1," + base64(HMAC-SHA256(base64-decoded secret after "whsec_",
    id "." timestamp "." body)), computed here independently of tandemd."""
    import base64 as _b64
    assert secret.startswith("whsec_"), secret
    key = _b64.b64decode(secret[len("whsec_"):])
    mac = _hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body_bytes, _hashlib.sha256).digest()
    return "v1," + _b64.b64encode(mac).decode()


def webhook_verify(delivery, secret):
    """True when one of the delivery's webhook-signature entries is the secret's signature."""
    h = {k.lower(): v for k, v in delivery["headers"].items()}
    want = webhook_signature(h["webhook-id"], h["webhook-timestamp"], delivery["body"], secret)
    return want in h["webhook-signature"].split(" ")


class HookReceiver:
    """A tiny HTTP server on 127.0.0.1 recording every POST (headers, raw body); `statuses` is the list of
    answers to give in turn (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.received = []
        self.lock = _threading.Lock()
        outer = self

        class Handler(_http_server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    idx = len(outer.received)
                    outer.received.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                           "at": time.monotonic()})
                    code = outer.statuses[min(idx, len(outer.statuses) - 1)]
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.httpd = _http_server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = _threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                got = list(self.received)
            if pred(got):
                return got
            time.sleep(0.05)
        with self.lock:
            return list(self.received)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hook_receiver():
    made = []

    def make(statuses=(200,)):
        h = HookReceiver(statuses)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


# --------------------------------------------------------------------------------------------------
# Honest counts: a skip is a failure unless tests/api/expected_skips.txt declares it with its reason.
# --------------------------------------------------------------------------------------------------

def _expected_skips():
    """Reads 'node id <whitespace> reason' lines (comments start with #) into {node id: reason}."""
    path = os.path.join(HERE, "expected_skips.txt")
    declared = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    nodeid, _, reason = line.partition(" ")
                    assert reason.strip(), f"expected_skips.txt: {nodeid} has no reason"
                    declared[nodeid] = reason.strip()
    return declared


EXPECTED_SKIPS = _expected_skips()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.nodeid not in EXPECTED_SKIPS and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"undeclared skip (declare it in tests/api/expected_skips.txt with its reason): {reason}"


def scim_deactivate(api, hr_token, eid):
    """Deactivates employee eid as an identity provider does (SCIM PATCH active = false): a leaver."""
    r = api.request("PATCH", f"/scim/v2/Users/{eid}", token=hr_token, validate=False,
                    json_body={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                               "Operations": [{"op": "replace", "path": "active", "value": False}]},
                    headers={"Content-Type": "application/scim+json"})
    assert r.status == 200, r.text

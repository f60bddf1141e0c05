"""Bad input never reaches a client as a 5xx: every path parameter, query parameter, header and write body
of every operation in the spec is sent wrong types, huge numbers, invalid UTF-8, NUL, long strings and
deep nesting, by callers who may legitimately call the operation. Every answer must be < 500, and every
error must be the one JSON error shape. Runs against a tandemd of its own, so the writes it makes that
happen to be valid cannot disturb other tests."""

import json
import uuid

import pytest
import requests

from conftest import SPEC, Client, Tandemd, build_pairs, confirmed_session, create_hr, make_state_dir

# Values put in place of a path segment or a query value (already percent-encoded where needed).
BAD_SEGMENTS = ["%FF", "%C3%28", "%00", "0", "-1", "1.5", "abc", "99999999999999999999",
                "9223372036854775808", "%E2%80%AE", "x" * 3000, "%20", "1e308", "%27%3B--"]
BAD_QUERY_VALUES = BAD_SEGMENTS + ["", "true", "%5B%5D"]

# Values put in place of a JSON member (Python values, serialised by json.dumps).
BAD_VALUES = [None, True, False, 0, -1, 1.5, 2 ** 31, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 1e308, -1e308,
              "", "x" * 20000, "\u0000", "a\u0000b", "\ud7ff\ue000", "é" * 500, "%FF", "1e999",
              "2026-02-30T25:61:00Z", "2026-01-01T00:00:00+16:00", "0000-00-00", "99999-01-01",
              [], {}, ["x"], [None], [{}], {"a": 1}, [1, 2, 3]]

# Whole bodies sent as raw bytes.
RAW_BODIES = [b"", b"null", b"[]", b"0", b'"x"', b"{", b'{"a":}', b'{"a": "\xff"}', b'{"a": "\xed\xa0\x80"}',
              b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000, b"\x00", b"1e99999",
              b'{"x": 1, "x": 2}', b"\xef\xbb\xbf{}", b'{"a": 123456789012345678901234567890}']

# Operations whose every call changes the callers themselves: fuzzed last, and only when they take input.
LAST = {"/v1/pairs/{pair_id}/end", "/v1/rounds/{id}/publish", "/v1/rounds/{id}/cancel"}
NO_INPUT_DESTRUCTIVE = {("DELETE", "/v1/me"), ("DELETE", "/v1/tokens/all"), ("DELETE", "/v1/tokens/current")}


def operations():
    ops = [(m, t, op) for m, t, op in SPEC.operations() if (m, t) not in NO_INPUT_DESTRUCTIVE]
    return sorted(ops, key=lambda o: (o[1] in LAST, o[1], o[0]))


OPS = operations()


class World:
    """The objects the fuzzed operations name: a published pair with a confirmed session, a round, a
    skill, a badge, an award, a webhook, and the tokens of HR, the manager and the mentor."""

    def __init__(self, server):
        self.api = Client(server.base_url)
        self.hr_token = create_hr(server.state_dir)["token"]
        pair = build_pairs(self.api, self.hr_token, [{}])[0]
        self.pair = pair
        session = confirmed_session(self.api, pair)
        self.session_id = session["id"]
        ach = self.api.get("/v1/me/achievements", token=pair.mentee.token).body
        award = ach["badges"][0]
        self.award_id = award["award_id"]
        self.assertion = award.get("assertion_url", "").rsplit("/", 1)[-1] or str(uuid.uuid4())
        r = self.api.post("/v1/webhooks", {"event_type": "badge_earned", "url": "https://hooks.example.com/hook"},
                          token=self.hr_token)
        assert r.status == 201, r
        self.webhook_id = r.body["id"]
        self.params = {"pair_id": pair.id, "id": None, "slug": pair.skills[0], "award_id": self.award_id,
                       "uuid": self.assertion}
        self.badge_slug = self.api.get("/v1/badges").body["items"][0]["slug"]
        self.tokens = [self.hr_token, pair.mentee.token, pair.mentor.token]

    def path_params(self, template):
        """Valid values for the template's parameters."""
        values = dict(self.params)
        if template.startswith("/v1/rounds/"):
            values["id"] = self.pair.round_id
        elif template.startswith("/v1/sessions/"):
            values["id"] = self.session_id
        elif template.startswith("/v1/webhooks/"):
            values["id"] = self.webhook_id
        elif template.startswith("/v1/employees/"):
            values["id"] = self.pair.mentee.id
        if template.startswith("/ob/badges/"):
            values["slug"] = self.badge_slug
        return values


@pytest.fixture(scope="module")
def world():
    state_dir = make_state_dir("tandem-fuzz-test-")
    srv = Tandemd(["--state-dir", state_dir], state_dir, name="tandemd-fuzz")
    try:
        yield World(srv)
    finally:
        srv.stop()


def param_names(template):
    names, rest = [], template
    while "{" in rest:
        rest = rest[rest.index("{") + 1:]
        names.append(rest[:rest.index("}")])
    return names


def fill(template, values):
    for name in param_names(template):
        template = template.replace("{" + name + "}", str(values[name]))
    return template


def mutations(example):
    """Bodies derived from the spec example: each member (and each member of the first element of an
    array of objects) replaced by each bad value, each member dropped, and unknown members added."""
    if not isinstance(example, dict):
        return
    for key in example:
        for v in BAD_VALUES:
            yield {**example, key: v}
        yield {k: w for k, w in example.items() if k != key}
        inner = example[key]
        if isinstance(inner, list) and inner and isinstance(inner[0], dict):
            for sub in inner[0]:
                for v in BAD_VALUES:
                    yield {**example, key: [{**inner[0], sub: v}] + inner[1:]}
        if isinstance(inner, dict):
            for sub in inner:
                for v in BAD_VALUES:
                    yield {**example, key: {**inner, sub: v}}
    yield {**example, "unknown_member": 1}


def example_body(op):
    body = op.get("requestBody")
    if not body:
        return None
    media = SPEC.resolve(body)["content"].get("application/json", {})
    return media.get("example", {})


class Prober:
    def __init__(self, world, method, template):
        self.world = world
        self.method = method
        self.template = template
        self.session = requests.Session()
        self.problems = []
        self.count = 0

    def send(self, token, path, data=None, headers=None, what=""):
        h = {"Authorization": f"Bearer {token}"} if token else {}
        if data is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        url = self.world.api.base_url + path
        try:
            resp = self.session.request(self.method, url, data=data, headers=h, timeout=30,
                                        allow_redirects=False)
        except requests.RequestException as e:
            self.problems.append(f"{what}: no answer ({e.__class__.__name__}: {e})")
            self.session = requests.Session()
            return
        self.count += 1
        if resp.status_code >= 500:
            self.problems.append(f"{what}: {resp.status_code} {resp.text[:300]}")
        elif resp.status_code >= 400 and self.method != "HEAD":
            try:
                body = json.loads(resp.content)
                if path.startswith("/scim/") and resp.status_code not in (405, 413):
                    # SCIM's own error schema (RFC 7644 3.12); 405 and 413 are answered before routing
                    ok = (body.get("schemas") == ["urn:ietf:params:scim:api:messages:2.0:Error"]
                          and body.get("status") == str(resp.status_code) and isinstance(body.get("detail"), str))
                else:
                    ok = (body.get("status") == resp.status_code and isinstance(body.get("code"), str)
                          and isinstance(body.get("message"), str))
            except (ValueError, AttributeError):
                ok = False
            if not ok:
                self.problems.append(f"{what}: {resp.status_code} not the JSON error shape: {resp.text[:200]}")


@pytest.mark.parametrize("method,template,op", OPS, ids=[f"{m} {t}" for m, t, _ in OPS])
def test_bad_input_never_gives_a_5xx(world, method, template, op):
    p = Prober(world, method, template)
    valid = world.path_params(template)
    example = example_body(op)
    body_bytes = json.dumps(example).encode() if example is not None else None
    # path parameters, one at a time, by every caller
    for name in param_names(template):
        for seg in BAD_SEGMENTS:
            path = fill(template, {**valid, name: seg})
            for token in world.tokens:
                p.send(token, path, body_bytes, what=f"path {name}={seg[:20]!r}")
    path = fill(template, valid)
    # query parameters, declared and not
    query = [SPEC.resolve(x)["name"] for x in op.get("parameters", []) if SPEC.resolve(x)["in"] == "query"]
    for name in query + ["unknown"]:
        for value in BAD_QUERY_VALUES:
            for token in world.tokens:
                p.send(token, f"{path}?{name}={value}", body_bytes, what=f"query {name}={value[:20]!r}")
    # each bad value again beside every value of the other parameters' enums (scope=department...)
    for name in query:
        for other in op.get("parameters", []):
            other = SPEC.resolve(other)
            enum = other.get("schema", {}).get("enum")
            if other["in"] != "query" or other["name"] == name or not enum:
                continue
            for choice in enum:
                for value in BAD_QUERY_VALUES[:4]:
                    p.send(world.tokens[0], f"{path}?{other['name']}={choice}&{name}={value}", body_bytes,
                           what=f"query {other['name']}={choice}&{name}={value!r}")
    p.send(world.tokens[0], path + "?%FF=1&&=&a", body_bytes, what="malformed query")
    # headers
    for header in ("Idempotency-Key", "Authorization"):
        for value in ("x" * 4000, "\u00e9\u00ff", "-", "Bearer " + "A" * 43, "Bearer tdm_" + "\u00ff" * 43):
            p.send(None if header == "Authorization" else world.tokens[1], path, body_bytes,
                   headers={header: value.encode("latin-1")}, what=f"header {header}={value[:20]!r}")
    # bodies
    if example is not None:
        for token in world.tokens:
            for raw in RAW_BODIES:
                p.send(token, path, raw, what=f"raw body {raw[:30]!r}")
            for body in mutations(example):
                p.send(token, path, json.dumps(body).encode(), what=f"body {json.dumps(body)[:120]}")
    assert p.count > 0
    assert not p.problems, f"{method} {template}: {len(p.problems)} of {p.count} answers wrong:\n" + \
        "\n".join(p.problems[:40])

"""Every request-body example in api-spec/openapi.yaml is accepted by the server as it stands."""

import time
import uuid

import pytest

from conftest import SPEC

EXAMPLES = list(SPEC.request_examples())
IDS = [f"{m} {t}" for m, t, _, _ in EXAMPLES]


@pytest.mark.parametrize("method,template,op,example", EXAMPLES, ids=IDS)
def test_example_matches_its_own_schema(method, template, op, example):
    media = SPEC.resolve(op["requestBody"])["content"]["application/json"]
    SPEC.validate_instance(media["schema"], example, f"example of {method} {template}")


def wait_round_settled(api, hr_token, round_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = api.get(f"/v1/rounds/{round_id}", token=hr_token)
        assert r.status == 200, r
        if r.body["status"] not in ("draft", "solving"):
            return r.body
        time.sleep(0.2)
    raise AssertionError(f"round {round_id} still solving after {timeout}s")


@pytest.mark.parametrize("method,template,op,example", EXAMPLES, ids=IDS)
def test_server_accepts_example(request, api, hr_token, make_employee, method, template, op, example):
    tags = op.get("tags", [])
    if "rounds" in tags:
        request.getfixturevalue("rounds_available")
    token = None
    params = {}
    if template == "/v1/employees":
        token = None
    elif template.startswith("/v1/me"):
        token = make_employee().token
    else:
        token = hr_token
    if "{slug}" in template:
        slug = "ex_" + uuid.uuid4().hex[:12]
        assert api.post("/v1/skills", {"slug": slug, "name": "Example target"}, token=hr_token).status == 201
        params["slug"] = slug
    if template.startswith("/v1/rounds/{id}"):
        r = api.post("/v1/rounds", {"name": "Example target " + uuid.uuid4().hex[:6]}, token=hr_token)
        assert r.status == 202, r
        wait_round_settled(api, hr_token, r.body["id"])
        params["id"] = r.body["id"]
    path = template.format(**params)
    r = api.request(method, path, token=token, json_body=example)
    assert 200 <= r.status < 300, f"{method} {path} rejected the spec example: {r}"

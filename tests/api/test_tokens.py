"""POST /v1/tokens and DELETE /v1/tokens/current: rotation and sign-out for employees and HR."""

from conftest import assert_error, create_hr, employee_body


def test_rotate_then_revoke_the_old_token(api):
    r = api.post("/v1/employees", employee_body())
    old = r.body["token"]
    new = api.post("/v1/tokens", token=old)
    assert new.status == 201 and new.body["token"] != old
    assert api.get("/v1/me", token=new.body["token"]).body["id"] == r.body["employee"]["id"]
    assert api.delete("/v1/tokens/current", token=old).status == 204
    assert_error(api.get("/v1/me", token=old), 401, "unauthorized")
    assert api.get("/v1/me", token=new.body["token"]).status == 200


def test_hr_can_rotate_too(api, server):
    hr = create_hr(server.state_dir)
    new = api.post("/v1/tokens", {}, token=hr["token"]).body["token"]
    assert api.get("/v1/employees", token=new, params={"limit": "1"}).status == 200
    assert api.delete("/v1/tokens/current", token=new).status == 204
    assert_error(api.get("/v1/employees", token=new), 401, "unauthorized")
    assert api.get("/v1/employees", token=hr["token"], params={"limit": "1"}).status == 200


def test_token_endpoints_need_a_token_and_known_fields(api):
    assert_error(api.post("/v1/tokens"), 401, "unauthorized")
    assert_error(api.delete("/v1/tokens/current"), 401, "unauthorized")
    tok = api.post("/v1/employees", employee_body()).body["token"]
    assert_error(api.post("/v1/tokens", {"label": "laptop"}, token=tok), 400, "unknown_field", "label")
    assert_error(api.post("/v1/tokens", {"scope": "admin"}, token=tok), 400, "invalid_value", "scope")
    r = api.post("/v1/tokens", {"expires_in_days": 0}, token=tok)
    assert r.status == 400 and r.body["field"] == "expires_in_days", r


def test_at_most_twenty_tokens(api):
    tok = api.post("/v1/employees", employee_body()).body["token"]
    for _ in range(19):
        assert api.post("/v1/tokens", token=tok).status == 201
    assert_error(api.post("/v1/tokens", token=tok), 409, "conflict")


def test_revoke_every_token(api):
    r = api.post("/v1/employees", employee_body())
    first = r.body["token"]
    others = [api.post("/v1/tokens", token=first).body["token"] for _ in range(2)]
    assert api.delete("/v1/tokens/all", token=others[0]).status == 204
    for tok in [first] + others:
        assert_error(api.get("/v1/me", token=tok), 401, "unauthorized")

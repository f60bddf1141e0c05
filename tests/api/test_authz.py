"""The authorisation table of design.md, bad tokens, and tokens of erased employees."""

import uuid

import pytest

from conftest import assert_error, employee_body, unique_email

# (method, path template, body factory) ; {own} = the employee's id, {other} = another employee's, {slug} = a skill
ENDPOINTS = {
    "signup": ("POST", "/v1/employees", lambda: employee_body()),
    "get_me": ("GET", "/v1/me", None),
    "patch_me": ("PATCH", "/v1/me", lambda: {}),
    "delete_me": ("DELETE", "/v1/me", None),
    "get_teaching": ("GET", "/v1/me/teaching", None),
    "put_teaching": ("PUT", "/v1/me/teaching", lambda: {"skills": []}),
    "get_learning": ("GET", "/v1/me/learning", None),
    "put_learning": ("PUT", "/v1/me/learning", lambda: {"goals": []}),
    "get_availability": ("GET", "/v1/me/availability", None),
    "put_availability": ("PUT", "/v1/me/availability", lambda: {"slots": []}),
    "list_employees": ("GET", "/v1/employees", None),
    "get_employee_own": ("GET", "/v1/employees/{own}", None),
    "get_employee_other": ("GET", "/v1/employees/{other}", None),
    "employee_overview_own": ("GET", "/v1/employees/{own}/overview", None),
    "employee_overview_other": ("GET", "/v1/employees/{other}/overview", None),
    "list_skills": ("GET", "/v1/skills", None),
    "create_skill": ("POST", "/v1/skills", lambda: {"slug": "s_" + uuid.uuid4().hex[:12], "name": "Test skill"}),
    "patch_skill": ("PATCH", "/v1/skills/{slug}", lambda: {"description": "touched by authz test"}),
    "list_webhooks": ("GET", "/v1/webhooks", None),
    "rotate_webhook_secret": ("POST", "/v1/webhooks/{webhook}/rotate-secret", lambda: {"grace_seconds": 0}),
    "issue_token": ("POST", "/v1/tokens", lambda: {"scope": "read", "expires_in_days": 1}),
    "list_tokens": ("GET", "/v1/tokens", None),
    "revoke_token_other": ("DELETE", "/v1/tokens/{other_token}", None),
    # issue 9: HR data
    "import_employees": ("POST", "/v1/employees/import?mode=partial&dry_run=true", lambda: {"employees": [
        {"employee_id": "authz-1", "email": "authz-import@example.com", "name": "Authz", "department": "Authz"}]}),
    "scim_service_provider_config": ("GET", "/scim/v2/ServiceProviderConfig", None),
    "scim_resource_types": ("GET", "/scim/v2/ResourceTypes", None),
    "scim_schemas": ("GET", "/scim/v2/Schemas", None),
    "scim_list_users": ("GET", "/scim/v2/Users", None),
    "scim_create_user": ("POST", "/scim/v2/Users", lambda: {"userName": unique_email("authz-scim")}),
    "scim_get_own": ("GET", "/scim/v2/Users/{own}", None),
    "scim_replace_other": ("PUT", "/scim/v2/Users/{other}", lambda: {"userName": unique_email("authz-put")}),
    "scim_patch_other": ("PATCH", "/scim/v2/Users/{other}",
                         lambda: {"Operations": [{"op": "replace", "path": "title", "value": "Authz"}]}),
    "scim_delete_other": ("DELETE", "/scim/v2/Users/{other}", None),
    "esn_status": ("GET", "/v1/esn/status", None),
    "esn_weights": ("GET", "/v1/esn/weights", None),
    "esn_weights_set": ("PATCH", "/v1/esn/weights", lambda: {}),
    "esn_ambassadors": ("GET", "/v1/esn/ambassadors", None),
    "esn_impact": ("GET", "/v1/esn/impact", None),
    "esn_me": ("GET", "/v1/me/esn", None),
    "sso_methods": ("GET", "/v1/auth/methods", None),
    "sso_login": ("GET", "/v1/auth/login", None),
    "sso_callback": ("GET", "/v1/auth/callback?code=c&state=s", None),
    "sso_logout": ("POST", "/v1/auth/logout", None),
}

# who -> expected status (or (status, code))
TABLE = {
    "signup": {"anonymous": 201, "employee": 201, "hr": 201},
    "get_me": {"anonymous": 401, "employee": 200, "hr": 403},
    "patch_me": {"anonymous": 401, "employee": 200, "hr": 403},
    "delete_me": {"anonymous": 401, "employee": 204, "hr": 403},
    "get_teaching": {"anonymous": 401, "employee": 200, "hr": 403},
    "put_teaching": {"anonymous": 401, "employee": 200, "hr": 403},
    "get_learning": {"anonymous": 401, "employee": 200, "hr": 403},
    "put_learning": {"anonymous": 401, "employee": 200, "hr": 403},
    "get_availability": {"anonymous": 401, "employee": 200, "hr": 403},
    "put_availability": {"anonymous": 401, "employee": 200, "hr": 403},
    "list_employees": {"anonymous": 401, "employee": 403, "hr": 200},
    "get_employee_own": {"anonymous": 401, "employee": 200, "hr": 200},
    "get_employee_other": {"anonymous": 401, "employee": 403, "hr": 200},
    # HR's page for one employee: not even the employee themselves
    "employee_overview_own": {"anonymous": 401, "employee": 403, "hr": 200},
    "employee_overview_other": {"anonymous": 401, "employee": 403, "hr": 200},
    "list_skills": {"anonymous": 200, "employee": 200, "hr": 200},
    "create_skill": {"anonymous": 401, "employee": 403, "hr": 201},
    "patch_skill": {"anonymous": 401, "employee": 403, "hr": 200},
    "list_webhooks": {"anonymous": 401, "employee": 403, "hr": 200},
    "rotate_webhook_secret": {"anonymous": 401, "employee": 403, "hr": 200},
    "issue_token": {"anonymous": 401, "employee": 201, "hr": 201},
    "list_tokens": {"anonymous": 401, "employee": 200, "hr": 200},
    # an employee cannot see another's token (404), HR revokes anyone's
    "revoke_token_other": {"anonymous": 401, "employee": 404, "hr": 204},
    "import_employees": {"anonymous": 401, "employee": 403, "hr": 200},
    "scim_service_provider_config": {"anonymous": 200, "employee": 200, "hr": 200},
    "scim_resource_types": {"anonymous": 200, "employee": 200, "hr": 200},
    "scim_schemas": {"anonymous": 200, "employee": 200, "hr": 200},
    "scim_list_users": {"anonymous": 401, "employee": 403, "hr": 200},
    "scim_create_user": {"anonymous": 401, "employee": 403, "hr": 201},
    "scim_get_own": {"anonymous": 401, "employee": 403, "hr": 200},
    "scim_replace_other": {"anonymous": 401, "employee": 403, "hr": 200},
    "scim_patch_other": {"anonymous": 401, "employee": 403, "hr": 200},
    "scim_delete_other": {"anonymous": 401, "employee": 403, "hr": 204},
    "esn_status": {"anonymous": 401, "employee": 403, "hr": 200},
    "esn_weights": {"anonymous": 401, "employee": 403, "hr": 200},
    "esn_weights_set": {"anonymous": 401, "employee": 403, "hr": 200},
    "esn_ambassadors": {"anonymous": 401, "employee": 403, "hr": 200},
    "esn_impact": {"anonymous": 401, "employee": 403, "hr": 200},
    "esn_me": {"anonymous": 401, "employee": 200, "hr": 403},
    # single sign-on is not configured on the shared server (test_oidc_*.py run servers with it)
    "sso_methods": {"anonymous": 200, "employee": 200, "hr": 200},
    "sso_login": {w: (404, "sso_not_configured") for w in ("anonymous", "employee", "hr")},
    "sso_callback": {w: (404, "sso_not_configured") for w in ("anonymous", "employee", "hr")},
    # revokes the token used (HR: a fresh one, not the suite's)
    "sso_logout": {"anonymous": 401, "employee": 204, "hr": 204},
}

CASES = [(ep, who, status) for ep, row in TABLE.items() for who, status in row.items()]
CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


@pytest.fixture(scope="module")
def authz_skill(api, hr_token):
    slug = "authz_" + uuid.uuid4().hex[:10]
    r = api.post("/v1/skills", {"slug": slug, "name": "Authz skill"}, token=hr_token)
    assert r.status == 201, r
    return slug


@pytest.fixture(scope="module")
def authz_webhook(api, hr_token):
    r = api.post("/v1/webhooks", {"event_type": "badge_earned", "url": "https://hooks.example.com/authz"},
                 token=hr_token)
    assert r.status == 201, r
    yield r.body["id"]
    api.delete(f"/v1/webhooks/{r.body['id']}", token=hr_token)


@pytest.mark.parametrize("endpoint,who,expected", CASES, ids=[f"{e}-{w}" for e, w, _ in CASES])
def test_authorisation_table(api, make_employee, hr_token, authz_skill, authz_webhook, endpoint, who, expected):
    method, template, body_factory = ENDPOINTS[endpoint]
    me, other = make_employee(), make_employee()
    other_token = None
    if "{other_token}" in template:
        listed = api.get("/v1/tokens", token=hr_token, params={"employee_id": str(other.id)})
        other_token = listed.body["items"][0]["id"]
    path = template.format(own=me.id, other=other.id, slug=authz_skill, webhook=authz_webhook,
                           other_token=other_token)
    token = {"anonymous": None, "employee": me.token, "hr": hr_token}[who]
    if endpoint == "sso_logout" and who == "hr":
        token = api.post("/v1/tokens", {"expires_in_days": 1}, token=hr_token).body["token"]
    expected, code = expected if isinstance(expected, tuple) else (expected, CODES.get(expected))
    r = api.request(method, path, token=token, json_body=body_factory() if body_factory else None)
    assert r.status == expected, f"{who} {method} {path}: expected {expected}, got {r}"
    if code is not None and path.startswith("/scim/"):  # SCIM's own error schema
        assert r.body["status"] == str(expected) and r.body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    elif code is not None:
        assert r.body["code"] == code
    if endpoint == "sso_logout" and who != "anonymous":
        assert api.get("/v1/tokens", token=token).status == 401, "logout left the token valid"
    if endpoint == "delete_me" and who != "employee":
        assert api.get("/v1/me", token=me.token).status == 200, "a refused DELETE erased the employee"


BAD_AUTH_HEADERS = {
    "garbage_token": "Bearer tdm_" + "A" * 43,
    "malformed_token": "Bearer not-a-token",
    "empty_bearer": "Bearer ",
    "bearer_only": "Bearer",
    "basic_scheme": "Basic dXNlcjpwYXNz",
    "no_scheme": "tdm_" + "B" * 43,
    "truncated_token": None,  # filled in the test from a real token
    "token_with_suffix": None,
}


def test_esn_import_authorisation(api, make_employee, hr_token):
    """POST /v1/esn/import is HR's (its body is NDJSON or CSV, so it is not in the JSON table above); the
    signed endpoint takes no token (its HMAC is the credential) and is off without --esn-secret."""
    body, headers = b'{"id": "authz", "actor_email": "a@example.com", "kind": "post", "occurred_at": "2024-01-01T00:00:00Z"}\n', \
        {"Content-Type": "application/x-ndjson"}
    assert_error(api.request("POST", "/v1/esn/import", data=body, headers=headers), 401, "unauthorized")
    assert_error(api.request("POST", "/v1/esn/import", data=body, headers=headers, token=make_employee().token),
                 403, "forbidden")
    r = api.request("POST", "/v1/esn/import", data=body, headers=headers, token=hr_token)
    assert r.status == 200, r
    assert_error(api.request("POST", "/v1/esn/events", json_body={"events": []}, token=hr_token), 404,
                 "not_configured")


@pytest.mark.parametrize("name", sorted(BAD_AUTH_HEADERS))
def test_bad_authorization_is_401(api, employee, name):
    value = BAD_AUTH_HEADERS[name]
    if name == "truncated_token":
        value = "Bearer " + employee.token[:-1]
    elif name == "token_with_suffix":
        value = "Bearer " + employee.token + "x"
    r = api.get("/v1/me", headers={"Authorization": value})
    assert_error(r, 401, "unauthorized", None)


def test_bearer_scheme_is_case_insensitive(api, employee):
    # RFC 7235: the auth-scheme token is case-insensitive
    r = api.get("/v1/me", headers={"Authorization": "bearer " + employee.token})
    assert r.status == 200, r


def test_missing_token_gives_www_authenticate(api):
    r = api.get("/v1/me")
    assert_error(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_hr_token_on_me_subpaths_is_403(api, hr_token):
    for m, p in [("GET", "/v1/me"), ("GET", "/v1/me/teaching"), ("PUT", "/v1/me/learning")]:
        r = api.request(m, p, token=hr_token, json_body={"goals": []} if m == "PUT" else None)
        assert_error(r, 403, "forbidden")


def test_token_after_delete_me_is_401_everywhere(api, make_employee):
    e = make_employee()
    other = make_employee()
    assert api.delete("/v1/me", token=e.token).status == 204
    for m, p, b in [("GET", "/v1/me", None), ("PATCH", "/v1/me", {}), ("GET", "/v1/me/teaching", None),
                    ("PUT", "/v1/me/availability", {"slots": []}), ("GET", f"/v1/employees/{e.id}", None),
                    ("GET", f"/v1/employees/{other.id}", None), ("GET", "/v1/employees", None)]:
        r = api.request(m, p, token=e.token, json_body=b)
        assert_error(r, 401, "unauthorized")
    # other employees are untouched
    assert api.get("/v1/me", token=other.token).status == 200

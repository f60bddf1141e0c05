"""Self-test of the response validator in conftest.py (no server needed): drift must be caught."""

import json

import pytest
import requests

from conftest import validate_response

PROFILE = {"id": 1, "email": "ana@example.com", "display_name": "Ana", "department": "Sales", "site": "",
           "job_title": "", "timezone": "UTC", "languages": ["fr"], "manager_email": None, "role": "mentor",
           "mentor_capacity": 1, "leaderboard_opt_in": False, "created_at": "2026-11-27T13:39:05Z",
           "updated_at": "2026-11-27T13:39:05Z", "teaching": [], "learning": [], "availability": []}


def fake(status, body, ctype="application/json", headers=None):
    r = requests.Response()
    r.status_code = status
    r._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r.headers["Content-Type"] = ctype
    for k, v in (headers or {}).items():
        r.headers[k] = v
    return r


def test_valid_profile_passes():
    validate_response("GET", "/v1/me", fake(200, PROFILE))
    validate_response("GET", "/v1/employees/7", fake(200, PROFILE))


@pytest.mark.parametrize("mutate", [
    lambda p: p.update(extra=1),                      # unknown property on a closed object
    lambda p: p.pop("teaching"),                      # missing list
    lambda p: p.update(email="Ana@Example.com"),      # not lower-case
    lambda p: p.update(created_at="2026-11-27 13:39:05"),
    lambda p: p.update(role="admin"),
    lambda p: p.update(availability=[{"day": "mon", "start": "09:10", "end": "10:00"}]),
])
def test_profile_drift_is_caught(mutate):
    p = json.loads(json.dumps(PROFILE))
    mutate(p)
    with pytest.raises(AssertionError):
        validate_response("GET", "/v1/me", fake(200, p))


def test_employee_in_listing_must_not_carry_lists():
    with pytest.raises(AssertionError):
        validate_response("GET", "/v1/employees", fake(200, {"items": [PROFILE], "next_cursor": None}))


def test_undocumented_status_is_caught():
    with pytest.raises(AssertionError):
        validate_response("GET", "/healthz", fake(201, {"status": "ok"}))


def test_error_shape_enforced():
    ok = {"status": 404, "code": "not_found", "message": "no", "field": None}
    validate_response("GET", "/v1/nowhere", fake(404, ok))
    for bad in ({"status": 404, "code": "not_found", "message": "no"},
                {"status": 400, "code": "not_found", "message": "no", "field": None},
                {"status": 404, "code": "nope", "message": "no", "field": None},
                {"error": "not found"}):
        with pytest.raises(AssertionError):
            validate_response("GET", "/v1/nowhere", fake(404, bad))


def test_401_needs_www_authenticate_and_405_needs_allow():
    e401 = {"status": 401, "code": "unauthorized", "message": "x", "field": None}
    with pytest.raises(AssertionError):
        validate_response("GET", "/v1/me", fake(401, e401))
    validate_response("GET", "/v1/me", fake(401, e401, headers={"WWW-Authenticate": "Bearer"}))
    e405 = {"status": 405, "code": "method_not_allowed", "message": "x", "field": None}
    with pytest.raises(AssertionError):
        validate_response("PUT", "/v1/me", fake(405, e405))


def test_204_must_be_empty():
    with pytest.raises(AssertionError):
        validate_response("DELETE", "/v1/me", fake(204, {"ok": True}))

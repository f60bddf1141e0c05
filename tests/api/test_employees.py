"""Sign-up, own profile (GET/PATCH/DELETE /v1/me), GET /v1/employees/{id}, and their validation rules."""

import re
import time
import uuid

import pytest

from conftest import DROP, assert_error, employee_body, unique_email

EMPLOYEE_FIELDS = {"id", "email", "display_name", "department", "site", "job_title", "timezone", "languages",
                   "manager_email", "role", "mentor_capacity", "leaderboard_opt_in", "created_at", "updated_at"}


def test_signup_happy_path(api):
    body = employee_body(role="mentor", mentor_capacity=2, leaderboard_opt_in=True)
    r = api.post("/v1/employees", body)
    assert r.status == 201, r
    emp = r.body["employee"]
    assert re.fullmatch(r"tdm_[A-Za-z0-9_-]{43}", r.body["token"])
    for k in body:
        assert emp[k] == body[k], k
    assert emp["teaching"] == [] and emp["learning"] == [] and emp["availability"] == []
    assert set(emp) == EMPLOYEE_FIELDS | {"teaching", "learning", "availability"}


def test_signup_defaults(api):
    body = employee_body(site=DROP, job_title=DROP, manager_email=DROP, mentor_capacity=DROP,
                         leaderboard_opt_in=DROP)
    r = api.post("/v1/employees", body)
    assert r.status == 201, r
    emp = r.body["employee"]
    assert emp["site"] == "" and emp["job_title"] == ""
    assert emp["manager_email"] is None
    assert emp["mentor_capacity"] == 1
    assert emp["leaderboard_opt_in"] is False


def test_signup_lowercases_email_and_manager_email(api):
    local = uuid.uuid4().hex[:12]
    r = api.post("/v1/employees", employee_body(email=f"Mixed.{local}@Example.COM", manager_email="The.Boss@Example.com"))
    assert r.status == 201, r
    assert r.body["employee"]["email"] == f"mixed.{local}@example.com"
    assert r.body["employee"]["manager_email"] == "the.boss@example.com"


def test_email_unique_case_insensitively(api):
    local = uuid.uuid4().hex[:12]
    assert api.post("/v1/employees", employee_body(email=f"dup.{local}@example.com")).status == 201
    for variant in (f"dup.{local}@example.com", f"DUP.{local}@EXAMPLE.COM", f"Dup.{local}@example.Com"):
        r = api.post("/v1/employees", employee_body(email=variant))
        assert_error(r, 409, "email_taken", "email")


def test_patch_email_to_taken_one_is_409(api, make_employee):
    a, b = make_employee(), make_employee()
    before = api.get("/v1/me", token=b.token).body
    r = api.patch("/v1/me", {"email": a.email.upper()}, token=b.token)
    assert_error(r, 409, "email_taken", "email")
    assert api.get("/v1/me", token=b.token).body == before


def test_patch_own_email_case_change_is_fine(api, employee):
    r = api.patch("/v1/me", {"email": employee.email.upper()}, token=employee.token)
    assert r.status == 200, r
    assert r.body["email"] == employee.email


def test_tokens_are_distinct(api):
    tokens = {api.post("/v1/employees", employee_body()).body["token"] for _ in range(5)}
    assert len(tokens) == 5


def test_get_me(api, employee):
    r = api.get("/v1/me", token=employee.token)
    assert r.status == 200
    assert r.body == employee.profile


def test_get_employee_by_id_self_and_hr(api, employee, hr_token):
    r = api.get(f"/v1/employees/{employee.id}", token=employee.token)
    assert r.status == 200 and r.body == employee.profile
    r = api.get(f"/v1/employees/{employee.id}", token=hr_token)
    assert r.status == 200 and r.body == employee.profile


def test_get_employee_other_is_403(api, make_employee):
    a, b = make_employee(), make_employee()
    assert_error(api.get(f"/v1/employees/{b.id}", token=a.token), 403, "forbidden")


@pytest.mark.parametrize("path", ["/v1/employees/999999999", "/v1/employees/0"])
def test_get_employee_unknown_is_404(api, hr_token, path):
    assert_error(api.get(path, token=hr_token), 404, "not_found")


def test_get_employee_non_numeric_id_is_404(api, hr_token):
    assert_error(api.get("/v1/employees/abc", token=hr_token), 404, "not_found")


def test_patch_me_updates_and_keeps_rest(api, employee):
    r = api.patch("/v1/me", {"display_name": "Renamed", "timezone": "America/New_York", "role": "both",
                             "mentor_capacity": 3, "manager_email": None, "languages": ["en"]},
                  token=employee.token)
    assert r.status == 200, r
    p = r.body
    assert p["display_name"] == "Renamed" and p["timezone"] == "America/New_York" and p["role"] == "both"
    assert p["mentor_capacity"] == 3 and p["manager_email"] is None and p["languages"] == ["en"]
    assert p["department"] == employee.profile["department"] and p["email"] == employee.email
    assert p["created_at"] == employee.profile["created_at"]
    assert p["updated_at"] >= employee.profile["updated_at"]
    assert api.get("/v1/me", token=employee.token).body == p


def test_patch_me_empty_object(api, employee):
    r = api.patch("/v1/me", {}, token=employee.token)
    assert r.status == 200, r
    for k in EMPLOYEE_FIELDS - {"updated_at"}:
        assert r.body[k] == employee.profile[k], k


def test_patch_me_email_is_lowercased(api, employee):
    new = unique_email("NEW").replace("example.com", "Example.COM")
    r = api.patch("/v1/me", {"email": new}, token=employee.token)
    assert r.status == 200, r
    assert r.body["email"] == new.lower()


def test_delete_me(api, make_employee, hr_token):
    e = make_employee()
    api.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 3}]}, token=e.token)
    r = api.delete("/v1/me", token=e.token)
    assert r.status == 204, r
    assert_error(api.get("/v1/me", token=e.token), 401, "unauthorized")
    assert_error(api.get("/v1/me/teaching", token=e.token), 401, "unauthorized")
    assert_error(api.delete("/v1/me", token=e.token), 401, "unauthorized")
    assert_error(api.get(f"/v1/employees/{e.id}", token=hr_token), 404, "not_found")
    # the email is free again (erasure), and the new account is a different one
    r = api.post("/v1/employees", employee_body(email=e.email))
    assert r.status == 201, r
    assert r.body["employee"]["id"] != e.id and r.body["employee"]["teaching"] == []


# --- validation --------------------------------------------------------------------------------------------

LONG = "x" * 101
SIGNUP_INVALID = [
    # (id, overrides, status, code, field)
    ("missing_email", {"email": DROP}, 400, "missing_field", "email"),
    ("missing_display_name", {"display_name": DROP}, 400, "missing_field", "display_name"),
    ("missing_department", {"department": DROP}, 400, "missing_field", "department"),
    ("missing_timezone", {"timezone": DROP}, 400, "missing_field", "timezone"),
    ("missing_languages", {"languages": DROP}, 400, "missing_field", "languages"),
    ("missing_role", {"role": DROP}, 400, "missing_field", "role"),
    ("type_email", {"email": 42}, 400, "invalid_type", "email"),
    ("type_display_name", {"display_name": 5}, 400, "invalid_type", "display_name"),
    ("type_department", {"department": ["Sales"]}, 400, "invalid_type", "department"),
    ("type_site", {"site": 1}, 400, "invalid_type", "site"),
    ("type_site_null", {"site": None}, 400, "invalid_type", "site"),
    ("type_display_name_null", {"display_name": None}, 400, "invalid_type", "display_name"),
    ("type_languages_string", {"languages": "fr"}, 400, "invalid_type", "languages"),
    ("type_languages_item", {"languages": ["fr", 1]}, 400, "invalid_type", "languages[1]"),
    ("type_capacity_string", {"mentor_capacity": "2"}, 400, "invalid_type", "mentor_capacity"),
    ("type_capacity_float", {"mentor_capacity": 1.5}, 400, "invalid_type", "mentor_capacity"),
    ("type_capacity_bool", {"mentor_capacity": True}, 400, "invalid_type", "mentor_capacity"),
    ("type_optin_string", {"leaderboard_opt_in": "yes"}, 400, "invalid_type", "leaderboard_opt_in"),
    ("type_optin_int", {"leaderboard_opt_in": 1}, 400, "invalid_type", "leaderboard_opt_in"),
    ("type_manager_email", {"manager_email": 7}, 400, "invalid_type", "manager_email"),
    ("type_role", {"role": 1}, 400, "invalid_type", "role"),
    ("unknown_field", {"nickname": "Ana"}, 400, "unknown_field", "nickname"),
    ("unknown_field_id", {"id": 5}, 400, "unknown_field", "id"),
    ("email_no_at", {"email": "not-an-email"}, 400, "invalid_value", "email"),
    ("email_two_ats", {"email": "a@b@example.com"}, 400, "invalid_value", "email"),
    ("email_empty", {"email": ""}, 400, "invalid_value", "email"),
    ("email_too_long", {"email": "a" * 243 + "@example.com"}, 400, "invalid_value", "email"),
    ("display_name_empty", {"display_name": ""}, 400, "invalid_value", "display_name"),
    ("display_name_too_long", {"display_name": LONG}, 400, "invalid_value", "display_name"),
    ("department_empty", {"department": ""}, 400, "invalid_value", "department"),
    ("department_too_long", {"department": LONG}, 400, "invalid_value", "department"),
    ("site_too_long", {"site": LONG}, 400, "invalid_value", "site"),
    ("job_title_too_long", {"job_title": LONG}, 400, "invalid_value", "job_title"),
    ("timezone_mars", {"timezone": "Mars/Olympus"}, 400, "invalid_timezone", "timezone"),
    ("timezone_abbrev_EST", {"timezone": "EST"}, 400, "invalid_timezone", "timezone"),
    ("timezone_offset", {"timezone": "+02:00"}, 400, "invalid_timezone", "timezone"),
    ("timezone_empty", {"timezone": ""}, 400, {"invalid_timezone", "invalid_value"}, "timezone"),
    ("languages_empty", {"languages": []}, 400, "invalid_value", "languages"),
    ("languages_upper", {"languages": ["FR"]}, 400, "invalid_value", "languages[0]"),
    ("languages_three_letters", {"languages": ["en", "fra"]}, 400, "invalid_value", "languages[1]"),
    ("languages_duplicate", {"languages": ["fr", "fr"]}, 400, "invalid_value", {"languages", "languages[1]"}),
    ("languages_too_many", {"languages": ["aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay"]},
     400, "invalid_value", "languages"),
    ("role_bad", {"role": "boss"}, 400, "invalid_value", "role"),
    ("role_uppercase", {"role": "Mentor"}, 400, "invalid_value", "role"),
    ("capacity_zero", {"mentor_capacity": 0}, 400, "invalid_value", "mentor_capacity"),
    ("capacity_four", {"mentor_capacity": 4}, 400, "invalid_value", "mentor_capacity"),
    ("manager_email_bad", {"manager_email": "nobody"}, 400, "invalid_value", "manager_email"),
]


@pytest.mark.parametrize("case", SIGNUP_INVALID, ids=[c[0] for c in SIGNUP_INVALID])
def test_signup_validation(api, case):
    _, overrides, status, code, field = case
    body = employee_body(**overrides)
    r = api.post("/v1/employees", body)
    assert_error(r, status, code, field)
    # nothing was written: the same email can still sign up
    if isinstance(body.get("email"), str) and "@" in body["email"] and body["email"].count("@") == 1 \
            and len(body["email"]) <= 254:
        r2 = api.post("/v1/employees", employee_body(email=body["email"]))
        assert r2.status == 201, f"rejected sign-up left something behind: {r2}"


def test_signup_manager_email_equal_to_own(api):
    email = unique_email()
    r = api.post("/v1/employees", employee_body(email=email, manager_email=email.upper()))
    assert_error(r, 400, "invalid_value", "manager_email")


def test_signup_body_not_object_fields(api):
    assert_error(api.post("/v1/employees", {}), 400, "missing_field")


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "America/Argentina/Buenos_Aires"])
def test_signup_valid_timezones(api, tz):
    r = api.post("/v1/employees", employee_body(timezone=tz))
    assert r.status == 201, r
    assert r.body["employee"]["timezone"] == tz


def test_signup_limits_are_inclusive(api):
    local = "a" * (254 - len("@example.com") - 32) + uuid.uuid4().hex
    email = local + "@example.com"
    assert len(email) == 254
    r = api.post("/v1/employees", employee_body(email=email, display_name="é" * 100, department="D" * 100,
                                                site="s" * 100, job_title="j" * 100, mentor_capacity=3,
                                                languages=["aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av"]))
    assert r.status == 201, r
    assert r.body["employee"]["display_name"] == "é" * 100


PATCH_INVALID = [
    ("unknown_field", {"nickname": "x"}, 400, "unknown_field", "nickname"),
    ("read_only_id", {"id": 1}, 400, "unknown_field", "id"),
    ("read_only_created_at", {"created_at": "2026-01-01T00:00:00Z"}, 400, "unknown_field", "created_at"),
    ("display_name_null", {"display_name": None}, 400, "invalid_type", "display_name"),
    ("email_null", {"email": None}, 400, "invalid_type", "email"),
    ("timezone_null", {"timezone": None}, 400, "invalid_type", "timezone"),
    ("bad_email", {"email": "nope"}, 400, "invalid_value", "email"),
    ("bad_timezone", {"timezone": "Mars/Olympus"}, 400, "invalid_timezone", "timezone"),
    ("bad_timezone_est", {"timezone": "EST"}, 400, "invalid_timezone", "timezone"),
    ("bad_language", {"languages": ["english"]}, 400, "invalid_value", "languages[0]"),
    ("bad_role", {"role": "admin"}, 400, "invalid_value", "role"),
    ("bad_capacity", {"mentor_capacity": 9}, 400, "invalid_value", "mentor_capacity"),
    ("type_optin", {"leaderboard_opt_in": "true"}, 400, "invalid_type", "leaderboard_opt_in"),
    ("empty_department", {"department": ""}, 400, "invalid_value", "department"),
    # a valid change next to an invalid one must not be applied either
    ("partial_valid", {"display_name": "Should Not Stick", "role": "boss"}, 400, "invalid_value", "role"),
]


@pytest.mark.parametrize("case", PATCH_INVALID, ids=[c[0] for c in PATCH_INVALID])
def test_patch_me_validation_writes_nothing(api, employee, case):
    _, body, status, code, field = case
    before = api.get("/v1/me", token=employee.token).body
    assert_error(api.patch("/v1/me", body, token=employee.token), status, code, field)
    assert api.get("/v1/me", token=employee.token).body == before


def test_patch_manager_email_to_own_email(api, employee):
    before = api.get("/v1/me", token=employee.token).body
    r = api.patch("/v1/me", {"manager_email": employee.email}, token=employee.token)
    assert_error(r, 400, "invalid_value", "manager_email")
    assert api.get("/v1/me", token=employee.token).body == before


def test_patch_email_to_current_manager_email(api, employee):
    # own email becoming equal to the (unchanged) manager_email is the same rule
    r = api.patch("/v1/me", {"email": employee.profile["manager_email"]}, token=employee.token)
    assert_error(r, 400, "invalid_value", {"email", "manager_email"})


@pytest.mark.parametrize("field", ["display_name", "department"])
def test_blank_required_text_is_rejected(api, field):
    # design: required, 1..100 chars; a whitespace-only value is demanded to count as empty
    assert_error(api.post("/v1/employees", employee_body(**{field: "   "})), 400, "invalid_value", field)


def test_timezone_wrong_case_is_rejected_or_canonicalised(api):
    r = api.post("/v1/employees", employee_body(timezone="europe/paris"))
    if r.status == 201:
        assert r.body["employee"]["timezone"] == "Europe/Paris", "non-canonical IANA name stored as given"
    else:
        assert_error(r, 400, "invalid_timezone", "timezone")


def test_mentor_capacity_cannot_drop_below_active_pairs(api, hr_token, make_pairs):
    """A mentor lowering their capacity under their active pairs used to block every later publication."""
    pair = make_pairs([{"mentor": {"mentor_capacity": 2}}])[0]
    mentor = api.get("/v1/me", token=pair.mentor.token).body
    # a second manager for the same mentor, in a second round
    dept = f"Second-{uuid.uuid4().hex[:8]}"
    r = api.post("/v1/employees", employee_body(department=dept, timezone="UTC", languages=["en"], role="mentee"))
    tok = r.body["token"]
    api.put("/v1/me/learning", {"goals": [{"skill": pair.skills[0], "current_level": 0, "priority": 1}]}, token=tok)
    api.put("/v1/me/availability", {"slots": mentor["availability"]}, token=tok)
    r = api.post("/v1/rounds", {"name": "second", "filter": {"departments": [mentor["department"], dept], "sites": []}},
                 token=hr_token)
    rid = r.body["id"]
    deadline = time.monotonic() + 30
    while api.get(f"/v1/rounds/{rid}", token=hr_token).body["status"] == "solving" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert api.post(f"/v1/rounds/{rid}/publish", token=hr_token).status == 200
    assert len(api.get("/v1/me/pairs", token=pair.mentor.token).body["items"]) == 2
    assert_error(api.patch("/v1/me", {"mentor_capacity": 1}, token=pair.mentor.token), 409, "conflict",
                 "mentor_capacity")
    assert api.get("/v1/me", token=pair.mentor.token).body["mentor_capacity"] == 2
    assert api.patch("/v1/me", {"mentor_capacity": 3}, token=pair.mentor.token).status == 200

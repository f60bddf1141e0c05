"""Matching rounds (issue 3, HR only) and /v1/me/pairs: authorisation and the basic life cycle."""

import datetime
import uuid

import pytest

from conftest import assert_error, confirmed_session, scim_deactivate
from conftest import wait_round as wait_settled

pytestmark = pytest.mark.rounds




@pytest.fixture(scope="module")
def a_round(api, hr_token):
    r = api.post("/v1/rounds", {"name": "Authz round " + uuid.uuid4().hex[:6]}, token=hr_token)
    assert r.status == 202, r
    return wait_settled(api, hr_token, r.body["id"])


ROUND_ENDPOINTS = [
    ("GET", "/v1/rounds", None),
    ("POST", "/v1/rounds", {"name": "x"}),
    ("GET", "/v1/rounds/{id}", None),
    ("PATCH", "/v1/rounds/{id}", {"objective": "max_score"}),
    ("PUT", "/v1/rounds/{id}/pins", {"pins": []}),
    ("PUT", "/v1/rounds/{id}/forbidden", {"forbidden": []}),
    ("POST", "/v1/rounds/{id}/solve", {"keep_previous": True}),
    ("POST", "/v1/rounds/{id}/publish", None),
    ("POST", "/v1/rounds/{id}/cancel", None),
]


@pytest.mark.parametrize("method,template,body", ROUND_ENDPOINTS, ids=[f"{m} {t}" for m, t, _ in ROUND_ENDPOINTS])
@pytest.mark.parametrize("who", ["anonymous", "employee"])
def test_rounds_refuse_non_hr(api, employee, a_round, method, template, body, who):
    token = None if who == "anonymous" else employee.token
    r = api.request(method, template.format(id=a_round["id"]), token=token, json_body=body)
    if who == "anonymous":
        assert_error(r, 401, "unauthorized")
    else:
        assert_error(r, 403, "forbidden")


def test_me_pairs_authz(api, employee, hr_token):
    assert_error(api.get("/v1/me/pairs"), 401, "unauthorized")
    assert_error(api.get("/v1/me/pairs", token=hr_token), 403, "forbidden")
    r = api.get("/v1/me/pairs", token=employee.token)
    assert r.status == 200 and r.body["items"] == []


def test_round_defaults(api, hr_token):
    r = api.post("/v1/rounds", {"name": "Defaults " + uuid.uuid4().hex[:6]}, token=hr_token)
    assert r.status == 202, r
    rd = r.body
    assert rd["status"] == "solving"
    assert rd["objective"] == "max_matched_then_score"
    assert rd["weights"] == {"skill_gain": 1.0, "cross_department": 4.0, "overlap_per_hour": 0.5,
                             "overlap_cap_hours": 4, "previously_unmatched": 2.0}
    assert rd["session_minutes"] == 60 and rd["allow_repeat_pairs"] is False and rd["mentor_capacity_cap"] == 3
    assert rd["published_at"] is None


def test_round_default_dates_and_date_rules(api, hr_token):
    """The defaults and date rules live in SQL (issue 8): the next Monday (UTC, today if Monday) is
    the reference week and the start; a round lasts 182 days; a body's dates override them."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    monday = today + datetime.timedelta(days=(7 - today.weekday()) % 7)
    rd = api.post("/v1/rounds", {"name": "Dates", "solve": False}, token=hr_token).body
    assert rd["status"] == "draft" and rd["reference_week"] == monday.isoformat()
    assert rd["starts_on"] == monday.isoformat()
    assert rd["ends_on"] == (monday + datetime.timedelta(days=182)).isoformat()
    rd = api.post("/v1/rounds", {"name": "Dates", "solve": False, "starts_on": "2031-03-05",
                                 "weights": {"skill_gain": 3}, "filter": {"sites": ["Lyon"]}}, token=hr_token).body
    assert (rd["starts_on"], rd["ends_on"]) == ("2031-03-05", "2031-09-03")
    assert rd["weights"]["skill_gain"] == 3 and rd["weights"]["cross_department"] == 4.0
    assert rd["filter"] == {"departments": [], "sites": ["Lyon"]}
    for body, field in (({"reference_week": "2031-03-05"}, "reference_week"),
                        ({"starts_on": "2031-03-05", "ends_on": "2031-03-05"}, "ends_on")):
        assert_error(api.post("/v1/rounds", dict(body, name="x"), token=hr_token), 400, "invalid_value", field)
        assert_error(api.patch(f"/v1/rounds/{rd['id']}", body, token=hr_token), 400, "invalid_value", field)


def test_round_lifecycle(api, hr_token, a_round):
    listed = api.get("/v1/rounds", token=hr_token).body["items"]
    assert a_round["id"] in {x["id"] for x in listed}
    detail = api.get(f"/v1/rounds/{a_round['id']}", token=hr_token).body
    assert isinstance(detail["pairs"], list) and isinstance(detail["unmatched"], list)


def test_round_validation(api, hr_token):
    assert_error(api.post("/v1/rounds", {}, token=hr_token), 400, "missing_field", "name")
    assert_error(api.post("/v1/rounds", {"name": "x", "bogus": 1}, token=hr_token), 400, "unknown_field", "bogus")
    assert_error(api.post("/v1/rounds", {"name": "x", "objective": "best"}, token=hr_token), 400, "invalid_value",
                 "objective")


def test_unknown_round_is_404(api, hr_token):
    assert_error(api.get("/v1/rounds/999999999", token=hr_token), 404, "not_found")


def test_publish_twice_conflicts(api, hr_token):
    r = api.post("/v1/rounds", {"name": "Publish " + uuid.uuid4().hex[:6]}, token=hr_token)
    rd = wait_settled(api, hr_token, r.body["id"])
    assert rd["status"] == "solved", f"round ended {rd['status']}: {rd.get('error')}"
    p = api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token)
    assert p.status == 200 and p.body["status"] == "published" and p.body["published_at"] is not None
    assert_error(api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token), 409, "conflict")
    assert_error(api.patch(f"/v1/rounds/{rd['id']}", {"objective": "max_score"}, token=hr_token), 409, "conflict")


def test_round_matches_publishes_and_employees_see_pairs(api, hr_token):
    """A mentor teaching what a mentee wants, sharing a language and a slot, in two departments of their own:
    the round pairs them; once published both see the pair and can fetch an iCalendar invitation."""
    tag = uuid.uuid4().hex[:8]
    d1, d2 = f"RndA-{tag}", f"RndB-{tag}"
    slot = {"day": "tue", "start": "10:00", "end": "12:00"}

    def signup(role, dept):
        r = api.post("/v1/employees", {"email": f"{role}-{tag}@example.com", "display_name": f"{role} {tag}",
                                       "department": dept, "timezone": "Europe/Paris", "languages": ["fr"],
                                       "role": role})
        assert r.status == 201, r
        return r.body["employee"]["id"], r.body["token"]

    mentor_id, mentor_tok = signup("mentor", d1)
    mentee_id, mentee_tok = signup("mentee", d2)
    assert api.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 5}]}, token=mentor_tok).status == 200
    assert api.put("/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 0, "priority": 1}]},
                   token=mentee_tok).status == 200
    for tok in (mentor_tok, mentee_tok):
        assert api.put("/v1/me/availability", {"slots": [slot]}, token=tok).status == 200

    r = api.post("/v1/rounds", {"name": f"Pairing {tag}", "filter": {"departments": [d1, d2], "sites": []}},
                 token=hr_token)
    assert r.status == 202, r
    rd = wait_settled(api, hr_token, r.body["id"])
    assert rd["status"] == "solved", rd
    detail = api.get(f"/v1/rounds/{rd['id']}", token=hr_token).body
    pairs = [(p["mentor"]["id"], p["mentee"]["id"]) for p in detail["pairs"]]
    assert pairs == [(mentor_id, mentee_id)], detail["pairs"]
    assert detail["unmatched"] == []

    # not visible before publishing
    assert api.get("/v1/me/pairs", token=mentee_tok).body["items"] == []
    p = api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token)
    assert p.status == 200 and p.body["status"] == "published", p

    mine = api.get("/v1/me/pairs", token=mentee_tok).body["items"]
    assert len(mine) == 1 and mine[0]["role"] == "mentee" and mine[0]["partner"]["id"] == mentor_id
    theirs = api.get("/v1/me/pairs", token=mentor_tok).body["items"]
    assert len(theirs) == 1 and theirs[0]["role"] == "mentor" and theirs[0]["partner"]["id"] == mentee_id
    assert theirs[0]["pair_id"] == mine[0]["pair_id"] and mine[0]["round_id"] == rd["id"]

    ics = api.get(f"/v1/me/pairs/{mine[0]['pair_id']}/invite.ics", token=mentee_tok)
    assert ics.status == 200, ics
    text = ics.raw.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in text and "END:VCALENDAR" in text
    assert "\r\n" in text, "iCalendar lines must end with CRLF (RFC 5545)"

    # a stranger cannot fetch someone else's invitation
    other = api.post("/v1/employees", {"email": f"stranger-{tag}@example.com", "display_name": "S",
                                       "department": d1, "timezone": "UTC", "languages": ["en"], "role": "mentee"})
    assert_error(api.get(f"/v1/me/pairs/{mine[0]['pair_id']}/invite.ics", token=other.body["token"]), 404, "not_found")
    assert_error(api.get(f"/v1/me/pairs/{mine[0]['pair_id']}/invite.ics", token=hr_token), 403, "forbidden")
    assert_error(api.get(f"/v1/me/pairs/{mine[0]['pair_id']}/invite.ics"), 401, "unauthorized")


def test_round_draft_without_solving(api, hr_token):
    r = api.post("/v1/rounds", {"name": "Draft " + uuid.uuid4().hex[:6], "solve": False}, token=hr_token)
    assert r.status == 201 and r.body["status"] == "draft", r


def test_pins_validation(api, hr_token, a_round):
    assert_error(api.put(f"/v1/rounds/{a_round['id']}/pins", {"pins": [{"mentor_id": 1}]}, token=hr_token),
                 400, "missing_field", "pins[0].mentee_id")
    assert_error(api.put(f"/v1/rounds/{a_round['id']}/pins", {}, token=hr_token), 400, "missing_field", "pins")


def test_cross_department_is_fixed_at_publication(api, make_pairs):
    """A mentor moving department after the pair was formed used to earn the cross-department bonus."""
    pair = make_pairs([{"same_department": True}])[0]
    assert api.patch("/v1/me", {"department": f"Elsewhere-{uuid.uuid4().hex[:6]}"},
                     token=pair.mentor.token).status == 200
    confirmed_session(api, pair)
    rules = [x["rule"] for x in api.get("/v1/me/ledger", token=pair.mentor.token).body["items"]]
    assert "mentor_cross_department" not in rules
    badges = {b["badge"] for b in api.get("/v1/me/achievements", token=pair.mentor.token).body["badges"]}
    assert "bridge_builder" not in badges


def test_a_round_ending_before_its_default_start_is_refused(api, hr_token):
    """Only ends_on given: it is compared with the default start (next Monday), not only when the body
    gives both dates; the round used to be created ending before it started."""
    past = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    before = len(api.get("/v1/rounds", token=hr_token).body["items"])
    assert_error(api.post("/v1/rounds", {"name": "backwards", "ends_on": past, "solve": False}, token=hr_token),
                 400, "invalid_value", "ends_on")
    assert len(api.get("/v1/rounds", token=hr_token).body["items"]) == before


def solved_round_of_one_pair(api, hr_token, label):
    """A mentor and a manager of a site of their own, and a solved round of that site pairing them:
    (mentor, mentee, round detail), the people as their sign-up answers."""
    tag = uuid.uuid4().hex[:8]
    people = []
    for role in ("mentor", "mentee"):
        r = api.post("/v1/employees", {"email": f"{role}-{tag}@example.com", "display_name": f"{role} {tag}",
                                       "department": f"{label}-{role}-{tag}", "site": f"{label}-{tag}", "timezone": "UTC",
                                       "languages": ["en"], "role": role})
        assert r.status == 201, r
        people.append(r.body)
    mentor, mentee = people
    assert api.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 5}]},
                   token=mentor["token"]).status == 200
    assert api.put("/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 0, "priority": 1}]},
                   token=mentee["token"]).status == 200
    for p in people:
        assert api.put("/v1/me/availability", {"slots": [{"day": "mon", "start": "09:00", "end": "10:00"}]},
                       token=p["token"]).status == 200
    r = api.post("/v1/rounds", {"name": f"{label} {tag}", "filter": {"sites": [f"{label}-{tag}"]}}, token=hr_token)
    assert r.status == 202, r
    rd = wait_settled(api, hr_token, r.body["id"])
    assert rd["status"] == "solved" and len(rd["pairs"]) == 1, rd
    return mentor, mentee, rd


def test_publish_refuses_a_leaver_deactivated_after_the_solve(api, hr_token):
    """A manager who left (SCIM active = false) between the solve and the publication: the round is not
    published with a pair for them (409, re-solve), and the re-solve leaves them out."""
    mentor, mentee, rd = solved_round_of_one_pair(api, hr_token, "Leave")
    scim_deactivate(api, hr_token, mentee["employee"]["id"])
    assert_error(api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token), 409, "conflict", "pairs")
    ov = api.get(f"/v1/employees/{mentor['employee']['id']}/overview", token=hr_token).body
    assert ov["pairs"] == [], ov
    assert api.post(f"/v1/rounds/{rd['id']}/solve", token=hr_token).status == 202
    rd = wait_settled(api, hr_token, rd["id"])
    assert rd["status"] == "solved" and rd["pairs"] == [], rd


def test_a_publication_and_a_deactivation_at_once_leave_no_leaver_paired(api, server, hr_token):
    """The manager's deactivation (as SCIM or the HR import runs it) is under way, uncommitted, when HR
    publishes: the publication waits for it and refuses (409), instead of pairing the leaver."""
    import subprocess
    import threading
    import time
    from test_external_db import conninfo
    mentor, mentee, rd = solved_round_of_one_pair(api, hr_token, "Race")
    mid = mentee["employee"]["id"]
    gate = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo(server.state_dir)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    gate.stdin.write(f"BEGIN; SELECT core.employee_deactivate({mid});\n".encode())
    gate.stdin.flush()
    time.sleep(0.5)
    result = {}
    publisher = threading.Thread(target=lambda: result.update(
        r=api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token)))
    publisher.start()
    time.sleep(1)
    gate.stdin.write(b"COMMIT;\n")
    gate.stdin.close()
    gate.wait(timeout=30)
    publisher.join(timeout=30)
    assert_error(result["r"], 409, "conflict", "pairs")
    out = subprocess.run(["psql", "-X", "-Atc", f"SELECT count(*) FROM pairs WHERE mentee_id = {mid} AND status = 'active'",
                          conninfo(server.state_dir)], capture_output=True, text=True, timeout=30).stdout
    assert out.strip() == "0", out

"""Regression tests for the second review (gamification, privacy, tokens): each failed before its fix."""

import concurrent.futures as cf
import uuid

import requests

from conftest import Client, assert_error, confirmed_session, employee_body, log_session


def test_confirming_while_ending_never_deadlocks(api, make_pairs):
    """Confirm locked people then the pair, ending locked the pair then people: about half of the
    concurrent confirm/end couples died with a database deadlock (HTTP 500)."""
    pairs = make_pairs([{} for _ in range(8)])
    sessions = [log_session(api, p).body["id"] for p in pairs]

    def confirm(i):
        c = Client(api.base_url)
        c.session = requests.Session()
        return c.post(f"/v1/sessions/{sessions[i]}/confirm", token=pairs[i].mentor.token).status

    def end(i):
        c = Client(api.base_url)
        c.session = requests.Session()
        return c.post(f"/v1/pairs/{pairs[i].id}/end", {"feedback": "bye"}, token=pairs[i].mentee.token).status

    with cf.ThreadPoolExecutor(max_workers=16) as ex:
        futures = [ex.submit(f, i) for i in range(8) for f in (confirm, end)]
        statuses = [f.result() for f in futures]
    assert statuses == [200] * 16, statuses
    for p in pairs:  # whichever came first, the pair ends completed with its confirmed session
        assert api.get(f"/v1/pairs/{p.id}", token=p.mentor.token).body["completed"] is True


def test_revoke_every_token(api):
    r = api.post("/v1/employees", employee_body())
    first = r.body["token"]
    others = [api.post("/v1/tokens", token=first).body["token"] for _ in range(2)]
    assert api.delete("/v1/tokens/all", token=others[0]).status == 204
    for tok in [first] + others:
        assert_error(api.get("/v1/me", token=tok), 401, "unauthorized")


def test_sessions_of_a_pair_cannot_overlap(api, make_pair):
    """Five 240-minute sessions at the same moment used to count 20 hours (and earn badges)."""
    pair = make_pair()
    first = log_session(api, pair, duration_minutes=240).body
    r = api.post(f"/v1/pairs/{pair.id}/sessions",
                 {"occurred_at": first["occurred_at"], "duration_minutes": 240, "skills": pair.skills,
                  "rating": 5}, token=pair.mentee.token)
    assert_error(r, 409, "conflict", "occurred_at")
    assert len(api.get(f"/v1/pairs/{pair.id}/sessions", token=pair.mentee.token).body["items"]) == 1


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


def test_lowering_a_level_by_put_does_not_inflate_progress(api, make_pair):
    pair = make_pair()
    skill = pair.skills[0]
    tok = pair.mentee.token
    confirmed_session(api, pair)
    goals = [{"skill": skill, "current_level": 3, "priority": 1}]
    assert api.put("/v1/me/learning", {"goals": goals}, token=tok).status == 200
    goals[0]["current_level"] = 0
    assert api.put("/v1/me/learning", {"goals": goals}, token=tok).status == 200
    r = api.post("/v1/me/progress", {"skill": skill, "level": 5}, token=tok)
    assert r.status == 200 and r.body["counted"] is True
    assert api.get("/v1/me/achievements", token=tok).body["counters"]["skill_levels_gained"] == 2


def test_erasing_the_manager_removes_their_notes_but_not_the_mentors_history(api, make_pair):
    pair = make_pair()
    confirmed_session(api, pair, note="my private thoughts")
    assert api.delete("/v1/me", token=pair.mentee.token).status == 204
    items = api.get(f"/v1/pairs/{pair.id}/sessions", token=pair.mentor.token).body["items"]
    assert len(items) == 1 and items[0]["note"] == "" and items[0]["status"] == "confirmed"
    p = api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body
    assert p["mentee"] is None and p["status"] == "ended"
    assert api.get("/v1/me/pairs", token=pair.mentor.token).body["items"] == []


def test_csv_cells_never_start_a_formula(api, hr_token):
    dept = f"=HYPERLINK(\"http://x\",\"{uuid.uuid4().hex[:6]}\")"
    assert api.post("/v1/employees", employee_body(department=dept, role="mentee")).status == 201
    r = api.get("/v1/stats", token=hr_token, params={"format": "csv", "period": "all"})
    assert r.status == 200
    lines = [line for line in r.raw.content.decode().splitlines() if "HYPERLINK" in line]
    assert lines and all(line.startswith("\"'=HYPERLINK") for line in lines), lines


def test_hr_closing_feedback_is_for_hr_only(api, hr_token, make_pair):
    pair = make_pair()
    assert api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "HR internal note", "rating": 2},
                    token=hr_token).status == 200
    for who in (pair.mentor, pair.mentee):
        sides = [f["side"] for f in api.get(f"/v1/pairs/{pair.id}", token=who.token).body["feedback"]]
        assert "hr" not in sides
    sides = [f["side"] for f in api.get(f"/v1/pairs/{pair.id}", token=hr_token).body["feedback"]]
    assert sides == ["hr"]

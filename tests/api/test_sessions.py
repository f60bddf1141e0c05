"""Issue 4 — sessions: the manager logs, the mentor confirms or disputes; idempotent retries; validation with
nothing written; who may do what; ending a pair with feedback; skill progress; concurrent confirmations."""

import concurrent.futures as cf
import datetime as dt

import pytest
import requests

from conftest import (DROP, Client, achievements, assert_error, confirmed_session, ledger, log_session, rfc3339,
                      session_body, utc_now)



def sessions_of(api, pair, token=None):
    r = api.get(f"/v1/pairs/{pair.id}/sessions", token=token or pair.mentee.token)
    assert r.status == 200, r
    return r.body["items"]


def test_log_then_confirm(api, hr_token, make_pair):
    pair = make_pair()
    body = session_body(pair, duration_minutes=45, rating=5, note="We set up a profile")
    r = api.post(f"/v1/pairs/{pair.id}/sessions", body, token=pair.mentee.token)
    assert r.status == 201, r
    s = r.body
    assert s["pair_id"] == pair.id and s["status"] == "pending" and s["duration_minutes"] == 45
    assert s["skills"] == body["skills"] and s["rating"] == 5 and s["note"] == "We set up a profile"
    assert s["occurred_at"] == body["occurred_at"]
    assert s["dispute_reason"] is None and s["decided_at"] is None and "replayed" not in s

    # both sides see it with the private note; HR sees it without
    for tok in (pair.mentee.token, pair.mentor.token):
        items = sessions_of(api, pair, tok)
        assert [x["id"] for x in items] == [s["id"]] and items[0]["note"] == "We set up a profile"
    hr_items = sessions_of(api, pair, hr_token)
    assert [x["id"] for x in hr_items] == [s["id"]] and "note" not in hr_items[0]

    # a pending session earns nothing
    assert ledger(api, pair.mentor)["total"] == 0 and ledger(api, pair.mentee)["total"] == 0

    assert_error(api.post(f"/v1/sessions/{s['id']}/confirm", {"rating": 5}, token=pair.mentor.token), 400,
                 "unknown_field", "rating")
    assert sessions_of(api, pair)[0]["status"] == "pending"
    c = api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token)
    assert c.status == 200, c
    assert c.body["id"] == s["id"] and c.body["status"] == "confirmed" and c.body["decided_at"] is not None
    assert_error(api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token), 409, "conflict")
    assert_error(api.post(f"/v1/sessions/{s['id']}/dispute", {"reason": "late"}, token=pair.mentor.token),
                 409, "conflict")
    assert sessions_of(api, pair)[0]["status"] == "confirmed"
    got = api.get(f"/v1/pairs/{pair.id}", token=pair.mentee.token)
    assert got.status == 200 and got.body["confirmed_sessions"] == 1 and got.body["status"] == "active", got


def test_sessions_listed_in_time_order(api, make_pair):
    pair = make_pair()
    late = log_session(api, pair, minutes_ago=10).body
    early = log_session(api, pair, minutes_ago=600).body
    assert [x["id"] for x in sessions_of(api, pair)] == [early["id"], late["id"]]


def test_who_may_log(api, hr_token, make_pair, make_employee):
    pair = make_pair()
    outsider = make_employee()
    path = f"/v1/pairs/{pair.id}/sessions"
    assert_error(api.post(path, session_body(pair), token=pair.mentor.token), 403, "forbidden")
    assert_error(api.post(path, session_body(pair), token=outsider.token), 404, "not_found")
    assert_error(api.post(path, session_body(pair), token=hr_token), 403, "forbidden")
    assert_error(api.post(path, session_body(pair)), 401, "unauthorized")
    assert_error(api.post("/v1/pairs/999999999/sessions", session_body(pair), token=pair.mentee.token),
                 404, "not_found")
    assert sessions_of(api, pair) == []


def test_who_may_read(api, hr_token, make_pair, make_employee):
    pair = make_pair()
    outsider = make_employee()
    log_session(api, pair)
    assert_error(api.get(f"/v1/pairs/{pair.id}/sessions", token=outsider.token), 404, "not_found")
    assert_error(api.get(f"/v1/pairs/{pair.id}/sessions"), 401, "unauthorized")
    assert_error(api.get(f"/v1/pairs/{pair.id}", token=outsider.token), 404, "not_found")
    assert_error(api.get("/v1/pairs/999999999", token=hr_token), 404, "not_found")
    for tok in (pair.mentor.token, pair.mentee.token, hr_token):
        r = api.get(f"/v1/pairs/{pair.id}", token=tok)
        assert r.status == 200 and r.body["id"] == pair.id, r
        assert r.body["mentor"]["id"] == pair.mentor.id and r.body["mentee"]["id"] == pair.mentee.id
        assert r.body["skills"] == pair.skills and r.body["starts_on"] == pair.starts_on.isoformat()


def test_who_may_confirm_or_dispute(api, hr_token, make_pair, make_employee):
    pair = make_pair()
    outsider = make_employee()
    s = log_session(api, pair).body
    for action, body in (("confirm", None), ("dispute", {"reason": "did not happen"})):
        path = f"/v1/sessions/{s['id']}/{action}"
        assert_error(api.post(path, body, token=pair.mentee.token), 403, "forbidden")
        assert_error(api.post(path, body, token=outsider.token), 404, "not_found")
        assert_error(api.post(path, body, token=hr_token), 403, "forbidden")
        assert_error(api.post(path, body), 401, "unauthorized")
        assert_error(api.post(f"/v1/sessions/999999999/{action}", body, token=pair.mentor.token), 404, "not_found")
    assert sessions_of(api, pair)[0]["status"] == "pending"


def _past(days=0, minutes=0):
    return rfc3339(utc_now() - dt.timedelta(days=days, minutes=minutes))


INVALID = [
    ("future", dict(occurred_at="FUTURE"), "invalid_value", "occurred_at"),
    ("before_pair_start", dict(occurred_at="BEFORE_START"), "invalid_value", "occurred_at"),
    ("not_rfc3339", dict(occurred_at="last tuesday"), "invalid_value", "occurred_at"),
    ("offset_past_14h", dict(occurred_at="OFFSET+16:00"), "invalid_value", "occurred_at"),  # was a 500 (22009)
    ("skill_not_of_pair", dict(skills=["video_meetings"]), "invalid_value", "skills"),
    ("unknown_skill", dict(skills=["no_such_skill"]), {"invalid_value", "unknown_skill"}, {"skills", "skills[0]"}),
    ("no_skills", dict(skills=[]), "invalid_value", "skills"),
    ("duration_14", dict(duration_minutes=14), "invalid_value", "duration_minutes"),
    ("duration_241", dict(duration_minutes=241), "invalid_value", "duration_minutes"),
    ("duration_string", dict(duration_minutes="60"), "invalid_type", "duration_minutes"),
    ("rating_0", dict(rating=0), "invalid_value", "rating"),
    ("rating_6", dict(rating=6), "invalid_value", "rating"),
    ("rating_float", dict(rating=4.5), {"invalid_type", "invalid_value"}, "rating"),
    ("note_too_long", dict(note="x" * 2001), "invalid_value", "note"),
    ("missing_occurred_at", dict(occurred_at=DROP), "missing_field", "occurred_at"),
    ("missing_rating", dict(rating=DROP), "missing_field", "rating"),
    ("unknown_field", dict(mood="great"), "unknown_field", "mood"),
]


@pytest.fixture(scope="module")
def validation_pair(api, hr_token):
    from conftest import build_pairs
    return build_pairs(api, hr_token, [{}])[0]


@pytest.mark.parametrize("case,overrides,code,field", INVALID, ids=[c[0] for c in INVALID])
def test_log_validation_writes_nothing(api, validation_pair, case, overrides, code, field):
    pair = validation_pair
    over = dict(overrides)
    if over.get("occurred_at") == "FUTURE":
        over["occurred_at"] = rfc3339(utc_now() + dt.timedelta(hours=1))
    elif str(over.get("occurred_at")).startswith("OFFSET"):
        over["occurred_at"] = (utc_now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + over["occurred_at"][6:]
    elif over.get("occurred_at") == "BEFORE_START":
        over["occurred_at"] = rfc3339(dt.datetime.combine(pair.starts_on, dt.time(0), dt.timezone.utc)
                                      - dt.timedelta(hours=12))
    r = api.post(f"/v1/pairs/{pair.id}/sessions", session_body(pair, **over), token=pair.mentee.token)
    assert_error(r, 400, code, field)
    assert sessions_of(api, pair) == []


def test_log_just_now_and_at_pair_start_are_fine(api, make_pair):
    pair = make_pair()
    at_start = rfc3339(dt.datetime.combine(pair.starts_on, dt.time(9), dt.timezone.utc))
    assert log_session(api, pair, occurred_at=at_start).body["occurred_at"] == at_start
    # clock skew allowance: up to 5 minutes ahead is accepted
    log_session(api, pair, occurred_at=rfc3339(utc_now() + dt.timedelta(minutes=2)))
    log_session(api, pair, duration_minutes=15, rating=1, note=DROP)
    log_session(api, pair, duration_minutes=240, rating=5, note="y" * 2000)
    assert len(sessions_of(api, pair)) == 4


def test_bad_idempotency_key_is_400(api, make_pair):
    pair = make_pair()
    for key in ("x" * 101, "has space", "é"):
        r = api.request("POST", f"/v1/pairs/{pair.id}/sessions", token=pair.mentee.token,
                        json_body=session_body(pair), headers={"Idempotency-Key": key.encode("utf-8")})
        assert r.status == 400, r
        assert r.body["code"] in ("invalid_value", "invalid_parameter"), r
    assert sessions_of(api, pair) == []


def test_idempotent_retry_creates_nothing_twice(api, make_pair):
    pair = make_pair()
    body = session_body(pair)
    first = log_session(api, pair, idempotency_key="retry-1:a.b_c", **body)
    assert "replayed" not in first.body
    again = log_session(api, pair, expect=200, idempotency_key="retry-1:a.b_c", **body)
    assert again.body["replayed"] is True
    assert again.body["id"] == first.body["id"]
    assert {k: v for k, v in again.body.items() if k != "replayed"} == first.body
    assert [x["id"] for x in sessions_of(api, pair)] == [first.body["id"]]
    # a different key is a different session; no key twice gives two sessions
    other = log_session(api, pair, idempotency_key="retry-2")
    assert other.body["id"] != first.body["id"]
    log_session(api, pair)
    log_session(api, pair)
    assert len(sessions_of(api, pair)) == 4


def test_idempotent_retry_in_parallel(api, make_pair):
    """Ten simultaneous retries with one key: one 201, nine 200 replays, all the same session."""
    pair = make_pair()
    body = session_body(pair)

    def post(_):
        c = Client(api.base_url)
        c.session = requests.Session()
        return c.post(f"/v1/pairs/{pair.id}/sessions", body, token=pair.mentee.token,
                      headers={"Idempotency-Key": "parallel-key"})

    with cf.ThreadPoolExecutor(max_workers=10) as ex:
        rs = list(ex.map(post, range(10)))
    assert sorted(r.status for r in rs) == [200] * 9 + [201], [r for r in rs if r.status not in (200, 201)][:2]
    assert len({r.body["id"] for r in rs}) == 1
    assert len(sessions_of(api, pair)) == 1


def test_dispute_earns_nothing(api, make_pair):
    pair = make_pair()
    s = log_session(api, pair).body
    assert_error(api.post(f"/v1/sessions/{s['id']}/dispute", {}, token=pair.mentor.token), 400, "missing_field",
                 "reason")
    assert_error(api.post(f"/v1/sessions/{s['id']}/dispute", {"reason": ""}, token=pair.mentor.token), 400,
                 "invalid_value", "reason")
    assert_error(api.post(f"/v1/sessions/{s['id']}/dispute", {"reason": "x" * 501}, token=pair.mentor.token), 400,
                 "invalid_value", "reason")
    d = api.post(f"/v1/sessions/{s['id']}/dispute", {"reason": "It did not take place"}, token=pair.mentor.token)
    assert d.status == 200, d
    assert d.body["status"] == "disputed" and d.body["dispute_reason"] == "It did not take place"
    assert d.body["decided_at"] is not None
    assert_error(api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token), 409, "conflict")
    for emp in (pair.mentor, pair.mentee):
        assert ledger(api, emp) == {"items": [], "total": 0}
        a = api.get("/v1/me/achievements", token=emp.token).body
        assert a["points"] == 0 and a["badges"] == [] and a["counters"]["sessions"] == 0
    assert api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body["confirmed_sessions"] == 0


def test_end_pair_with_feedback_and_completion(api, hr_token, make_pair, make_employee):
    pair = make_pair()
    s = confirmed_session(api, pair)
    before = {e.id: ledger(api, e)["total"] for e in (pair.mentor, pair.mentee)}
    outsider = make_employee()
    assert_error(api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "x"}, token=outsider.token), 404, "not_found")
    assert_error(api.post(f"/v1/pairs/{pair.id}/end", {"rating": 6}, token=pair.mentee.token), 400,
                 "invalid_value", "rating")
    assert_error(api.post(f"/v1/pairs/{pair.id}/end", {"feedback": ""}, token=pair.mentee.token), 400,
                 "invalid_value", "feedback")
    assert_error(api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "ok", "extra": 1}, token=pair.mentee.token), 400,
                 "unknown_field", "extra")
    assert api.get(f"/v1/pairs/{pair.id}", token=pair.mentee.token).body["status"] == "active"

    r = api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "Very useful", "rating": 5}, token=pair.mentee.token)
    assert r.status == 200, r
    p = r.body
    assert p["status"] == "ended" and p["completed"] is True and p["ended_by"] == "mentee"
    assert p["ended_at"] is not None and p["confirmed_sessions"] == 1
    assert p["feedback"] == [{"side": "mentee", "feedback": "Very useful", "rating": 5}]

    # the other side's feedback on the ended pair is recorded; nothing else changes
    r = api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "Great manager"}, token=pair.mentor.token)
    assert r.status == 200 and r.body["ended_by"] == "mentee" and r.body["ended_at"] == p["ended_at"], r
    assert r.body["feedback"] == [{"side": "mentee", "feedback": "Very useful", "rating": 5},
                                  {"side": "mentor", "feedback": "Great manager", "rating": None}]
    hr_view = api.get(f"/v1/pairs/{pair.id}", token=hr_token)
    assert hr_view.status == 200 and hr_view.body["status"] == "ended"

    # completion points, exactly once
    for emp, rule in ((pair.mentor, "mentor_pair_completed"), (pair.mentee, "mentee_pair_completed")):
        lg = ledger(api, emp)
        rows = [x for x in lg["items"] if x["rule"] == rule]
        assert len(rows) == 1 and rows[0]["points"] == 30 and rows[0]["pair_id"] == pair.id, lg
        assert rows[0]["session_id"] is None
        assert lg["total"] == before[emp.id] + 30
        assert achievements(api, emp)["counters"]["pairs_completed"] == 1

    # public pair_completed event
    feed = api.get("/v1/activity", token=pair.mentee.token, params={"limit": 100}).body["items"]
    done = [e for e in feed if e["type"] == "pair_completed" and e["payload"].get("pair_id") == pair.id]
    assert len(done) == 1 and done[0]["payload"]["sessions"] == 1, done

    # an ended pair takes no more sessions and stays in /v1/me/pairs as ended, for its history
    assert_error(log_session(api, pair, expect=None), 409, "conflict")
    for tok in (pair.mentee.token, pair.mentor.token):
        mine = api.get("/v1/me/pairs", token=tok).body["items"]
        assert [(x["pair_id"], x["status"], x["completed"]) for x in mine] == [(pair.id, "ended", True)], mine
        assert mine[0]["ended_at"] is not None and mine[0]["starts_on"] == pair.starts_on.isoformat()
    assert s["status"] == "confirmed"


def test_end_without_sessions_is_not_completed(api, hr_token, make_pairs):
    a, b = make_pairs([{}, {}])
    log_session(api, a)  # pending only
    r = api.post(f"/v1/pairs/{a.id}/end", token=a.mentor.token)
    assert r.status == 200 and r.body["completed"] is False and r.body["ended_by"] == "mentor", r
    assert r.body["feedback"] == []
    r = api.post(f"/v1/pairs/{b.id}/end", {"feedback": "HR note"}, token=hr_token)
    assert r.status == 200 and r.body["ended_by"] == "hr" and r.body["completed"] is False, r
    for emp in (a.mentor, a.mentee, b.mentor, b.mentee):
        assert ledger(api, emp)["total"] == 0
    feed = api.get("/v1/activity", token=hr_token, params={"limit": 100}).body["items"]
    assert not [e for e in feed if e["type"] == "pair_completed" and e["payload"].get("pair_id") in (a.id, b.id)]
    # the design does not say whether a pending session of an ended pair may still be confirmed; either way the
    # pair stays not completed
    assert api.get(f"/v1/pairs/{a.id}", token=hr_token).body["completed"] is False


def test_progress_counts_only_after_a_confirmed_session(api, hr_token, make_pair):
    pair = make_pair(skills=["linkedin", "short_video"])
    me = pair.mentee
    assert_error(api.post("/v1/me/progress", {"skill": "podcasting_x", "level": 2}, token=me.token), 400,
                 {"invalid_value", "unknown_skill"}, "skill")
    assert_error(api.post("/v1/me/progress", {"skill": "ai_assistants", "level": 2}, token=me.token), 400,
                 "invalid_value", "skill")
    assert_error(api.post("/v1/me/progress", {"skill": "linkedin", "level": 6}, token=me.token), 400,
                 "invalid_value", "level")
    assert_error(api.post("/v1/me/progress", {"skill": "linkedin"}, token=me.token), 400, "missing_field", "level")
    assert_error(api.post("/v1/me/progress", {"skill": "linkedin", "level": 2}, token=hr_token), 403, "forbidden")

    r = api.post("/v1/me/progress", {"skill": "linkedin", "level": 1}, token=me.token)
    assert r.status == 200, r
    assert r.body == {"skill": "linkedin", "level_before": 0, "level_after": 1, "counted": False}
    assert ledger(api, me)["total"] == 0

    confirmed_session(api, pair, skills=["linkedin"])
    base = ledger(api, me)["total"]
    r = api.post("/v1/me/progress", {"skill": "linkedin", "level": 3}, token=me.token)
    assert r.body == {"skill": "linkedin", "level_before": 1, "level_after": 3, "counted": True}, r
    lg = ledger(api, me)
    rows = [x for x in lg["items"] if x["rule"] == "mentee_level_gained"]
    assert len(rows) == 1 and rows[0]["points"] == 30 and rows[0]["role"] == "mentee", lg
    assert lg["total"] == base + 30
    goals = {g["skill"]: g["current_level"] for g in api.get("/v1/me/learning", token=me.token).body["goals"]}
    assert goals["linkedin"] == 3

    # no confirmed session on short_video yet: not counted
    r = api.post("/v1/me/progress", {"skill": "short_video", "level": 2}, token=me.token)
    assert r.body["counted"] is False
    # a drop is recorded, never counted
    r = api.post("/v1/me/progress", {"skill": "linkedin", "level": 2}, token=me.token)
    assert r.body == {"skill": "linkedin", "level_before": 3, "level_after": 2, "counted": False}
    assert ledger(api, me)["total"] == base + 30


def test_concurrent_confirmations_award_once(api, make_pair):
    """20 connections confirm the same session at once: exactly one 200, nineteen 409, one ledger row."""
    pair = make_pair()
    s = log_session(api, pair).body

    def confirm(_):
        c = Client(api.base_url)
        c.session = requests.Session()
        return c.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token)

    with cf.ThreadPoolExecutor(max_workers=20) as ex:
        rs = list(ex.map(confirm, range(20)))
    statuses = sorted(r.status for r in rs)
    assert statuses == [200] + [409] * 19, statuses
    assert all(r.body["code"] == "conflict" for r in rs if r.status == 409)
    rows = [x for x in ledger(api, pair.mentor)["items"] if x["rule"] == "mentor_session" and x["session_id"] == s["id"]]
    assert len(rows) == 1 and rows[0]["points"] == 10, rows
    mentee_rows = [x for x in ledger(api, pair.mentee)["items"] if x["rule"] == "mentee_session"]
    assert len(mentee_rows) == 1
    assert [b["badge"] for b in achievements(api, pair.mentee)["badges"]].count("first_step") == 1


def test_idempotency_key_reused_with_another_body_is_a_conflict(api, make_pair):
    """Regression: a key reused for a different session must not silently replay the first one."""
    pair = make_pair()
    body = session_body(pair)
    first = log_session(api, pair, idempotency_key="same-key", **body)
    changed = dict(body, duration_minutes=body["duration_minutes"] + 15)
    r = api.post(f"/v1/pairs/{pair.id}/sessions", changed, token=pair.mentee.token,
                 headers={"Idempotency-Key": "same-key"})
    assert_error(r, 409, "conflict", "Idempotency-Key")
    assert [x["id"] for x in sessions_of(api, pair)] == [first.body["id"]]


def test_session_confirmed_after_the_pair_ended_completes_it(api, make_pair):
    pair = make_pair()
    from conftest import log_session
    s = log_session(api, pair).body
    ended = api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "thanks"}, token=pair.mentee.token).body
    assert ended["completed"] is False
    assert api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token).status == 200
    again = api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body
    assert again["completed"] is True and again["confirmed_sessions"] == 1
    rules = [row["rule"] for row in api.get("/v1/me/ledger", token=pair.mentor.token).body["items"]]
    assert rules.count("mentor_pair_completed") == 1


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


def test_sessions_of_a_pair_cannot_overlap(api, make_pair):
    """Five 240-minute sessions at the same moment used to count 20 hours (and earn badges)."""
    pair = make_pair()
    first = log_session(api, pair, duration_minutes=240).body
    r = api.post(f"/v1/pairs/{pair.id}/sessions",
                 {"occurred_at": first["occurred_at"], "duration_minutes": 240, "skills": pair.skills,
                  "rating": 5}, token=pair.mentee.token)
    assert_error(r, 409, "conflict", "occurred_at")
    assert len(api.get(f"/v1/pairs/{pair.id}/sessions", token=pair.mentee.token).body["items"]) == 1


def test_hr_closing_feedback_is_for_hr_only(api, hr_token, make_pair):
    pair = make_pair()
    assert api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "HR internal note", "rating": 2},
                    token=hr_token).status == 200
    for who in (pair.mentor, pair.mentee):
        sides = [f["side"] for f in api.get(f"/v1/pairs/{pair.id}", token=who.token).body["feedback"]]
        assert "hr" not in sides
    sides = [f["side"] for f in api.get(f"/v1/pairs/{pair.id}", token=hr_token).body["feedback"]]
    assert sides == ["hr"]

"""Issue 4 — points, levels and badges: rules and the append-only ledger, weekly caps, first_step and
bridge_builder, badges from counters, HR-created badges, revocation, the badge catalogue."""

import re
import subprocess
import uuid

import pytest

from conftest import (achievements, assert_error, badge_slugs, confirmed_session, ledger, log_session)


SEEDED_BADGES = ["ambassador", "bridge_builder", "first_step", "generous_time", "lead_by_example",
                 "master_ai_assistants", "master_esn_posting", "master_linkedin", "open_door", "streak"]


def rules(lg, rule):
    return [x for x in lg["items"] if x["rule"] == rule]


def test_first_confirmed_session_points_and_badges(api, make_pair):
    pair = make_pair()  # mentor and manager in different departments
    for emp in (pair.mentor, pair.mentee):
        a = achievements(api, emp)
        assert a["points"] == 0 and a["badges"] == [] and a["level"] == {"level": 1, "name": "Newcomer",
                                                                          "min_points": 0}
        assert a["next_level"] == {"level": 2, "name": "Contributor", "min_points": 50}
        assert {b["badge"] for b in a["next_badges"]} >= set(SEEDED_BADGES)
    s = confirmed_session(api, pair, duration_minutes=60)

    mentor = ledger(api, pair.mentor)
    got = sorted((x["rule"], x["points"]) for x in mentor["items"])
    assert got == [("mentor_cross_department", 20), ("mentor_session", 10), ("mentor_time", 10)], mentor
    assert mentor["total"] == 40
    for x in mentor["items"]:
        assert x["role"] == "mentor" and x["session_id"] == s["id"] and x["pair_id"] == pair.id
        assert x["capped_from"] is None and x["corrects"] is None
    mentee = ledger(api, pair.mentee)
    assert sorted((x["rule"], x["points"]) for x in mentee["items"]) == [("mentee_cross_department", 10),
                                                                        ("mentee_session", 5)], mentee
    assert mentee["total"] == 15 and all(x["role"] == "mentee" for x in mentee["items"])

    a = achievements(api, pair.mentor)
    assert a["points"] == 40 and a["level"]["name"] == "Newcomer" and a["next_level"]["min_points"] == 50
    assert a["hours_given"] == 1 and a["hours_received"] == 0
    c = a["counters"]
    assert (c["sessions"], c["sessions_given"], c["sessions_received"]) == (1, 1, 0)
    assert c["distinct_mentees"] == 1 and c["cross_department_pairs"] == 1 and c["skills_taught"] == 1
    assert c["skill_sessions"] == {pair.skills[0]: 1}
    assert sorted(b["badge"] for b in a["badges"]) == ["bridge_builder", "first_step"]
    earned = {b["badge"] for b in a["badges"]}
    assert not earned & {b["badge"] for b in a["next_badges"]}
    for b in a["badges"]:
        assert b["revoked"] is False and "/ob/assertions/" in b["assertion_url"]
        assert b["image_url"].endswith(f"/ob/badges/{b['badge']}/image.svg")
        assert b["add_to_profile_url"].startswith("https://www.linkedin.com/profile/add?")
    progress = {b["badge"]: b["progress"] for b in a["next_badges"]}
    assert progress["ambassador"] == pytest.approx(0.33, abs=0.01)
    assert progress["generous_time"] == pytest.approx(0.1, abs=0.01)
    assert all(0 <= p < 1 for p in progress.values())

    m = achievements(api, pair.mentee)
    assert m["points"] == 15 and m["hours_received"] == 1 and m["hours_given"] == 0
    assert sorted(b["badge"] for b in m["badges"]) == ["first_step"]

    # the second session of the pair: no second cross-department bonus, no second first_step
    confirmed_session(api, pair, duration_minutes=30)
    mentor = ledger(api, pair.mentor)
    assert len(rules(mentor, "mentor_cross_department")) == 1 and len(rules(mentor, "mentor_session")) == 2
    assert mentor["total"] == 40 + 10 + 5
    assert badge_slugs(api, pair.mentor) == ["bridge_builder", "first_step"]
    assert achievements(api, pair.mentor)["level"] == {"level": 2, "name": "Contributor", "min_points": 50}


def test_same_department_pair_earns_no_bridge(api, make_pair):
    pair = make_pair(same_department=True)
    confirmed_session(api, pair, duration_minutes=90)
    mentor = ledger(api, pair.mentor)
    assert sorted((x["rule"], x["points"]) for x in mentor["items"]) == [("mentor_session", 10), ("mentor_time", 15)]
    assert sorted((x["rule"], x["points"]) for x in ledger(api, pair.mentee)["items"]) == [("mentee_session", 5)]
    assert badge_slugs(api, pair.mentor) == ["first_step"]
    assert achievements(api, pair.mentor)["counters"]["cross_department_pairs"] == 0


def test_weekly_caps(api, make_pair):
    """Six confirmed 150-minute sessions in one week: mentor_session stops at 50, mentor_time (25 a session)
    at 60 with the partly capped row recording capped_from, mentee_session at 25; the badges that the hours
    and the skill count earn appear."""
    pair = make_pair()
    ids = [confirmed_session(api, pair, duration_minutes=150, minutes_ago=10 + i)["id"] for i in range(6)]
    lg = ledger(api, pair.mentor)
    ms = rules(lg, "mentor_session")
    assert sum(x["points"] for x in ms) == 50, ms
    assert len([x for x in ms if x["points"] > 0]) == 5
    # fully capped occurrences leave either no row or a 0-point row that records what was withheld
    for x in ms:
        assert x["points"] == 10 or (x["points"] == 0 and x["capped_from"] == 10), x
    mt = rules(lg, "mentor_time")
    assert sum(x["points"] for x in mt) == 60, mt
    partial = [x for x in mt if 0 < x["points"] < 25]
    assert len(partial) == 1 and partial[0]["points"] == 10 and partial[0]["capped_from"] == 25, mt
    assert partial[0]["session_id"] == ids[2]
    assert all(x["capped_from"] is None for x in mt if x["points"] == 25)
    assert lg["total"] == 50 + 60 + 20
    assert sum(x["points"] for x in rules(ledger(api, pair.mentee), "mentee_session")) == 25

    a = achievements(api, pair.mentor)
    assert a["points"] == 130 and a["level"]["name"] == "Contributor" and a["next_level"]["name"] == "Connector"
    assert a["hours_given"] == 15 and a["counters"]["sessions_given"] == 6
    assert set(b["badge"] for b in a["badges"]) == {"first_step", "bridge_builder", "generous_time",
                                                    "master_linkedin"}


def test_lead_by_example(api, make_pair):
    """A completed pair as manager and two levels gained in all earn lead_by_example."""
    pair = make_pair()
    confirmed_session(api, pair)
    assert api.post("/v1/me/progress", {"skill": "linkedin", "level": 2}, token=pair.mentee.token).body["counted"]
    assert "lead_by_example" not in badge_slugs(api, pair.mentee)
    assert api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "thanks"}, token=pair.mentee.token).status == 200
    assert badge_slugs(api, pair.mentee) == ["first_step", "lead_by_example"]
    lg = ledger(api, pair.mentee)
    assert sum(x["points"] for x in rules(lg, "mentee_level_gained")) == 30
    assert lg["total"] == 5 + 10 + 30 + 30


def test_ledger_and_achievements_authz(api, hr_token):
    for path in ("/v1/me/ledger", "/v1/me/achievements"):
        assert_error(api.get(path), 401, "unauthorized")
        assert_error(api.get(path, token=hr_token), 403, "forbidden")


def test_badge_catalogue(api):
    r = api.get("/v1/badges")
    assert r.status == 200, r
    by_slug = {b["slug"]: b for b in r.body["items"]}
    assert set(SEEDED_BADGES) <= set(by_slug)
    fs = by_slug["first_step"]
    assert fs["criteria"] == {"all": [{"counter": "sessions", "min": 1}]} and fs["role"] == "any" and fs["active"]
    assert by_slug["master_linkedin"]["criteria"] == {"all": [{"counter": "skill_sessions", "skill": "linkedin",
                                                                "min": 5}]}
    assert by_slug["bridge_builder"]["role"] == "mentor" and by_slug["lead_by_example"]["role"] == "mentee"


def test_hr_creates_a_badge_and_it_is_earned(api, hr_token, make_employee, make_pair):
    """HR creates a skill and a badge for teaching it; a pair working on that skill earns it on the first
    confirmed session; the slug cannot be reused."""
    tag = uuid.uuid4().hex[:8]
    skill = f"sk_{tag}"
    assert api.post("/v1/skills", {"slug": skill, "name": f"Skill {tag}"}, token=hr_token).status == 201
    slug = f"teach_{tag}"
    body = {"slug": slug, "name": f"Teacher {tag}", "description": "Taught the new skill.",
            "criteria_narrative": "One confirmed session as mentor on the new skill.", "role": "mentor",
            "criteria": {"all": [{"counter": "skill_sessions", "skill": skill, "min": 1}]}}
    emp = make_employee()
    assert_error(api.post("/v1/badges", body), 401, "unauthorized")
    assert_error(api.post("/v1/badges", body, token=emp.token), 403, "forbidden")
    r = api.post("/v1/badges", body, token=hr_token)
    assert r.status == 201, r
    assert r.body == dict(body, color="#2d6cdf", active=True)
    assert_error(api.post("/v1/badges", dict(body, name="Again"), token=hr_token), 409, "badge_exists", "slug")
    assert_error(api.post("/v1/badges", dict(body, slug="first_step"), token=hr_token), 409, "badge_exists", "slug")
    listed = {b["slug"]: b for b in api.get("/v1/badges").body["items"]}
    assert listed[slug] == r.body

    pair = make_pair(skills=[skill])
    confirmed_session(api, pair, skills=[skill])
    assert slug in badge_slugs(api, pair.mentor)
    assert slug not in badge_slugs(api, pair.mentee)


BAD_BADGES = [
    ("bad_slug", dict(slug="Bad-Slug"), "invalid_value", "slug"),
    ("missing_name", dict(name=None), "missing_field", "name"),
    ("bad_role", dict(role="boss"), "invalid_value", "role"),
    ("bad_color", dict(color="red"), "invalid_value", "color"),
    ("no_criteria", dict(criteria={"all": []}), "invalid_value", {"criteria", "criteria.all"}),
    ("unknown_counter", dict(criteria={"all": [{"counter": "likes", "min": 1}]}), "invalid_value",
     {"criteria", "criteria.all[0].counter"}),
    ("skill_sessions_without_skill", dict(criteria={"all": [{"counter": "skill_sessions", "min": 1}]}),
     "invalid_value", {"criteria", "criteria.all[0].skill", "criteria.all[0]"}),
    ("unknown_field", dict(points=5), "unknown_field", "points"),
]


@pytest.mark.parametrize("case,over,code,field", BAD_BADGES, ids=[b[0] for b in BAD_BADGES])
def test_badge_validation(api, hr_token, case, over, code, field):
    slug = f"bad_{uuid.uuid4().hex[:8]}"
    body = {"slug": slug, "name": "Bad", "description": "d", "criteria_narrative": "n", "role": "any",
            "criteria": {"all": [{"counter": "sessions", "min": 1000}]}}
    for k, v in over.items():
        if v is None:
            body.pop(k)
        else:
            body[k] = v
    assert_error(api.post("/v1/badges", body, token=hr_token), 400, code, field)
    assert body["slug"] not in {b["slug"] for b in api.get("/v1/badges").body["items"]}


def test_revoke_award(api, hr_token, make_pair):
    pair = make_pair()
    confirmed_session(api, pair)
    award = next(b for b in achievements(api, pair.mentee)["badges"] if b["badge"] == "first_step")
    path = f"/v1/awards/{award['award_id']}/revoke"
    assert_error(api.post(path, {"reason": "x"}, token=pair.mentee.token), 403, "forbidden")
    assert_error(api.post(path, {"reason": "x"}), 401, "unauthorized")
    assert_error(api.post(path, {}, token=hr_token), 400, "missing_field", "reason")
    assert_error(api.post(path, {"reason": ""}, token=hr_token), 400, "invalid_value", "reason")
    assert_error(api.post("/v1/awards/999999999/revoke", {"reason": "x"}, token=hr_token), 404, "not_found")
    r = api.post(path, {"reason": "Logged by mistake"}, token=hr_token)
    assert r.status == 200, r
    assert r.body["award_id"] == award["award_id"] and r.body["badge"] == "first_step"
    assert r.body["employee_id"] == pair.mentee.id and r.body["reason"] == "Logged by mistake"
    again = api.post(path, {"reason": "another reason"}, token=hr_token)
    assert again.status == 200 and again.body["revoked_at"] == r.body["revoked_at"], again
    assert again.body["reason"] == "Logged by mistake"
    mine = {b["badge"]: b for b in achievements(api, pair.mentee)["badges"]}
    assert mine["first_step"]["revoked"] is True
    # the mentor's awards are untouched
    assert all(not b["revoked"] for b in achievements(api, pair.mentor)["badges"])


def test_erasing_a_person_keeps_the_partner_ledger(api, hr_token, make_pair):
    """DELETE /v1/me after earning points and badges: 204; the partner's ledger and badges stay (plus the
    completion award of the pair the erasure ended, as the manager's own ending would give); the erased
    person's hosted assertions are gone (404) and they leave the boards."""
    pair = make_pair(mentee={"leaderboard_opt_in": True})
    confirmed_session(api, pair)
    partner_before = ledger(api, pair.mentor)
    assertion = achievements(api, pair.mentee)["badges"][0]["assertion_url"]
    path = "/ob/assertions/" + assertion.rsplit("/ob/assertions/", 1)[1]
    assert api.get(path).status == 200
    site = pair.mentee.profile["site"]
    assert [e["employee_id"] for e in api.get("/v1/leaderboards", token=hr_token,
                                              params={"board": "managers", "scope": "site",
                                                      "scope_value": site}).body["entries"]] == [pair.mentee.id]
    r = api.delete("/v1/me", token=pair.mentee.token)
    assert r.status == 204, r
    assert_error(api.get(path), 404, "not_found")
    after = ledger(api, pair.mentor)
    assert after["items"][:len(partner_before["items"])] == partner_before["items"]
    assert [(x["rule"], x["points"]) for x in after["items"][len(partner_before["items"]):]] == \
        [("mentor_pair_completed", 30)]
    assert after["total"] == partner_before["total"] + 30
    assert badge_slugs(api, pair.mentor) == ["bridge_builder", "first_step"]
    assert api.get("/v1/leaderboards", token=hr_token, params={"board": "managers", "scope": "site",
                                                                "scope_value": site}).body["entries"] == []


def test_caps_and_once_rules_hold_under_concurrent_confirmations(api, make_pair):
    """Eight different sessions of one pair confirmed at the same moment: the weekly caps and the once-only
    cross-department bonus still hold, and each badge is awarded once per person."""
    import concurrent.futures as cf

    import requests

    from conftest import Client
    pair = make_pair()
    ids = [log_session(api, pair, duration_minutes=30, minutes_ago=20 + i).body["id"] for i in range(8)]

    def confirm(sid):
        c = Client(api.base_url)
        c.session = requests.Session()
        return c.post(f"/v1/sessions/{sid}/confirm", token=pair.mentor.token).status

    with cf.ThreadPoolExecutor(max_workers=8) as ex:
        assert list(ex.map(confirm, ids)) == [200] * 8
    lg = ledger(api, pair.mentor)
    assert sum(x["points"] for x in rules(lg, "mentor_session")) == 50
    assert sum(x["points"] for x in rules(lg, "mentor_time")) == 40
    assert [x["points"] for x in rules(lg, "mentor_cross_department")] == [20]
    ml = ledger(api, pair.mentee)
    assert sum(x["points"] for x in rules(ml, "mentee_session")) == 25
    assert [x["points"] for x in rules(ml, "mentee_cross_department")] == [10]
    assert badge_slugs(api, pair.mentor) == ["bridge_builder", "first_step", "master_linkedin"]
    assert badge_slugs(api, pair.mentee) == ["first_step"]


def test_level_gain_points_are_capped_per_month(api, make_pair):
    """mentee_level_gained: 15 a level, at most 45 a month; the capped row records capped_from."""
    pair = make_pair()
    confirmed_session(api, pair)
    r = api.post("/v1/me/progress", {"skill": "linkedin", "level": 4}, token=pair.mentee.token)
    assert r.body == {"skill": "linkedin", "level_before": 0, "level_after": 4, "counted": True}, r
    rows = rules(ledger(api, pair.mentee), "mentee_level_gained")
    assert [(x["points"], x["capped_from"]) for x in rows] == [(45, 60)], rows
    api.post("/v1/me/progress", {"skill": "linkedin", "level": 5}, token=pair.mentee.token)
    assert sum(x["points"] for x in rules(ledger(api, pair.mentee), "mentee_level_gained")) == 45


def test_withdrawn_consent_unnames_past_activity(api, make_pair):
    """Named in the feed only with consent: after opting out, earlier events no longer carry the name."""
    tag = uuid.uuid4().hex[:8]
    pair = make_pair(mentor={"display_name": f"Consenting Carla {tag}", "leaderboard_opt_in": True})
    confirmed_session(api, pair)
    items = api.get("/v1/activity", token=pair.mentee.token, params={"limit": 100}).body["items"]
    assert f"Consenting Carla {tag}" in str(items)
    assert api.patch("/v1/me", {"leaderboard_opt_in": False}, token=pair.mentor.token).status == 200
    items = api.get("/v1/activity", token=pair.mentee.token, params={"limit": 100}).body["items"]
    assert f"Consenting Carla {tag}" not in str(items), \
        "after withdrawing consent the person must not be named in the public feed any more"


def psql(state_dir, sql):
    return subprocess.run(["psql", f"host={state_dir}/run dbname=tandem user=tandem", "-v", "ON_ERROR_STOP=1",
                           "-Atc", sql], capture_output=True, timeout=30)


def test_levels_gained_count_only_real_progress_after_mentoring(api, make_pair):
    """Setting a level up and down used to inflate skill_levels_gained (and lead_by_example)."""
    pair = make_pair()
    skill = pair.skills[0]
    tok = pair.mentee.token
    # before any confirmed session nothing counts
    r = api.post("/v1/me/progress", {"skill": skill, "level": 5}, token=tok)
    assert r.status == 200 and r.body["counted"] is False
    api.post("/v1/me/progress", {"skill": skill, "level": 0}, token=tok)
    confirmed_session(api, pair)
    for level in (3, 0, 3, 0, 5, 0, 5):
        assert api.post("/v1/me/progress", {"skill": skill, "level": level}, token=tok).status == 200
    counters = api.get("/v1/me/achievements", token=tok).body["counters"]
    # the best level ever recorded was 5 (before mentoring): nothing above it was reached
    assert counters["skill_levels_gained"] == 0


def test_levels_gained_after_mentoring_count_once(api, make_pair):
    pair = make_pair()
    skill = pair.skills[0]
    tok = pair.mentee.token
    start = next(g["current_level"] for g in api.get("/v1/me/learning", token=tok).body["goals"] if g["skill"] == skill)
    confirmed_session(api, pair)
    assert api.post("/v1/me/progress", {"skill": skill, "level": start + 2}, token=tok).body["counted"] is True
    assert api.post("/v1/me/progress", {"skill": skill, "level": start}, token=tok).body["counted"] is False
    assert api.post("/v1/me/progress", {"skill": skill, "level": start + 2}, token=tok).body["counted"] is False
    assert api.get("/v1/me/achievements", token=tok).body["counters"]["skill_levels_gained"] == 2


def test_badge_roles_are_enforced(api, hr_token, make_pair, server):
    """A mentor-only badge used to be awarded to managers who met its counters."""
    slug = "m_" + uuid.uuid4().hex[:10]
    r = api.post("/v1/badges", {"slug": slug, "name": "Mentor only", "description": "d", "criteria_narrative": "c",
                                "role": "mentor", "criteria": {"all": [{"counter": "sessions", "min": 1}]}},
                 token=hr_token)
    assert r.status == 201, r
    try:
        pair = make_pair()
        confirmed_session(api, pair)
        mentor = {b["badge"] for b in api.get("/v1/me/achievements", token=pair.mentor.token).body["badges"]}
        mentee = {b["badge"] for b in api.get("/v1/me/achievements", token=pair.mentee.token).body["badges"]}
        assert slug in mentor and slug not in mentee
    finally:  # retire it so that other tests' badge sets stay as they expect
        assert psql(server.state_dir, f"UPDATE badges SET active = false WHERE slug = '{slug}'").returncode == 0


def test_badge_color_must_be_a_hex_colour(api, hr_token):
    for color in ("<abcdef", "abcdefg", "#ABCDEF"):
        r = api.post("/v1/badges", {"slug": "c_" + uuid.uuid4().hex[:10], "name": "C", "description": "d",
                                    "criteria_narrative": "c", "role": "any", "color": color,
                                    "criteria": {"all": [{"counter": "sessions", "min": 1}]}}, token=hr_token)
        assert_error(r, 400, {"invalid_value"}, "color")


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


def test_hours_print_as_plain_numbers(api, make_pair):
    """counters.hours_given used to print as 1.00000000000000000000 (numeric's scale)."""
    pair = make_pair()
    confirmed_session(api, pair, duration_minutes=60)
    confirmed_session(api, pair, duration_minutes=30)
    r = api.get("/v1/me/achievements", token=pair.mentor.token)
    assert r.status == 200, r
    assert '"hours_given":1.5' in r.text.replace(" ", ""), r.text[:400]
    assert re.search(r"\d\.\d{3,}", r.text) is None, f"a figure prints with trailing digits: {r.text[:600]}"
    assert r.body["counters"]["hours_given"] == 1.5 and r.body["hours_given"] == 1.5


def test_mentor_confirms_a_session_after_the_manager_erased_their_account(api, make_pair):
    """Confirming used to fail with a 500 (NULL employee_id in points_ledger) and the session stayed stuck.
    The mentor gave the time, so the mentor earns the session's points; the erased manager earns nothing."""
    pair = make_pair()
    s = log_session(api, pair, duration_minutes=60).body
    before = achievements(api, pair.mentor)["points"]
    assert api.delete("/v1/me", token=pair.mentee.token).status == 204
    c = api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token)
    assert c.status == 200 and c.body["status"] == "confirmed", c
    assert achievements(api, pair.mentor)["points"] > before
    earned = [x for x in ledger(api, pair.mentor)["items"] if x["session_id"] == s["id"]]
    assert earned and all(x["points"] > 0 for x in earned), earned
    # the erased pair counts as completed now that it has a confirmed session
    p = api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body
    assert p["status"] == "ended" and p["completed"] is True and p["mentee"] is None, p

"""GET /v1/employees/{id}/overview: HR's page for one employee (profile, pairs, totals, ESN figures),
built from real data made through the API: a round solved and published, sessions logged and
confirmed, ESN events imported, a pair ended and a partner erased."""

import datetime as dt
import json

import pytest

from conftest import (SPEC, Client, Tandemd, achievements, assert_error, build_pairs, confirmed_session,
                      log_session, make_state_dir, rfc3339, utc_now)


def overview(api, token, eid):
    r = api.get(f"/v1/employees/{eid}/overview", token=token)
    assert r.status == 200, r
    return r.body


@pytest.fixture(scope="module")
def programme(api, hr_token):
    """One published pair (neither side consents to the leaderboard): two sessions confirmed (60 min
    rated 4, 30 min rated 5), one still pending, which counts nowhere."""
    pair = build_pairs(api, hr_token, [{"skills": ["linkedin"]}])[0]
    now = utc_now()
    first = confirmed_session(api, pair, occurred_at=rfc3339(now - dt.timedelta(days=3)),
                              duration_minutes=60, rating=4)
    latest = confirmed_session(api, pair, occurred_at=rfc3339(now - dt.timedelta(days=2)),
                               duration_minutes=30, rating=5)
    log_session(api, pair, occurred_at=rfc3339(now - dt.timedelta(days=1)), duration_minutes=120, rating=1)
    return {"pair": pair, "first": first, "latest": latest}


def test_overview_of_a_manager_field_by_field(api, hr_token, programme):
    pair = programme["pair"]
    body = overview(api, hr_token, pair.mentee.id)
    assert body["employee"] == api.get(f"/v1/employees/{pair.mentee.id}", token=hr_token).body
    assert body["stall_days"] == 21 and body["esn"] is None
    assert len(body["pairs"]) == 1
    p = body["pairs"][0]
    view = api.get(f"/v1/pairs/{pair.id}", token=hr_token).body
    assert p["pair_id"] == pair.id and p["round_id"] == pair.round_id and p["role"] == "mentee"
    assert p["round_name"] == api.get(f"/v1/rounds/{pair.round_id}", token=hr_token).body["name"]
    assert p["partner"] == view["mentor"] and p["partner"]["id"] == pair.mentor.id
    assert p["skills"] == ["linkedin"] and p["status"] == "active" and p["completed"] is False
    assert p["starts_on"] == pair.starts_on.isoformat() and p["ends_on"] == pair.ends_on.isoformat()
    assert p["ended_at"] is None and p["ended_by"] is None
    assert p["confirmed_sessions"] == 2 == view["confirmed_sessions"], "the pending session does not count"
    assert p["hours"] == 1.5
    assert p["last_session_at"] == programme["latest"]["occurred_at"]
    assert p["average_rating"] == 4.5
    # published just now, so its clock is the publication, after the last session
    assert p["last_activity_at"] >= p["last_session_at"]
    mine = achievements(api, pair.mentee)
    t = body["totals"]
    assert t["sessions_confirmed"] == 2 and t["sessions_received"] == 2 and t["sessions_given"] == 0
    assert t["hours_received"] == 1.5 and t["hours_given"] == 0 and t["pairs_completed"] == 0
    # no leaderboard consent, yet HR sees the points: consent is about being named on boards
    assert pair.mentee.profile["leaderboard_opt_in"] is False
    assert t["points"] == mine["points"] > 0 and t["level"] == mine["level"]
    assert [(b["badge"], b["name"], b["award_id"]) for b in t["badges"]] == \
        [(b["badge"], b["name"], b["award_id"]) for b in mine["badges"]]
    assert "first_step" in [b["badge"] for b in t["badges"]]
    assert "note" not in json.dumps(body), "never a session's private note"


def test_overview_of_the_mentor(api, hr_token, programme):
    pair = programme["pair"]
    body = overview(api, hr_token, pair.mentor.id)
    p = body["pairs"][0]
    assert p["role"] == "mentor" and p["partner"]["id"] == pair.mentee.id
    assert p["confirmed_sessions"] == 2 and p["hours"] == 1.5 and p["average_rating"] == 4.5
    t = body["totals"]
    mine = achievements(api, pair.mentor)
    assert t["sessions_given"] == 2 and t["hours_given"] == 1.5 and t["hours_received"] == 0
    assert t["points"] == mine["points"] and [b["badge"] for b in t["badges"]] == [b["badge"] for b in mine["badges"]]


def import_events(api, hr_token, events):
    r = api.request("POST", "/v1/esn/import", data="\n".join(json.dumps(e) for e in events).encode(),
                    token=hr_token, headers={"Content-Type": "application/x-ndjson"})
    assert r.status == 200, r


def test_esn_figures_only_where_hr_already_sees_them(api, hr_token, programme):
    """Employees are told that only they see their ESN figures by name, and HR group totals and the
    ambassador candidates: the overview gives the giving score, parts and why of a candidate (never a
    mentor), equal to /v1/esn/ambassadors' row and to the employee's own /v1/me/esn, and nothing of
    a mentor's, nor anyone's activity by kind or before/during/after."""
    pair = programme["pair"]
    when = utc_now() - dt.timedelta(days=1)
    events = [{"id": f"ov-{pair.id}-{i}", "actor_email": pair.mentee.profile["email"], "kind": "post",
               "community": "Finance", "occurred_at": rfc3339(when - dt.timedelta(hours=i))} for i in range(2)]
    events.append({"id": f"ov-{pair.id}-c", "actor_email": pair.mentee.profile["email"], "kind": "comment",
                   "community": "Finance", "occurred_at": rfc3339(when),
                   "target_email": pair.mentor.profile["email"]})
    events.append({"id": f"ov-{pair.id}-m", "actor_email": pair.mentor.profile["email"], "kind": "comment",
                   "community": "Finance", "occurred_at": rfc3339(when),
                   "target_email": pair.mentee.profile["email"]})
    import_events(api, hr_token, events)
    esn = overview(api, hr_token, pair.mentee.id)["esn"]
    assert set(esn) == {"days", "score", "parts", "why"}
    own = api.get("/v1/me/esn", token=pair.mentee.token).body
    assert esn["days"] == 90 == own["days"]
    assert esn["parts"] == own["giving"]["parts"] and esn["score"] == own["giving"]["score"] > 0
    assert esn["parts"]["posts"] == 2 and esn["parts"]["comments"] == 1 and esn["parts"]["people_reached"] == 1
    listed = api.get("/v1/esn/ambassadors", token=hr_token, params={"limit": "200"}).body["items"]
    row = [a for a in listed if a["employee"]["id"] == pair.mentee.id]
    assert len(row) == 1, "the shared server has far fewer than 200 givers"
    assert (row[0]["score"], row[0]["parts"], row[0]["why"]) == (esn["score"], esn["parts"], esn["why"])
    assert esn["why"] == "1 departments reached, 1 comments, 1 people reached"  # weights 3, 1, 1
    # the mentor gave too, but a mentor is no ambassador candidate: HR does not see their figures
    assert api.get("/v1/me/esn", token=pair.mentor.token).body["giving"]["score"] > 0
    assert overview(api, hr_token, pair.mentor.id)["esn"] is None


def test_no_esn_figures_without_giving(api, hr_token, make_employee):
    e = make_employee()
    import_events(api, hr_token, [{"id": f"ov-post-{e.id}", "actor_email": e.profile["email"], "kind": "post",
                                   "community": "Finance", "occurred_at": rfc3339(utc_now())}])
    assert api.get("/v1/me/esn", token=e.token).body["activity"]["events"] == 1
    assert overview(api, hr_token, e.id)["esn"] is None, "posts weigh 0 by default: no score, no figures"


def test_ended_pair_and_an_erased_partner(api, hr_token):
    pair = build_pairs(api, hr_token, [{}])[0]
    confirmed_session(api, pair)
    r = api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "Done", "rating": 5}, token=pair.mentee.token)
    assert r.status == 200, r
    p = overview(api, hr_token, pair.mentor.id)["pairs"][0]
    assert p["status"] == "ended" and p["ended_by"] == "mentee" and p["completed"] is True
    assert p["ended_at"] is not None
    assert api.delete("/v1/me", token=pair.mentor.token).status == 204
    assert_error(api.get(f"/v1/employees/{pair.mentor.id}/overview", token=hr_token), 404, "not_found")
    p = overview(api, hr_token, pair.mentee.id)["pairs"][0]
    assert p["partner"] is None and p["status"] == "ended" and p["confirmed_sessions"] == 1


def test_employee_without_pairs(api, hr_token, make_employee):
    e = make_employee()
    body = overview(api, hr_token, e.id)
    assert body["pairs"] == [] and body["esn"] is None and body["deactivated_at"] is None
    assert body["totals"]["sessions_confirmed"] == 0 and body["totals"]["points"] == 0
    assert body["totals"]["badges"] == [] and body["totals"]["level"]["level"] == 1


def test_a_leaver_shows_since_when(api, hr_token, make_employee):
    """A leaver deprovisioned by the identity provider (SCIM) is deactivated, not deleted: the
    overview says since when; reactivated, it says nothing again."""
    e = make_employee()
    patch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    before = utc_now().replace(microsecond=0)

    def scim_active(value):
        r = api.request("PATCH", f"/scim/v2/Users/{e.id}", token=hr_token,
                        data=json.dumps({"schemas": [patch], "Operations": [
                            {"op": "replace", "path": "active", "value": value}]}).encode(),
                        headers={"Content-Type": "application/scim+json"})
        assert r.status == 200 and r.body["active"] is value, r

    scim_active(False)
    left = overview(api, hr_token, e.id)["deactivated_at"]
    assert left is not None
    stamp = dt.datetime.strptime(left, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert before <= stamp <= utc_now(), (before, left)
    scim_active(True)
    assert overview(api, hr_token, e.id)["deactivated_at"] is None


def test_refusals(api, hr_token, make_employee):
    me, other = make_employee(), make_employee()
    assert_error(api.get(f"/v1/employees/{me.id}/overview"), 401, "unauthorized")
    assert_error(api.get(f"/v1/employees/{me.id}/overview", token=me.token), 403, "forbidden")
    assert_error(api.get(f"/v1/employees/{other.id}/overview", token=me.token), 403, "forbidden")
    assert_error(api.get("/v1/employees/999999999/overview", token=hr_token), 404, "not_found")
    assert_error(api.get("/v1/employees/abc/overview", token=hr_token), 404, "not_found")
    # a bad id still tells an employee 403 first (api.authorize), not 404
    assert_error(api.get("/v1/employees/abc/overview", token=me.token), 403, "forbidden")
    r = api.post(f"/v1/employees/{me.id}/overview", {}, token=hr_token)
    assert r.status == 405, r


def test_stalled_is_judged_by_the_servers_stall_days(api, server, hr_token, programme):
    """The same pair is active under the shared server's --stall-days 21 and stalled under a second
    tandemd on the same database with --stall-days 0 (its upkeep tick held off for a day, so it
    changes nothing)."""
    from test_external_db import conninfo
    pair = programme["pair"]
    assert overview(api, hr_token, pair.mentee.id)["pairs"][0]["status"] == "active"
    d = make_state_dir("tandem-api-overview-")
    srv = Tandemd(["--database-url", conninfo(server.state_dir), "--state-dir", d, "--stall-days", "0",
                   "--maintenance-seconds", "86400"], d, name="tandemd-overview")
    try:
        body = overview(Client(srv.base_url), hr_token, pair.mentee.id)
        assert body["stall_days"] == 0 and body["pairs"][0]["status"] == "stalled"
    finally:
        code = srv.terminate()
    assert code == 0, f"second tandemd exited {code}\n{srv.tail()}"
    srv.cleanup()


def test_spec_example_is_valid():
    _, op = SPEC.operation("get", "/v1/employees/{id}/overview")
    media = op["responses"]["200"]["content"]["application/json"]
    SPEC.validate_instance(media["schema"], media["example"], "example of GET /v1/employees/{id}/overview")

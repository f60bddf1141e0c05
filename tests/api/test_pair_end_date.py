"""Moving a running pair's end date (PATCH /v1/pairs/{id}): either side or HR may extend or shorten it,
the change is recorded, both calendar invitations follow with a higher SEQUENCE, bad dates change
nothing, an ended pair keeps its date, and the upkeep tick ends a pair only once its new date has passed."""

import datetime as dt
import subprocess
import time

import icalendar
import pytest

from conftest import Tandemd, assert_error, build_pairs, make_state_dir, today_utc


def invitation(api, pair_id, token):
    r = api.get(f"/v1/me/pairs/{pair_id}/invite.ics", token=token)
    assert r.status == 200, r
    return icalendar.Calendar.from_ical(r.raw.content.decode("utf-8")).walk("VEVENT")[0]


def until_date(event):
    """The last local day of the weekly series: RRULE UNTIL is the end day's 23:59:59 in the anchor's zone."""
    return event["RRULE"]["UNTIL"][0].date()


def test_either_side_or_hr_moves_the_end_date_and_both_invitations_follow(api, hr_token):
    pair = build_pairs(api, hr_token, [{}])[0]
    before = api.get(f"/v1/pairs/{pair.id}", token=pair.mentee.token).body
    assert before["ends_on_changed_at"] is None and before["ends_on_changed_by"] is None, before
    ev = invitation(api, pair.id, pair.mentee.token)
    assert int(ev["SEQUENCE"]) == 0 and until_date(ev).isoformat() == before["ends_on"], ev

    later = today_utc() + dt.timedelta(days=200)
    r = api.patch(f"/v1/pairs/{pair.id}", {"ends_on": later.isoformat()}, token=pair.mentee.token)
    assert r.status == 200, r
    assert r.body["ends_on"] == later.isoformat() and r.body["ends_on_changed_by"] == "mentee", r.body
    assert r.body["ends_on_changed_at"] is not None and r.body["status"] == "active", r.body
    assert api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body["ends_on"] == later.isoformat()
    for token in (pair.mentee.token, pair.mentor.token):
        ev = invitation(api, pair.id, token)
        assert int(ev["SEQUENCE"]) == 1 and until_date(ev) == later, ev
    mine = api.get("/v1/me/pairs", token=pair.mentor.token).body["items"]
    assert [p["ends_on"] for p in mine if p["pair_id"] == pair.id] == [later.isoformat()], mine

    sooner = today_utc() + dt.timedelta(days=10)
    r = api.patch(f"/v1/pairs/{pair.id}", {"ends_on": sooner.isoformat()}, token=pair.mentor.token)
    assert r.status == 200 and r.body["ends_on_changed_by"] == "mentor", r
    r = api.patch(f"/v1/pairs/{pair.id}", {"ends_on": later.isoformat()}, token=hr_token)
    assert r.status == 200 and r.body["ends_on_changed_by"] == "hr", r
    ev = invitation(api, pair.id, pair.mentee.token)
    assert int(ev["SEQUENCE"]) == 3 and until_date(ev) == later, ev

    # the same date again is no revision
    r = api.patch(f"/v1/pairs/{pair.id}", {"ends_on": later.isoformat()}, token=pair.mentee.token)
    assert r.status == 200 and r.body["ends_on_changed_by"] == "hr", r
    assert int(invitation(api, pair.id, pair.mentee.token)["SEQUENCE"]) == 3


def test_bad_end_dates_are_refused_and_change_nothing(api, hr_token):
    pair = build_pairs(api, hr_token, [{}])[0]
    before = api.get(f"/v1/pairs/{pair.id}", token=pair.mentee.token).body
    url = f"/v1/pairs/{pair.id}"
    yesterday = (today_utc() - dt.timedelta(days=1)).isoformat()
    assert_error(api.patch(url, {"ends_on": yesterday}, token=pair.mentee.token), 400, "invalid_value", "ends_on")
    assert_error(api.patch(url, {"ends_on": before["starts_on"]}, token=pair.mentee.token), 400, "invalid_value",
                 "ends_on")
    assert_error(api.patch(url, {"ends_on": "2031-02-30"}, token=pair.mentee.token), 400, "invalid_value", "ends_on")
    assert_error(api.patch(url, {"ends_on": 20310101}, token=pair.mentee.token), 400, "invalid_type", "ends_on")
    assert_error(api.patch(url, {}, token=pair.mentee.token), 400, "missing_field", "ends_on")
    later = (today_utc() + dt.timedelta(days=300)).isoformat()
    assert_error(api.patch(url, {"ends_on": later, "starts_on": later}, token=pair.mentee.token), 400,
                 "unknown_field", "starts_on")
    # at most two years from the pair's start (an invitation covers the whole span: a year 9999 end
    # made every .ics time out); a round has the same bound
    start = dt.date.fromisoformat(before["starts_on"])
    assert_error(api.patch(url, {"ends_on": (start + dt.timedelta(days=732)).isoformat()}, token=pair.mentee.token),
                 400, "invalid_value", "ends_on")
    assert_error(api.patch(url, {"ends_on": "9999-12-31"}, token=hr_token), 400, "invalid_value", "ends_on")
    assert_error(api.post("/v1/rounds", {"name": "too long", "starts_on": "2027-01-04", "ends_on": "2029-01-05",
                                         "solve": False}, token=hr_token), 400, "invalid_value", "ends_on")
    assert api.patch(url, {"ends_on": (start + dt.timedelta(days=731)).isoformat()}, token=pair.mentee.token).status \
        == 200
    assert api.patch(url, {"ends_on": before["ends_on"]}, token=pair.mentee.token).status == 200
    before = dict(before, ends_on_changed_at=api.get(url, token=hr_token).body["ends_on_changed_at"],
                  ends_on_changed_by="mentee")
    after = api.get(url, token=pair.mentee.token).body
    assert after == before, (before, after)
    assert int(invitation(api, pair.id, pair.mentee.token)["SEQUENCE"]) == 2


def test_only_the_two_sides_and_hr_move_a_pair_s_end_date(api, hr_token, make_employee):
    pair, other = build_pairs(api, hr_token, [{}, {}])
    later = (today_utc() + dt.timedelta(days=300)).isoformat()
    outsider = make_employee()
    for token in (outsider.token, other.mentee.token, other.mentor.token):
        assert_error(api.patch(f"/v1/pairs/{pair.id}", {"ends_on": later}, token=token), 404, "not_found")
    assert_error(api.patch("/v1/pairs/999999999", {"ends_on": later}, token=hr_token), 404, "not_found")
    assert_error(api.patch(f"/v1/pairs/{pair.id}", {"ends_on": later}, token=None), 401, "unauthorized")
    read_only = api.post("/v1/tokens", {"scope": "read", "expires_in_days": 1}, token=pair.mentee.token)
    assert read_only.status == 201, read_only
    assert_error(api.patch(f"/v1/pairs/{pair.id}", {"ends_on": later}, token=read_only.body["token"]), 403,
                 "insufficient_scope")
    assert api.get(f"/v1/pairs/{pair.id}", token=hr_token).body["ends_on_changed_at"] is None


def test_an_ended_pair_keeps_its_end_date(api, hr_token):
    pair = build_pairs(api, hr_token, [{}])[0]
    ended = api.post(f"/v1/pairs/{pair.id}/end", token=pair.mentee.token)
    assert ended.status == 200 and ended.body["status"] == "ended", ended
    later = (today_utc() + dt.timedelta(days=300)).isoformat()
    assert_error(api.patch(f"/v1/pairs/{pair.id}", {"ends_on": later}, token=hr_token), 409, "conflict", "ends_on")
    assert api.get(f"/v1/pairs/{pair.id}", token=hr_token).body["ends_on"] == ended.body["ends_on"]


@pytest.fixture(scope="module")
def ticking(server):
    """A second tandemd on the same cluster whose upkeep tick runs every second."""
    from test_external_db import conninfo
    d = make_state_dir("tandem-api-end-date-")
    srv = Tandemd(["--database-url", conninfo(server.state_dir), "--state-dir", d, "--maintenance-seconds", "1"], d,
                  name="tandemd-end-date")
    yield srv
    code = srv.terminate()
    assert code == 0, f"upkeep tandemd exited {code} after SIGTERM\n{srv.tail()}"
    srv.cleanup()


def test_a_pair_moved_to_today_runs_until_the_day_is_over(api, server, hr_token, ticking):
    from test_external_db import conninfo
    today = today_utc()
    moved, over = build_pairs(api, hr_token, [{}, {}])
    for pair in (moved, over):
        r = api.patch(f"/v1/pairs/{pair.id}", {"ends_on": today.isoformat()}, token=pair.mentee.token)
        assert r.status == 200, r
    # the control: the same pair one day on (its end date yesterday) is ended by the same tick
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo(server.state_dir), "-c",
                    f"UPDATE pairs SET ends_on = ends_on - 1 WHERE id = {over.id}"], check=True, timeout=30)
    deadline = time.monotonic() + 15
    while api.get(f"/v1/pairs/{over.id}", token=hr_token).body["status"] == "active":
        assert time.monotonic() < deadline, "the upkeep tick never ended the pair whose date had passed"
        time.sleep(0.3)
    assert api.get(f"/v1/pairs/{over.id}", token=hr_token).body["ended_by"] == "round_end"
    p = api.get(f"/v1/pairs/{moved.id}", token=hr_token).body
    assert p["status"] == "active" and p["ends_on"] == today.isoformat(), p

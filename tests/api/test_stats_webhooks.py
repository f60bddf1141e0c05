"""Issue 4 — HR statistics (JSON and CSV), webhooks (Standard Webhooks signatures since issue 9, retries with
back-off, CRUD, secret rotation; delivered to a local receiver by a tandemd run with --webhook-allow-private),
and the
upkeep tick of a second tandemd (--stall-days 0 --maintenance-seconds 1): pair_stalled events visible to HR
and to the pair only, and pairs past their round's end ended by "round_end"."""

import csv
import datetime as dt
import io
import json
import re
import time
import uuid

import pytest

from conftest import (SPEC, Client, Tandemd, assert_error, build_pairs, confirmed_session, create_hr,
                      employee_body, log_session, make_state_dir, today_utc, webhook_verify)


STATS_FIELDS = ["department", "site", "managers_signed_up", "managers_matched", "participation_rate", "active_pairs",
                "stalled_pairs", "sessions_given", "hours_given", "average_rating", "levels_gained", "badges_awarded"]


# ---- stats ----

@pytest.fixture(scope="module")
def stats_world(api, hr_token):
    """One pair (mentor in MD/MS, manager in ED/ES), a second manager in ED/ES left unmatched (nobody teaches
    their goal), two confirmed sessions (60 min rated 4, 30 min rated 5), one disputed, two levels gained."""
    tag = uuid.uuid4().hex[:8]
    md, ms, ed, es = f"StM-{tag}", f"StMs-{tag}", f"StE-{tag}", f"StEs-{tag}"
    loner = api.post("/v1/employees", {"email": f"loner-{tag}@example.com", "display_name": "Loner",
                                       "department": ed, "site": es, "timezone": "UTC", "languages": ["en"],
                                       "role": "mentee"})
    assert loner.status == 201, loner
    assert api.put("/v1/me/learning", {"goals": [{"skill": "data_visualisation", "current_level": 0,
                                                   "priority": 1}]},
                   token=loner.body["token"]).status == 200
    pair = build_pairs(api, hr_token, [{"mentor": {"department": md, "site": ms},
                                        "mentee": {"department": ed, "site": es}}], tag=tag)[0]
    confirmed_session(api, pair, duration_minutes=60, rating=4, minutes_ago=3)
    confirmed_session(api, pair, duration_minutes=30, rating=5, minutes_ago=2)
    s = log_session(api, pair, duration_minutes=120, rating=1, minutes_ago=1).body
    assert api.post(f"/v1/sessions/{s['id']}/dispute", {"reason": "no"}, token=pair.mentor.token).status == 200
    r = api.post("/v1/me/progress", {"skill": "linkedin", "level": 2}, token=pair.mentee.token)
    assert r.status == 200 and r.body["counted"] is True, r
    return {"pair": pair, "md": md, "ms": ms, "ed": ed, "es": es}


def stats_json(api, hr_token, period="quarter"):
    r = api.get("/v1/stats", token=hr_token, params={"period": period})
    assert r.status == 200, r
    return r.body


def row_of(stats, dept, site):
    rows = [x for x in stats["rows"] if x["department"] == dept and x["site"] == site]
    assert len(rows) == 1, (dept, site, len(rows))
    return rows[0]


def test_stats_json(api, hr_token, stats_world):
    st = stats_json(api, hr_token)
    assert st["period"] == "quarter" and st["since"]
    w = stats_world
    mentor_row = row_of(st, w["md"], w["ms"])
    assert mentor_row["sessions_given"] == 0 and mentor_row["hours_given"] == 0
    assert mentor_row["average_rating"] is None
    assert mentor_row["managers_signed_up"] == 0 and mentor_row["participation_rate"] is None
    assert mentor_row["badges_awarded"] == 2  # first_step + bridge_builder
    mgr = row_of(st, w["ed"], w["es"])
    assert mgr["managers_signed_up"] == 2 and mgr["managers_matched"] == 1 and mgr["participation_rate"] == 0.5
    assert mgr["active_pairs"] == 1 and mgr["stalled_pairs"] == 0
    assert mgr["sessions_given"] == 2 and mgr["hours_given"] == 1.5 and mgr["average_rating"] == 4.5
    assert mgr["levels_gained"] == 2 and mgr["badges_awarded"] == 1
    by_skill = {x["skill"]: x["levels_gained"] for x in st["levels_gained_by_skill"]}
    assert by_skill.get("linkedin", 0) >= 2
    keys = [(x["department"], x["site"]) for x in st["rows"]]
    assert keys == sorted(keys)
    for period in ("month", "quarter", "all"):
        assert row_of(stats_json(api, hr_token, period), w["ed"], w["es"])["sessions_given"] == 2


def test_stats_count_a_pair_under_its_managers_department_and_site(api, hr_token, stats_world):
    """One rule for every pair figure: the pair, its sessions, hours and rating count under the manager's
    department and site (the mentor's used to get the sessions and hours while the manager's got the pair);
    person figures (sign-ups, badges, levels) count under the person's own."""
    st = stats_json(api, hr_token)
    w = stats_world
    mgr, mentor = row_of(st, w["ed"], w["es"]), row_of(st, w["md"], w["ms"])
    assert (mgr["active_pairs"], mgr["sessions_given"], mgr["hours_given"]) == (1, 2, 1.5)
    assert (mentor["active_pairs"], mentor["sessions_given"], mentor["hours_given"]) == (0, 0, 0)
    assert isinstance(mgr["hours_given"], float) or mgr["hours_given"] == int(mgr["hours_given"])


def test_stats_csv_matches_json(api, hr_token, stats_world):
    r = api.get("/v1/stats", token=hr_token, params={"period": "week", "format": "csv"})
    assert r.status == 200, r
    assert r.headers["Content-Type"].split(";")[0].strip() == "text/csv"
    text = r.raw.content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == STATS_FIELDS, rows[0]
    js = stats_json(api, hr_token)
    body = [x for x in rows[1:] if x]
    assert len(body) == len(js["rows"])
    w = stats_world
    line = [x for x in body if x[0] == w["ed"] and x[1] == w["es"]]
    assert len(line) == 1
    rec = dict(zip(STATS_FIELDS, line[0]))
    assert int(rec["sessions_given"]) == 2 and float(rec["hours_given"]) == 1.5 and float(rec["average_rating"]) == 4.5
    mentor = dict(zip(STATS_FIELDS, [x for x in body if x[0] == w["md"] and x[1] == w["ms"]][0]))
    assert mentor["participation_rate"] == ""  # null -> empty field
    mgr = dict(zip(STATS_FIELDS, [x for x in body if x[0] == w["ed"] and x[1] == w["es"]][0]))
    assert int(mgr["managers_signed_up"]) == 2 and float(mgr["participation_rate"]) == 0.5
    assert int(mgr["levels_gained"]) == 2


def test_stats_csv_quotes_awkward_names(api, hr_token):
    dept = f'Sales, "North" {uuid.uuid4().hex[:6]}'
    assert api.post("/v1/employees", {"email": f"q-{uuid.uuid4().hex[:8]}@example.com", "display_name": "Q",
                                      "department": dept, "timezone": "UTC", "languages": ["en"],
                                      "role": "mentee"}).status == 201
    r = api.get("/v1/stats", token=hr_token, params={"format": "csv", "period": "all"})
    rows = list(csv.reader(io.StringIO(r.raw.content.decode("utf-8"))))
    assert [x for x in rows if x and x[0] == dept], "a department with a comma and quotes must survive CSV"


def test_stats_authz_and_parameters(api, hr_token, make_employee):
    assert_error(api.get("/v1/stats"), 401, "unauthorized")
    assert_error(api.get("/v1/stats", token=make_employee().token), 403, "forbidden")
    assert_error(api.get("/v1/stats", token=hr_token, params={"period": "decade"}), 400, "invalid_parameter",
                 "period")
    assert_error(api.get("/v1/stats", token=hr_token, params={"format": "xml"}), 400, "invalid_parameter", "format")


# ---- webhooks ----

SECRET_RX = r"whsec_[A-Za-z0-9+/]{43}="


@pytest.fixture(scope="module")
def hooks():
    """A tandemd allowed to deliver to loopback (the test receivers), with its API client and an HR token."""
    state = make_state_dir("tandem-hooks-")
    srv = Tandemd(["--state-dir", state, "--webhook-allow-private"], state, name="hooks")
    yield srv, Client(srv.base_url), create_hr(state)["token"]
    code = srv.terminate()
    srv.cleanup()
    assert code == 0


def register(api, hr_token, event_type, url):
    r = api.post("/v1/webhooks", {"event_type": event_type, "url": url}, token=hr_token)
    assert r.status == 201, r
    assert re.fullmatch(SECRET_RX, r.body["secret"]), r.body
    return r.body


def webhook(api, hr_token, wid):
    items = [w for w in api.get("/v1/webhooks", token=hr_token).body["items"] if w["id"] == wid]
    return items[0] if items else None


def headers_of(x):
    return {k.lower(): v for k, v in x["headers"].items()}


def test_webhook_crud_and_validation(api, hr_token, make_employee):
    emp = make_employee()
    body = {"event_type": "pair_completed", "url": "https://hooks.example.com/none"}
    assert_error(api.post("/v1/webhooks", body), 401, "unauthorized")
    assert_error(api.post("/v1/webhooks", body, token=emp.token), 403, "forbidden")
    assert_error(api.get("/v1/webhooks", token=emp.token), 403, "forbidden")
    for over, code, field in ((dict(url="ftp://example.com/x"), "invalid_value", "url"),
                              (dict(url="not a url"), "invalid_value", "url"),
                              (dict(secret="x" * 16), "unknown_field", "secret"),  # tandemd makes secrets
                              (dict(event_type="session_logged"), "invalid_value", "event_type"),
                              (dict(active=True), "unknown_field", "active")):
        assert_error(api.post("/v1/webhooks", dict(body, **over), token=hr_token), 400, code, field)
    w = register(api, hr_token, "pair_completed", "https://hooks.example.com/none")
    assert w["event_type"] == "pair_completed" and w["url"] == "https://hooks.example.com/none" and w["active"]
    assert w["deliveries"] == {"pending": 0, "delivered": 0, "failed": 0}
    listed = webhook(api, hr_token, w["id"])
    assert "secret" not in listed, "the secret is shown once, at creation"
    assert listed == {k: v for k, v in w.items() if k != "secret"}
    assert listed["secret_rotated_at"] is None and listed["previous_secret_expires_at"] is None
    assert_error(api.post(f"/v1/webhooks/{w['id']}/rotate-secret", {}, token=emp.token), 403, "forbidden")
    assert_error(api.post(f"/v1/webhooks/{w['id']}/rotate-secret", {"grace_seconds": -1}, token=hr_token),
                 400, "invalid_value", "grace_seconds")
    assert_error(api.post("/v1/webhooks/999999999/rotate-secret", {}, token=hr_token), 404, "not_found")
    r = api.post(f"/v1/webhooks/{w['id']}/rotate-secret", token=hr_token)
    assert r.status == 200 and re.fullmatch(SECRET_RX, r.body["secret"]) and r.body["secret"] != w["secret"], r
    assert r.body["secret_rotated_at"] is not None and r.body["previous_secret_expires_at"] is not None
    assert "secret" not in webhook(api, hr_token, w["id"])
    assert_error(api.delete(f"/v1/webhooks/{w['id']}", token=emp.token), 403, "forbidden")
    assert api.delete(f"/v1/webhooks/{w['id']}", token=hr_token).status == 204
    assert webhook(api, hr_token, w["id"]) is None
    assert_error(api.delete(f"/v1/webhooks/{w['id']}", token=hr_token), 404, "not_found")


def test_badge_earned_webhook_is_signed(hooks, hook_receiver):
    _, api, hr_token = hooks
    rec = hook_receiver()
    w = register(api, hr_token, "badge_earned", rec.url)
    try:
        pair = build_pairs(api, hr_token, [{}])[0]
        confirmed_session(api, pair)
        awards = {b["award_id"] for e in (pair.mentor, pair.mentee)
                  for b in api.get("/v1/me/achievements", token=e.token).body["badges"]}
        assert len(awards) == 3  # mentor first_step + bridge_builder, manager first_step
        got = rec.wait_for(lambda xs: len({json.loads(x["body"])["payload"]["award_id"] for x in xs} & awards) == 3)
        ours = [x for x in got if json.loads(x["body"])["payload"]["award_id"] in awards]
        assert len({json.loads(x["body"])["event_id"] for x in ours}) == 3, got
        assert len({headers_of(x)["webhook-id"] for x in ours}) == 3, "one message id per event"
        for x in ours:
            h = headers_of(x)
            assert h["x-tandem-event"] == "badge_earned"
            assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", h["webhook-signature"]), h
            assert webhook_verify(x, w["secret"]), "Standard Webhooks signature over id.timestamp.body"
            assert abs(int(h["webhook-timestamp"]) - time.time()) < 60
            assert h["webhook-id"] == "msg_" + h["x-tandem-delivery"]
            assert h["content-type"].split(";")[0].strip() == "application/json"
            d = json.loads(x["body"])
            SPEC.validate_instance({"$ref": "#/components/schemas/WebhookDelivery"}, d, "webhook delivery")
            assert d["type"] == "badge_earned" and d["payload"]["badge"] in ("first_step", "bridge_builder")
            assert x["path"] == "/hook"
        tampered = dict(ours[0], body=ours[0]["body"] + b" ")
        assert not webhook_verify(tampered, w["secret"]), "the signature covers the body"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and webhook(api, hr_token, w["id"])["deliveries"]["delivered"] < 3:
            time.sleep(0.1)
        assert webhook(api, hr_token, w["id"])["deliveries"] == {"pending": 0, "delivered": 3, "failed": 0}
    finally:
        api.delete(f"/v1/webhooks/{w['id']}", token=hr_token)


def test_failed_delivery_is_retried(hooks, hook_receiver):
    """The receiver answers 500 first, then 200: the same body arrives again after the back-off, with the same
    webhook-id (receivers deduplicate on it) and a fresh timestamp covered by a fresh signature."""
    _, api, hr_token = hooks
    rec = hook_receiver(statuses=(500, 200))
    w = register(api, hr_token, "session_confirmed", rec.url)
    try:
        pair = build_pairs(api, hr_token, [{}])[0]
        s = confirmed_session(api, pair)
        got = rec.wait_for(lambda xs: len(xs) >= 2, timeout=12)
        assert len(got) >= 2, f"no retry within 12 s: {len(got)} request(s)"
        assert got[0]["body"] == got[1]["body"]
        first = json.loads(got[0]["body"])
        assert first["type"] == "session_confirmed" and first["payload"]["session_id"] == s["id"]
        assert first["payload"]["pair_id"] == pair.id
        h0, h1 = headers_of(got[0]), headers_of(got[1])
        assert h0["webhook-id"] == h1["webhook-id"], "the message id is stable across retries (replay defence)"
        assert int(h1["webhook-timestamp"]) >= int(h0["webhook-timestamp"])
        assert webhook_verify(got[0], w["secret"]) and webhook_verify(got[1], w["secret"])
        # design: back-off 1 s, 2 s, 4 s...; deliveries are polled every second -> first retry within ~2 s
        gap = got[1]["at"] - got[0]["at"]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and webhook(api, hr_token, w["id"])["deliveries"]["delivered"] < 1:
            time.sleep(0.1)
        assert webhook(api, hr_token, w["id"])["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0}
        time.sleep(1.2)
        assert len(rec.received) == 2, "a delivered event is not sent again"
        assert 0.5 <= gap <= 2.6, f"first retry after {gap:.1f} s; the design's back-off starts at 1 s"
    finally:
        api.delete(f"/v1/webhooks/{w['id']}", token=hr_token)


def test_erasure_delivers_the_pair_completed_webhook(hooks, hook_receiver):
    """A manager erasing their account ends their completed pair as their own ending would: the pair_completed
    webhook fires (erasure used to skip it), naming the mentor who stays and the erased side only as a former
    colleague."""
    _, api, hr_token = hooks
    rec = hook_receiver()
    w = register(api, hr_token, "pair_completed", rec.url)
    try:
        pair = build_pairs(api, hr_token, [{}])[0]
        confirmed_session(api, pair)
        assert api.delete("/v1/me", token=pair.mentee.token).status == 204

        def ours(xs):
            return [json.loads(x["body"]) for x in xs if json.loads(x["body"])["payload"].get("pair_id") == pair.id]
        got = ours(rec.wait_for(lambda xs: len(ours(xs)) >= 1))
        assert len(got) == 1, f"no pair_completed delivery for the erased manager's pair: {rec.received}"
        SPEC.validate_instance({"$ref": "#/components/schemas/WebhookDelivery"}, got[0], "webhook delivery")
        assert got[0]["type"] == "pair_completed"
        assert got[0]["payload"]["manager"] == "A former colleague" and got[0]["payload"]["sessions"] == 1
        assert pair.mentee.email not in json.dumps(got[0])
    finally:
        api.delete(f"/v1/webhooks/{w['id']}", token=hr_token)


def test_rotated_secret_signs_beside_the_old_one_during_grace(hooks, hook_receiver):
    """After a rotation with a grace period both signatures are sent (new first); with grace 0 only the new."""
    _, api, hr_token = hooks
    rec = hook_receiver()
    w = register(api, hr_token, "session_confirmed", rec.url)
    try:
        new = api.post(f"/v1/webhooks/{w['id']}/rotate-secret", {"grace_seconds": 600}, token=hr_token).body
        confirmed_session(api, build_pairs(api, hr_token, [{}])[0])
        got = rec.wait_for(lambda xs: len(xs) >= 1, timeout=10)
        assert len(got) == 1
        sigs = headers_of(got[0])["webhook-signature"].split(" ")
        assert len(sigs) == 2, sigs
        one = dict(got[0], headers={**got[0]["headers"], "webhook-signature": sigs[0]})
        two = dict(got[0], headers={**got[0]["headers"], "webhook-signature": sigs[1]})
        assert webhook_verify(one, new["secret"]) and webhook_verify(two, w["secret"])
        newest = api.post(f"/v1/webhooks/{w['id']}/rotate-secret", {"grace_seconds": 0}, token=hr_token).body
        assert newest["previous_secret_expires_at"] is None
        confirmed_session(api, build_pairs(api, hr_token, [{}])[0])
        got = rec.wait_for(lambda xs: len(xs) >= 2, timeout=10)
        assert len(got) == 2
        assert " " not in headers_of(got[1])["webhook-signature"]
        assert webhook_verify(got[1], newest["secret"]) and not webhook_verify(got[1], new["secret"])
    finally:
        api.delete(f"/v1/webhooks/{w['id']}", token=hr_token)


def test_internal_destinations_are_refused(server, api, hr_token, hook_receiver):
    """SSRF: without --webhook-allow-private an IP literal of loopback/private/link-local/metadata networks is
    refused at creation, and a name resolving to loopback is refused at delivery, after resolution."""
    for url in ("http://127.0.0.1:18099/internal/admin?action=delete", "http://10.0.0.7/x",
                "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/x", "https://[fd00:ec2::254]/",
                "http://192.168.1.1/", "http://172.20.0.1/", "http://0.0.0.0:80/"):
        assert_error(api.post("/v1/webhooks", {"event_type": "session_confirmed", "url": url}, token=hr_token),
                     400, "invalid_value", "url")
    assert not any(w["url"].startswith("http://127.0.0.1:18099")
                   for w in api.get("/v1/webhooks", token=hr_token).body["items"])
    rec = hook_receiver()
    port = rec.url.split(":")[2].split("/")[0]
    w = register(api, hr_token, "session_confirmed", f"http://localhost:{port}/hook")  # a name: checked later
    try:
        confirmed_session(api, build_pairs(api, hr_token, [{}])[0])
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and "internal address" not in server.stderr_text():
            time.sleep(0.2)
        assert "internal address (refused" in server.stderr_text(), server.tail()
        time.sleep(1)
        assert rec.received == [], "a name resolving to loopback must not be delivered to"
        d = webhook(api, hr_token, w["id"])["deliveries"]
        assert d["delivered"] == 0 and d["pending"] + d["failed"] == 1, d
    finally:
        api.delete(f"/v1/webhooks/{w['id']}", token=hr_token)


# ---- upkeep tick: stalled pairs, round end ----

@pytest.fixture(scope="module")
def upkeep(api, server, hr_token):
    """A quiet pair (no session), plus a pair whose round ended yesterday with one confirmed session; then a
    second tandemd on the same cluster with --stall-days 0 --maintenance-seconds 1."""
    from test_external_db import conninfo
    quiet = build_pairs(api, hr_token, [{}])[0]
    over = build_pairs(api, hr_token, [{}], starts_on=today_utc() - dt.timedelta(days=30),
                       ends_on=today_utc() - dt.timedelta(days=1))[0]
    confirmed_session(api, over)
    d = make_state_dir("tandem-api-upkeep-")
    srv = Tandemd(["--database-url", conninfo(server.state_dir), "--state-dir", d, "--stall-days", "0",
                   "--maintenance-seconds", "1"], d, name="tandemd-upkeep")
    yield {"quiet": quiet, "over": over, "srv": srv}
    code = srv.terminate()
    assert code == 0, f"upkeep tandemd exited {code} after SIGTERM\n{srv.tail()}"
    srv.cleanup()


def wait_events(api, token, pred, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        r = api.get("/v1/events", token=token)
        assert r.status == 200, r
        hit = [e for e in r.body["items"] if pred(e)]
        if hit or time.monotonic() > deadline:
            return hit
        time.sleep(0.2)


def test_stalled_pair_event(api, hr_token, upkeep, make_employee):
    quiet = upkeep["quiet"]
    hits = wait_events(api, hr_token, lambda e: e["payload"]["pair_id"] == quiet.id)
    assert len(hits) == 1, "one pair_stalled event for the quiet pair within 10 s (once per silence)"
    e = hits[0]
    assert e["type"] == "pair_stalled"
    assert e["payload"]["mentor_id"] == quiet.mentor.id and e["payload"]["manager_id"] == quiet.mentee.id
    assert e["payload"]["days"] == 0 and e["payload"]["last_activity"]
    time.sleep(1.5)  # more ticks: still one event for this silence
    assert len(wait_events(api, hr_token, lambda x: x["payload"]["pair_id"] == quiet.id, timeout=0)) == 1
    for side in (quiet.mentor, quiet.mentee):
        mine = api.get("/v1/events", token=side.token).body["items"]
        assert quiet.id in [x["payload"]["pair_id"] for x in mine]
        assert all(x["payload"]["mentor_id"] == side.id or x["payload"]["manager_id"] == side.id for x in mine)
    outsider = make_employee()
    assert api.get("/v1/events", token=outsider.token).body["items"] == []
    assert_error(api.get("/v1/events"), 401, "unauthorized")
    # private: never in the public feed
    feed = api.get("/v1/activity", token=hr_token, params={"limit": 100}).body["items"]
    assert all(x["type"] != "pair_stalled" for x in feed)


def test_erasure_unnames_a_stalled_event(api, hr_token, upkeep):
    """A stalled pair's private event kept the erased manager's id after the pair had forgotten them: the
    mentor and HR now see it null, as the pair's side."""
    pair = build_pairs(api, hr_token, [{}])[0]
    hits = wait_events(api, pair.mentor.token, lambda e: e["payload"]["pair_id"] == pair.id)
    assert len(hits) == 1 and hits[0]["payload"]["manager_id"] == pair.mentee.id, hits
    assert api.delete("/v1/me", token=pair.mentee.token).status == 204
    for token in (pair.mentor.token, hr_token):
        seen = [e["payload"] for e in api.get("/v1/events", token=token).body["items"]
                if e["payload"]["pair_id"] == pair.id]
        assert [(x["mentor_id"], x["manager_id"]) for x in seen] == [(pair.mentor.id, None)], seen


def test_round_end_ends_pairs(api, hr_token, upkeep):
    over = upkeep["over"]
    deadline = time.monotonic() + 10
    while True:
        p = api.get(f"/v1/pairs/{over.id}", token=hr_token).body
        if p["status"] == "ended" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert p["status"] == "ended" and p["ended_by"] == "round_end" and p["completed"] is True, p
    lg = api.get("/v1/me/ledger", token=over.mentor.token).body
    assert [x["points"] for x in lg["items"] if x["rule"] == "mentor_pair_completed"] == [30]



def test_stats_count_the_stalled_pair(api, hr_token, upkeep):
    """A server running with --stall-days 0 flags the quiet pair as stalled; its statistics agree with it
    (stalled_pairs follows --stall-days rather than a fixed 21 days)."""
    quiet = upkeep["quiet"]
    assert wait_events(api, hr_token, lambda e: e["payload"]["pair_id"] == quiet.id)
    r = Client(upkeep["srv"].base_url).get("/v1/stats", token=hr_token, params={"period": "all"})
    assert r.status == 200, r
    row = row_of(r.body, quiet.mentee.profile["department"], quiet.mentee.profile["site"])
    assert row["active_pairs"] == 1
    assert row["stalled_pairs"] == 1, row


def test_stats_default_period(api, hr_token):
    r = api.get("/v1/stats", token=hr_token)
    assert r.status == 200 and r.body["period"] == "all" and r.body["since"] is None, r


def test_csv_cells_never_start_a_formula(api, hr_token):
    dept = f"=HYPERLINK(\"http://x\",\"{uuid.uuid4().hex[:6]}\")"
    assert api.post("/v1/employees", employee_body(department=dept, role="mentee")).status == 201
    r = api.get("/v1/stats", token=hr_token, params={"format": "csv", "period": "all"})
    assert r.status == 200
    lines = [line for line in r.raw.content.decode().splitlines() if "HYPERLINK" in line]
    assert lines and all(line.startswith("\"'=HYPERLINK") for line in lines), lines


def test_unreachable_receiver_is_retried_and_leaks_nothing():
    """A receiver that refuses connections: the attempt is recorded as 'connection failed' and retried.
    libevent 2.1's free-on-completion kept each refused connection (LeakSanitizer, in the ASan run, saw
    it at exit); tandemd frees it itself now, so this server stops clean."""
    import socket

    from test_migrations import psql
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    state = make_state_dir("tandem-hooks-down-")
    srv = Tandemd(["--state-dir", state, "--webhook-allow-private"], state, name="hooks-down")
    try:
        api, hr_token = Client(srv.base_url), create_hr(state)["token"]
        register(api, hr_token, "session_confirmed", f"http://127.0.0.1:{port}/hook")
        confirmed_session(api, build_pairs(api, hr_token, [{}])[0])
        deadline, seen = time.monotonic() + 15, ""
        while time.monotonic() < deadline:
            seen = psql(state, "SELECT string_agg(attempts || ':' || coalesce(last_error, ''), ',') "
                               "FROM webhook_deliveries").stdout.strip()
            if seen.startswith("2:connection failed"):
                break
            time.sleep(0.3)
        assert seen.startswith("2:connection failed"), seen  # tried, refused, tried again
    finally:
        srv.stop()

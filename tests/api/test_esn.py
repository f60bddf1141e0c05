"""ESN activity: the signed endpoint (signature, replay, idempotency, bad events), bulk imports (NDJSON,
CSV, the Yammer converter's output), giving score and ambassadors, an employee's own figures, badges, and
leading by example (difference in differences) on synthetic companies."""

import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid

import pytest

from conftest import (REPO, Client, Tandemd, assert_error, build_pairs, create_hr, employee_body, make_state_dir,
                      rfc3339, today_utc, unique_email, utc_now)

SECRET = "esn-test-secret-0123456789"


@pytest.fixture(scope="module")
def esn_server():
    state = make_state_dir("tandem-esn-test-")
    srv = Tandemd(["--state-dir", state], state, env={"TANDEM_ESN_SECRET": SECRET}, name="tandemd-esn")
    yield srv
    code = srv.terminate()
    if code == 0:
        srv.cleanup()
    assert code == 0, srv.tail()


@pytest.fixture(scope="module")
def esn(esn_server):
    return Client(esn_server.base_url)


@pytest.fixture(scope="module")
def esn_hr(esn_server):
    return create_hr(esn_server.state_dir)["token"]


def signed(body, ts=None, secret=SECRET):
    """Raw body bytes and the signature headers of a delivery."""
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    ts = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Tandem-Timestamp": ts, "X-Tandem-Signature": "sha256=" + mac}


def deliver(api, events, **kw):
    raw, headers = signed({"events": events}, **kw)
    return api.request("POST", "/v1/esn/events", data=raw, headers=headers)


def person(api, **over):
    r = api.post("/v1/employees", employee_body(**over))
    assert r.status == 201, r
    return r.body["employee"], r.body["token"]


def ev(actor, kind="post", when=None, target=None, community="General", xid=None):
    e = {"id": xid or "t:" + uuid.uuid4().hex, "actor_email": actor, "kind": kind, "community": community,
         "occurred_at": rfc3339(when or utc_now() - dt.timedelta(hours=1))}
    if target:
        e["target_email"] = target
    return e


def status(api, hr):
    r = api.get("/v1/esn/status", token=hr)
    assert r.status == 200, r
    return r.body


def signed_example_accepted(example):
    """Posts example, signed, to a tandemd of its own configured with a secret; its people are signed up
    first so that every event is stored (used by test_spec_examples)."""
    state = make_state_dir("tandem-esn-example-")
    srv = Tandemd(["--state-dir", state], state, env={"TANDEM_ESN_SECRET": SECRET}, name="tandemd-esn-ex")
    try:
        api = Client(srv.base_url)
        for email in sorted({e["actor_email"] for e in example["events"]}):
            person(api, email=email)
        raw, headers = signed(example)
        r = api.request("POST", "/v1/esn/events", data=raw, headers=headers)
        assert r.status == 200 and r.body["stored"] == len(example["events"]), r
    finally:
        assert srv.terminate() == 0, srv.tail()
        srv.cleanup()


def test_signed_delivery_is_idempotent_and_counts_unmatched(esn, esn_hr):
    a, _ = person(esn)
    before = status(esn, esn_hr)
    batch = [ev(a["email"]), ev(a["email"], "reaction_given"), ev(unique_email("stranger"))]
    r = deliver(esn, batch)
    assert r.status == 200, r
    assert r.body == {"received": 3, "stored": 2, "duplicates": 0, "unmatched": 1, "unmatched_targets": 0}
    # the same events again (a new delivery, new signature): duplicates, nothing stored twice
    r = deliver(esn, batch, ts=int(time.time()) + 1)
    assert r.status == 200, r
    assert r.body["stored"] == 0 and r.body["duplicates"] == 3 and r.body["unmatched"] == 0
    after = status(esn, esn_hr)
    assert after["events"] == before["events"] + 2
    assert after["unmatched_events"] == before["unmatched_events"] + 1
    assert after["unmatched_actors"] == before["unmatched_actors"] + 1


def test_signature_timestamp_and_replay_are_refused(esn, esn_hr):
    a, _ = person(esn)
    before = status(esn, esn_hr)["events"]
    raw, headers = signed({"events": [ev(a["email"])]}, secret="not-the-secret-at-all")
    assert_error(esn.request("POST", "/v1/esn/events", data=raw, headers=headers), 401, "bad_signature")
    raw, headers = signed({"events": [ev(a["email"])]}, ts=int(time.time()) - 3600)
    assert_error(esn.request("POST", "/v1/esn/events", data=raw, headers=headers), 401, "stale_timestamp")
    raw, headers = signed({"events": [ev(a["email"])]})
    del headers["X-Tandem-Signature"]
    assert_error(esn.request("POST", "/v1/esn/events", data=raw, headers=headers), 401, "bad_signature")
    # a body changed after signing
    raw, headers = signed({"events": [ev(a["email"])]})
    assert_error(esn.request("POST", "/v1/esn/events", data=raw.replace(b"post", b"share"), headers=headers),
                 401, "bad_signature")
    assert status(esn, esn_hr)["events"] == before
    raw, headers = signed({"events": [ev(a["email"])]})
    assert esn.request("POST", "/v1/esn/events", data=raw, headers=headers).status == 200
    assert_error(esn.request("POST", "/v1/esn/events", data=raw, headers=headers), 409, "replayed")
    assert status(esn, esn_hr)["events"] == before + 1


def test_bad_event_fails_the_whole_batch(esn, esn_hr):
    a, _ = person(esn)
    before = status(esn, esn_hr)
    good = ev(a["email"])
    cases = [({**ev(a["email"]), "kind": "like"}, "events[1].kind"),
             ({**ev(a["email"]), "body": "the content"}, "events[1].body"),
             ({**ev(a["email"]), "occurred_at": "yesterday"}, "events[1].occurred_at"),
             ({**ev(a["email"]), "occurred_at": rfc3339(utc_now() + dt.timedelta(days=3))}, "events[1].occurred_at"),
             ({**ev(a["email"]), "actor_email": "nobody"}, "events[1].actor_email"),
             ({**ev(a["email"], "community_animated"), "community": ""}, "events[1].community"),
             ("not an object", "events[1]")]
    for bad, field in cases:
        assert_error(deliver(esn, [good, bad]), 400, "invalid_value", field)
    assert_error(deliver(esn, []), 400, "invalid_value", "events")
    raw, headers = signed(b"{not json")
    assert_error(esn.request("POST", "/v1/esn/events", data=raw, headers=headers), 400, "malformed_json")
    after = status(esn, esn_hr)
    assert after == before  # nothing written, not even the good event nor its id
    r = deliver(esn, [good])
    assert r.status == 200 and r.body["stored"] == 1, r


def test_signed_endpoint_off_without_secret(api):
    raw, headers = signed({"events": []})
    assert_error(api.request("POST", "/v1/esn/events", data=raw, headers=headers), 404, "not_configured")


def test_bulk_import_ndjson_and_csv(esn, esn_hr):
    a, atok = person(esn)
    b, _ = person(esn, department="Finance", site="Paris")
    nd = "\n".join(json.dumps(e) for e in [ev(a["email"], "answer_accepted", target=b["email"]),
                                              ev(a["email"], "comment", target=b["email"])]) + "\n\n"
    r = esn.request("POST", "/v1/esn/import", data=nd.encode(), token=esn_hr,
                    headers={"Content-Type": "application/x-ndjson"})
    assert r.status == 200 and r.body["stored"] == 2, r
    when = rfc3339(utc_now() - dt.timedelta(days=2))
    csv_text = ("kind,id,actor_email,community,occurred_at,target_email\r\n"
                f"community_animated,c:{uuid.uuid4().hex},{a['email']},\"Data, \"\"AI\"\" & co\",{when},\r\n"
                f"post,c:{uuid.uuid4().hex},{a['email']},,{when},\r\n")
    r = esn.request("POST", "/v1/esn/import", data=csv_text.encode(), token=esn_hr,
                    headers={"Content-Type": "text/csv"})
    assert r.status == 200 and r.body["stored"] == 2, r
    me = esn.get("/v1/me/esn", token=atok).body
    assert me["activity"]["events"] == 4
    assert me["activity"]["by_kind"]["community_animated"] == 1
    assert me["giving"]["parts"]["answers"] == 1 and me["giving"]["parts"]["departments_reached"] == 1
    # errors: media type, CSV shape, NDJSON line, and who may import
    before = status(esn, esn_hr)
    assert_error(esn.request("POST", "/v1/esn/import", data=b"x", token=esn_hr,
                             headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
    assert_error(esn.request("POST", "/v1/esn/import", data=b"id,actor,kind\r\n", token=esn_hr,
                             headers={"Content-Type": "text/csv"}), 400, "invalid_value", "line 1")
    bad_csv = f"id,actor_email,kind,occurred_at\r\nx1,{a['email']},post,{when}\r\nx2,{a['email']},post\r\n"
    assert_error(esn.request("POST", "/v1/esn/import", data=bad_csv.encode(), token=esn_hr,
                             headers={"Content-Type": "text/csv"}), 400, "invalid_value", "csv")
    assert_error(esn.request("POST", "/v1/esn/import", data=b'{"id": "x"}\n{oops\n', token=esn_hr,
                             headers={"Content-Type": "application/x-ndjson"}), 400, "malformed_json", "ndjson")
    assert_error(esn.request("POST", "/v1/esn/import", data=nd.encode(), token=atok,
                             headers={"Content-Type": "application/x-ndjson"}), 403, "forbidden")
    assert status(esn, esn_hr) == before


def test_status_says_when_the_last_delivery_came_in(esn, esn_hr):
    """GET /v1/esn/status gave only the latest event's own time: after a history import HR could not tell
    whether deliveries still arrive. last_received_at is when the last new event came in."""
    a, _ = person(esn)
    t0 = utc_now() - dt.timedelta(seconds=2)
    old = ev(a["email"], "post", when=utc_now() - dt.timedelta(days=400))
    r = esn.request("POST", "/v1/esn/import", data=json.dumps(old).encode(), token=esn_hr,
                    headers={"Content-Type": "application/x-ndjson"})
    assert r.status == 200 and r.body["stored"] == 1, r
    st = status(esn, esn_hr)
    got = dt.datetime.fromisoformat(st["last_received_at"].replace("Z", "+00:00"))
    assert t0 <= got <= utc_now() + dt.timedelta(seconds=2), st
    # the same id again is a duplicate: nothing new came in
    again = esn.request("POST", "/v1/esn/import", data=json.dumps(old).encode(), token=esn_hr,
                        headers={"Content-Type": "application/x-ndjson"})
    assert again.status == 200 and again.body["duplicates"] == 1, again
    assert status(esn, esn_hr)["last_received_at"] == st["last_received_at"]


def test_converter_on_yammer_sample(esn, esn_hr):
    sample = os.path.join(REPO, "tests", "api", "data", "yammer_Messages.csv")
    out = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "esn_convert.py"), sample],
                         capture_output=True, check=True, text=True)
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert "4 events written, 2 messages skipped" in out.stderr
    assert [(e["id"], e["kind"], e["community"], e.get("target_email")) for e in events] == [
        ("yammer:message:1001", "post", "Sales, Lyon", None),
        ("yammer:message:1002", "comment", "Sales, Lyon", "alice@example.com"),
        ("yammer:message:1003", "comment", "Sales, Lyon", "bruno@example.com"),
        ("yammer:message:1004", "post", "All Company", None)]
    assert all("body" not in e for e in events) and events[0]["occurred_at"] == "2024-03-04T09:00:00Z"
    person(esn, email="alice@example.com")
    r = esn.request("POST", "/v1/esn/import", data=out.stdout.encode(), token=esn_hr,
                    headers={"Content-Type": "application/x-ndjson"})
    assert r.status == 200, r
    assert r.body == {"received": 4, "stored": 2, "duplicates": 0, "unmatched": 2, "unmatched_targets": 1}


def test_giving_score_weights_and_ambassadors(esn, esn_hr):
    tag = uuid.uuid4().hex[:6]
    giver, gtok = person(esn, department=f"Giv-{tag}", site="Lyon")
    others = [person(esn, department=f"Other{i}-{tag}", site=f"Site{i}-{tag}")[0] for i in range(3)]
    batch = [ev(giver["email"], "answer_accepted", target=o["email"]) for o in others]
    batch += [ev(giver["email"], "reaction_given", target=others[0]["email"]),
              ev(giver["email"], "community_animated", community=f"Club {tag}")]
    assert deliver(esn, batch).status == 200
    w = esn.get("/v1/esn/weights", token=esn_hr).body["weights"]
    parts = esn.get("/v1/me/esn", token=gtok).body["giving"]
    assert parts["parts"] == {"answers": 3, "comments": 0, "reactions": 1, "animations": 1, "posts": 0, "shares": 0,
                              "people_reached": 3, "departments_reached": 3, "sites_reached": 3}
    expected = sum(w[k] * v for k, v in parts["parts"].items())
    assert parts["score"] == pytest.approx(expected, abs=0.05)
    items = esn.get("/v1/esn/ambassadors", token=esn_hr, params={"limit": 200}).body["items"]
    mine = [i for i in items if i["employee"]["id"] == giver["id"]]
    assert len(mine) == 1 and mine[0]["score"] == parts["score"]
    assert "3 answers" in mine[0]["why"] and "3 departments reached" in mine[0]["why"]
    # HR weights change the score; a weight out of range is refused and changes nothing
    r = esn.patch("/v1/esn/weights", {"answers": 10}, token=esn_hr)
    assert r.status == 200 and r.body["weights"]["answers"] == 10
    assert esn.get("/v1/me/esn", token=gtok).body["giving"]["score"] == pytest.approx(expected + 21, abs=0.05)
    assert_error(esn.patch("/v1/esn/weights", {"answers": -1}, token=esn_hr), 400, {"invalid_value", "invalid_type"}, "answers")
    assert esn.patch("/v1/esn/weights", {"answers": w["answers"]}, token=esn_hr).status == 200
    # ESN points are in the same ledger, capped by their rules
    led = esn.get("/v1/me/ledger", token=gtok).body["items"]
    assert {x["rule"] for x in led} >= {"esn_answer", "esn_animation"}
    flood = [ev(giver["email"], "answer_accepted", target=others[1]["email"]) for _ in range(30)]
    assert deliver(esn, flood).status == 200
    total = sum(x["points"] for x in esn.get("/v1/me/ledger", token=gtok).body["items"] if x["rule"] == "esn_answer")
    assert total == 20  # the rule's weekly cap


def hr_import_reports(api, hr, dept, managers):
    """One direct report per manager, created by the HR import (partial CSV, the manager column given as the
    manager's email): the reporting line is the imported manager, no manager_email."""
    rows = ["Employee ID,Work Email,First Name,Last Name,Department,Location,Time Zone,Languages,Manager Email"]
    emails = {}
    for i, m in enumerate(managers):
        emails[m] = unique_email(f"rep{i}")
        rows.append(f"ext-{uuid.uuid4().hex[:10]},{emails[m]},Rep{i},Report,{dept},Lyon,Europe/Paris,en,{m}")
    r = api.request("POST", "/v1/employees/import", token=hr, data=("\r\n".join(rows) + "\r\n").encode(),
                    headers={"Content-Type": "text/csv"}, params={"mode": "partial", "dry_run": "false"})
    assert r.status == 200 and r.body["counts"]["created"] == len(managers), r
    return emails


def setup_company(api, hr, rise_treated, rise_comparison, rise_teams, teams_via="manager_email"):
    """Five mentored managers (a past pair: 60 days, ended 60 days ago) and five never-mentored managers in one
    department, each with one direct report (who gave the manager's email, or whom the HR import placed under
    the manager); events in the 60-day windows before, during and after the pairs."""
    tag = uuid.uuid4().hex[:6]
    dept = f"Ops-{tag}"
    start = today_utc() - dt.timedelta(days=120)
    end = today_utc() - dt.timedelta(days=60)
    pairs = build_pairs(api, hr, [{"mentee": {"department": dept}} for _ in range(5)], starts_on=start, ends_on=end,
                        tag=tag)
    mentored = [p.mentee.email for p in pairs]
    comparison = [person(api, department=dept, email=unique_email(f"cmp-{tag}"), manager_email=None)[0]["email"]
                  for _ in range(5)]
    if teams_via == "manager_email":
        teams = {m: person(api, department=dept, manager_email=m)[0]["email"] for m in mentored + comparison}
    else:
        teams = hr_import_reports(api, hr, dept, mentored + comparison)
    s = dt.datetime.combine(start, dt.time(12), tzinfo=dt.timezone.utc)
    windows = {"before": s - dt.timedelta(days=30), "during": s + dt.timedelta(days=30),
               "after": s + dt.timedelta(days=90)}
    events = []
    for who, rise in ([(m, rise_treated) for m in mentored] + [(c, rise_comparison) for c in comparison]
                      + [(teams[m], rise_teams) for m in mentored] + [(teams[c], rise_comparison) for c in comparison]):
        for win, t in windows.items():
            n = 1 if win == "before" else (1 + rise)
            events += [ev(who, "post", when=t + dt.timedelta(minutes=i)) for i in range(n)]
    r = api.request("POST", "/v1/esn/import", data="\n".join(json.dumps(e) for e in events).encode(), token=hr,
                    headers={"Content-Type": "application/x-ndjson"})
    assert r.status == 200 and r.body["stored"] == len(events), r
    return dept, pairs


def impact_row(api, hr, dept, by="department", round_id=None):
    r = api.get("/v1/esn/impact", token=hr, params={"by": by})
    assert r.status == 200, r
    rows = [x for x in r.body["rows"] if (x["group"] == dept if by == "department" else x["round_id"] == round_id)]
    assert len(rows) == 1, r.body
    return rows[0]


def test_leading_by_example_shows_the_programme_effect(esn, esn_hr):
    dept, pairs = setup_company(esn, esn_hr, rise_treated=4, rise_comparison=0, rise_teams=2)
    for row in (impact_row(esn, esn_hr, dept), impact_row(esn, esn_hr, None, "round", pairs[0].round_id)):
        assert row["mentored_managers"] == 5
        m, c = row["managers"], row["comparison_managers"]
        assert m["before"]["people"] == 5 and c["before"]["people"] == 5 and row["teams"]["before"]["people"] == 5
        assert m["before"]["events_per_person"] == 1 and m["during"]["events_per_person"] == 5
        assert m["after"]["events"] == 25 and m["after"]["active_rate"] == 1
        assert c["during"]["events_per_person"] == 1
        assert row["did_managers"]["during"]["events_per_person"] == 4
        assert row["did_managers"]["after"]["events_per_person"] == 4
        assert row["did_teams"]["after"]["events_per_person"] == 2
    # the manager sees their own figures, windows included; nobody else's
    me = esn.get("/v1/me/esn", token=pairs[0].mentee.token).body
    (mine,) = me["as_manager"]
    assert mine["window_days"] == 60
    assert (mine["before"]["events"], mine["during"]["events"], mine["after"]["events"]) == (1, 5, 5)
    # their first post after mentoring began earned the badge
    got = {b["badge"] for b in esn.get("/v1/me/achievements", token=pairs[0].mentee.token).body["badges"]}
    assert "esn_first_post" in got


def test_leading_by_example_counts_the_team_from_the_hr_import(esn, esn_hr):
    """Direct reports used to come from employees.manager_email only: a team known from the HR system (the
    imported manager) was invisible, and its managers did not even count as comparison managers."""
    dept, _ = setup_company(esn, esn_hr, rise_treated=4, rise_comparison=0, rise_teams=2, teams_via="hr_import")
    row = impact_row(esn, esn_hr, dept)
    assert row["teams"]["before"]["people"] == 5 and row["comparison_teams"]["before"]["people"] == 5, row
    assert row["comparison_managers"]["before"]["people"] == 5, row
    assert row["did_teams"]["after"]["events_per_person"] == 2, row


def test_leading_by_example_equal_growth_shows_no_effect(esn, esn_hr):
    dept, pairs = setup_company(esn, esn_hr, rise_treated=3, rise_comparison=3, rise_teams=3)
    row = impact_row(esn, esn_hr, dept)
    assert row["managers"]["during"]["events_per_person"] == 4
    assert row["comparison_managers"]["during"]["events_per_person"] == 4
    for k in ("did_managers", "did_teams"):
        assert row[k]["during"] == {"events_per_person": 0, "active_rate": 0}
        assert row[k]["after"] == {"events_per_person": 0, "active_rate": 0}


def test_small_groups_are_not_shown(esn, esn_hr):
    """A group under min_group mentored managers is not listed, but counted in left_out: HR is told that
    groups are hidden rather than seeing nothing (before, nothing said so)."""
    left_out = esn.get("/v1/esn/impact", token=esn_hr).body["left_out"]
    tag = uuid.uuid4().hex[:6]
    dept = f"Tiny-{tag}"
    start = today_utc() - dt.timedelta(days=40)
    pairs = build_pairs(esn, esn_hr, [{"mentee": {"department": dept}} for _ in range(2)], starts_on=start,
                        ends_on=today_utc() - dt.timedelta(days=20), tag=tag)
    assert pairs
    r = esn.get("/v1/esn/impact", token=esn_hr)
    assert r.status == 200 and all(x["group"] != dept for x in r.body["rows"])
    assert r.body["left_out"] == left_out + 1, r.body
    by_round = esn.get("/v1/esn/impact", token=esn_hr, params={"by": "round"}).body
    assert all(x["round_id"] != pairs[0].round_id for x in by_round["rows"]) and by_round["left_out"] >= 1, by_round
    assert_error(esn.get("/v1/esn/impact", token=esn_hr, params={"by": "site"}), 400, "invalid_parameter", "by")
    assert_error(esn.get("/v1/me/esn", token=pairs[0].mentee.token, params={"days": 0}), 400, "invalid_parameter",
                 "days")


def test_round_giving_weight_reaches_the_instance(esn, esn_hr):
    r = esn.post("/v1/rounds", {"name": "giving", "solve": False, "weights": {"giving": 2}}, token=esn_hr)
    assert r.status == 201, r
    assert r.body["weights"]["giving"] == 2
    assert_error(esn.post("/v1/rounds", {"name": "g", "solve": False, "weights": {"giving": -1}}, token=esn_hr),
                 400, {"invalid_value", "invalid_type"}, "weights.giving")

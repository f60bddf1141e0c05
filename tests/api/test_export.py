"""GET /v1/me/export: data portability (works councils and data-protection rules expect personal data
to be exportable and erasable)."""

import json
import uuid

from conftest import assert_error, confirmed_session


def test_export_holds_everything_about_me_and_nothing_about_others(api, hr_token, make_pair):
    pair = make_pair()
    confirmed_session(api, pair, note="Only for us two")
    r = api.get("/v1/me/export", token=pair.mentee.token)
    assert r.status == 200, r
    assert "attachment" in r.raw.headers.get("Content-Disposition", "")
    doc = r.body
    assert doc["profile"]["email"] == pair.mentee.email
    assert [p["id"] for p in doc["pairs"]] == [pair.id]
    assert [s["note"] for s in doc["sessions"]] == ["Only for us two"]
    assert doc["ledger"]["total"] > 0 and doc["achievements"]["points"] == doc["ledger"]["total"]
    assert any(b["badge"] == "first_step" for b in doc["achievements"]["badges"])
    assert "token" not in r.text  # only hashes exist, and they are not exported either
    # the partner's export is theirs, not a copy of mine
    other = api.get("/v1/me/export", token=pair.mentor.token).body
    assert other["profile"]["email"] == pair.mentor.email


def test_export_is_for_employees_only(api, hr_token):
    assert_error(api.get("/v1/me/export"), 401, "unauthorized")
    assert_error(api.get("/v1/me/export", token=hr_token), 403, "forbidden")


def test_erasure_after_export(api, make_pair):
    pair = make_pair()
    confirmed_session(api, pair)
    assert api.get("/v1/me/export", token=pair.mentor.token).status == 200
    assert api.delete("/v1/me", token=pair.mentor.token).status == 204
    assert_error(api.get("/v1/me/export", token=pair.mentor.token), 401, "unauthorized")
    # the partner keeps their own history (the pair ends; the erased side shows as null)
    doc = api.get("/v1/me/export", token=pair.mentee.token).body
    assert [(p["id"], p["mentor"], p["status"], p["ended_by"], p["completed"]) for p in doc["pairs"]] == \
        [(pair.id, None, "ended", "mentor", True)]
    assert len(doc["sessions"]) == 1 and doc["sessions"][0]["note"]  # the manager's own note stays
    assert doc["ledger"]["total"] > 0
    assert pair.mentor.email not in api.get("/v1/me/export", token=pair.mentee.token).text


def esn_import(api, hr_token, events):
    nd = "".join(json.dumps(dict(id=uuid.uuid4().hex, **e)) + "\n" for e in events)
    r = api.request("POST", "/v1/esn/import", token=hr_token, data=nd.encode(),
                    headers={"Content-Type": "application/x-ndjson"})
    assert r.status == 200 and r.body["stored"] == len(events), r
    return r


def test_export_holds_my_esn_activity_without_naming_colleagues(api, hr_token, make_employee):
    """The export used to leave out ESN events. Mine come one by one (aimed at nobody, myself or a colleague,
    never who); colleagues' events aimed at me come as counts per kind, the actor left out."""
    tag = uuid.uuid4().hex[:8]
    me, colleague, other = (make_employee(display_name=f"{n} {tag}") for n in ("Me", "Colleague Cee", "Other Dee"))
    community = "export-" + tag
    esn_import(api, hr_token, [
        dict(actor_email=me.email, kind="post", community=community, occurred_at="2026-11-20T10:00:00Z"),
        dict(actor_email=me.email, kind="comment", community=community, occurred_at="2026-11-20T11:00:00Z",
             target_email=colleague.email),
        dict(actor_email=me.email, kind="answer_accepted", occurred_at="2026-11-20T12:00:00Z", target_email=me.email),
        dict(actor_email=colleague.email, kind="reaction_given", community=community,
             occurred_at="2026-11-21T09:00:00Z", target_email=me.email),
        dict(actor_email=other.email, kind="reaction_given", occurred_at="2026-11-21T10:00:00Z",
             target_email=me.email),
        dict(actor_email=other.email, kind="comment", occurred_at="2026-11-21T11:00:00Z", target_email=me.email),
    ])
    r = api.get("/v1/me/export", token=me.token)
    assert r.status == 200, r
    esn = r.body["esn"]
    assert [(e["kind"], e["community"], e["occurred_at"], e["aimed_at"]) for e in esn["own"]] == [
        ("post", community, "2026-11-20T10:00:00Z", "none"),
        ("comment", community, "2026-11-20T11:00:00Z", "colleague"),
        ("answer_accepted", None, "2026-11-20T12:00:00Z", "self")]
    assert esn["received"] == [{"kind": "comment", "count": 1}, {"kind": "reaction_given", "count": 2}]
    for who in (colleague, other):
        assert who.email not in r.text and who.profile["display_name"] not in r.text
    # the colleague's export: my comment as a count, not as me
    theirs = api.get("/v1/me/export", token=colleague.token)
    assert theirs.body["esn"]["received"] == [{"kind": "comment", "count": 1}]
    assert [e["kind"] for e in theirs.body["esn"]["own"]] == ["reaction_given"]
    assert me.email not in theirs.text and me.profile["display_name"] not in theirs.text


def test_export_holds_the_hr_data_about_me(api, hr_token, make_employee):
    """The export used to leave out the HR system's record: its id, the source, active, since when
    deactivated and the manager it gives (by id and name only)."""
    me, boss = make_employee(), make_employee()
    r = api.get("/v1/me/export", token=me.token)
    assert r.body["hr_data"] == {"external_id": None, "source": "signup", "active": True,
                                 "deactivated_at": None, "hr_manager": None}
    tag = uuid.uuid4().hex[:8]
    csv = ("employee_id,email,display_name,department,manager\r\n"
           f"B{tag},{boss.email},Boss {tag},Dept-{tag},\r\n"
           f"M{tag},{me.email},Me {tag},Dept-{tag},B{tag}\r\n")
    imp = api.request("POST", "/v1/employees/import", token=hr_token, data=csv.encode(),
                      headers={"Content-Type": "text/csv"}, params={"mode": "partial"})
    assert imp.status == 200 and imp.body["counts"]["rejected"] == 0, imp
    r = api.get("/v1/me/export", token=me.token)
    assert r.status == 200, r
    hr = r.body["hr_data"]
    assert (hr["external_id"], hr["active"], hr["deactivated_at"]) == (f"M{tag}", True, None)
    assert hr["source"] == "import"
    assert hr["hr_manager"] == {"id": boss.id, "display_name": f"Boss {tag}"}
    assert boss.email not in r.text, "the manager is named by id and name only"

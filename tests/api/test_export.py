"""GET /v1/me/export: data portability (works councils and data-protection rules expect personal data
to be exportable and erasable)."""

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

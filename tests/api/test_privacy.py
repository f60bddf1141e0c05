"""What lands in the database: tokens only as hashes; DELETE /v1/me leaves no trace of the person."""

import hashlib
import os
import shutil
import subprocess


from conftest import confirmed_session, employee_body, log_session

PG_DUMP = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"


def dump(state_dir):
    assert os.access(PG_DUMP, os.X_OK), f"pg_dump not found at {PG_DUMP} (postgresql-client-15)"
    p = subprocess.run([PG_DUMP, "--data-only", "--no-owner", "-d",
                        f"host={os.path.join(state_dir, 'run')} dbname=tandem user=tandem"],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, f"pg_dump failed: {p.stderr.decode(errors='replace')[:300]}"
    return p.stdout.decode("utf-8", "replace")


def test_tokens_stored_only_as_hash(api, server, hr):
    r = api.post("/v1/employees", employee_body())
    token = r.body["token"]
    text = dump(server.state_dir)
    assert token not in text and token[4:] not in text, "an employee token is stored in clear"
    assert hr["token"] not in text and hr["token"][4:] not in text, "an HR token is stored in clear"


def test_delete_me_erases_everything(api, server, make_employee):
    marker = "erase" + os.urandom(6).hex()
    e = make_employee(display_name=f"Name {marker}", job_title=f"Job {marker}",
                      manager_email=f"mgr-{marker}@example.com")
    api.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 3}]}, token=e.token)
    api.put("/v1/me/availability", {"slots": [{"day": "mon", "start": "09:00", "end": "10:00"}]}, token=e.token)
    assert marker in dump(server.state_dir)
    assert api.delete("/v1/me", token=e.token).status == 204
    text = dump(server.state_dir)
    assert marker not in text, "personal data left in the database after DELETE /v1/me"
    assert e.email not in text, "email left in the database after DELETE /v1/me"
    assert hashlib.sha256(e.token.encode()).hexdigest() not in text, "token hash left after DELETE /v1/me"


def test_erasing_the_manager_removes_their_notes_but_not_the_mentors_history(api, make_pair):
    pair = make_pair()
    confirmed_session(api, pair, note="my private thoughts")
    assert api.delete("/v1/me", token=pair.mentee.token).status == 204
    items = api.get(f"/v1/pairs/{pair.id}/sessions", token=pair.mentor.token).body["items"]
    assert len(items) == 1 and items[0]["note"] == "" and items[0]["status"] == "confirmed"
    p = api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body
    assert p["mentee"] is None and p["status"] == "ended"
    mine = api.get("/v1/me/pairs", token=pair.mentor.token).body["items"]
    assert [(x["pair_id"], x["status"], x["partner"]) for x in mine] == [(pair.id, "ended", None)], mine


def _ledger_rules(api, emp):
    r = api.get("/v1/me/ledger", token=emp.token)
    assert r.status == 200, r
    return sorted(x["rule"] for x in r.body["items"])


def _badges(api, emp):
    return sorted(b["badge"] for b in api.get("/v1/me/achievements", token=emp.token).body["badges"])


def test_erasing_the_manager_ends_the_pair_as_their_own_ending_would(api, make_pair):
    """The erased side's active pair ends as an ending by that side does for the mentor who stays: the
    completion points, badges re-evaluated, the public pair_completed event (erasure used to set completed
    and skip all three). The erased manager is not named by it, and earns nothing."""
    ended, erased = make_pair(), make_pair()
    for p in (ended, erased):
        confirmed_session(api, p)
    assert api.post(f"/v1/pairs/{ended.id}/end", {}, token=ended.mentee.token).status == 200
    assert api.delete("/v1/me", token=erased.mentee.token).status == 204

    def seen_by_mentor(p):
        got = api.get(f"/v1/pairs/{p.id}", token=p.mentor.token).body
        return got["status"], got["ended_by"], got["completed"], _ledger_rules(api, p.mentor), _badges(api, p.mentor)
    assert seen_by_mentor(erased) == seen_by_mentor(ended)
    assert "mentor_pair_completed" in _ledger_rules(api, erased.mentor)
    feed = api.get("/v1/activity", token=erased.mentor.token, params={"limit": 100}).body["items"]
    done = [e["payload"] for e in feed if e["type"] == "pair_completed" and e["payload"].get("pair_id") == erased.id]
    assert len(done) == 1 and done[0]["manager"] == "A former colleague", done
    # the event as stored (the mentor's export) keeps no reference to the erased manager
    events = api.get("/v1/me/export", token=erased.mentor.token).body["events"]
    raw = [e["payload"] for e in events if e["type"] == "pair_completed" and e["payload"]["pair_id"] == erased.id]
    assert raw == [{"pair_id": erased.id, "mentor_id": erased.mentor.id, "manager_id": None, "sessions": 1}], raw


def test_erasing_the_mentor_completes_the_managers_pair(api, make_pair):
    """The manager who stays gets their completion points and the badge the completed pair earns them
    (lead_by_example: a completed pair and two levels gained), as if the mentor had ended the pair."""
    pair = make_pair()
    skill = pair.skills[0]
    start = next(g["current_level"] for g in api.get("/v1/me/learning", token=pair.mentee.token).body["goals"]
                 if g["skill"] == skill)
    confirmed_session(api, pair)
    assert api.post("/v1/me/progress", {"skill": skill, "level": start + 2}, token=pair.mentee.token).body["counted"]
    assert "lead_by_example" not in _badges(api, pair.mentee)
    assert api.delete("/v1/me", token=pair.mentor.token).status == 204
    got = api.get(f"/v1/pairs/{pair.id}", token=pair.mentee.token).body
    assert (got["status"], got["ended_by"], got["completed"], got["mentor"]) == ("ended", "mentor", True, None)
    assert "mentee_pair_completed" in _ledger_rules(api, pair.mentee)
    assert "lead_by_example" in _badges(api, pair.mentee)


def test_erasing_without_a_confirmed_session_completes_nothing(api, make_pair):
    pair = make_pair()
    log_session(api, pair)
    assert api.delete("/v1/me", token=pair.mentee.token).status == 204
    got = api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body
    assert (got["status"], got["ended_by"], got["completed"]) == ("ended", "mentee", False)
    assert "mentor_pair_completed" not in _ledger_rules(api, pair.mentor)


def test_erasing_the_mentor_blanks_their_dispute_reasons_and_feedback(api, server, make_pair):
    """The erased mentor's own words go: their dispute reasons (kept before) and their closing feedback;
    the manager's note, rating and feedback stay, and the session stays disputed."""
    marker = "mentorwords" + os.urandom(6).hex()
    pair = make_pair()
    disputed = log_session(api, pair, note="the manager's own note").body
    d = api.post(f"/v1/sessions/{disputed['id']}/dispute", {"reason": f"Mentor's own words {marker}"},
                 token=pair.mentor.token)
    assert d.status == 200, d
    confirmed_session(api, pair)
    assert api.post(f"/v1/pairs/{pair.id}/end", {"feedback": f"from the mentor {marker}", "rating": 4},
                    token=pair.mentor.token).status == 200
    assert api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "from the manager", "rating": 5},
                    token=pair.mentee.token).status == 200
    assert marker in dump(server.state_dir)
    assert api.delete("/v1/me", token=pair.mentor.token).status == 204
    assert marker not in dump(server.state_dir), "the erased mentor's words are kept"
    items = {s["id"]: s for s in api.get(f"/v1/pairs/{pair.id}/sessions", token=pair.mentee.token).body["items"]}
    assert items[disputed["id"]]["status"] == "disputed" and items[disputed["id"]]["dispute_reason"] is None
    assert items[disputed["id"]]["note"] == "the manager's own note"
    got = api.get(f"/v1/pairs/{pair.id}", token=pair.mentee.token).body
    assert [(f["side"], f["feedback"], f["rating"]) for f in got["feedback"]] == [("mentee", "from the manager", 5)]


def test_erasing_the_manager_blanks_their_words_and_idempotency_keys(api, server, make_pair):
    """The erased manager's session notes, replayed replies, idempotency keys (chosen by their client) and
    closing feedback go; the mentor's feedback stays."""
    marker = "managerwords" + os.urandom(6).hex()
    pair = make_pair()
    s = log_session(api, pair, idempotency_key=f"key-{marker}", note=f"note {marker}").body
    c = api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token)
    assert c.status == 200, c
    assert api.post(f"/v1/pairs/{pair.id}/end", {"feedback": f"from the manager {marker}"},
                    token=pair.mentee.token).status == 200
    assert api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "from the mentor"}, token=pair.mentor.token).status == 200
    assert marker in dump(server.state_dir)
    assert api.delete("/v1/me", token=pair.mentee.token).status == 204
    assert marker not in dump(server.state_dir), "the erased manager's words are kept"
    items = api.get(f"/v1/pairs/{pair.id}/sessions", token=pair.mentor.token).body["items"]
    assert [(x["id"], x["status"], x["note"]) for x in items] == [(s["id"], "confirmed", "")]
    got = api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body
    assert [(f["side"], f["feedback"]) for f in got["feedback"]] == [("mentor", "from the mentor")]


def test_erasure_unnames_the_events_of_their_pairs(api, make_pair):
    """An earlier pair's pair_completed event named the erased manager by id after the pair itself had
    forgotten them: it shows null, as the pair does, and the mentor's id stays."""
    pair = make_pair()
    confirmed_session(api, pair)
    assert api.post(f"/v1/pairs/{pair.id}/end", {}, token=pair.mentee.token).status == 200

    def completed():
        events = api.get("/v1/me/export", token=pair.mentor.token).body["events"]
        return [e["payload"] for e in events if e["type"] == "pair_completed" and e["payload"]["pair_id"] == pair.id]
    assert [(x["mentor_id"], x["manager_id"]) for x in completed()] == [(pair.mentor.id, pair.mentee.id)]
    assert api.delete("/v1/me", token=pair.mentee.token).status == 204
    assert [(x["mentor_id"], x["manager_id"]) for x in completed()] == [(pair.mentor.id, None)]

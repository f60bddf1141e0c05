"""What lands in the database: tokens only as hashes; DELETE /v1/me leaves no trace of the person."""

import hashlib
import os
import shutil
import subprocess


from conftest import confirmed_session, employee_body

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

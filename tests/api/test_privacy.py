"""What lands in the database: tokens only as hashes; DELETE /v1/me leaves no trace of the person."""

import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import employee_body

PG_DUMP = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"


def dump(state_dir):
    if not os.access(PG_DUMP, os.X_OK):
        pytest.skip("pg_dump not available")
    p = subprocess.run([PG_DUMP, "--data-only", "--no-owner", "-d",
                        f"host={os.path.join(state_dir, 'run')} dbname=tandem user=tandem"],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        pytest.skip(f"pg_dump failed: {p.stderr.decode(errors='replace')[:300]}")
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

"""tandemd admin create-hr attaches to the running cluster and prints the HR token once."""

import json

from conftest import assert_error, create_hr, run_admin_create_hr


def test_create_hr_output_and_token_works(api, server):
    out = create_hr(server.state_dir)
    r = api.get("/v1/employees", token=out["token"], params={"limit": 1})
    assert r.status == 200, r
    assert_error(api.get("/v1/me", token=out["token"]), 403, "forbidden")


def test_create_hr_twice_same_email_fails(server):
    out = create_hr(server.state_dir)
    p, _ = run_admin_create_hr(server.state_dir, email=out["email"].upper())
    assert p.returncode != 0, f"second create-hr for {out['email']} succeeded: {p.stdout!r}"


def test_create_hr_distinct_ids_and_tokens(server):
    a, b = create_hr(server.state_dir), create_hr(server.state_dir)
    assert a["hr_id"] != b["hr_id"] and a["token"] != b["token"]


def test_create_hr_stdout_is_only_json(server):
    p, email = run_admin_create_hr(server.state_dir)
    assert p.returncode == 0, p.stderr
    json.loads(p.stdout)  # nothing else on stdout (logs go to stderr)

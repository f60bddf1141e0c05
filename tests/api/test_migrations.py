"""Schema migrations (issue 8): versioned files are checksummed and never edited once applied,
module files are re-applied at every start (a removed function disappears), and the request path
runs as the application role, which can only execute functions of schema api."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from conftest import REPO, TANDEMD, Client, Tandemd, assert_error, base_env, employee_body, make_state_dir

APP_ROLE = "tandem_app"


def psql(state_dir, sql, user="tandem"):
    return subprocess.run(["psql", f"host={state_dir}/run dbname=tandem user={user}", "-X", "-v",
                           "ON_ERROR_STOP=1", "-Atc", sql], capture_output=True, timeout=30, text=True)


def schema_copy():
    d = tempfile.mkdtemp(prefix="tandem-schema-")
    shutil.copytree(os.path.join(REPO, "schema"), os.path.join(d, "schema"))
    os.chmod(d, 0o755)
    return os.path.join(d, "schema")


def start(state, schema, name):
    return Tandemd(["--state-dir", state, "--schema-dir", schema], state, name=name)


def run_once(state, schema):
    """Starts tandemd expecting it to fail at start; returns (exit code, stderr)."""
    p = subprocess.run([TANDEMD, "--listen", "127.0.0.1:0", "--state-dir", state, "--schema-dir", schema],
                       capture_output=True, timeout=120, env=base_env(), cwd=state, text=True)
    return p.returncode, p.stderr


def test_edited_applied_migration_stops_tandemd_naming_it():
    schema, state = schema_copy(), make_state_dir("tandem-mig-edit-")
    try:
        srv = start(state, schema, "mig-edit")
        assert srv.terminate() == 0
        with open(os.path.join(schema, "migrations", "V001__baseline.sql"), "a") as f:
            f.write("\n-- an edit after the migration was applied\n")
        code, err = run_once(state, schema)
        assert code != 0, err
        assert "V001__baseline.sql" in err and "never edited" in err, err
    finally:
        shutil.rmtree(os.path.dirname(schema), ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def test_new_migration_may_alter_a_column_a_function_reads():
    """An upgrade: a new versioned migration alters api_tokens columns that core.token_expired (a
    BEGIN ATOMIC body, which records what it reads) uses; tandemd drops schemas api and core
    before it and rebuilds them after, so it starts, and tokens still authenticate."""
    schema, state = schema_copy(), make_state_dir("tandem-mig-alter-")
    srv = None
    try:
        srv = start(state, schema, "mig-alter")
        token = Client(srv.base_url).post("/v1/employees", employee_body()).body["token"]
        assert srv.terminate() == 0
        with open(os.path.join(schema, "migrations", "V900__alter_token_columns.sql"), "w") as f:
            f.write("ALTER TABLE api_tokens ALTER COLUMN idle_seconds TYPE bigint;\n"
                    "ALTER TABLE api_tokens ALTER COLUMN idle_seconds TYPE integer;\n"
                    "ALTER TABLE api_tokens ALTER COLUMN last_used_at TYPE timestamptz;\n")
        srv = start(state, schema, "mig-alter2")
        assert Client(srv.base_url).get("/v1/me", token=token).status == 200
        out = psql(state, "SELECT name FROM schema_migrations WHERE version = 900")
        assert out.stdout.strip() == "V900__alter_token_columns.sql", out
    finally:
        if srv is not None:
            srv.terminate()
        shutil.rmtree(os.path.dirname(schema), ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def test_migrations_are_recorded_with_their_checksum(server):
    out = psql(server.state_dir, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    assert out.returncode == 0, out.stderr
    version, name, checksum = out.stdout.splitlines()[0].split("|")
    assert (version, name) == ("1", "V001__baseline.sql")
    with open(os.path.join(REPO, "schema", "migrations", name), "rb") as f:
        assert checksum == hashlib.sha256(f.read()).hexdigest()


def test_module_functions_are_rebuilt_at_every_start():
    """A function dropped from the module files is gone after a restart; the data stays."""
    schema, state = schema_copy(), make_state_dir("tandem-mig-mod-")
    try:
        extra = os.path.join(schema, "modules", "90_extra.sql")
        with open(extra, "w") as f:
            f.write("CREATE FUNCTION api.extra_probe() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;\n")
        srv = start(state, schema, "mig-mod")
        token = Client(srv.base_url).post("/v1/employees", employee_body()).body["token"]
        assert psql(state, "SELECT api.extra_probe()").stdout.strip() == "42"
        assert srv.terminate() == 0
        os.unlink(extra)
        srv = start(state, schema, "mig-mod2")
        out = psql(state, "SELECT count(*) FROM pg_proc WHERE proname = 'extra_probe'")
        assert out.stdout.strip() == "0", out
        assert Client(srv.base_url).get("/v1/me", token=token).status == 200
        assert srv.terminate() == 0
    finally:
        shutil.rmtree(os.path.dirname(schema), ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def test_broken_module_fails_the_start_and_changes_nothing():
    schema, state = schema_copy(), make_state_dir("tandem-mig-bad-")
    try:
        srv = start(state, schema, "mig-bad")
        assert srv.terminate() == 0
        with open(os.path.join(schema, "modules", "90_broken.sql"), "w") as f:
            f.write("CREATE FUNCTION api.broken() RETURNS integer LANGUAGE sql AS $$ SELECT nope $$;\n")
        code, err = run_once(state, schema)
        assert code != 0 and "90_broken.sql" in err, err
        os.unlink(os.path.join(schema, "modules", "90_broken.sql"))
        srv = start(state, schema, "mig-bad2")  # the functions were left as they were: it starts
        assert Client(srv.base_url).get("/v1/skills").status == 200
        assert srv.terminate() == 0
    finally:
        shutil.rmtree(os.path.dirname(schema), ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def test_application_role_cannot_read_tables(server):
    for sql in ("SELECT count(*) FROM employees", "SELECT count(*) FROM api_tokens",
                "DELETE FROM api_tokens", "SELECT core.profile_json(1)"):
        out = psql(server.state_dir, sql, user=APP_ROLE)
        assert out.returncode != 0 and "permission denied" in out.stderr, (sql, out.stdout, out.stderr)
    # what it may do: call api functions, which authenticate
    out = psql(server.state_dir, "SELECT api.me('\\x00')", user=APP_ROLE)
    assert out.returncode != 0 and "unknown or revoked token" in out.stderr, out.stderr
    out = psql(server.state_dir, "SELECT api.schema_version()", user=APP_ROLE)
    newest = max(int(f[1:].split("__")[0]) for f in os.listdir(os.path.join(REPO, "schema", "migrations"))
                 if f.startswith("V") and f.endswith(".sql"))
    assert out.returncode == 0 and out.stdout.strip() == str(newest), out.stderr


# api functions that run with the caller's search_path (path_free in schema/modules/99_privileges.sql):
# each names everything schema-qualified, checked below under a hostile path
PATH_FREE = ["me(bytea)"]


def test_api_functions_are_security_definer_with_a_fixed_search_path(server):
    out = psql(server.state_dir,
               "SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p "
               "WHERE p.pronamespace = 'api'::regnamespace AND NOT (p.prosecdef AND "
               "CASE WHEN p.oid::regprocedure::text = ANY (ARRAY[" + ", ".join(f"'api.{f}'" for f in PATH_FREE) + "]) "
               "THEN p.proconfig IS NULL ELSE p.proconfig @> ARRAY['search_path=core, public, pg_temp'] END)")
    assert out.returncode == 0 and out.stdout.strip() == "", out


def test_path_free_api_me_ignores_the_callers_search_path_and_temp_tables(server, make_employee):
    """api.me runs without SET search_path: a caller that puts pg_temp first, with forged tables of
    the same names and a forged token in them, neither gets the forged profile nor loses the real one."""
    emp = make_employee()
    real = hashlib.sha256(emp.token.encode()).hexdigest()
    forged = hashlib.sha256(b"forged token").hexdigest()
    hostile = (
        "CREATE TEMP TABLE api_tokens (token_hash bytea, kind text, employee_id bigint, hr_id bigint, "
        "expires_at timestamptz, idle_seconds integer, last_used_at timestamptz, created_at timestamptz); "
        "CREATE TEMP TABLE employee_profiles (employee_id bigint, profile json); "
        f"INSERT INTO pg_temp.api_tokens VALUES ('\\x{forged}', 'bearer', {emp.id}, NULL, 'infinity', NULL, NULL, now()), "
        f"('\\x{real}', 'bearer', {emp.id}, NULL, 'infinity', NULL, NULL, now()); "
        f"INSERT INTO pg_temp.employee_profiles VALUES ({emp.id}, '{{\"forged\": true}}'); "
        # types the caller shadows: a domain's CHECK would run as the owner were any resolved
        "CREATE FUNCTION pg_temp.hijacked(anyelement) RETURNS boolean LANGUAGE plpgsql AS "
        "$f$ BEGIN RAISE EXCEPTION 'hijacked as %', current_user; END $f$; "
        + "".join(f"CREATE DOMAIN pg_temp.{t} AS pg_catalog.{t} CHECK (pg_temp.hijacked(VALUE)); "
                  for t in ("json", "jsonb", "text", "bytea", "int8", "int4", "bool",
                            "timestamptz", "interval"))
        + "SET search_path = pg_temp, public, core, api, pg_catalog; ")
    # the trap is armed: an unqualified type of this session is the caller's domain
    out = psql(server.state_dir, hostile + "SELECT '{}'::json", user=APP_ROLE)
    assert out.returncode != 0 and "hijacked as tandem_app" in out.stderr, (out.stdout, out.stderr)
    out = psql(server.state_dir, hostile + f"SELECT api.me('\\x{real}')", user=APP_ROLE)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines and json.loads(lines[-1]) == server_profile(server, emp), out.stdout
    out = psql(server.state_dir, hostile + f"SELECT api.me('\\x{forged}')", user=APP_ROLE)
    assert out.returncode != 0 and "unknown or revoked token" in out.stderr, (out.stdout, out.stderr)


def server_profile(server, emp):
    """GET /v1/me of emp, over HTTP."""
    r = Client(server.base_url).get("/v1/me", token=emp.token)
    assert r.status == 200, r
    return r.body


def test_requests_run_as_the_application_role(server, api):
    assert api.get("/v1/skills").status == 200
    out = psql(server.state_dir,
               "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'tandem' "
               "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND usename IS NOT NULL")
    users = set(out.stdout.split())
    assert APP_ROLE in users, out


def test_unknown_token_with_a_bad_body_is_401_not_400(api):
    """Authentication is in the route's statement; a request refused before it (bad body) still
    learns 401/403 first, as before."""
    bad = "tdm_" + "A" * 43
    assert_error(api.put("/v1/me/availability", {"slots": "nope"}, token=bad), 401, "unauthorized")
    assert_error(api.get("/v1/rounds/not-an-id", token=bad), 401, "unauthorized")


def test_wrong_role_with_a_bad_body_is_403(api, hr_token):
    assert_error(api.put("/v1/me/availability", {"slots": "nope"}, token=hr_token), 403, "forbidden")
    employee = api.post("/v1/employees", employee_body()).body["token"]
    assert_error(api.post("/v1/skills", {"slug": 5}, token=employee), 403, "forbidden")
    # the right caller gets the refusal itself
    assert_error(api.put("/v1/me/availability", {"slots": "nope"}, token=employee), 400, "invalid_type")


def test_solver_statements_exist_for_the_application_role(server, api, hr_token):
    """The solver's api functions, called as tandem_app (as solver.c does), give a round's instance and
    time limit, and fail it."""
    rd = api.post("/v1/rounds", {"name": "probe", "solve": False}, token=hr_token).body
    out = psql(server.state_dir, f"SELECT time_limit, instance::jsonb ? 'mentors' FROM api.solver_take({rd['id']})",
               user=APP_ROLE)
    assert out.returncode == 0 and out.stdout.strip() == "60|t", out
    out = psql(server.state_dir, f"SELECT api.solver_fail({rd['id']}, 'x'); SELECT api.solver_next_round() IS DISTINCT FROM {rd['id']}",
               user=APP_ROLE)
    assert out.returncode == 0 and out.stdout.split()[-1] == "t", out


def test_solver_solves_rounds_as_the_application_role(server, api, hr_token, make_pair):
    """The round solver's connection (application_name tandemd-solver) belongs to tandem_app, never
    to the owner, and calls only api functions; a round queued through the API is solved end to
    end through it, with its timing lines logged as before."""
    pair = make_pair()  # signs up a mentor and a manager, queues their round, waits for "solved"
    out = psql(server.state_dir,
               "SELECT usename, query FROM pg_stat_activity WHERE datname = 'tandem' "
               "AND application_name = 'tandemd-solver'")
    assert out.returncode == 0, out
    rows = [line.split("|", 1) for line in out.stdout.splitlines() if line]
    assert rows, f"no backend with application_name tandemd-solver: {out.stdout!r}"
    assert {user for user, _ in rows} == {APP_ROLE}, rows
    assert all(query.startswith("SELECT api.solver_") for _, query in rows), rows
    log = server.stderr_text()
    rid = pair.round_id
    assert re.search(rf"round {rid}: solving \(instance built in SQL in \d+ ms, \d+ bytes\)", log), log[-2000:]
    assert re.search(rf"round {rid}: solved in \d+ ms \(instance built in SQL in \d+ ms, result of \d+ bytes "
                     rf"stored in SQL in \d+ ms\)", log), log[-2000:]


def test_solver_fails_a_round_whose_instance_cannot_be_built(server, api, hr_token):
    """A round whose instance raises in SQL is marked failed (api.solver_fail, as tandem_app) instead of
    being taken again forever."""
    rd = api.post("/v1/rounds", {"name": "unbuildable", "solve": False}, token=hr_token).body
    rid = rd["id"]
    # a time limit that is not a number: api.solver_take's cast raises
    out = psql(server.state_dir, "UPDATE rounds SET status = 'solving', params = params || "
               f"'{{\"time_limit_seconds\": \"soon\"}}' WHERE id = {rid} RETURNING id")
    assert out.returncode == 0 and str(rid) in out.stdout.split(), out
    # nothing kicks the solver: it finds the round at its next poll (every 2 s)
    state = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = psql(server.state_dir, f"SELECT status || '|' || coalesce(error, '') FROM rounds WHERE id = {rid}")
        if not state.stdout.startswith("solving"):
            break
        time.sleep(0.1)
    psql(server.state_dir, f"UPDATE rounds SET params = params - 'time_limit_seconds' WHERE id = {rid}")
    assert state.stdout.strip() == "failed|the round's instance could not be built from the database", state
    assert f"round {rid}: cannot build its instance" in server.stderr_text()

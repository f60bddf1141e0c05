"""Issue 9, least privilege: tandemd started as root serves as its unprivileged account (every thread, and
what it spawns), and the embedded PostgreSQL's log holds no personal data (no DETAIL rows, no statements)."""

import os
import pwd
import subprocess
import uuid

from conftest import assert_error, employee_body


def ids_of(pid):
    """{"Uid": [real, effective, saved, fs], "Gid": [...]} of a process (or thread) from /proc."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Uid", "Gid"):
                out[key] = [int(x) for x in rest.split()]
    return out


def test_ps_shows_tandemd_serving_as_its_account(server, api):
    """CI runs the suite as root: the serving tandemd must not be root (ps, and /proc for every thread)."""
    assert api.get("/healthz").status == 200
    pid = server.proc.pid
    if os.geteuid() == 0:
        want = pwd.getpwnam("tandem")
    else:  # started unprivileged: stays who it is
        want = pwd.getpwuid(os.geteuid())
    user = subprocess.run(["ps", "-o", "user=", "-p", str(pid)], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert user == want.pw_name and user != "root", f"ps shows tandemd as {user!r}"
    threads = os.listdir(f"/proc/{pid}/task")
    assert len(threads) >= 2, "worker threads exist"
    for tid in threads:
        ids = ids_of(f"{pid}/task/{tid}")
        assert ids["Uid"] == [want.pw_uid] * 4, (tid, ids)
        assert ids["Gid"] == [want.pw_gid] * 4, (tid, ids)
    with open(f"/proc/{pid}/status") as f:
        groups = [line.split()[1:] for line in f if line.startswith("Groups:")][0]
    assert "0" not in groups, f"supplementary groups kept root's: {groups}"
    if os.geteuid() == 0:
        assert "running as account \"tandem\"" in server.stderr_text()
        st = os.stat(server.state_dir)
        assert st.st_uid == want.pw_uid, "the state directory belongs to the account"


def test_unknown_account_refuses_to_serve_as_root(tmp_path):
    """Started as root with --user naming no account, tandemd stops instead of running as root (here the
    admin command, which drops like the server does)."""
    from conftest import TANDEMD, base_env
    r = subprocess.run([TANDEMD, "admin", "create-hr", "--email", "x@example.com", "--name", "X",
                        "--user", "no-such-account-x", "--state-dir", str(tmp_path / "st")],
                       capture_output=True, timeout=120, env=base_env())
    if os.geteuid() == 0:
        assert r.returncode != 0
        assert b"no-such-account-x" in r.stderr, r.stderr[-2000:]
    else:  # not root: --user only matters to root; the embedded cluster still runs as us
        assert b"cannot drop root" not in r.stderr, r.stderr[-2000:]


def test_postgresql_log_holds_no_personal_data(server, api):
    """A unique violation (DETAIL: Key (email)=(...)) and a CHECK violation (DETAIL: Failing row contains
    (id, email, name, ...)) with personal data reach the log as ERROR lines only."""
    tag = uuid.uuid4().hex[:10]
    email = f"pii-{tag}@example.com"
    name = f"Secret Person {tag}"
    first = api.post("/v1/employees", employee_body(email=email, display_name=name))
    assert first.status == 201, first
    assert_error(api.post("/v1/employees", employee_body(email=email, display_name=name)), 409, "email_taken")
    other = f"pii2-{tag}@example.com"
    bad_tz = api.post("/v1/employees", employee_body(email=other, display_name=name, timezone="Mars/Olympus"))
    assert bad_tz.status == 400, bad_tz
    log = open(os.path.join(server.state_dir, "postgresql.log"), encoding="utf-8", errors="replace").read()
    assert "employees_email_key" in log, "the unique violation is logged (so this test can see a leak)"
    for secret in (email, other, name, tag):
        assert secret not in log, f"{secret!r} reached postgresql.log"
    assert "Failing row contains" not in log and "DETAIL:" not in log and "STATEMENT:" not in log

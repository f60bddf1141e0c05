"""Issue 9, embedded cluster supervision: a cluster adopted after a tandemd crash is stopped on exit like
one tandemd started (the last process holding state_dir/tandemd.lock stops it), and a postmaster killed
while tandemd serves is started again (also when nobody reaps the dead one: the sandbox's PID 1 does
not), after which /readyz and /v1/me answer again within a bound."""

import os
import pwd
import signal
import subprocess
import time

from conftest import Client, Tandemd, employee_body, make_state_dir

BINDIR = os.environ.get("TANDEM_PG_BINDIR", "/usr/lib/postgresql/15/bin")
RECOVERY_BOUND_S = 30


def as_cluster_account():
    """Prefix running a PostgreSQL client as the cluster's account (its socket directory is 0700)."""
    if os.geteuid() != 0:
        return []
    pw = pwd.getpwnam("tandem")
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups"]


def pg_isready(state):
    r = subprocess.run(as_cluster_account() + [os.path.join(BINDIR, "pg_isready"), "-q", "-h",
                                               os.path.join(state, "run")], timeout=30)
    return r.returncode == 0


def postmaster_pid(state):
    try:
        with open(os.path.join(state, "pgdata", "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return None


def proc_state(pid):
    """(state letter, parent pid, comm) of a process, or None once it is gone (reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), comm


def postgres_zombies_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_state(int(entry))
            if st is not None and st[1] == pid and st[0] == "Z" and st[2] == "postgres":
                out.append(int(entry))
    return out


def wait_serving_again(srv, api, token, old_pid):
    """Waits for a new postmaster, then /readyz 200 and /v1/me 200; returns the seconds it took."""
    t0 = time.monotonic()
    deadline = t0 + RECOVERY_BOUND_S
    ready = me = None
    while time.monotonic() < deadline:
        assert srv.proc.poll() is None, f"tandemd exited\n{srv.tail()}"
        pid = postmaster_pid(srv.state_dir)
        if pid is not None and pid != old_pid:
            ready = api.get("/readyz")
            if ready.status == 200:
                me = api.get("/v1/me", token=token)
                if me.status == 200:
                    return time.monotonic() - t0
        time.sleep(0.25)
    raise AssertionError(f"not serving {RECOVERY_BOUND_S}s after the postmaster died "
                         f"(readyz {ready}, me {me})\n{srv.tail()}")


def kill_postmaster(state):
    # the tests' TANDEM_PG_FAST=1 runs with synchronous_commit=off: a commit reaches the WAL on disk
    # within 3 x wal_writer_delay (200 ms); wait that out so the killed cluster keeps the sign-up
    time.sleep(1.0)
    pid = postmaster_pid(state)
    assert pid is not None and proc_state(pid) is not None
    os.kill(pid, signal.SIGKILL)
    return pid


def assert_cluster_stopped(state):
    deadline = time.monotonic() + 10
    while postmaster_pid(state) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert postmaster_pid(state) is None, "postmaster.pid left: the cluster still runs"
    assert not pg_isready(state), "the cluster still accepts connections"


def test_postmaster_killed_while_serving_is_started_again(tmp_path):
    state = make_state_dir("tandem-supervise-")
    srv = Tandemd(["--state-dir", state, "--threads", "2"], state, name="supervise")
    try:
        api = Client(srv.base_url)
        signup = api.post("/v1/employees", employee_body())
        assert signup.status == 201, signup
        token = signup.body["token"]
        assert api.get("/v1/me", token=token).status == 200
        old = kill_postmaster(state)
        took = wait_serving_again(srv, api, token, old)
        print(f"serving again {took:.1f}s after kill -9 of the postmaster")
        assert "starting it again" in srv.stderr_text()
        assert api.get("/v1/me", token=token).body["email"] == signup.body["employee"]["email"]
        # tandemd is the postmaster's subreaper: the dead postmaster and its backends are reaped
        time.sleep(2.5)
        assert proc_state(old) is None, f"the killed postmaster was not reaped: {proc_state(old)}"
        assert postgres_zombies_of(srv.proc.pid) == []
        assert srv.terminate() == 0
        assert_cluster_stopped(state)
    finally:
        srv.kill()
        srv.cleanup()


def test_cluster_adopted_after_a_crash_is_stopped_on_exit():
    state = make_state_dir("tandem-adopt-")
    first = Tandemd(["--state-dir", state], state, name="adopt1")
    second = None
    try:
        api = Client(first.base_url)
        signup = api.post("/v1/employees", employee_body())
        assert signup.status == 201, signup
        token = signup.body["token"]
        first.kill()  # SIGKILL: no chance to stop the cluster
        assert pg_isready(state), "the cluster died with tandemd"
        second = Tandemd(["--state-dir", state, "--threads", "2"], state, name="adopt2")
        api = Client(second.base_url)
        assert api.get("/v1/me", token=token).status == 200
        # the adopted postmaster is not tandemd's child: killed, it stays a zombie where PID 1 does
        # not reap, and tandemd must still bring the cluster back
        old = kill_postmaster(state)
        took = wait_serving_again(second, api, token, old)
        print(f"adopted cluster serving again {took:.1f}s after kill -9 of the postmaster")
        assert second.terminate() == 0
        assert_cluster_stopped(state)
        assert "leaving it running" not in second.stderr_text()
    finally:
        first.kill()
        first.log.close()
        if second is not None:
            second.kill()
            second.cleanup()
        else:
            first.cleanup()

"""Shared by the benchmarks: a tandemd on a private embedded cluster (fsync off), started on a free
loopback port, ready when /readyz answers 200, stopped with SIGTERM and its state removed."""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_tandemd(binary, *args, prefix="tandem-bench-", keep=False, template=None):
    """Yields (port, state_dir, process) of a ready tandemd started with the extra args; the state
    starts as a copy of template (a state directory of a stopped tandemd) when given, and is kept
    after the server stops when keep is true."""
    state = tempfile.mkdtemp(prefix=prefix)
    os.chmod(state, 0o755)  # as root, the cluster's account must traverse it
    if template is not None:
        subprocess.run(["cp", "-a", template + "/.", state], check=True)
    port = free_port()
    env = dict(os.environ, TANDEM_PG_FAST="1")
    proc = subprocess.Popen([os.path.abspath(binary), "--listen", f"127.0.0.1:{port}", "--state-dir", state]
                            + list(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=state)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield port, state, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if not keep:
            shutil.rmtree(state, ignore_errors=True)


def signup_tokens(port, n, prefix):
    """Signs up n employees (prefix0@example.com, ...) and returns their tokens; the server must run
    with --signup-rate 0, since they all come from one address."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    tokens = []
    for i in range(n):
        conn.request("POST", "/v1/employees", headers={"Content-Type": "application/json"},
                     body=json.dumps({"email": f"{prefix}{i}@example.com", "display_name": f"{prefix.title()} {i}",
                                      "department": prefix.title(), "timezone": "Europe/Paris",
                                      "languages": ["fr"], "role": "both"}))
        resp = conn.getresponse()
        data = resp.read()
        assert resp.status == 201, data
        tokens.append(json.loads(data)["token"])
    conn.close()
    return tokens

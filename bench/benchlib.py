"""Shared by the benchmarks: a tandemd on a private embedded cluster (fsync off), started on a free
loopback port, ready when /readyz answers 200, stopped with SIGTERM and its state removed."""

import contextlib
import http.client
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
def running_tandemd(binary, *args, prefix="tandem-bench-"):
    """Yields (port, state_dir, process) of a ready tandemd started with the extra args."""
    state = tempfile.mkdtemp(prefix=prefix)
    os.chmod(state, 0o755)  # as root, the cluster's account must traverse it
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
        shutil.rmtree(state, ignore_errors=True)

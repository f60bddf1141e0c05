"""Issue 9, transport: the nginx front of the README (scripts/nginx-tandem.conf) terminates TLS with a
test-made certificate and proxies to tandemd. Debian's nginx runs with its own prefix and port (no system
service); between nginx and tandemd a pass-through recorder keeps what nginx sends upstream, to check
X-Forwarded-For/-Proto and that requests share one keep-alive connection to tandemd."""

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import Client, REPO, assert_error, employee_body, free_port
from tls_certs import make_certs

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = os.path.join(REPO, "scripts", "nginx-tandem.conf")


class Recorder:
    """Accepts on its own port and forwards each connection to tandemd byte for byte, recording the
    bytes nginx sent on each upstream connection."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []  # bytearray per upstream connection
        self.lock = threading.Lock()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                down, _ = self.sock.accept()
            except OSError:
                return
            up = socket.create_connection(self.target)
            seen = bytearray()
            with self.lock:
                self.conns.append(seen)
            threading.Thread(target=self.pipe, args=(down, up, seen), daemon=True).start()
            threading.Thread(target=self.pipe, args=(up, down, None), daemon=True).start()

    @staticmethod
    def pipe(src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record is not None:
                    record.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def requests_per_connection(self):
        """[[{header: value}, ...] per upstream connection], headers lower-cased."""
        out = []
        with self.lock:
            raw = [bytes(c) for c in self.conns]
        for data in raw:
            reqs = []
            while data:
                head, sep, rest = data.partition(b"\r\n\r\n")
                if not sep:
                    break
                lines = head.decode("latin-1").split("\r\n")
                headers = {"": lines[0]}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0"))
                reqs.append(headers)
                data = rest[length:]
            out.append(reqs)
        return out

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def nginx_front(server):
    certs_dir, ca, cert, key = make_certs("tandem-nginx-certs-")
    prefix = tempfile.mkdtemp(prefix="tandem-nginx-")
    os.chmod(prefix, 0o755)
    recorder = Recorder(server.port)
    port = free_port()
    user = "user nobody nogroup;" if os.geteuid() == 0 else "# user: not root, workers run as the caller"
    with open(TEMPLATE) as f:
        conf = f.read()
    for k, v in {"@USER_DIRECTIVE@": user, "@PREFIX@": prefix, "@LISTEN@": f"127.0.0.1:{port}",
                 "@CERT@": cert, "@KEY@": key, "@UPSTREAM@": f"127.0.0.1:{recorder.port}"}.items():
        conf = conf.replace(k, v)
    assert not re.search(r"@[A-Z_]+@", conf), "a placeholder is left"
    conf_path = os.path.join(prefix, "nginx.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    base = [NGINX, "-p", prefix, "-c", conf_path, "-e", os.path.join(prefix, "error.log")]
    proc = None
    try:
        check = subprocess.run(base + ["-t", "-g", f"pid {prefix}/nginx.pid;"], capture_output=True, timeout=30)
        assert check.returncode == 0, check.stderr.decode(errors="replace")
        proc = subprocess.Popen(base + ["-g", f"daemon off; pid {prefix}/nginx.pid;"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        client = Client(f"https://127.0.0.1:{port}")
        client.session.verify = ca
        client.session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise win over .verify
        yield client, recorder, prefix
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        recorder.close()
        shutil.rmtree(prefix, ignore_errors=True)
        shutil.rmtree(certs_dir, ignore_errors=True)


def fresh_session(api):
    """A new client connection trusting the test CA."""
    s = requests.Session()
    s.verify = api.session.verify
    s.trust_env = False
    return s


def test_nginx_terminates_tls_and_proxies_to_tandemd(nginx_front):
    api, recorder, prefix = nginx_front
    r = api.get("/readyz")
    assert r.status == 200 and r.body["status"] == "ready", r
    assert r.headers.get("Strict-Transport-Security") == "max-age=31536000"
    # several client connections (fresh sessions), one write with a body, and an error in the JSON shape
    signup = api.post("/v1/employees", employee_body(), session=fresh_session(api))
    assert signup.status == 201, signup
    me = api.get("/v1/me", token=signup.body["token"], session=fresh_session(api))
    assert me.status == 200 and me.body["email"] == signup.body["employee"]["email"], me
    assert_error(api.get("/v1/me"), 401, "unauthorized")
    too_big = api.post("/v1/employees", data=b"x" * (1048576 + 10), headers={"Content-Type": "application/json"})
    assert_error(too_big, 413, "body_too_large")  # tandemd's limit and error, through nginx
    assert api.get("/healthz").status == 200

    per_conn = [c for c in recorder.requests_per_connection() if c]
    reqs = [r for c in per_conn for r in c]
    assert len(reqs) >= 5, per_conn
    for h in reqs:
        assert h.get("x-forwarded-for") == "127.0.0.1", h
        assert h.get("x-forwarded-proto") == "https", h
        assert h.get("x-real-ip") == "127.0.0.1", h
        assert h[""].endswith("HTTP/1.1"), h
        assert h.get("connection", "").lower() != "close", h
    # keep-alive to tandemd: the requests of several client connections shared upstream connections
    assert len(per_conn) < len(reqs), f"{len(reqs)} requests over {len(per_conn)} upstream connections"
    assert max(len(c) for c in per_conn) >= 3, [len(c) for c in per_conn]


def test_nginx_front_refuses_untrusted_clients_nothing_in_clear(nginx_front):
    api, recorder, prefix = nginx_front
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(api.base_url + "/healthz", timeout=10)  # system CAs only: the test CA is not among them
    port = int(api.base_url.rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cafile=api.session.verify)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() in ("TLSv1.2", "TLSv1.3")

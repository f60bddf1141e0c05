"""Issue 9, transport: tandemd serves HTTPS itself with --tls-cert/--tls-key (libevent's OpenSSL
bufferevents, TLS 1.2 minimum). Checked with a test-made CA that python requests verifies, an HTTP/1.1
keep-alive pair on one TLS connection, HSTS on every reply (and not without TLS), the JSON error shape
over TLS (router errors and libevent's protocol errors), a plain-HTTP client refused cleanly while the
server keeps serving, and the configuration mistakes refused at start."""

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import time

import pytest
import requests

from conftest import TANDEMD, Client, Tandemd, assert_error, base_env, make_state_dir
from tls_certs import make_certs

HSTS = "max-age=31536000"


class TlsTandemd(Tandemd):
    """A tandemd serving HTTPS: waits for readiness over TLS, verifying the test CA."""

    ca = None

    def wait_for(self, path):
        self.base_url = self.base_url.replace("http://", "https://")
        deadline = time.monotonic() + 120
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"tandemd exited with {self.proc.returncode}\n{self.tail()}", pytrace=False)
            try:
                r = requests.get(self.base_url + path, timeout=2, verify=self.ca)
                last = r.status_code
                if r.status_code == 200:
                    return
            except requests.RequestException as e:
                last = e
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"tandemd over TLS: {path} not 200 (last: {last})\n{self.tail()}", pytrace=False)


@pytest.fixture(scope="module")
def certs():
    d, ca, cert, key = make_certs()
    yield ca, cert, key
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_server(certs):
    ca, cert, key = certs
    state = make_state_dir("tandem-tls-https-")
    TlsTandemd.ca = ca
    srv = TlsTandemd(["--state-dir", state, "--tls-cert", cert, "--tls-key", key, "--threads", "2"], state,
                     name="https")
    yield srv
    code = srv.terminate()
    srv.cleanup()
    assert code == 0


@pytest.fixture(scope="module")
def tls_api(tls_server, certs):
    client = Client(tls_server.base_url)
    client.session.verify = certs[0]
    client.session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise win over .verify
    return client


def client_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    return ctx


def test_https_verified_against_the_test_ca(tls_server, tls_api, certs):
    assert tls_server.base_url.startswith("https://127.0.0.1:")
    r = tls_api.get("/readyz")
    assert r.status == 200 and r.body["status"] == "ready", r
    assert r.headers.get("Strict-Transport-Security") == HSTS
    assert "listening on https://127.0.0.1:" in tls_server.stderr_text()
    # a client that does not trust the test CA refuses the server
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.base_url + "/healthz", timeout=10)
    if os.geteuid() == 0:  # the key is root-only: read before tandemd dropped to its account
        assert os.stat(certs[2]).st_mode & 0o077 == 0
        assert "running as account" in tls_server.stderr_text()


def test_keep_alive_pair_on_one_tls_connection(tls_server, certs):
    conn = http.client.HTTPSConnection("127.0.0.1", tls_server.port, context=client_context(certs[0]), timeout=10)
    try:
        conn.request("GET", "/healthz")
        first = conn.getresponse()
        assert first.status == 200, first.read()
        first.read()
        sock = conn.sock
        assert sock is not None, "the server closed the connection after the first reply"
        assert sock.version() in ("TLSv1.2", "TLSv1.3"), sock.version()
        conn.request("GET", "/v1/skills")
        second = conn.getresponse()
        body = second.read()
        assert second.status == 200, body
        assert conn.sock is sock, "the second request needed a new connection"
        assert first.getheader("Strict-Transport-Security") == HSTS
        assert second.getheader("Strict-Transport-Security") == HSTS
        assert second.getheader("Connection", "").lower() != "close"
    finally:
        conn.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_below_1_2_is_refused(tls_server, certs):
    """TLS 1.2 is the minimum: a client offering TLS 1.1 at most gets no session (the client's own
    OpenSSL may refuse to offer it at all; either way nothing below 1.2 is negotiated)."""
    ctx = client_context(certs[0])
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.version()


def test_json_errors_over_tls(tls_server, tls_api, certs):
    r = tls_api.get("/v1/me")  # the router's error, validated against the spec
    assert_error(r, 401, "unauthorized")
    assert r.headers.get("Strict-Transport-Security") == HSTS
    r = tls_api.get("/v1/no-such-thing")
    assert r.status == 404 and r.body["code"] == "not_found", r
    r = tls_api.get("/metrics", validate=False)
    assert r.status == 200 and r.headers.get("Strict-Transport-Security") == HSTS
    # libevent's own protocol error (malformed request line) in the JSON shape, over TLS
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with client_context(certs[0]).wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"NOT A REQUEST\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), data[:300]
    assert b"Strict-Transport-Security: " + HSTS.encode() in head, head
    assert b'"code":"bad_request"' in body and b'"status":400' in body, body


def test_plain_http_to_the_tls_port_is_refused_cleanly(tls_server, tls_api):
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
    assert time.monotonic() - t0 < 5, "the plain-HTTP connection was held open"
    assert b"HTTP/" not in data and b"healthz" not in data, data[:200]
    # and the server goes on serving TLS clients
    assert tls_api.get("/healthz").status == 200
    assert tls_server.proc.poll() is None


def test_no_hsts_without_tls(api):
    r = api.get("/healthz")
    assert r.status == 200 and "Strict-Transport-Security" not in r.headers


def test_tls_configuration_mistakes_are_refused(certs, tmp_path):
    ca, cert, key = certs
    r = subprocess.run([TANDEMD, "--tls-cert", cert, "--state-dir", str(tmp_path / "st")], capture_output=True,
                       timeout=60, env=base_env())
    assert r.returncode == 2 and b"--tls-cert and --tls-key go together" in r.stderr, r.stderr[-1000:]
    # a key that is not the certificate's: tandemd stops with OpenSSL's reason instead of serving
    other = tmp_path / "other.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                    str(other)], check=True, capture_output=True, timeout=60)
    state = make_state_dir("tandem-tls-bad-")
    try:
        r = subprocess.run([TANDEMD, "--listen", "127.0.0.1:0", "--state-dir", state, "--tls-cert", cert,
                            "--tls-key", str(other)], capture_output=True, timeout=120, env=base_env(), cwd=state)
        assert r.returncode == 1, r.stderr[-2000:]
        assert b"--tls-key" in r.stderr and b"mismatch" in r.stderr, r.stderr[-2000:]
        r = subprocess.run([TANDEMD, "--listen", "127.0.0.1:0", "--state-dir", state, "--tls-cert",
                            str(tmp_path / "missing.pem"), "--tls-key", key], capture_output=True, timeout=120,
                           env=base_env(), cwd=state)
        assert r.returncode == 1 and b"cannot load the certificate chain" in r.stderr, r.stderr[-2000:]
    finally:
        shutil.rmtree(state, ignore_errors=True)

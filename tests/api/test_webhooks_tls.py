"""https:// webhooks: delivered over TLS to a receiver whose certificate chains to a trusted CA and
names the host; a receiver with an untrusted certificate gets nothing (the delivery is retried)."""

import os
import ssl
import subprocess
import tempfile
import time

import pytest

from conftest import (Client, HookReceiver, Tandemd, build_pairs, confirmed_session, create_hr, make_state_dir,
                      webhook_verify)


def make_cert(directory, name):
    key, cert = os.path.join(directory, name + ".key"), os.path.join(directory, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class TlsHookReceiver(HookReceiver):
    def __init__(self, cert, key, statuses=(200,)):
        super().__init__(statuses)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = self.url.replace("http://", "https://")


@pytest.fixture(scope="module")
def tls_setup():
    certs = tempfile.mkdtemp(prefix="tandem-tls-")
    os.chmod(certs, 0o755)  # tandemd reads --webhook-ca-file after dropping root to its account
    trusted = make_cert(certs, "trusted")
    untrusted = make_cert(certs, "untrusted")
    state = make_state_dir("tandem-tls-srv-")
    # the receivers listen on loopback: allowed by CIDR (the other internal networks stay refused)
    srv = Tandemd(["--state-dir", state, "--webhook-ca-file", trusted[0], "--webhook-allow-cidrs", "127.0.0.1/32"],
                  state, name="tls")
    yield srv, trusted, untrusted
    code = srv.terminate()
    srv.cleanup()
    assert code == 0


def test_https_webhook_is_delivered_and_signed(tls_setup):
    srv, trusted, untrusted = tls_setup
    api = Client(srv.base_url)
    hr = create_hr(srv.state_dir)["token"]
    good = TlsHookReceiver(*trusted)
    bad = TlsHookReceiver(*untrusted)
    try:
        secrets = {}
        for receiver in (good, bad):
            r = api.post("/v1/webhooks", {"event_type": "session_confirmed", "url": receiver.url}, token=hr)
            assert r.status == 201, r
            secrets[receiver] = r.body["secret"]
        r = api.post("/v1/webhooks", {"event_type": "session_confirmed", "url": "https://10.1.2.3/x"}, token=hr)
        assert r.status == 400 and r.body["field"] == "url", "only 127.0.0.1/32 is allowed"
        pair = build_pairs(api, hr, [{}])[0]
        confirmed_session(api, pair)
        got = good.wait_for(lambda xs: len(xs) >= 1, timeout=15)
        assert len(got) == 1, "no delivery over TLS"
        assert webhook_verify(got[0], secrets[good])
        assert got[0]["headers"]["X-Tandem-Event"] == "session_confirmed"
        time.sleep(2)
        assert bad.received == [], "a receiver with an untrusted certificate must not get the event"
        hooks = {h["url"]: h for h in api.get("/v1/webhooks", token=hr).body["items"]}
        assert hooks[good.url]["deliveries"]["delivered"] == 1
        assert hooks[bad.url]["deliveries"]["delivered"] == 0
        assert hooks[bad.url]["deliveries"]["pending"] + hooks[bad.url]["deliveries"]["failed"] == 1
    finally:
        good.close()
        bad.close()

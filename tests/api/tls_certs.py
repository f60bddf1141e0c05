"""Test-made certificates (openssl CLI): a CA, and a server certificate it signs for 127.0.0.1 and
localhost. Shared by the TLS tests (tandemd serving HTTPS, nginx terminating TLS)."""

import os
import subprocess
import tempfile


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=120)


def make_certs(prefix="tandem-https-certs-"):
    """Returns (dir, ca_pem, cert_pem, key_pem) in a new directory readable by others (the tandem
    account). The server key is left root-only (0600) when running as root: tandemd must read it
    before dropping privileges."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, cert = os.path.join(d, "server.key"), os.path.join(d, "server.csr"), os.path.join(d, "server.pem")
    ext = os.path.join(d, "server.ext")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Tandem test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", ca_key, "-out", ca)
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", ext, "-out", cert)
    os.chmod(key, 0o600)
    for p in (ca, cert):
        os.chmod(p, 0o644)
    return d, ca, cert, key

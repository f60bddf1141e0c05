"""Health probes and the command line."""

import subprocess

from conftest import TANDEMD, base_env


def test_healthz(api):
    r = api.get("/healthz")
    assert r.status == 200
    assert r.body == {"status": "ok"}


def test_readyz(api):
    r = api.get("/readyz")
    assert r.status == 200
    assert r.body["status"] == "ready"
    assert r.body["schema_version"] >= 1


def test_health_needs_no_auth_and_ignores_bad_token(api):
    assert api.get("/healthz", token="tdm_bogus").status == 200
    assert api.get("/readyz", token="tdm_bogus").status == 200


def test_help_exits_zero_and_lists_every_flag():
    p = subprocess.run([TANDEMD, "--help"], capture_output=True, timeout=10, env=base_env())
    assert p.returncode == 0, p
    text = (p.stdout + p.stderr).decode()
    for flag in ["--listen", "--database-url", "--state-dir", "--pg-user", "--pool-size", "--queue-max",
                 "--max-body-bytes", "--allowed-email-domains", "--public-base-url", "--demo",
                 "TANDEM_LISTEN", "TANDEM_DATABASE_URL", "TANDEM_MAX_BODY_BYTES", "create-hr"]:
        assert flag in text, f"--help does not mention {flag}"


def test_unknown_flag_fails():
    p = subprocess.run([TANDEMD, "--no-such-flag"], capture_output=True, timeout=10, env=base_env())
    assert p.returncode != 0

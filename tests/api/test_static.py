"""The web app's static serving (server/static.c): a tandemd of its own with a --web-dir made here,
so the test does not depend on the built app. Plain requests (these are not API operations)."""
import gzip
import os
import tempfile

import requests

import pytest

from conftest import Tandemd, make_state_dir

INDEX = b'<!doctype html><div id="app"></div><script type="module" src="/assets/app-1a2b3c.js"></script>'
APP_JS = b"console.log('tandem');" * 200


@pytest.fixture(scope="module")
def web():
    web_dir = tempfile.mkdtemp(prefix="tandem-web-dir-")
    os.makedirs(os.path.join(web_dir, "assets"))
    with open(os.path.join(web_dir, "index.html"), "wb") as f:
        f.write(INDEX)
    with open(os.path.join(web_dir, "assets", "app-1a2b3c.js"), "wb") as f:
        f.write(APP_JS)
    with open(os.path.join(web_dir, "assets", "app-1a2b3c.js.gz"), "wb") as f:
        f.write(gzip.compress(APP_JS))
    secret = tempfile.NamedTemporaryFile(prefix="tandem-secret-", delete=False)
    secret.write(b"outside the web dir")
    secret.close()
    os.symlink(secret.name, os.path.join(web_dir, "leak.txt"))  # symlinks are not followed
    state_dir = make_state_dir("tandem-static-test-")
    srv = Tandemd(["--state-dir", state_dir, "--web-dir", web_dir], state_dir)
    yield srv
    assert srv.terminate() == 0, srv.tail()  # under ASan: no leak of the loaded files
    srv.cleanup()
    os.unlink(secret.name)


def test_static_index_headers(web):
    r = requests.get(web.base_url + "/", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.content == INDEX
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache"
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["ETag"].startswith('"') and r.headers["Last-Modified"].endswith("GMT")


def test_static_hashed_asset_immutable_and_gzip(web):
    url = web.base_url + "/assets/app-1a2b3c.js"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.content == APP_JS
    assert "immutable" in plain.headers["Cache-Control"]
    assert plain.headers["Content-Type"].startswith("text/javascript")
    assert "Content-Encoding" not in plain.headers
    gz = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert gz.headers["Content-Encoding"] == "gzip" and gz.headers["Vary"] == "Accept-Encoding"
    raw = gz.raw.read()
    assert len(raw) < len(APP_JS) and gzip.decompress(raw) == APP_JS
    assert gz.headers["ETag"] != plain.headers["ETag"]
    refused = requests.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    # the .gz is not a file of its own
    assert requests.get(url + ".gz").status_code == 404


def test_static_conditional_get(web):
    url = web.base_url + "/"
    first = requests.get(url)
    r = requests.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 304 and r.content == b""
    r = requests.get(url, headers={"If-None-Match": '"other"'})
    assert r.status_code == 200
    r = requests.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"], "Accept-Encoding": "identity"})
    assert r.status_code == 304


@pytest.mark.parametrize("path", ["/pairs", "/pairs/12", "/hr/rounds/3", "/v2/employees", "/v1x"])
def test_static_app_routes_get_index(web, path):
    r = requests.get(web.base_url + path, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.content == INDEX


@pytest.mark.parametrize("path", ["/assets/missing.js", "/favicon.ico", "/leak.txt", "/../../etc/passwd.txt",
                                  "/assets/../index.html.x", "/pairs%2F3", "/healthz%00x"])
def test_static_missing_file_is_404(web, path):
    r = requests.get(web.base_url + path)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert b"outside the web dir" not in r.content


@pytest.mark.parametrize("path", ["/v1/nope", "/ob/nope", "/healthz/x", "/readyz/x", "/metrics/x"])
def test_static_api_paths_keep_json_404(web, path):
    r = requests.get(web.base_url + path)
    assert r.status_code == 404 and r.json() == {"status": 404, "code": "not_found", "message": "no such endpoint", "field": None}
    assert requests.post(web.base_url + path).status_code == 404  # not 405: the app does not claim them


def test_static_only_get_and_head(web):
    r = requests.post(web.base_url + "/pairs")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]
    h = requests.head(web.base_url + "/")
    assert h.status_code == 200 and h.content == b""


def test_static_api_still_served(web):
    assert requests.get(web.base_url + "/healthz").status_code == 200
    assert requests.get(web.base_url + "/v1/skills").status_code == 200


def test_static_without_app_answers_404():
    state_dir = make_state_dir("tandem-static-none-")
    srv = Tandemd(["--state-dir", state_dir, "--web-dir", os.path.join(state_dir, "no-such-dir")], state_dir)
    try:
        r = requests.get(srv.base_url + "/")
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        assert "web app:" in srv.stderr_text()
    finally:
        assert srv.terminate() == 0, srv.tail()
        srv.cleanup()

"""HTTP-level behaviour: malformed bodies, media types, body limit, unknown paths and methods, access log."""

import datetime
import json
import re
import socket

import pytest
import requests

from conftest import assert_error, employee_body, validate_response


def raw(api, method, path, data, token=None, content_type="application/json", extra_headers=None):
    headers = dict(extra_headers or {})
    if content_type is not None:
        headers["Content-Type"] = content_type
    return api.request(method, path, token=token, data=data, headers=headers)


MALFORMED = {
    "truncated": b'{"email": "a@example.com"',
    "not_json": b"email=a@example.com",
    "empty_body": b"",
    "trailing_garbage": b'{"a": 1} x',
    "single_quotes": b"{'email': 'a@example.com'}",
    "array": b"[]",
    "number": b"42",
    "string": b'"hello"',
    "null": b"null",
    "invalid_utf8_in_string": b'{"display_name": "Ana \xff\xfe Silva"}',
    "invalid_utf8_overlong": b'{"display_name": "\xc0\xaf"}',
    "lone_surrogate_bytes": b'{"display_name": "\xed\xa0\x80"}',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_signup_malformed_body(api, name):
    r = raw(api, "POST", "/v1/employees", MALFORMED[name])
    assert_error(r, 400, "malformed_json")


@pytest.mark.parametrize("name", ["truncated", "array", "null", "invalid_utf8_in_string"])
def test_patch_me_malformed_body_writes_nothing(api, employee, name):
    before = api.get("/v1/me", token=employee.token).body
    r = raw(api, "PATCH", "/v1/me", MALFORMED[name], token=employee.token)
    assert_error(r, 400, "malformed_json")
    assert api.get("/v1/me", token=employee.token).body == before


@pytest.mark.parametrize("path", ["/v1/me/teaching", "/v1/me/learning", "/v1/me/availability"])
@pytest.mark.parametrize("name", ["truncated", "array", "number", "invalid_utf8_in_string"])
def test_put_lists_malformed_body(api, employee, path, name):
    r = raw(api, "PUT", path, MALFORMED[name], token=employee.token)
    assert_error(r, 400, "malformed_json")


def test_escaped_unicode_is_fine(api):
    body = employee_body(display_name="Zo\u00e9 \u00c5sa \U0001F600")
    r = raw(api, "POST", "/v1/employees", json.dumps(body, ensure_ascii=True).encode())
    assert r.status == 201, r
    assert r.body["employee"]["display_name"] == "Zo\u00e9 \u00c5sa \U0001F600"


def test_raw_utf8_is_fine(api):
    body = employee_body(display_name="Zoé Åsa 日本")
    r = raw(api, "POST", "/v1/employees", json.dumps(body, ensure_ascii=False).encode("utf-8"))
    assert r.status == 201, r
    assert r.body["employee"]["display_name"] == "Zoé Åsa 日本"


def test_wrong_content_type_is_415(api):
    body = json.dumps(employee_body()).encode()
    r = raw(api, "POST", "/v1/employees", body, content_type="text/plain")
    assert_error(r, 415, "unsupported_media_type")
    r = raw(api, "POST", "/v1/employees", body, content_type="application/x-www-form-urlencoded")
    assert_error(r, 415, "unsupported_media_type")


def test_absent_content_type_is_accepted(api):
    r = raw(api, "POST", "/v1/employees", json.dumps(employee_body()).encode(), content_type=None)
    assert r.status == 201, r


def test_json_content_type_with_charset_is_accepted(api):
    r = raw(api, "POST", "/v1/employees", json.dumps(employee_body()).encode(),
            content_type="application/json; charset=utf-8")
    assert r.status == 201, r


def test_body_over_one_mebibyte_is_413(api):
    body = employee_body(job_title="x" * (1024 * 1024 + 16))
    data = json.dumps(body).encode()
    assert len(data) > 1048576
    r = raw(api, "POST", "/v1/employees", data)
    assert_error(r, 413, "body_too_large")
    # nothing was created
    r2 = api.post("/v1/employees", employee_body(email=body["email"]))
    assert r2.status == 201, r2


def test_body_over_limit_on_authenticated_put_is_413(api, employee):
    data = json.dumps({"skills": [], "pad": "y" * (1100 * 1024)}).encode()
    r = raw(api, "PUT", "/v1/me/teaching", data, token=employee.token)
    assert_error(r, 413, "body_too_large")


def test_body_just_under_limit_is_parsed(api):
    # 1 MiB minus a little: must be read and rejected by validation (job_title too long), not 413
    body = employee_body(job_title="x" * (1024 * 1024 - 1024))
    r = raw(api, "POST", "/v1/employees", json.dumps(body).encode())
    assert_error(r, 400, "invalid_value", "job_title")


# "/" and other paths outside the API prefixes belong to the web app: tests/api/test_static.py
@pytest.mark.parametrize("path", ["/v1", "/v1/", "/v1/nope", "/ob", "/ob/nope", "/v1/me/nope", "/v1/skills/linkedin/x",
                                  "/healthz/extra", "/metrics/x"])
def test_unknown_path_is_404(api, path):
    r = api.get(path)
    assert_error(r, 404, "not_found", None)


@pytest.mark.parametrize("method,path,allowed", [
    ("POST", "/healthz", {"GET"}),
    ("DELETE", "/readyz", {"GET"}),
    ("PUT", "/v1/employees", {"GET", "POST"}),
    ("DELETE", "/v1/employees", {"GET", "POST"}),
    ("PUT", "/v1/me", {"GET", "PATCH", "DELETE"}),
    ("POST", "/v1/me", {"GET", "PATCH", "DELETE"}),
    ("DELETE", "/v1/me/teaching", {"GET", "PUT"}),
    ("POST", "/v1/me/availability", {"GET", "PUT"}),
    ("DELETE", "/v1/skills", {"GET", "POST"}),
    ("GET", "/v1/skills/linkedin", {"PATCH"}),
    ("DELETE", "/v1/employees/1", {"GET"}),
])
def test_wrong_method_is_405_with_allow(api, method, path, allowed):
    r = api.request(method, path)
    assert_error(r, 405, "method_not_allowed", None)
    got = {m.strip().upper() for m in r.headers["Allow"].split(",")}
    assert allowed <= got, f"Allow {r.headers['Allow']!r} lacks {allowed - got}"
    assert got <= allowed | {"HEAD", "OPTIONS"}, f"Allow {r.headers['Allow']!r} lists methods the path lacks"


def test_wrong_method_is_405_even_with_valid_token(api, employee):
    r = api.request("PUT", "/v1/me", token=employee.token, json_body={})
    assert_error(r, 405, "method_not_allowed")


def test_error_responses_are_json(api):
    r = requests.get(api.base_url + "/v1/nope", timeout=10)
    assert r.headers["Content-Type"].startswith("application/json")
    validate_response("GET", "/v1/nope", r)


def test_query_string_does_not_change_routing(api):
    r = api.get("/healthz?x=1")
    assert r.status == 200


def test_access_log_has_json_lines(api, server):
    api.get("/healthz?probe=accesslog")
    api.get("/v1/no-such-route")
    lines = [ln for ln in server.stderr_text().splitlines() if ln.startswith("{")]
    entries = []
    for ln in lines:
        try:
            entries.append((ln, json.loads(ln)))
        except ValueError:
            pass
    for path, status in (("/healthz", 200), ("/v1/no-such-route", 404)):
        hits = [(ln, e) for ln, e in entries if e.get("path") == path and e.get("method") == "GET"]
        assert hits, f"no JSON access-log line for GET {path} on stderr"
        ln, e = hits[-1]
        assert set(e) == {"ts", "log", "method", "path", "status", "duration_ms"}, e
        assert e["log"] == "access" and e["status"] == status, e
        # the line is formatted by hand (server/log.c): RFC 3339 UTC with milliseconds, and the
        # duration in milliseconds with three decimals
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["ts"]), e["ts"]
        stamp = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        assert abs((datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds()) < 60, e["ts"]
        assert re.search(r'"duration_ms":\d+\.\d{3}}$', ln), ln
        assert e["duration_ms"] >= 0, e


def test_chunked_body_is_accepted(api):
    data = json.dumps(employee_body()).encode()
    r = api.request("POST", "/v1/employees", data=iter([data[:20], data[20:]]),
                    headers={"Content-Type": "application/json"})
    assert r.status == 201, r


def test_chunked_body_over_limit_is_413(api):
    """A chunked body (no Content-Length) is refused with the JSON 413 once it passes the limit. The client
    stops sending as soon as the answer is there, as a real client would, instead of writing into a
    socket the server has closed."""
    import select
    host, port = api.base_url.replace("http://", "").split(":")
    body = json.dumps(employee_body(job_title="x" * 1000)).encode()
    chunks = [body[:-1]] + [b" " * 65536] * 40 + [b"}"]   # > 2 MiB of whitespace, valid JSON
    data = b""
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /v1/employees HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for c in chunks:
                if select.select([s], [], [], 0.02)[0]:
                    break
                s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
            else:
                s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), data[:300]
    assert json.loads(payload.decode())["code"] == "body_too_large", data[:300]


def test_deeply_nested_json_is_rejected_not_crashing(api):
    data = b'{"languages": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    r = raw(api, "POST", "/v1/employees", data)
    assert r.status == 400, r
    assert api.get("/healthz").status == 200


def test_huge_id_is_404(api, hr_token):
    r = api.get("/v1/employees/99999999999999999999999", token=hr_token)
    assert_error(r, 404, "not_found")


def test_nul_escape_in_string_is_rejected(api):
    # PostgreSQL text cannot hold NUL: must be a clean 400, not a 500
    r = raw(api, "POST", "/v1/employees", json.dumps(employee_body(display_name="Ana\u0000Silva")).encode())
    assert r.status == 400, r
    assert r.body["code"] in ("invalid_value", "malformed_json"), r


@pytest.mark.parametrize("ctype", ["application/jsonx", "application/json-patch+json", "text/json", "application/xml"])
def test_lookalike_content_types_are_415(api, ctype):
    r = raw(api, "POST", "/v1/employees", json.dumps(employee_body()).encode(), content_type=ctype)
    assert_error(r, 415, "unsupported_media_type")


def test_content_type_is_case_insensitive(api):
    r = raw(api, "POST", "/v1/employees", json.dumps(employee_body()).encode(), content_type="Application/JSON")
    assert r.status == 201, r


def raw_request(base_url, line):
    host, port = base_url.replace("http://", "").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(line.encode() + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode("utf-8", "replace")


def test_percent_encoded_paths_do_not_change_routes(server):
    """%2F and %00 used to be decoded before routing: /healthz%00x answered 200, /v1/me%2Fpairs routed."""
    assert raw_request(server.base_url, "GET /healthz%00xyz HTTP/1.1").startswith("HTTP/1.1 404")
    assert raw_request(server.base_url, "GET /v1/me%2Fpairs HTTP/1.1").startswith("HTTP/1.1 404")
    assert raw_request(server.base_url, "GET /v1/skills HTTP/1.1").startswith("HTTP/1.1 200")


def test_head_answers_like_get_without_a_body(server):
    r = requests.head(server.base_url + "/healthz", timeout=10)
    assert r.status_code == 200 and r.content == b""
    r = requests.post(server.base_url + "/healthz", timeout=10)
    assert r.status_code == 405 and "HEAD" in r.headers["Allow"] and "GET" in r.headers["Allow"]


def test_malformed_query_string_is_rejected(api, hr_token, server):
    text = raw_request(server.base_url, "GET /v1/skills?include_inactive=%zz HTTP/1.1")
    assert text.startswith("HTTP/1.1 400") and "invalid_parameter" in text

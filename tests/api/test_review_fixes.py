"""Regression tests for defects found in review: each test failed before its fix."""

import socket
import subprocess
import threading
import time
import uuid

import requests

from conftest import Client, Tandemd, assert_error, confirmed_session, employee_body, make_state_dir


def psql(state_dir, sql):
    return subprocess.run(["psql", f"host={state_dir}/run dbname=tandem user=tandem", "-v", "ON_ERROR_STOP=1",
                           "-Atc", sql], capture_output=True, timeout=30)


def test_sigterm_still_delivers_the_reply_in_flight():
    """The in-flight count used to drop when a reply was queued, not written: SIGTERM then closed
    the socket with the reply still buffered (empty reply)."""
    state = make_state_dir("tandem-drain-")
    srv = Tandemd(["--state-dir", state], state, name="drain")
    try:
        api = Client(srv.base_url)
        body = employee_body()
        token = api.post("/v1/employees", body).body["token"]
        # hold the employees table so the next request waits inside the database
        locker = subprocess.Popen(["psql", f"host={state}/run dbname=tandem user=tandem", "-v", "ON_ERROR_STOP=1",
                                   "-c", "BEGIN; LOCK TABLE employees IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        result = {}

        def slow():
            result["r"] = requests.get(srv.base_url + "/v1/me", headers={"Authorization": f"Bearer {token}"},
                                       timeout=30)

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        code = srv.terminate(timeout=30)
        t.join(timeout=30)
        locker.wait(timeout=30)
        assert code == 0
        assert result["r"].status_code == 200 and result["r"].json()["email"] == body["email"]
    finally:
        srv.cleanup()


def test_levels_gained_count_only_real_progress_after_mentoring(api, make_pair):
    """Setting a level up and down used to inflate skill_levels_gained (and lead_by_example)."""
    pair = make_pair()
    skill = pair.skills[0]
    tok = pair.mentee.token
    # before any confirmed session nothing counts
    r = api.post("/v1/me/progress", {"skill": skill, "level": 5}, token=tok)
    assert r.status == 200 and r.body["counted"] is False
    api.post("/v1/me/progress", {"skill": skill, "level": 0}, token=tok)
    confirmed_session(api, pair)
    for level in (3, 0, 3, 0, 5, 0, 5):
        assert api.post("/v1/me/progress", {"skill": skill, "level": level}, token=tok).status == 200
    counters = api.get("/v1/me/achievements", token=tok).body["counters"]
    # the best level ever recorded was 5 (before mentoring): nothing above it was reached
    assert counters["skill_levels_gained"] == 0


def test_levels_gained_after_mentoring_count_once(api, make_pair):
    pair = make_pair()
    skill = pair.skills[0]
    tok = pair.mentee.token
    start = next(g["current_level"] for g in api.get("/v1/me/learning", token=tok).body["goals"] if g["skill"] == skill)
    confirmed_session(api, pair)
    assert api.post("/v1/me/progress", {"skill": skill, "level": start + 2}, token=tok).body["counted"] is True
    assert api.post("/v1/me/progress", {"skill": skill, "level": start}, token=tok).body["counted"] is False
    assert api.post("/v1/me/progress", {"skill": skill, "level": start + 2}, token=tok).body["counted"] is False
    assert api.get("/v1/me/achievements", token=tok).body["counters"]["skill_levels_gained"] == 2


def test_mentor_capacity_cannot_drop_below_active_pairs(api, hr_token, make_pairs):
    """A mentor lowering their capacity under their active pairs used to block every later publication."""
    pair = make_pairs([{"mentor": {"mentor_capacity": 2}}])[0]
    mentor = api.get("/v1/me", token=pair.mentor.token).body
    # a second manager for the same mentor, in a second round
    dept = f"Second-{uuid.uuid4().hex[:8]}"
    r = api.post("/v1/employees", employee_body(department=dept, timezone="UTC", languages=["en"], role="mentee"))
    tok = r.body["token"]
    api.put("/v1/me/learning", {"goals": [{"skill": pair.skills[0], "current_level": 0, "priority": 1}]}, token=tok)
    api.put("/v1/me/availability", {"slots": mentor["availability"]}, token=tok)
    r = api.post("/v1/rounds", {"name": "second", "filter": {"departments": [mentor["department"], dept], "sites": []}},
                 token=hr_token)
    rid = r.body["id"]
    deadline = time.monotonic() + 30
    while api.get(f"/v1/rounds/{rid}", token=hr_token).body["status"] == "solving" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert api.post(f"/v1/rounds/{rid}/publish", token=hr_token).status == 200
    assert len(api.get("/v1/me/pairs", token=pair.mentor.token).body["items"]) == 2
    assert_error(api.patch("/v1/me", {"mentor_capacity": 1}, token=pair.mentor.token), 409, "conflict",
                 "mentor_capacity")
    assert api.get("/v1/me", token=pair.mentor.token).body["mentor_capacity"] == 2
    assert api.patch("/v1/me", {"mentor_capacity": 3}, token=pair.mentor.token).status == 200


def test_badge_roles_are_enforced(api, hr_token, make_pair, server):
    """A mentor-only badge used to be awarded to managers who met its counters."""
    slug = "m_" + uuid.uuid4().hex[:10]
    r = api.post("/v1/badges", {"slug": slug, "name": "Mentor only", "description": "d", "criteria_narrative": "c",
                                "role": "mentor", "criteria": {"all": [{"counter": "sessions", "min": 1}]}},
                 token=hr_token)
    assert r.status == 201, r
    try:
        pair = make_pair()
        confirmed_session(api, pair)
        mentor = {b["badge"] for b in api.get("/v1/me/achievements", token=pair.mentor.token).body["badges"]}
        mentee = {b["badge"] for b in api.get("/v1/me/achievements", token=pair.mentee.token).body["badges"]}
        assert slug in mentor and slug not in mentee
    finally:  # retire it so that other tests' badge sets stay as they expect
        assert psql(server.state_dir, f"UPDATE badges SET active = false WHERE slug = '{slug}'").returncode == 0


def test_session_confirmed_after_the_pair_ended_completes_it(api, make_pair):
    pair = make_pair()
    from conftest import log_session
    s = log_session(api, pair).body
    ended = api.post(f"/v1/pairs/{pair.id}/end", {"feedback": "thanks"}, token=pair.mentee.token).body
    assert ended["completed"] is False
    assert api.post(f"/v1/sessions/{s['id']}/confirm", token=pair.mentor.token).status == 200
    again = api.get(f"/v1/pairs/{pair.id}", token=pair.mentor.token).body
    assert again["completed"] is True and again["confirmed_sessions"] == 1
    rules = [row["rule"] for row in api.get("/v1/me/ledger", token=pair.mentor.token).body["items"]]
    assert rules.count("mentor_pair_completed") == 1


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


def test_badge_color_must_be_a_hex_colour(api, hr_token):
    for color in ("<abcdef", "abcdefg", "#ABCDEF"):
        r = api.post("/v1/badges", {"slug": "c_" + uuid.uuid4().hex[:10], "name": "C", "description": "d",
                                    "criteria_narrative": "c", "role": "any", "color": color,
                                    "criteria": {"all": [{"counter": "sessions", "min": 1}]}}, token=hr_token)
        assert_error(r, 400, {"invalid_value"}, "color")

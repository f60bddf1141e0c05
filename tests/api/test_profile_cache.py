"""The profile cache (employee_profiles, issue 8): GET /v1/me reads the profile built at the last
write. After every kind of write that changes what a profile shows (sign-up, PATCH /v1/me, the
three PUT lists, progress, HR import, SCIM create/patch/replace/deactivation, erasure, concurrent
writers), GET /v1/me equals what the builder (core.profile_json) returns now, and every cached row
of the database equals a fresh build. A builder changed or a row lost is rebuilt at start."""

import json
import os
import subprocess
import threading
import uuid

from conftest import Client, Employee, Tandemd, create_hr, make_state_dir, unique_email

SCIM_JSON = {"Content-Type": "application/scim+json"}
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def psql(state_dir, sql):
    """Runs sql as the owner (search_path core, public, like the server's functions); stdout."""
    p = subprocess.run(["psql", f"host={state_dir}/run dbname=tandem user=tandem", "-v", "ON_ERROR_STOP=1",
                        "-Atc", sql], capture_output=True, timeout=30,
                       env={**os.environ, "PGOPTIONS": "-c search_path=core,public"})
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout.decode().strip()


def built(state_dir, eid):
    """What the builder returns for employee eid now."""
    return json.loads(psql(state_dir, f"SELECT profile_json({int(eid)})"))


def stale_rows(state_dir):
    """Employees whose cached profile is missing or differs from a fresh build, and orphan rows."""
    return psql(state_dir, """
        SELECT coalesce(string_agg(id::text, ','), '') FROM (
            SELECT e.id FROM employees e LEFT JOIN employee_profiles p ON p.employee_id = e.id
            WHERE p.profile::text IS DISTINCT FROM profile_json(e.id)::text -- the very bytes GET /v1/me sends
            UNION ALL
            SELECT p.employee_id FROM employee_profiles p
            WHERE NOT EXISTS (SELECT 1 FROM employees e WHERE e.id = p.employee_id)) s""")


def assert_exact(api, server, emp, why):
    """GET /v1/me equals a fresh build, and no cached row in the database is stale."""
    r = api.get("/v1/me", token=emp.token)
    assert r.status == 200, r
    assert r.body == built(server.state_dir, emp.id), f"GET /v1/me stale after {why}"
    assert stale_rows(server.state_dir) == "", f"stale cached profiles after {why}"
    return r.body


def skills(server, n=3):
    return psql(server.state_dir, f"SELECT string_agg(slug, ',' ORDER BY slug) FROM "
                                  f"(SELECT slug FROM skills ORDER BY slug LIMIT {n}) s").split(",")


def test_profile_cache_follows_the_employee_own_writes(server, api, make_employee):
    emp = make_employee()
    assert_exact(api, server, emp, "sign-up")
    s1, s2, s3 = skills(server)
    assert api.patch("/v1/me", {"display_name": "Renamed", "site": "Paris", "languages": ["en"]},
                     token=emp.token).status == 200
    me = assert_exact(api, server, emp, "PATCH /v1/me")
    assert me["display_name"] == "Renamed" and me["site"] == "Paris" and me["languages"] == ["en"]
    assert api.put("/v1/me/teaching", {"skills": [{"skill": s1, "level": 4}, {"skill": s2, "level": 2}]},
                   token=emp.token).status == 200
    me = assert_exact(api, server, emp, "PUT /v1/me/teaching")
    assert [t["skill"] for t in me["teaching"]] == [s1, s2]
    assert api.put("/v1/me/learning", {"goals": [{"skill": s3, "current_level": 1, "priority": 2}]},
                   token=emp.token).status == 200
    me = assert_exact(api, server, emp, "PUT /v1/me/learning")
    assert me["learning"] == [{"skill": s3, "current_level": 1, "priority": 2}]
    assert api.put("/v1/me/availability", {"slots": [{"day": "tue", "start": "09:00", "end": "10:30"},
                                                     {"day": "mon", "start": "14:00", "end": "15:00"}]},
                   token=emp.token).status == 200
    me = assert_exact(api, server, emp, "PUT /v1/me/availability")
    assert [a["day"] for a in me["availability"]] == ["mon", "tue"]
    # progress on a learning goal updates learning.current_level alone
    r = api.post("/v1/me/progress", {"skill": s3, "level": 3}, token=emp.token)
    assert r.status == 200, r
    me = assert_exact(api, server, emp, "POST /v1/me/progress")
    assert me["learning"][0]["current_level"] == 3
    # emptied lists
    for path, key in (("/v1/me/teaching", "skills"), ("/v1/me/learning", "goals"), ("/v1/me/availability", "slots")):
        assert api.put(path, {key: []}, token=emp.token).status == 200
    me = assert_exact(api, server, emp, "emptied lists")
    assert me["teaching"] == [] and me["learning"] == [] and me["availability"] == []
    # a refused write changes nothing, the cache included
    before = me
    assert api.put("/v1/me/teaching", {"skills": [{"skill": "no-such-skill-x", "level": 3}]},
                   token=emp.token).status == 400
    assert assert_exact(api, server, emp, "a refused PUT") == before


def test_profile_cache_is_gone_with_the_erased_employee(server, api, make_employee):
    emp = make_employee()
    s1 = skills(server, 1)[0]
    assert api.put("/v1/me/teaching", {"skills": [{"skill": s1, "level": 3}]}, token=emp.token).status == 200
    assert api.delete("/v1/me", token=emp.token).status == 204
    assert psql(server.state_dir, f"SELECT count(*) FROM employee_profiles WHERE employee_id = {emp.id}") == "0"
    assert stale_rows(server.state_dir) == ""


def test_profile_cache_follows_hr_import(server, api, hr_token, make_employee):
    emp = make_employee()
    tag = uuid.uuid4().hex[:8]
    header = "Employee ID,Work Email,First Name,Last Name,Department,Location,Job Title,Time Zone,Languages"
    rows = [f"X-{tag},{emp.email},Imported,Person,Dept-{tag},Nantes,Director,UTC,en",
            f"Y-{tag},{unique_email('imp')},New,Hire,Dept-{tag},Nantes,Engineer,UTC,\"fr, en\""]
    r = api.request("POST", "/v1/employees/import", token=hr_token, data=("\r\n".join([header] + rows) + "\r\n").encode(),
                    headers={"Content-Type": "text/csv"}, params={"mode": "partial", "dry_run": "false"})
    assert r.status == 200, r
    assert r.body["counts"]["created"] == 1 and r.body["counts"]["updated"] == 1, r.body
    me = assert_exact(api, server, emp, "HR import")
    assert me["department"] == f"Dept-{tag}" and me["job_title"] == "Director" and me["site"] == "Nantes"


def test_profile_cache_follows_scim(server, api, hr_token):
    tag = uuid.uuid4().hex[:8]

    def scim(method, path, body=None):
        return api.request(method, path, token=hr_token, data=json.dumps(body).encode() if body else None,
                           headers=SCIM_JSON if body else None)
    u = scim("POST", "/scim/v2/Users", {"schemas": [CORE, ENT], "userName": f"scim-{tag}@example.com",
                                        "externalId": f"S-{tag}", "name": {"givenName": "Sam", "familyName": tag},
                                        "title": "Analyst", "timezone": "UTC", "preferredLanguage": "en-GB",
                                        "active": True, ENT: {"department": f"Scim-{tag}"}})
    assert u.status == 201, u
    assert stale_rows(server.state_dir) == "", "stale cached profiles after SCIM create"
    eid = int(u.body["id"])
    r = scim("PATCH", f"/scim/v2/Users/{eid}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "replace", "path": f"{ENT}:department", "value": "Finance"}]})
    assert r.status == 200, r
    assert stale_rows(server.state_dir) == "", "stale cached profiles after SCIM PATCH"
    prof = json.loads(psql(server.state_dir, f"SELECT profile FROM employee_profiles WHERE employee_id = {eid}"))
    assert prof["job_title"] == "Lead" and prof["department"] == "Finance" and prof == built(server.state_dir, eid)
    r = scim("PUT", f"/scim/v2/Users/{eid}", {"schemas": [CORE], "userName": f"renamed-{tag}@example.com",
                                              "displayName": "Renamed", "active": True})
    assert r.status == 200, r
    prof = json.loads(psql(server.state_dir, f"SELECT profile FROM employee_profiles WHERE employee_id = {eid}"))
    assert prof["email"] == f"renamed-{tag}@example.com" and prof["display_name"] == "Renamed", prof
    assert stale_rows(server.state_dir) == "", "stale cached profiles after SCIM PUT"
    # deactivation erases the lists
    psql(server.state_dir, f"INSERT INTO availability (employee_id, day, start_min, end_min) VALUES ({eid}, 2, 480, 540)")
    assert stale_rows(server.state_dir) == "", "stale cached profiles after a direct INSERT"
    r = scim("PATCH", f"/scim/v2/Users/{eid}", {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "value": {"active": False}}]})
    assert r.status == 200, r
    prof = json.loads(psql(server.state_dir, f"SELECT profile FROM employee_profiles WHERE employee_id = {eid}"))
    assert prof["availability"] == [], prof
    assert stale_rows(server.state_dir) == "", "stale cached profiles after SCIM deactivation"
    assert scim("DELETE", f"/scim/v2/Users/{eid}").status == 204
    assert psql(server.state_dir, f"SELECT count(*) FROM employee_profiles WHERE employee_id = {eid}") == "0"


def test_profile_cache_exact_under_concurrent_writers(server, api, make_employee):
    """Two writers on the same employee (PUT teaching, PUT learning, PATCH) at once: the last commit
    must not leave a profile built without the other's change."""
    emp = make_employee()
    s1, s2, s3 = skills(server)
    errors = []

    def loop(i):
        c = Client(server.base_url)
        for k in range(15):
            if i == 0:
                r = c.put("/v1/me/teaching", {"skills": [{"skill": s1, "level": 1 + k % 5}]}, token=emp.token)
            elif i == 1:
                r = c.put("/v1/me/learning", {"goals": [{"skill": s2, "current_level": k % 5, "priority": 1}]},
                          token=emp.token)
            else:
                r = c.put("/v1/me/availability", {"slots": [{"day": "fri", "start": f"{8 + k % 8:02d}:00",
                                                             "end": "17:00"}]}, token=emp.token)
            if r.status != 200:
                errors.append(r)
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    me = assert_exact(api, server, emp, "concurrent writers")
    assert me["teaching"] == [{"skill": s1, "level": 5}] and me["learning"][0]["current_level"] == 4
    assert s3  # the third slug exists (skills() returned three)


def test_profile_cache_rebuilt_at_start_when_builder_changed_or_row_lost():
    state = make_state_dir("tandem-profile-cache-")
    srv = Tandemd(["--state-dir", state], state, name="tandemd-profile-cache")
    try:
        api = Client(srv.base_url)
        r = api.post("/v1/employees", {"email": unique_email(), "display_name": "Cached", "department": "Ops",
                                       "timezone": "UTC", "languages": ["en"], "role": "mentee"})
        assert r.status == 201, r
        emp = Employee(r.body["employee"], r.body["token"])
        other = api.post("/v1/employees", {"email": unique_email(), "display_name": "Other", "department": "Ops",
                                           "timezone": "UTC", "languages": ["en"], "role": "mentor"})
        assert other.status == 201
        # a builder of another shape (as an edit of the module would leave): rows built by the old one are stale
        psql(state, "UPDATE employee_profiles SET profile = profile::jsonb || '{\"display_name\": \"Old builder\"}'; "
                     "UPDATE employee_profiles_builder SET fingerprint = 'an older builder'")
        assert api.get("/v1/me", token=emp.token).body["display_name"] == "Old builder", "GET /v1/me does not read the cache"
        assert srv.terminate() == 0
        srv = Tandemd(["--state-dir", state], state, name="tandemd-profile-cache2")
        assert api.__class__(srv.base_url).get("/v1/me", token=emp.token).body == built(state, emp.id)
        assert stale_rows(state) == ""
        # a row lost (same builder): rebuilt too
        psql(state, f"DELETE FROM employee_profiles WHERE employee_id = {emp.id}")
        assert srv.terminate() == 0
        srv = Tandemd(["--state-dir", state], state, name="tandemd-profile-cache3")
        assert Client(srv.base_url).get("/v1/me", token=emp.token).body == built(state, emp.id)
        assert stale_rows(state) == ""
    finally:
        code = srv.terminate()
        if code == 0:
            srv.cleanup()

"""SCIM 2.0 provisioning (/scim/v2, RFC 7643/7644): the create -> patch inactive -> pair ended story,
replace and PATCH of simple attributes, the enterprise manager, filter and pagination, errors in
SCIM's error schema, and the discovery documents identity providers probe."""

import datetime as dt
import json
import subprocess
import uuid

import pytest

from conftest import TANDEMD, Employee, base_env, today_utc, wait_round

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = {"Content-Type": "application/scim+json"}


def scim(api, method, path, token, body=None, **kw):
    data = json.dumps(body).encode() if body is not None else None
    return api.request(method, path, token=token, data=data, headers=SCIM_JSON if data else None, **kw)


def user_body(tag, **over):
    u = {"schemas": [CORE, ENT], "userName": f"scim-{tag}@example.com", "externalId": f"X-{tag}",
         "name": {"givenName": "Sam", "familyName": tag}, "title": "Analyst", "timezone": "UTC",
         "preferredLanguage": "en-GB", "active": True, ENT: {"department": f"Scim-{tag}"}}
    u.update(over)
    return u


def assert_scim_error(r, status, scim_type=None):
    assert r.status == status, r
    assert r.headers["Content-Type"].startswith("application/scim+json"), r.headers
    assert r.body["schemas"] == [ERR] and r.body["status"] == str(status), r.body
    if scim_type:
        assert r.body.get("scimType") == scim_type, r.body


def issue_token(server, email):
    proc = subprocess.run([TANDEMD, "admin", "issue-token", "--email", email, "--state-dir", server.state_dir],
                          capture_output=True, timeout=60, env=base_env(), cwd=server.state_dir)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["token"]


def test_scim_create_patch_inactive_ends_pair(server, api, hr_token):
    tag = uuid.uuid4().hex[:8]
    mgr = scim(api, "POST", "/scim/v2/Users", hr_token, user_body(f"mgr{tag}", externalId=f"M-{tag}",
                                                                  **{ENT: {"department": f"Mgrs-{tag}"}}))
    assert mgr.status == 201, mgr
    assert mgr.headers["Content-Type"].startswith("application/scim+json")
    assert mgr.headers["Location"].endswith("/scim/v2/Users/" + mgr.body["id"])
    jr = scim(api, "POST", "/scim/v2/Users", hr_token, user_body(f"jr{tag}", **{ENT: {"department": f"Jrs-{tag}"}}))
    assert jr.status == 201, jr
    assert jr.body["active"] is True and jr.body["displayName"] == f"Sam jr{tag}"
    assert jr.body["preferredLanguage"] == "en" and jr.body["meta"]["resourceType"] == "User"
    # both sign in (a token issued by the admin command), declare what they teach and learn
    people = {}
    for side, u in (("mentor", jr.body), ("mentee", mgr.body)):
        tok = issue_token(server, u["userName"])
        emp = Employee(api.get("/v1/me", token=tok).body, tok)
        role = {"mentor": "mentor", "mentee": "mentee"}[side]
        assert api.patch("/v1/me", {"role": role}, token=tok).status == 200
        if side == "mentor":
            assert api.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 5}]}, token=tok).status == 200
        else:
            assert api.put("/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 0, "priority": 1}]},
                           token=tok).status == 200
        assert api.put("/v1/me/availability", {"slots": [{"day": "wed", "start": "08:00", "end": "09:00"}]},
                       token=tok).status == 200
        people[side] = emp
    today = today_utc()
    r = api.post("/v1/rounds", {"name": f"SCIM {tag}", "filter": {"departments": [f"Mgrs-{tag}", f"Jrs-{tag}"], "sites": []},
                                "starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=60)).isoformat()},
                 token=hr_token)
    assert r.status == 202, r
    rd = wait_round(api, hr_token, r.body["id"])
    assert rd["status"] == "solved" and rd["result"]["matched"] == 1, rd
    assert api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token).status == 200
    pairs = api.get("/v1/me/pairs", token=people["mentee"].token).body["items"]
    assert len(pairs) == 1 and pairs[0]["status"] == "active"
    pid = pairs[0]["pair_id"]

    # the identity provider deprovisions the mentor (Entra ID's shape: op "Replace", no path)
    r = scim(api, "PATCH", f"/scim/v2/Users/{jr.body['id']}", hr_token,
             {"schemas": [PATCH], "Operations": [{"op": "Replace", "value": {"active": False}}]})
    assert r.status == 200, r
    assert r.body["active"] is False
    p = api.get(f"/v1/pairs/{pid}", token=hr_token).body
    assert p["status"] == "ended" and p["ended_by"] == "leaver", p
    assert api.get("/v1/me", token=people["mentor"].token).status == 401, "a deactivated account still signs in"
    assert api.get("/v1/me", token=people["mentee"].token).status == 200
    # out of later rounds: their teaching is erased
    assert scim(api, "GET", f"/scim/v2/Users/{jr.body['id']}", hr_token).body["active"] is False
    # reactivated (Okta's shape: path "active"); then erased
    r = scim(api, "PATCH", f"/scim/v2/Users/{jr.body['id']}", hr_token,
             {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]})
    assert r.status == 200 and r.body["active"] is True, r
    r = scim(api, "DELETE", f"/scim/v2/Users/{jr.body['id']}", hr_token)
    assert r.status == 204, r
    assert_scim_error(scim(api, "GET", f"/scim/v2/Users/{jr.body['id']}", hr_token), 404, "noTarget")


def test_scim_replace_patch_and_manager(api, hr_token):
    tag = uuid.uuid4().hex[:8]
    boss = scim(api, "POST", "/scim/v2/Users", hr_token, user_body(f"boss{tag}")).body
    u = scim(api, "POST", "/scim/v2/Users", hr_token,
             user_body(f"u{tag}", **{ENT: {"department": "Ops", "manager": {"value": boss["id"]}}})).body
    assert u[ENT]["manager"]["value"] == boss["id"] and u[ENT]["department"] == "Ops"
    r = scim(api, "PATCH", f"/scim/v2/Users/{u['id']}", hr_token, {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "replace", "path": "name.givenName", "value": "Alex"},
        {"op": "replace", "path": "name.familyName", "value": f"u{tag}"},
        {"op": "replace", "path": f"{ENT}:department", "value": "Finance"},
        {"op": "remove", "path": f"{ENT}:manager"}]})
    assert r.status == 200, r
    assert r.body["title"] == "Lead" and r.body["displayName"] == f"Alex u{tag}"
    assert r.body[ENT]["department"] == "Finance" and "manager" not in r.body[ENT]
    emp = api.get(f"/v1/employees/{u['id']}", token=hr_token).body
    assert emp["job_title"] == "Lead" and emp["department"] == "Finance"
    # manager as Entra ID sends it: a bare id string on the extension's path
    r = scim(api, "PATCH", f"/scim/v2/Users/{u['id']}", hr_token, {"schemas": [PATCH], "Operations": [
        {"op": "Add", "path": f"{ENT}:manager", "value": boss["id"]}]})
    assert r.status == 200 and r.body[ENT]["manager"]["value"] == boss["id"], r
    # PUT replaces: no manager given = none
    r = scim(api, "PUT", f"/scim/v2/Users/{u['id']}", hr_token,
             {"schemas": [CORE], "userName": f"renamed-{tag}@example.com", "displayName": "Renamed", "active": True})
    assert r.status == 200, r
    assert r.body["userName"] == f"renamed-{tag}@example.com" and "manager" not in r.body.get(ENT, {})
    assert r.body["title"] == "Lead", "PUT dropped what it did not mention"


def test_scim_filter_and_pagination(api, hr_token):
    tag = uuid.uuid4().hex[:8]
    ids = [scim(api, "POST", "/scim/v2/Users", hr_token, user_body(f"p{i}{tag}")).body["id"] for i in range(3)]
    r = scim(api, "GET", "/scim/v2/Users", hr_token, params={"filter": f'userName eq "SCIM-p1{tag}@example.com"'})
    assert r.status == 200, r
    assert r.body["totalResults"] == 1 and r.body["Resources"][0]["id"] == ids[1]
    r = scim(api, "GET", "/scim/v2/Users", hr_token, params={"filter": f'externalId eq "X-p2{tag}"'})
    assert [u["id"] for u in r.body["Resources"]] == [ids[2]]
    r = scim(api, "GET", "/scim/v2/Users", hr_token, params={"filter": 'userName eq "nobody@example.com"'})
    assert r.body["totalResults"] == 0 and r.body["Resources"] == []
    whole = scim(api, "GET", "/scim/v2/Users", hr_token, params={"count": "0"}).body
    assert whole["totalResults"] >= 3 and whole["Resources"] == []
    total = whole["totalResults"]
    seen = []
    start = 1
    while start <= total:
        page = scim(api, "GET", "/scim/v2/Users", hr_token, params={"startIndex": str(start), "count": "2"}).body
        assert page["startIndex"] == start and page["itemsPerPage"] == len(page["Resources"]) <= 2
        assert page["totalResults"] == total
        seen += [u["id"] for u in page["Resources"]]
        start += 2
    assert len(seen) == len(set(seen)) == total and set(ids) <= set(seen)


def test_scim_errors(api, hr_token, make_employee):
    tag = uuid.uuid4().hex[:8]
    assert scim(api, "POST", "/scim/v2/Users", hr_token, user_body(tag)).status == 201
    assert_scim_error(scim(api, "POST", "/scim/v2/Users", hr_token, user_body(tag, externalId=None)), 409, "uniqueness")
    assert_scim_error(scim(api, "POST", "/scim/v2/Users", hr_token, user_body(tag + "x", userName="nope")), 400,
                      "invalidValue")
    assert_scim_error(scim(api, "POST", "/scim/v2/Users", hr_token, user_body(tag + "y", timezone="Mars/Base")), 400,
                      "invalidValue")
    assert_scim_error(scim(api, "GET", "/scim/v2/Users", hr_token, params={"filter": 'title co "x"'}), 400,
                      "invalidFilter")
    assert_scim_error(scim(api, "GET", "/scim/v2/Users/999999999", hr_token), 404, "noTarget")
    assert_scim_error(scim(api, "GET", "/scim/v2/Users/abc", hr_token), 404, "noTarget")
    uid = scim(api, "GET", "/scim/v2/Users", hr_token, params={"filter": f'userName eq "scim-{tag}@example.com"'}).body[
        "Resources"][0]["id"]
    assert_scim_error(scim(api, "PATCH", f"/scim/v2/Users/{uid}", hr_token,
                           {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "nickName", "value": "x"}]}),
                      400, "invalidPath")
    assert_scim_error(scim(api, "PATCH", f"/scim/v2/Users/{uid}", hr_token,
                           {"schemas": [PATCH], "Operations": [{"op": "move", "path": "title", "value": "x"}]}),
                      400, "invalidSyntax")
    assert_scim_error(scim(api, "PATCH", f"/scim/v2/Users/{uid}", hr_token, {"schemas": [PATCH], "Operations": []}),
                      400, "invalidSyntax")
    assert_scim_error(scim(api, "PATCH", f"/scim/v2/Users/{uid}", hr_token, {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": f"{ENT}:manager", "value": uid}]}), 400, "invalidValue")
    r = api.request("POST", "/scim/v2/Users", token=hr_token, data=b"{", headers=SCIM_JSON)
    assert_scim_error(r, 400, "invalidSyntax")
    assert_scim_error(scim(api, "GET", "/scim/v2/Users", None), 401)
    assert_scim_error(scim(api, "GET", "/scim/v2/Users", make_employee().token), 403)
    assert_scim_error(scim(api, "POST", "/scim/v2/Users", make_employee().token, {"x": 1}), 403)


def test_scim_discovery_documents(api):
    for path, schema in (("/scim/v2/ServiceProviderConfig", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"),
                         ("/scim/v2/ResourceTypes", "urn:ietf:params:scim:api:messages:2.0:ListResponse"),
                         ("/scim/v2/Schemas", "urn:ietf:params:scim:api:messages:2.0:ListResponse")):
        r = api.get(path)
        assert r.status == 200 and r.headers["Content-Type"].startswith("application/scim+json"), r
        assert r.body["schemas"] == [schema]
    spc = api.get("/scim/v2/ServiceProviderConfig").body
    assert spc["patch"]["supported"] is True and spc["filter"]["supported"] is True
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def scim_patch_ops(api, hr_token, uid, *ops):
    return scim(api, "PATCH", f"/scim/v2/Users/{uid}", hr_token, {"schemas": [PATCH], "Operations": list(ops)})


def assert_invalid_value_changes_nothing(api, hr_token, uid, before, r):
    assert_scim_error(r, 400, "invalidValue")
    assert r.body.get("detail"), r.body
    after = scim(api, "GET", f"/scim/v2/Users/{uid}", hr_token).body
    for k in ("displayName", "title", ENT, "userName"):
        assert after.get(k) == before.get(k), (k, after.get(k), before.get(k))


def test_scim_refuses_wrongly_typed_values(api, hr_token):
    """A string attribute given another JSON type (an array, an object, a number) is a 400
    invalidValue in SCIM's error shape that changes nothing; it used to be stored as its JSON text."""
    tag = uuid.uuid4().hex[:8]
    r = scim(api, "POST", "/scim/v2/Users", hr_token, user_body(f"t{tag}", displayName=["x"]))
    assert_scim_error(r, 400, "invalidValue")
    assert scim(api, "GET", "/scim/v2/Users", hr_token,
                params={"filter": f'userName eq "scim-t{tag}@example.com"'}).body["totalResults"] == 0
    u = scim(api, "POST", "/scim/v2/Users", hr_token, user_body(tag)).body
    for ops in ([{"op": "replace", "path": "displayName", "value": ["x"]}],
                [{"op": "replace", "path": "name.givenName", "value": {"a": 1}}],
                [{"op": "replace", "path": f"{ENT}:department", "value": {"x": 1}}],
                [{"op": "replace", "value": {"title": 5}}],
                [{"op": "replace", "value": {f"{ENT}:department": ["Ops"]}}],
                [{"op": "replace", "value": {"name": "Sam"}}],
                [{"op": "replace", "path": "title", "value": "Fine"},
                 {"op": "replace", "path": "emails[type eq \"work\"].value", "value": {"v": 1}}]):
        assert_invalid_value_changes_nothing(api, hr_token, u["id"], u, scim_patch_ops(api, hr_token, u["id"], *ops))
    for over in ({"displayName": {"a": 1}}, {ENT: {"department": {"x": 1}}}, {"title": True}, {ENT: "Ops"}):
        r = scim(api, "PUT", f"/scim/v2/Users/{u['id']}", hr_token, user_body(tag, **over))
        assert_invalid_value_changes_nothing(api, hr_token, u["id"], u, r)
    emp = api.get(f"/v1/employees/{u['id']}", token=hr_token).body
    assert emp["display_name"] == f"Sam {tag}" and emp["department"] == f"Scim-{tag}", emp


def test_scim_refuses_control_characters_in_names(api, hr_token, make_pair):
    """A display name (or its parts), title or department with a control character (CR/LF, tab,
    DEL...) is a 400 invalidValue that changes nothing: a provisioned "Eve\\r\\nATTACH:..." used to be
    stored and then written into the partner's calendar invitation."""
    tag = uuid.uuid4().hex[:8]
    r = scim(api, "POST", "/scim/v2/Users", hr_token, user_body(f"c{tag}", name={"givenName": "a\nb", "familyName": "c"}))
    assert_scim_error(r, 400, "invalidValue")
    assert scim(api, "GET", "/scim/v2/Users", hr_token,
                params={"filter": f'userName eq "scim-c{tag}@example.com"'}).body["totalResults"] == 0
    pair = make_pair()
    uid = str(pair.mentor.id)
    before = scim(api, "GET", f"/scim/v2/Users/{uid}", hr_token).body
    for ops in ([{"op": "replace", "path": "displayName", "value": "Eve\r\nATTACH:https://evil.example/x.exe"}],
                [{"op": "replace", "path": "displayName", "value": "a\nb"}],
                [{"op": "replace", "path": f"{CORE}:displayName", "value": "a\tb"}],
                [{"op": "add", "path": "name.familyName", "value": "x\x7f"}],
                [{"op": "replace", "path": "title", "value": "Boss\x1b[31m"}],
                [{"op": "replace", "path": f"{ENT}:department", "value": "Ops\r\n"}],
                [{"op": "replace", "value": {"displayName": "Eve\nX"}}],
                [{"op": "replace", "value": {f"{ENT}:department": "D\x01"}}],
                [{"op": "replace", "value": {ENT: {"department": "D\n"}}}],
                [{"op": "replace", "value": {"name": {"givenName": "G\n"}}}]):
        assert_invalid_value_changes_nothing(api, hr_token, uid, before, scim_patch_ops(api, hr_token, uid, *ops))
    u = scim(api, "POST", "/scim/v2/Users", hr_token, user_body(tag)).body
    for over in ({"displayName": "Eve\r\nX"}, {"title": "T\n"}, {ENT: {"department": "x\ty"}}):
        assert_invalid_value_changes_nothing(api, hr_token, u["id"], u,
                                             scim(api, "PUT", f"/scim/v2/Users/{u['id']}", hr_token,
                                                  user_body(tag, **over)))
    # plain text from anywhere in the world is fine
    r = scim_patch_ops(api, hr_token, uid, {"op": "replace", "path": "displayName", "value": "Zoé O'Neill-Ñúñez 山田"})
    assert r.status == 200 and r.body["displayName"] == "Zoé O'Neill-Ñúñez 山田", r
    ics = api.get(f"/v1/me/pairs/{pair.id}/invite.ics", token=pair.mentee.token, validate=False)
    assert ics.status == 200 and not any(l.startswith("ATTACH:") for l in ics.text.split("\r\n")), ics.text[:500]

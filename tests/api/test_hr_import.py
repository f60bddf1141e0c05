"""HR import (POST /v1/employees/import): the HR system's CSV or JSON extract, dry run and apply,
idempotent re-apply, rejected rows with line and field, leavers of a full extract deactivated with
their pairs ended, and the reporting line taken from the imported manager. Runs against a tandemd
of its own: a full extract deactivates every earlier imported employee it lacks."""

import datetime as dt
import uuid

import pytest

from conftest import Client, Employee, Tandemd, assert_error, build_pairs, create_hr, make_state_dir, \
    unique_email, wait_round, today_utc


@pytest.fixture(scope="module")
def own():
    state_dir = make_state_dir("tandem-hrimport-test-")
    srv = Tandemd(["--state-dir", state_dir, "--max-import-bytes", "3000000"], state_dir, name="tandemd-hrimport")
    try:
        api = Client(srv.base_url)
        yield api, create_hr(state_dir)["token"]
    finally:
        srv.stop()


def post_csv(api, token, text, mode="partial", dry_run=None, ctype="text/csv", allow_mass=False):
    params = {"mode": mode}
    if dry_run is not None:
        params["dry_run"] = "true" if dry_run else "false"
    if allow_mass:
        params["allow_mass_deactivation"] = "true"
    return api.request("POST", "/v1/employees/import", token=token, data=text.encode("utf-8"),
                       headers={"Content-Type": ctype}, params=params)


def extract(rows, sep=",", header=("Employee ID", "Work Email", "First Name", "Last Name", "Department",
                                    "Location", "Job Title", "Time Zone", "Languages", "Manager ID")):
    def q(v):
        v = str(v)
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in (sep, '"', "\n")) else v
    return "\ufeff" + "\r\n".join(sep.join(q(v) for v in r) for r in [header] + list(rows)) + "\r\n"


def people(tag, n):
    rows = []
    for i in range(n):
        rows.append([f"{tag}-{i}", f"p{i}-{tag}@example.com", f"First{i}", f"Last {tag}", f"Dept-{tag}",
                     "Lyon", "Engineer", "Europe/Paris", "fr, en", f"{tag}-0" if i else ""])
    return rows


def test_import_dry_run_changes_nothing_then_apply_then_idempotent(own):
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    text = extract(people(tag, 5), sep=";")
    dry = post_csv(api, hr, text, dry_run=True)
    assert dry.status == 200, dry
    assert dry.body["dry_run"] is True and dry.body["counts"]["created"] == 5 and dry.body["import_id"] is None
    assert [c["line"] for c in dry.body["created"]] == [2, 3, 4, 5, 6]
    listed = api.get("/v1/employees", token=hr, params={"department": f"Dept-{tag}"}).body["items"]
    assert listed == [], "a dry run created employees"

    applied = post_csv(api, hr, text, dry_run=False)
    assert applied.status == 200, applied
    assert applied.body["counts"] == {"created": 5, "updated": 0, "unchanged": 0, "deactivated": 0, "rejected": 0}
    assert applied.body["import_id"] is not None
    listed = api.get("/v1/employees", token=hr, params={"department": f"Dept-{tag}"}).body["items"]
    assert len(listed) == 5
    first = next(e for e in listed if e["email"] == f"p1-{tag}@example.com")
    assert first["display_name"] == f"First1 Last {tag}" and first["site"] == "Lyon"
    assert first["timezone"] == "Europe/Paris" and first["languages"] == ["fr", "en"]
    assert first["job_title"] == "Engineer"

    again = post_csv(api, hr, text)
    assert again.status == 200, again
    assert again.body["counts"] == {"created": 0, "updated": 0, "unchanged": 5, "deactivated": 0, "rejected": 0}
    relisted = api.get("/v1/employees", token=hr, params={"department": f"Dept-{tag}"}).body["items"]
    assert relisted == listed, "re-applying the same file changed employees"

    # one field changed: one update, naming the field
    rows = people(tag, 5)
    rows[3][6] = "Staff Engineer"
    changed = post_csv(api, hr, extract(rows), dry_run=True)
    assert changed.body["counts"]["updated"] == 1, changed
    assert changed.body["updated"][0]["fields"] == ["job_title"] and changed.body["updated"][0]["line"] == 5


def test_import_rejects_rows_with_line_and_field(own):
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    rows = people(tag, 2) + [
        [f"{tag}-2", "not-an-email", "A", "B", "D", "", "", "UTC", "en", ""],
        [f"{tag}-3", f"p3-{tag}@example.com", "A", "B", "D", "", "", "Mars/Olympus", "en", ""],
        [f"{tag}-4", f"p4-{tag}@example.com", "A", "B", "D", "", "", "UTC", "english", ""],
        [f"{tag}-5", f"p5-{tag}@example.com", "A", "B", "D", "", "", "UTC", "en", "nobody-" + tag],
        [f"{tag}-0", f"dup-{tag}@example.com", "A", "B", "D", "", "", "UTC", "en", ""],
        [f"{tag}-7", f"p7-{tag}@example.com", "A", "B", "", "", "", "UTC", "en", ""],
    ]
    text = extract(rows) + "short,row\r\n"
    r = post_csv(api, hr, text, dry_run=True)
    assert r.status == 200, r
    got = {(x["line"], x["field"], x["code"]) for x in r.body["rejected"]}
    assert got == {(4, "email", "invalid_email"), (5, "timezone", "invalid_timezone"),
                   (6, "languages", "invalid_language"), (7, "manager", "unknown_manager"),
                   (8, "employee_id", "duplicate"), (9, "department", "required"),
                   (10, None, "wrong_field_count")}, r.body["rejected"]
    assert r.body["counts"]["created"] == 2 and r.body["counts"]["rejected"] == 7
    # applying imports the good rows only
    r = post_csv(api, hr, text, dry_run=False)
    assert r.body["counts"]["created"] == 2
    assert len(api.get("/v1/employees", token=hr, params={"department": f"Dept-{tag}"}).body["items"]) == 2


def test_import_file_errors(own):
    api, hr = own
    assert_error(post_csv(api, hr, "Email,Department\r\na@x.com,D\r\n"), 400, "missing_column", "employee_id")
    assert_error(post_csv(api, hr, "id,email,name,department\r\n1,\"a@x.com,D\r\n"), 400, "malformed_csv")
    assert_error(post_csv(api, hr, "id,email,name,work email,department\r\n"), 400, "duplicate_column", "email")
    assert_error(post_csv(api, hr, extract(people("m", 1)), mode="everything"), 400, "invalid_parameter", "mode")
    r = api.request("POST", "/v1/employees/import", token=hr, data=b"x", headers={"Content-Type": "text/csv"})
    assert_error(r, 400, "invalid_parameter", "mode")
    assert_error(post_csv(api, hr, extract(people("m", 1)), ctype="application/xml"), 415, "unsupported_media_type")
    r = api.request("POST", "/v1/employees/import", token=hr, data=b"id,email,name,department\r\n1,\xff@x.com,N,D\r\n",
                    headers={"Content-Type": "text/csv"}, params={"mode": "partial", "dry_run": "true"})
    assert r.status == 200 and r.body["rejected"] == [
        {"line": 2, "field": "email", "code": "invalid_encoding", "message": r.body["rejected"][0]["message"]}], r


def test_import_json_extract(own):
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    body = {"employees": [
        {"employee_id": f"{tag}-boss", "email": f"boss-{tag}@example.com", "display_name": "Boss",
         "department": f"Dept-{tag}", "timezone": "UTC", "languages": ["en"]},
        {"employee_id": f"{tag}-r", "email": f"r-{tag}@example.com", "display_name": "Report",
         "department": f"Dept-{tag}", "manager": f"boss-{tag}@example.com", "languages": "de"},
        {"employee_id": 7, "email": f"x-{tag}@example.com", "display_name": "X", "department": "D"}]}
    r = api.request("POST", "/v1/employees/import", token=hr, json_body=body, params={"mode": "partial"})
    assert r.status == 200, r
    assert r.body["counts"]["created"] == 2 and r.body["rejected"][0]["line"] == 3
    assert r.body["rejected"][0]["field"] == "employee_id"
    items = api.get("/v1/employees", token=hr, params={"department": f"Dept-{tag}"}).body["items"]
    rep = next(e for e in items if e["display_name"] == "Report")
    assert rep["languages"] == ["de"] and rep["timezone"] == "UTC"  # the default for HR data


def test_full_extract_deactivates_leaver_and_ends_their_pair(own):
    api, hr = own
    pair = build_pairs(api, hr, [{}])[0]
    tag = uuid.uuid4().hex[:8]
    # the mentor is in the HR system (adopted by email), so is a colleague
    rows = [[f"{tag}-m", pair.mentor.profile["email"], "Mentor", tag, pair.mentor.profile["department"],
             "", "", "UTC", "en", ""],
            [f"{tag}-c", f"colleague-{tag}@example.com", "Col", tag, f"Dept-{tag}", "", "", "UTC", "en", ""]]
    r = post_csv(api, hr, extract(rows))
    assert r.status == 200 and r.body["counts"]["updated"] == 1, r
    assert "employee_id" in r.body["updated"][0]["fields"]
    # the next full extract lacks the mentor: a dry run names them, changes nothing (this server has
    # other tests' imported employees, absent from the file too: a mass deactivation to confirm)
    full = extract(rows[1:])
    dry = post_csv(api, hr, full, mode="full", dry_run=True, allow_mass=True)
    assert dry.status == 200, dry
    leavers = {d["email"]: d for d in dry.body["deactivated"]}
    assert pair.mentor.profile["email"] in leavers and leavers[pair.mentor.profile["email"]]["pairs_ended"] == 1
    assert api.get(f"/v1/pairs/{pair.id}", token=hr).body["status"] == "active"
    assert api.get("/v1/me", token=pair.mentor.token).status == 200
    # applied: deactivated, pair ended cleanly, tokens revoked
    r = post_csv(api, hr, full, mode="full", allow_mass=True)
    assert pair.mentor.profile["email"] in {d["email"] for d in r.body["deactivated"]}
    p = api.get(f"/v1/pairs/{pair.id}", token=hr).body
    assert p["status"] == "ended" and p["ended_by"] == "leaver", p
    assert api.get("/v1/me", token=pair.mentor.token).status == 401
    assert api.get("/v1/me", token=pair.mentee.token).status == 200
    assert all(i["status"] != "active" for i in api.get("/v1/me/pairs", token=pair.mentee.token).body["items"])
    # idempotent: the same full extract again deactivates nobody more
    r = post_csv(api, hr, full, mode="full")
    assert r.body["counts"]["deactivated"] == 0 and r.body["counts"]["updated"] == 0, r.body["counts"]


def test_reporting_line_comes_from_the_imported_manager(own):
    """Two would-be pairs in one round, each mentor and manager fit on skill and slot. Pair A: the HR
    system says the mentor reports to that manager: never paired. Pair B: the mentor self-declared that
    manager as theirs, but the HR system gives another manager: paired (HR data wins)."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    sides = {}
    for name, skill, day, declared in (("a", "linkedin", "mon", None), ("b", "short_video", "tue", True)):
        dept_m, dept_e = f"M-{name}-{tag}", f"E-{name}-{tag}"
        mentee_email = unique_email(f"mgr{name}-{tag}")
        made = {}
        for role, dept, email in (("mentee", dept_e, mentee_email), ("mentor", dept_m, unique_email(f"jr{name}-{tag}"))):
            body = dict(email=email, display_name=f"{role} {name} {tag}", department=dept, site="", job_title="",
                        timezone="UTC", languages=["en"], role=role, mentor_capacity=1, leaderboard_opt_in=False,
                        manager_email=mentee_email if (role == "mentor" and declared) else None)
            r = api.post("/v1/employees", body)
            assert r.status == 201, r
            emp = Employee(r.body["employee"], r.body["token"])
            if role == "mentor":
                assert api.put("/v1/me/teaching", {"skills": [{"skill": skill, "level": 5}]}, token=emp.token).status == 200
            else:
                assert api.put("/v1/me/learning", {"goals": [{"skill": skill, "current_level": 0, "priority": 1}]},
                               token=emp.token).status == 200
            assert api.put("/v1/me/availability", {"slots": [{"day": day, "start": "09:00", "end": "10:00"}]},
                           token=emp.token).status == 200
            made[role] = (emp, dept)
        sides[name] = made
    boss = f"boss-{tag}@example.com"
    a_mentor, a_mentee, b_mentor, b_mentee = (sides["a"]["mentor"], sides["a"]["mentee"],
                                              sides["b"]["mentor"], sides["b"]["mentee"])
    rows = [[f"{tag}-am", a_mentor[0].profile["email"], "A", "Mentor", a_mentor[1], "", "", "UTC", "en", f"{tag}-ae"],
            [f"{tag}-ae", a_mentee[0].profile["email"], "A", "Manager", a_mentee[1], "", "", "UTC", "en", ""],
            [f"{tag}-bm", b_mentor[0].profile["email"], "B", "Mentor", b_mentor[1], "", "", "UTC", "en", f"{tag}-boss"],
            [f"{tag}-boss", boss, "The", "Boss", f"Boss-{tag}", "", "", "UTC", "en", ""]]
    r = post_csv(api, hr, extract(rows))
    assert r.status == 200 and r.body["counts"]["rejected"] == 0, r
    depts = sorted({a_mentor[1], a_mentee[1], b_mentor[1], b_mentee[1]})
    today = today_utc()
    r = api.post("/v1/rounds", {"name": f"Lines {tag}", "filter": {"departments": depts, "sites": []},
                                "starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=90)).isoformat()},
                 token=hr)
    assert r.status == 202, r
    rd = wait_round(api, hr, r.body["id"])
    assert rd["status"] == "solved", rd
    pairs = {(p["mentor"]["id"], p["mentee"]["id"]) for p in api.get(f"/v1/rounds/{rd['id']}", token=hr).body["pairs"]}
    assert (a_mentor[0].id, a_mentee[0].id) not in pairs, "paired a manager with their own report (HR data)"
    assert (b_mentor[0].id, b_mentee[0].id) in pairs, "the self-declared manager won over the HR system's"
    api.post(f"/v1/rounds/{rd['id']}/cancel", token=hr)


def test_import_body_limit_is_its_own(own):
    """An extract above --max-body-bytes (1 MiB) is accepted by the import; above --max-import-bytes it is
    413, and other routes keep the 1 MiB limit."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    header = ("Employee ID", "Email", "Name", "Department", "Notes")
    rows = [[f"{tag}-{i}", f"big{i}-{tag}@example.com", f"N{i}", "D", "x" * 6000] for i in range(200)]
    text = extract(rows, header=header)
    assert 1048576 < len(text) < 3000000
    r = post_csv(api, hr, text, dry_run=True)
    assert r.status == 200 and r.body["counts"]["created"] == 200, r
    r = post_csv(api, hr, text * 3, dry_run=True)
    assert_error(r, 413, "body_too_large")
    big = {"skills": [], "pad": "x" * 1100000}
    assert_error(api.put("/v1/me/teaching", big, token=hr), 413, "body_too_large")


def test_bulk_import_has_its_own_statement_timeout():
    """A whole group's extract used to have to fit in --statement-timeout-ms (5 s), meant for the
    interactive requests: imports now run on each loop's bulk connection under
    --bulk-statement-timeout-ms. With a 1 ms interactive limit a 3,000-row apply still succeeds;
    with a 1 ms bulk limit it is a 503 timeout and changes nothing."""
    tag = uuid.uuid4().hex[:8]
    text = extract(people(tag, 3000))
    for flags, ok in ((["--statement-timeout-ms", "1"], True), (["--bulk-statement-timeout-ms", "1"], False)):
        state_dir = make_state_dir("tandem-hrimport-bulk-")
        srv = Tandemd(["--state-dir", state_dir, "--max-import-bytes", "3000000"] + flags, state_dir,
                      name="tandemd-hrimport-bulk")
        try:
            api = Client(srv.base_url)
            hr = create_hr(state_dir)["token"]
            r = post_csv(api, hr, text, dry_run=False)
            if ok:
                assert r.status == 200 and r.body["counts"]["created"] == 3000, r
            else:
                assert_error(r, 503, "timeout")
                listed = api.get("/v1/employees", token=hr, params={"department": f"Dept-{tag}"})
                assert listed.status == 200 and listed.body["items"] == [], listed
        finally:
            srv.stop()


def post_json(api, token, employees, mode="partial", **params):
    return api.request("POST", "/v1/employees/import", token=token, json_body={"employees": employees},
                       params={"mode": mode, **params})


def simple_csv(rows):
    return "employee_id,email,display_name,department\r\n" + "".join(r + "\r\n" for r in rows)


def test_full_import_keeps_a_person_whose_row_has_a_stray_comma(own):
    """A full extract where Bob's name was exported unquoted with a comma: his row is rejected
    (wrong_field_count) but still names him, so he is no leaver; Cy, absent, still is."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    people3 = [f"A{tag},a-{tag}@example.com,Ann A,Dept-{tag}", f"B{tag},b-{tag}@example.com,Bob B,Dept-{tag}",
               f"C{tag},c-{tag}@example.com,Cy C,Dept-{tag}"]
    r = post_csv(api, hr, simple_csv(people3))
    assert r.status == 200 and r.body["counts"]["created"] == 3, r
    bad = simple_csv([people3[0], f"B{tag},b-{tag}@example.com,Bob, B,Dept-{tag}"])
    d = post_csv(api, hr, bad, mode="full", dry_run=True, allow_mass=True)
    assert d.status == 200, d
    assert [(x["line"], x["code"]) for x in d.body["rejected"]] == [(3, "wrong_field_count")], d.body["rejected"]
    gone = [x["email"] for x in d.body["deactivated"]]
    assert f"b-{tag}@example.com" not in gone, "a person whose row was rejected is treated as a leaver"
    assert f"a-{tag}@example.com" not in gone and f"c-{tag}@example.com" in gone, gone
    assert d.body["leavers_withheld"] is None, d.body["leavers_withheld"]


def test_full_json_import_with_numeric_ids_keeps_everyone_listed(own):
    """A JSON extract typing the ids as numbers: every row is rejected (employee_id must be a string)
    but each still names its person (the number's text, the email), so none of them is a leaver."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    n = int(uuid.uuid4().int % 10**9)
    rows = [{"employee_id": str(n + i), "email": f"k{i}-{tag}@example.com", "display_name": f"K {i}",
             "department": f"K-{tag}"} for i in range(4)]
    r = post_json(api, hr, rows)
    assert r.status == 200 and r.body["counts"]["created"] == 4, r
    listed = rows[:3]
    for x in listed:
        x["employee_id"] = int(x["employee_id"])  # the HR system's JSON export types ids as numbers
    listed[2]["email"] = 42  # and this one's email is garbage: the id still names the person
    d = post_json(api, hr, listed, mode="full", dry_run="true", allow_mass_deactivation="true")
    assert d.status == 200, d
    assert {(x["line"], x["code"]) for x in d.body["rejected"]} == {(1, "invalid_value"), (2, "invalid_value"),
                                                                   (3, "invalid_value")}, d.body["rejected"]
    mine = [x["email"] for x in d.body["deactivated"] if tag in x["email"]]
    assert mine == [f"k3-{tag}@example.com"], mine
    assert d.body["leavers_withheld"] is None


def test_full_import_with_an_unidentifiable_rejected_row_deactivates_nobody(own):
    """A rejected row that names nobody (no id, no email, or a malformed row none of whose cells is a
    known id or email) may have meant anyone: the rest is applied, no leaver is processed, and the
    report says why (leavers_withheld)."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    base = [f"A{tag},a-{tag}@example.com,Ann A,Dept-{tag}", f"B{tag},b-{tag}@example.com,Bob B,Dept-{tag}"]
    assert post_csv(api, hr, simple_csv(base)).body["counts"]["created"] == 2
    for extra, line in ((f",,Bob B,Dept-{tag}", 3), (f"B{tag}x,b-{tag}x@example,Bob, B,Dept-{tag}", 3)):
        d = post_csv(api, hr, simple_csv([base[0], extra]), mode="full", dry_run=True, allow_mass=True)
        assert d.status == 200, d
        assert d.body["deactivated"] == [] and d.body["counts"]["deactivated"] == 0, d.body["deactivated"][:3]
        held = d.body["leavers_withheld"]
        assert held["code"] == "unidentified_rejected_rows" and held["lines"] == [line], held
        assert f"b-{tag}@example.com" in [x["email"] for x in held["would_deactivate"]], held
    # JSON: an item that is not an object
    d = post_json(api, hr, [{"employee_id": f"A{tag}", "email": f"a-{tag}@example.com", "display_name": "Ann A",
                             "department": f"Dept-{tag}"}, "Bob B"], mode="full", dry_run="true",
                  allow_mass_deactivation="true")
    assert d.status == 200 and d.body["deactivated"] == [], d
    assert d.body["leavers_withheld"]["lines"] == [2], d.body["leavers_withheld"]
    # applied: the good rows are, nobody is deactivated
    d = post_csv(api, hr, simple_csv([f"A{tag},a-{tag}@example.com,Ann Renamed,Dept-{tag}", ",,?,?"]), mode="full",
                 allow_mass=True)
    assert d.status == 200 and d.body["counts"]["updated"] == 1 and d.body["counts"]["deactivated"] == 0, d
    items = api.get("/v1/employees", token=hr, params={"department": f"Dept-{tag}"}).body["items"]
    assert sorted(e["display_name"] for e in items) == ["Ann Renamed", "Bob B"], items


def test_full_import_that_would_deactivate_a_large_share_needs_a_confirmation(own):
    """A full extract that would deactivate more than 10 % of the imported active employees (and more
    than 3) deactivates nobody unless allow_mass_deactivation=true: a truncated or wrong file."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    rows = [f"M{tag}{i},m{i}-{tag}@example.com,M {i},Dept-{tag}" for i in range(6)]
    assert post_csv(api, hr, simple_csv(rows)).body["counts"]["created"] == 6
    d = post_csv(api, hr, simple_csv(rows[:1]), mode="full", dry_run=True)
    assert d.status == 200 and d.body["deactivated"] == [], d.body["deactivated"][:3]
    held = d.body["leavers_withheld"]
    assert held["code"] == "mass_deactivation" and held["lines"] == [], held
    assert {f"m{i}-{tag}@example.com" for i in range(1, 6)} <= {x["email"] for x in held["would_deactivate"]}
    d = post_csv(api, hr, simple_csv(rows[:1]), mode="full", dry_run=True, allow_mass=True)
    assert d.body["leavers_withheld"] is None
    assert {f"m{i}-{tag}@example.com" for i in range(1, 6)} <= {x["email"] for x in d.body["deactivated"]}
    assert_error(api.request("POST", "/v1/employees/import", token=hr, data=simple_csv(rows[:1]).encode(),
                             headers={"Content-Type": "text/csv"},
                             params={"mode": "full", "allow_mass_deactivation": "yes"}),
                 400, "invalid_parameter", "allow_mass_deactivation")


def test_import_refuses_control_characters_in_names(own):
    """A name, department, site or job title with a control character (CR/LF, tab, NUL...) is a
    rejected row (invalid_value, with its field): such text would break calendar invitations."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    header = ("Employee ID", "Email", "Display Name", "Department", "Site", "Job Title")
    rows = [[f"{tag}-0", f"c0-{tag}@example.com", "Eve\r\nATTACH:https://evil.example/x", "D", "", ""],
            [f"{tag}-1", f"c1-{tag}@example.com", "Eve", "D\x07", "", ""],
            [f"{tag}-2", f"c2-{tag}@example.com", "Eve", "D", "Ly\ton", ""],
            [f"{tag}-3", f"c3-{tag}@example.com", "Eve", "D", "", "Boss\x7f"],
            [f"{tag}-4", f"c4-{tag}@example.com", "Eve Ok", f"Dept-{tag}", "Lyon", "Boss"]]
    r = post_csv(api, hr, extract(rows, header=header))
    assert r.status == 200, r
    got = [(x["line"], x["field"], x["code"]) for x in r.body["rejected"]]
    assert got == [(2, "display_name", "invalid_value"), (4, "department", "invalid_value"),
                   (5, "site", "invalid_value"), (6, "job_title", "invalid_value")], r.body["rejected"]
    assert r.body["counts"]["created"] == 1
    j = post_json(api, hr, [{"employee_id": f"{tag}-j", "email": f"cj-{tag}@example.com", "first_name": "Eve\n",
                             "last_name": "X", "department": "D"}])
    assert [(x["line"], x["field"], x["code"]) for x in j.body["rejected"]] == [(1, "first_name", "invalid_value")]
    assert j.body["counts"]["created"] == 0


def test_full_import_keeps_people_whose_rows_are_unreadable_but_name_them(own):
    """A row whose name is not UTF-8 still names its person by the id beside it; a JSON item that is
    an array instead of an object, by its texts: neither is a leaver, and the run's other leavers are
    processed (the rows name someone)."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    base = [f"A{tag},a-{tag}@example.com,Ann A,Dept-{tag}", f"B{tag},b-{tag}@example.com,Bob B,Dept-{tag}",
            f"C{tag},c-{tag}@example.com,Cy C,Dept-{tag}"]
    assert post_csv(api, hr, simple_csv(base)).body["counts"]["created"] == 3
    latin1 = simple_csv(base[:1]).encode() + f"B{tag},b-{tag}@example.com,Bj\xf6rn B,Dept-{tag}\r\n".encode("latin-1")
    d = api.request("POST", "/v1/employees/import", token=hr, data=latin1, headers={"Content-Type": "text/csv"},
                    params={"mode": "full", "dry_run": "true", "allow_mass_deactivation": "true"})
    assert d.status == 200 and [x["code"] for x in d.body["rejected"]] == ["invalid_encoding"], d
    gone = [x["email"] for x in d.body["deactivated"]]
    assert f"b-{tag}@example.com" not in gone and f"c-{tag}@example.com" in gone, gone
    d = post_json(api, hr, [{"employee_id": f"A{tag}", "email": f"a-{tag}@example.com", "display_name": "Ann A",
                             "department": f"Dept-{tag}"}, [f"B{tag}", "Bob B"]], mode="full", dry_run="true",
                  allow_mass_deactivation="true")
    assert d.status == 200 and d.body["leavers_withheld"] is None, d
    gone = [x["email"] for x in d.body["deactivated"]]
    assert f"b-{tag}@example.com" not in gone and f"c-{tag}@example.com" in gone, gone


def test_full_import_malformed_row_naming_only_someone_else_holds_the_leavers(own):
    """A malformed row whose own id and email cells (allowing for the shift its stray separator
    makes) name nobody, but whose manager cell names Ann, does not name its person: Ann is kept, and
    no leaver is processed (Bob, whose row it may be, is not deactivated)."""
    api, hr = own
    tag = uuid.uuid4().hex[:8]
    head = "employee_id,email,display_name,department,manager\r\n"
    base = [f"A{tag},a-{tag}@example.com,Ann A,Dept-{tag},", f"B{tag},b-{tag}@example.com,Bob B,Dept-{tag},A{tag}"]
    r = post_csv(api, hr, head + "".join(x + "\r\n" for x in base))
    assert r.status == 200 and r.body["counts"]["created"] == 2, r
    bad = head + f"Bx{tag},,Bob, B,Dept-{tag},A{tag}\r\n"
    d = post_csv(api, hr, bad, mode="full", dry_run=True, allow_mass=True)
    assert d.status == 200 and d.body["deactivated"] == [], d.body["deactivated"][:3]
    held = d.body["leavers_withheld"]
    assert held["code"] == "unidentified_rejected_rows" and held["lines"] == [2], held
    would = [x["email"] for x in held["would_deactivate"]]
    assert f"b-{tag}@example.com" in would and f"a-{tag}@example.com" not in would, would

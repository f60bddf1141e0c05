"""HR review of a matching round (issue 3): explanations, pins, forbidden pairs, weights, re-solve with
minimal disruption, cancel, infeasible pins, and recovery of a round left "solving" by a crash."""

import re
import subprocess
import uuid

import pytest

from conftest import assert_error
from conftest import wait_round as wait_settled

pytestmark = [pytest.mark.rounds]

SLOT = {"day": "tue", "start": "10:00", "end": "12:00"}




class Cohort:
    """Employees in departments of their own, so a round filtered on them sees nobody else."""

    def __init__(self, api):
        self.api = api
        self.tag = uuid.uuid4().hex[:8]
        self.depts = set()

    def person(self, role, dept, teaches=(), learns=(), languages=("fr",), slot=SLOT, tz="Europe/Paris",
               manager_email=None, capacity=1):
        dept = f"{dept}-{self.tag}"
        self.depts.add(dept)
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": email, "display_name": f"{role} {self.tag}", "department": dept, "timezone": tz,
                "languages": list(languages), "role": role, "mentor_capacity": capacity}
        if manager_email:
            body["manager_email"] = manager_email
        r = self.api.post("/v1/employees", body)
        assert r.status == 201, r
        tok = r.body["token"]
        if teaches:
            assert self.api.put("/v1/me/teaching", {"skills": [{"skill": s, "level": lv} for s, lv in teaches]},
                                token=tok).status == 200
        if learns:
            assert self.api.put("/v1/me/learning", {"goals": [{"skill": s, "current_level": lv, "priority": p}
                                                             for s, lv, p in learns]}, token=tok).status == 200
        if slot:
            assert self.api.put("/v1/me/availability", {"slots": [slot]}, token=tok).status == 200
        return {"id": r.body["employee"]["id"], "token": tok, "email": email}

    def round(self, hr_token, **extra):
        body = {"name": f"Review {self.tag}", "filter": {"departments": sorted(self.depts), "sites": []}}
        body.update(extra)
        r = self.api.post("/v1/rounds", body, token=hr_token)
        assert r.status == 202, r
        return wait_settled(self.api, hr_token, r.body["id"])


def pairs_of(detail):
    return sorted((p["mentor"]["id"], p["mentee"]["id"]) for p in detail["pairs"])


def test_pairs_are_explained_and_unmatched_have_reasons(api, hr_token):
    c = Cohort(api)
    m = c.person("mentor", "IT", teaches=[("linkedin", 5)])
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 1)])
    lonely = c.person("mentee", "Sales", learns=[("linkedin", 1, 1)], languages=("de",))
    rd = c.round(hr_token)
    assert rd["status"] == "solved" and rd["result"]["solver_status"] == "optimal", rd
    detail = api.get(f"/v1/rounds/{rd['id']}", token=hr_token).body
    assert pairs_of(detail) == [(m["id"], e["id"])]
    pair = detail["pairs"][0]
    # skill gain: priority 1 (weighs 3) x (5 - 1) x weight 1; cross-department bonus 4; 2 h overlap capped at 4 h x 0.5
    assert pair["breakdown"]["skill_gain"] == pytest.approx(12.0)
    assert pair["breakdown"]["cross_department"] == pytest.approx(4.0)
    assert pair["breakdown"]["overlap"] == pytest.approx(1.0)
    assert pair["score"] == pytest.approx(17.0)
    assert pair["skills"] == ["linkedin"]
    assert pair["proposed_slot"]["mentee_local"] == {"day": "tue", "start": "10:00", "end": "11:00"}
    assert [u["mentee"]["id"] for u in detail["unmatched"]] == [lonely["id"]]
    reason = detail["unmatched"][0]
    assert reason["reason"] == "no_candidate" and reason["rule_counts"]["language"] == 1, reason


def test_reporting_line_is_never_paired(api, hr_token):
    c = Cohort(api)
    boss = c.person("mentee", "Ops", learns=[("ai_assistants", 0, 2)])
    c.person("mentor", "Ops", teaches=[("ai_assistants", 4)], manager_email=boss["email"])
    rd = c.round(hr_token)
    detail = api.get(f"/v1/rounds/{rd['id']}", token=hr_token).body
    assert detail["pairs"] == []
    assert detail["unmatched"][0]["rule_counts"]["reporting_line"] == 1, detail["unmatched"]


def test_peers_under_one_manager_are_not_paired_unless_the_round_allows_it(api, hr_token):
    """A mentor and a manager who report to the same manager (peers in one team) are kept apart by
    default (exclude_same_manager, counted under reporting_line); a round may allow them."""
    c = Cohort(api)
    boss = c.person("mentor", "Ops", slot=None)  # teaches nothing: in no pool
    manager = c.person("mentee", "Ops", learns=[("ai_assistants", 0, 2)], manager_email=boss["email"])
    peer = c.person("mentor", "Data", teaches=[("ai_assistants", 4)], manager_email=boss["email"])
    rd = c.round(hr_token)
    assert rd["exclude_same_manager"] is True, rd
    detail = api.get(f"/v1/rounds/{rd['id']}", token=hr_token).body
    assert detail["pairs"] == []
    assert detail["unmatched"][0]["rule_counts"]["reporting_line"] == 1, detail["unmatched"]
    rd = c.round(hr_token, exclude_same_manager=False)
    assert rd["exclude_same_manager"] is False, rd
    assert pairs_of(api.get(f"/v1/rounds/{rd['id']}", token=hr_token).body) == [(peer["id"], manager["id"])]
    assert_error(api.post("/v1/rounds", {"name": "x", "exclude_same_manager": "no"}, token=hr_token), 400,
                 "invalid_type", "exclude_same_manager")


def test_pin_forbid_resolve_and_publish(api, hr_token):
    c = Cohort(api)
    strong = c.person("mentor", "IT", teaches=[("linkedin", 5)])
    weak = c.person("mentor", "Data", teaches=[("linkedin", 3)])
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 3)])
    rd = c.round(hr_token)
    rid = rd["id"]
    assert pairs_of(api.get(f"/v1/rounds/{rid}", token=hr_token).body) == [(strong["id"], e["id"])]

    # HR forbids the best pair: the re-solve takes the other mentor
    r = api.put(f"/v1/rounds/{rid}/forbidden", {"forbidden": [{"mentor_id": strong["id"], "mentee_id": e["id"]}]},
                token=hr_token)
    assert r.status == 200 and r.body["status"] == "draft", r
    assert api.post(f"/v1/rounds/{rid}/solve", {"keep_previous": False}, token=hr_token).status == 202
    detail = wait_settled(api, hr_token, rid)
    assert pairs_of(detail) == [(weak["id"], e["id"])]

    # pins win over scores; pins and forbidden lists are replaced as a whole
    assert api.put(f"/v1/rounds/{rid}/forbidden", {"forbidden": []}, token=hr_token).status == 200
    assert api.put(f"/v1/rounds/{rid}/pins", {"pins": [{"mentor_id": weak["id"], "mentee_id": e["id"]}]},
                   token=hr_token).status == 200
    assert api.post(f"/v1/rounds/{rid}/solve", token=hr_token).status == 202
    detail = wait_settled(api, hr_token, rid)
    assert pairs_of(detail) == [(weak["id"], e["id"])]

    # publish: every pair becomes active at once; a published round is frozen
    p = api.post(f"/v1/rounds/{rid}/publish", token=hr_token)
    assert p.status == 200 and p.body["status"] == "published"
    assert [x["partner"]["id"] for x in api.get("/v1/me/pairs", token=e["token"]).body["items"]] == [weak["id"]]
    assert_error(api.post(f"/v1/rounds/{rid}/solve", token=hr_token), 409, "conflict")
    assert_error(api.post(f"/v1/rounds/{rid}/cancel", token=hr_token), 409, "conflict")


def test_resolve_keeps_previous_pairs_on_ties(api, hr_token):
    """Two equally good mentors: after a weight change that does not favour either, the re-solve keeps the
    earlier pair (minimal disruption) rather than flipping on the tie-break."""
    c = Cohort(api)
    a = c.person("mentor", "IT", teaches=[("linkedin", 4)])
    b = c.person("mentor", "IT", teaches=[("linkedin", 4)])
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 2)])
    rd = c.round(hr_token)
    first = pairs_of(api.get(f"/v1/rounds/{rd['id']}", token=hr_token).body)
    assert first in ([(a["id"], e["id"])], [(b["id"], e["id"])])
    # pin the other mentor once, so the previous solution is the one not preferred by ids
    other = b["id"] if first[0][0] == a["id"] else a["id"]
    api.put(f"/v1/rounds/{rd['id']}/pins", {"pins": [{"mentor_id": other, "mentee_id": e["id"]}]}, token=hr_token)
    api.post(f"/v1/rounds/{rd['id']}/solve", token=hr_token)
    assert pairs_of(wait_settled(api, hr_token, rd["id"])) == [(other, e["id"])]
    api.put(f"/v1/rounds/{rd['id']}/pins", {"pins": []}, token=hr_token)
    r = api.patch(f"/v1/rounds/{rd['id']}", {"weights": {"cross_department": 5}}, token=hr_token)
    assert r.status == 200 and r.body["weights"]["cross_department"] == 5 and r.body["weights"]["skill_gain"] == 1
    api.post(f"/v1/rounds/{rd['id']}/solve", {"keep_previous": True}, token=hr_token)
    settled = wait_settled(api, hr_token, rd["id"])
    assert pairs_of(settled) == [(other, e["id"])]
    # issue 7: the count of kept pairs was always null
    assert settled["result"]["kept_from_previous"] == 1, settled["result"]


def test_a_pin_breaking_a_hard_rule_never_fails_the_solve(api, hr_token):
    """A pin the API accepted used to fail the next solve ('pin 117 -> 110 breaks hard rule ...'). The solve
    now leaves such a pin out, pairs everyone else, and the round's warnings say why, naming people."""
    c = Cohort(api)
    m = c.person("mentor", "IT", teaches=[("linkedin", 5)], languages=("de",))
    other = c.person("mentor", "Data", teaches=[("linkedin", 4)])
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 3)])
    r = api.post("/v1/rounds", {"name": "Bad pin", "filter": {"departments": sorted(c.depts), "sites": []},
                                "solve": False}, token=hr_token)
    rid = r.body["id"]
    assert api.put(f"/v1/rounds/{rid}/pins", {"pins": [{"mentor_id": m["id"], "mentee_id": e["id"]}]},
                   token=hr_token).status == 200
    assert api.post(f"/v1/rounds/{rid}/solve", token=hr_token).status == 202
    rd = wait_settled(api, hr_token, rid)
    assert rd["status"] == "solved", rd
    assert pairs_of(rd) == [(other["id"], e["id"])]
    w, = rd["warnings"]
    assert w["code"] == "pin_not_applied" and (w["mentor_id"], w["mentee_id"]) == (m["id"], e["id"]), w
    assert m["email"] in w["message"] and e["email"] in w["message"] and '"language"' in w["message"], w
    assert api.post(f"/v1/rounds/{rid}/publish", token=hr_token).status == 200


def test_pins_that_cannot_all_hold_are_refused(api, hr_token):
    """A manager pinned twice, or a mentor pinned beyond their capacity, made the solve infeasible."""
    c = Cohort(api)
    m = c.person("mentor", "IT", teaches=[("linkedin", 5)], capacity=1)
    m2 = c.person("mentor", "Data", teaches=[("linkedin", 5)])
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 3)])
    e2 = c.person("mentee", "Ops", learns=[("linkedin", 1, 3)])
    rid = api.post("/v1/rounds", {"name": "Pins", "filter": {"departments": sorted(c.depts), "sites": []},
                                  "solve": False}, token=hr_token).body["id"]
    twice = [{"mentor_id": m["id"], "mentee_id": e["id"]}, {"mentor_id": m2["id"], "mentee_id": e["id"]}]
    r = api.put(f"/v1/rounds/{rid}/pins", {"pins": twice}, token=hr_token)
    assert_error(r, 422, "invalid_value", "pins[1].mentee_id")
    assert e["email"] in r.body["message"]
    over = [{"mentor_id": m["id"], "mentee_id": e["id"]}, {"mentor_id": m["id"], "mentee_id": e2["id"]}]
    r = api.put(f"/v1/rounds/{rid}/pins", {"pins": over}, token=hr_token)
    assert_error(r, 422, "invalid_value", "pins[1].mentor_id")
    assert m["email"] in r.body["message"]
    assert api.get(f"/v1/rounds/{rid}", token=hr_token).body["pins"] == []


def test_cancel(api, hr_token):
    c = Cohort(api)
    c.person("mentor", "IT", teaches=[("linkedin", 5)])
    rd = c.round(hr_token)
    r = api.post(f"/v1/rounds/{rd['id']}/cancel", token=hr_token)
    assert r.status == 200 and r.body["status"] == "cancelled"
    assert_error(api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token), 409, "conflict")
    assert_error(api.post(f"/v1/rounds/{rd['id']}/solve", token=hr_token), 409, "conflict")


def test_pins_must_name_employees(api, hr_token):
    c = Cohort(api)
    m = c.person("mentor", "IT", teaches=[("linkedin", 5)])
    rd = c.round(hr_token)
    assert_error(api.put(f"/v1/rounds/{rd['id']}/pins", {"pins": [{"mentor_id": m["id"], "mentee_id": 999999999}]},
                         token=hr_token), 400, "invalid_value", "pins[0].mentee_id")
    assert_error(api.put(f"/v1/rounds/{rd['id']}/pins", {"pins": [{"mentor_id": m["id"], "mentee_id": m["id"]}]},
                         token=hr_token), 400, "invalid_value")


def test_pins_a_solve_could_not_use_are_refused_at_once(api, hr_token):
    """A mentor outside the round's filter, or a manager as mentor, used to be accepted and then fail the next
    solve with 'instance.pins[0]: unknown mentor "287"'. They are refused with 422 naming the field and the
    person; nothing changes."""
    c = Cohort(api)
    m = c.person("mentor", "IT", teaches=[("linkedin", 5)])
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 3)])
    e2 = c.person("mentee", "Ops", learns=[("linkedin", 1, 3)])
    outsider = Cohort(api).person("mentor", "Elsewhere", teaches=[("linkedin", 5)])
    rd = c.round(hr_token)
    rid = rd["id"]
    before = api.get(f"/v1/rounds/{rid}", token=hr_token).body
    cases = [
        ([{"mentor_id": outsider["id"], "mentee_id": e["id"]}], "pins[0].mentor_id", outsider["email"]),
        ([{"mentor_id": m["id"], "mentee_id": e["id"]}, {"mentor_id": e2["id"], "mentee_id": e["id"]}],
         "pins[1].mentor_id", e2["email"]),
        ([{"mentor_id": m["id"], "mentee_id": outsider["id"]}], "pins[0].mentee_id", outsider["email"]),
    ]
    for pins, field, email in cases:
        r = api.put(f"/v1/rounds/{rid}/pins", {"pins": pins}, token=hr_token)
        assert_error(r, 422, "invalid_value", field)
        assert email in r.body["message"], r.body
        ids = {str(x["id"]) for x in (m, e, e2, outsider)}
        assert not ids & set(re.findall(r"\b\d+\b", r.body["message"].replace(email, ""))[1:]), \
            f"message names an internal id: {r.body['message']}"
        fb = api.put(f"/v1/rounds/{rid}/forbidden", {"forbidden": pins}, token=hr_token)
        assert_error(fb, 422, "invalid_value", field.replace("pins", "forbidden"))
    after = api.get(f"/v1/rounds/{rid}", token=hr_token).body
    assert (after["status"], after["pins"], after["forbidden"]) == (before["status"], before["pins"], before["forbidden"])
    # a valid pin is still accepted and the solve honours it
    assert api.put(f"/v1/rounds/{rid}/pins", {"pins": [{"mentor_id": m["id"], "mentee_id": e2["id"]}]},
                   token=hr_token).status == 200
    assert api.post(f"/v1/rounds/{rid}/solve", token=hr_token).status == 202
    done = wait_settled(api, hr_token, rid)
    assert done["status"] == "solved" and (m["id"], e2["id"]) in pairs_of(done), done


def test_kept_from_previous_counts_the_pairs_a_resolve_kept(api, hr_token):
    """result.kept_from_previous used to be null even after a re-solve that kept every pair."""
    c = Cohort(api)
    for i in range(2):
        c.person("mentor", f"IT{i}", teaches=[("linkedin", 5)])
        c.person("mentee", f"Sales{i}", learns=[("linkedin", 1, 3)])
    rd = c.round(hr_token)
    assert rd["result"]["kept_from_previous"] is None, rd["result"]
    first = pairs_of(rd)
    assert len(first) == 2
    assert api.post(f"/v1/rounds/{rd['id']}/solve", {"keep_previous": True}, token=hr_token).status == 202
    again = wait_settled(api, hr_token, rd["id"])
    assert pairs_of(again) == first
    assert all(p["kept"] is True for p in again["pairs"]), again["pairs"]
    assert again["result"]["kept_from_previous"] == 2, again["result"]


def test_publish_conflict_names_the_person(api, hr_token):
    """A manager paired by a round published meanwhile used to be named 'employee 292'."""
    c = Cohort(api)
    c.person("mentor", "IT", teaches=[("linkedin", 5)], capacity=2)
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 3)])
    a, b = c.round(hr_token), c.round(hr_token)
    assert api.post(f"/v1/rounds/{a['id']}/publish", token=hr_token).status == 200
    r = api.post(f"/v1/rounds/{b['id']}/publish", token=hr_token)
    assert_error(r, 409, "conflict", "pairs")
    assert e["email"] in r.body["message"] and f"employee {e['id']}" not in r.body["message"], r.body


def test_round_left_solving_by_a_crash_is_solved_again(api, hr_token, server):
    """A solver that died mid-solve leaves the round "solving"; whichever tandemd next holds the solve
    lock solves it again (never half-published)."""
    c = Cohort(api)
    m = c.person("mentor", "IT", teaches=[("linkedin", 5)])
    e = c.person("mentee", "Sales", learns=[("linkedin", 1, 3)])
    rd = c.round(hr_token)
    conninfo = f"host={server.state_dir}/run dbname=tandem user=tandem"
    out = subprocess.run(["psql", conninfo, "-v", "ON_ERROR_STOP=1", "-Atc",
                          f"UPDATE rounds SET status = 'solving', solution = NULL WHERE id = {rd['id']} RETURNING id"],
                         capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert api.get(f"/v1/rounds/{rd['id']}", token=hr_token).body["status"] == "solving"
    again = wait_settled(api, hr_token, rd["id"])
    assert again["status"] == "solved" and pairs_of(again) == [(m["id"], e["id"])]


def test_round_validation_errors(api, hr_token):
    cases = [
        ({"name": "x", "objective": "most"}, "objective"),
        ({"name": "x", "reference_week": "2026-12-01"}, "reference_week"),  # a Tuesday
        ({"name": "x", "starts_on": "2027-01-10", "ends_on": "2027-01-01"}, "ends_on"),
        ({"name": "x", "weights": {"skill_gain": -1}}, "weights.skill_gain"),
        ({"name": "x", "constraints": {"min_department_share": 2}}, "constraints.min_department_share"),
        ({"name": "x", "session_minutes": 5}, "session_minutes"),
    ]
    before = len(api.get("/v1/rounds", token=hr_token).body["items"])
    for body, field in cases:
        assert_error(api.post("/v1/rounds", body, token=hr_token), 400, {"invalid_value", "invalid_type"}, field)
    assert len(api.get("/v1/rounds", token=hr_token).body["items"]) == before

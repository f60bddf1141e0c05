"""The tandem-match CLI contract (issue 3): instances and results match api-spec/matcher-*.schema.json,
bad instances exit 2 with nothing on stdout, and random explicit-edges instances reach the same optimum
as an independent reference (scipy's linear_sum_assignment, capacities expanded)."""

import json
import os
import random
import subprocess

import jsonschema
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
TANDEM_MATCH = os.path.abspath(os.environ.get("TANDEM_MATCH") or os.path.join(REPO, "tandem-match"))


def schema(name):
    with open(os.path.join(REPO, "api-spec", name), encoding="utf-8") as f:
        return jsonschema.Draft202012Validator(json.load(f))


INSTANCE = schema("matcher-instance.schema.json")
RESULT = schema("matcher-result.schema.json")


def solve(instance, raw=None):
    data = raw if raw is not None else json.dumps(instance).encode()
    if raw is None:
        INSTANCE.validate(instance)
    return subprocess.run([TANDEM_MATCH], input=data, capture_output=True, timeout=120)


def solved(instance):
    proc = solve(instance)
    assert proc.returncode == 0, proc.stderr.decode()
    out = json.loads(proc.stdout)
    RESULT.validate(out)
    return out


def test_explicit_edges_optimum_and_lexicographic_objective():
    # greedy on the best edge (m1-e1, 10) leaves e2 alone; most matched first takes m1-e2 + m2-e1
    inst = {"objective": "max_matched_then_score",
            "mentors": [{"id": "m1", "capacity": 1}, {"id": "m2", "capacity": 1}],
            "mentees": [{"id": "e1"}, {"id": "e2"}],
            "edges": [{"mentor": "m1", "mentee": "e1", "score": 10}, {"mentor": "m1", "mentee": "e2", "score": 3},
                      {"mentor": "m2", "mentee": "e1", "score": 2}]}
    out = solved(inst)
    assert out["status"] == "optimal" and out["matched"] == 2 and out["objective"] == pytest.approx(5)
    assert sorted((p["mentor"], p["mentee"]) for p in out["pairs"]) == [("m1", "e2"), ("m2", "e1")]
    inst["objective"] = "max_score"
    out = solved(inst)
    assert out["matched"] == 1 and out["objective"] == pytest.approx(10)


@pytest.mark.parametrize("raw,why", [
    (b"not json", "malformed"),
    (b'{"mentors": [{"id": "m1", "capacity": -1}], "mentees": [], "edges": []}', "negative capacity"),
    (b'{"mentors": [{"id": "m1", "capacity": 1}, {"id": "m1", "capacity": 1}], "mentees": [], "edges": []}',
     "duplicate id"),
    (b'{"mentors": [{"id": "m1", "capacity": 1}], "mentees": [{"id": "e1"}],'
     b' "edges": [{"mentor": "m9", "mentee": "e1", "score": 1}]}', "unknown id"),
    (b'{"mentors": [{"id": "m1", "capacity": 1}], "mentees": [{"id": "e1"}],'
     b' "edges": [{"mentor": "m1", "mentee": "e1", "score": "high"}]}', "non-number"),
])
def test_bad_instances_exit_2_with_nothing_on_stdout(raw, why):
    proc = solve(None, raw=raw)
    assert proc.returncode == 2, why
    assert proc.stdout == b"", why
    assert proc.stderr.strip(), why


def reference_optimum(inst):
    """Best total score and matched count by scipy, capacities expanded into mentor copies."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    copies = [m["id"] for m in inst["mentors"] for _ in range(m["capacity"])]
    mentees = [e["id"] for e in inst["mentees"]]
    score = {(e["mentor"], e["mentee"]): e["score"] for e in inst["edges"]}
    big = 1e6 if inst["objective"] == "max_matched_then_score" else 0.0
    w = np.full((len(mentees), len(copies)), -1e12)
    for i, e in enumerate(mentees):
        for j, m in enumerate(copies):
            if (m, e) in score:
                w[i, j] = score[(m, e)] + big
    # a dummy column per mentee lets a mentee stay unmatched at zero
    w = np.hstack([w, np.where(np.eye(len(mentees)) > 0, 0.0, -1e12)])
    rows, cols = linear_sum_assignment(w, maximize=True)
    matched = [(i, j) for i, j in zip(rows, cols) if j < len(copies) and w[i, j] > -1e11]
    return sum(score[(copies[j], mentees[i])] for i, j in matched), len(matched)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("objective", ["max_matched_then_score", "max_score"])
def test_random_instances_match_the_reference(seed, objective):
    rng = random.Random(seed)
    mentors = [{"id": f"m{i}", "capacity": rng.randint(1, 3)} for i in range(rng.randint(3, 12))]
    mentees = [{"id": f"e{i}"} for i in range(rng.randint(3, 20))]
    edges = [{"mentor": m["id"], "mentee": e["id"], "score": round(rng.uniform(0, 20), 2)}
             for m in mentors for e in mentees if rng.random() < 0.35]
    inst = {"objective": objective, "mentors": mentors, "mentees": mentees, "edges": edges}
    out = solved(inst)
    ref_objective, ref_matched = reference_optimum(inst)
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(ref_objective, abs=1e-6)
    if objective == "max_matched_then_score":
        assert out["matched"] == ref_matched
    load = {}
    for p in out["pairs"]:
        load[p["mentor"]] = load.get(p["mentor"], 0) + 1
    caps = {m["id"]: m["capacity"] for m in mentors}
    assert all(load[m] <= caps[m] for m in load)
    assert len({p["mentee"] for p in out["pairs"]}) == len(out["pairs"])
    allowed = {(e["mentor"], e["mentee"]) for e in edges}
    assert all((p["mentor"], p["mentee"]) in allowed for p in out["pairs"])


def test_domain_form_explains_pairs_and_converts_time_zones():
    """A Paris mentor free Monday 09:00-11:00 and a New York manager free Monday 03:00-05:00 (each in
    their own time) overlap at 08:00-10:00 UTC in a winter week; the result shows each side's local slot."""
    slot_m = [{"day": "mon", "start": "09:00", "end": "11:00"}]
    slot_e = [{"day": "mon", "start": "03:00", "end": "05:00"}]
    inst = {"objective": "max_matched_then_score", "reference_week": "2026-11-30", "session_minutes": 60,
            "weights": {"skill_gain": 1, "cross_department": 4, "overlap_per_hour": 0.5, "overlap_cap_hours": 4,
                        "previously_unmatched": 2},
            "mentors": [{"id": "m", "department": "IT", "team": "t1", "timezone": "Europe/Paris",
                         "languages": ["en", "fr"], "capacity": 1, "teaches": [{"skill": "linkedin", "level": 4}],
                         "availability": slot_m}],
            "mentees": [{"id": "e", "department": "Sales", "team": "t2", "timezone": "America/New_York",
                         "languages": ["en"], "goals": [{"skill": "linkedin", "current_level": 1, "priority": 2}],
                         "availability": slot_e, "previously_unmatched": True}],
            "reporting_lines": [], "history": [], "pins": [], "forbidden": [], "keep": []}
    out = solved(inst)
    assert out["status"] == "optimal" and out["matched"] == 1
    pair = out["pairs"][0]
    # gain 2 x (4 - 1) = 6, cross-department 4, 2 h overlap (08:00-10:00 UTC) x 0.5, previously unmatched 2
    assert pair["breakdown"] == pytest.approx({"skill_gain": 6, "cross_department": 4, "overlap": 1,
                                               "previously_unmatched": 2})
    assert pair["score"] == pytest.approx(13)
    assert pair["proposed_slot"]["anchor"] == "mentee" and pair["proposed_slot"]["every_week"] is True
    assert pair["proposed_slot"]["valid_weeks"] == [{"from": "2026-11-30", "to": "2026-12-06"}]
    assert pair["proposed_slot"]["utc"] == {"day": "mon", "start": "08:00", "end": "09:00"}
    assert pair["proposed_slot"]["mentor_local"] == {"day": "mon", "start": "09:00", "end": "10:00"}
    assert pair["proposed_slot"]["mentee_local"] == {"day": "mon", "start": "03:00", "end": "04:00"}


def test_priority_one_is_the_most_wanted_goal():
    """Issue 7: a manager wants esn_posting at priority 1 and video_meetings at priority 3; with one
    level-4 mentor for each, the esn_posting mentor wins (priority weights 3, 2, 1)."""
    slot = [{"day": "tue", "start": "10:00", "end": "11:00"}]
    person = {"timezone": "Europe/Paris", "languages": ["en"], "availability": slot}
    inst = {"reference_week": "2026-11-30", "session_minutes": 60,
            "mentors": [dict(person, id="video", capacity=1, teaches=[{"skill": "video_meetings", "level": 4}]),
                        dict(person, id="esn", capacity=1, teaches=[{"skill": "esn_posting", "level": 4}])],
            "mentees": [dict(person, id="boss", goals=[{"skill": "esn_posting", "current_level": 0, "priority": 1},
                                                       {"skill": "video_meetings", "current_level": 0, "priority": 3}])]}
    out = solved(inst)
    assert [(p["mentor"], p["mentee"]) for p in out["pairs"]] == [("esn", "boss")]
    assert out["pairs"][0]["breakdown"]["skill_gain"] == pytest.approx(12)  # weight 3 x (4 - 0)
    inst["mentees"][0]["goals"][1]["priority"] = 4
    assert solve(inst, raw=json.dumps(inst).encode()).returncode == 2


def test_availability_holds_in_every_week_of_the_round():
    """Issue 7: over March-November 2026 New York (clocks change March 8, November 1), Paris (March 29,
    October 25) and Singapore (never) drift by an hour for weeks. A pair is feasible only if a weekly
    meeting anchored in the manager's zone fits both people in every week; a pin that fits only some
    weeks is kept and says which."""
    def inst(m_tz, m_slot, e_tz, e_slot, pin=False):
        return {"session_minutes": 60, "starts_on": "2026-03-02", "ends_on": "2026-11-29",
                "mentors": [{"id": "m", "timezone": m_tz, "languages": ["en"], "capacity": 1,
                             "teaches": [{"skill": "x", "level": 4}], "availability": [m_slot]}],
                "mentees": [{"id": "e", "timezone": e_tz, "languages": ["en"],
                             "goals": [{"skill": "x", "current_level": 1}], "availability": [e_slot]}],
                "pins": [{"mentor": "m", "mentee": "e"}] if pin else []}
    ny_mon9 = {"day": "mon", "start": "09:00", "end": "10:00"}
    paris_15 = {"day": "mon", "start": "15:00", "end": "16:00"}
    out = solved(inst("Europe/Paris", paris_15, "America/New_York", ny_mon9))
    assert out["matched"] == 0 and out["unmatched"][0]["rule_counts"]["availability"] == 1
    # the same pair in one winter week only is fine
    one_week = inst("Europe/Paris", paris_15, "America/New_York", ny_mon9)
    del one_week["starts_on"], one_week["ends_on"]
    one_week["reference_week"] = "2026-11-30"
    assert solved(one_week)["matched"] == 1
    slot = solved(inst("Europe/Paris", paris_15, "America/New_York", ny_mon9, pin=True))["pairs"][0]["proposed_slot"]
    assert slot["every_week"] is False and slot["mentee_local"] == {"day": "mon", "start": "09:00", "end": "10:00"}
    assert slot["valid_weeks"] == [{"from": "2026-03-02", "to": "2026-03-08"}, {"from": "2026-03-30", "to": "2026-10-25"},
                                   {"from": "2026-11-02", "to": "2026-11-29"}]
    # Singapore has no clock change: 08:00-10:00 there holds a New York Sunday 20:00 meeting all year
    pair = solved(inst("Asia/Singapore", {"day": "mon", "start": "08:00", "end": "10:00"},
                       "America/New_York", {"day": "sun", "start": "20:00", "end": "21:00"}))["pairs"][0]
    slot = pair["proposed_slot"]
    assert slot["every_week"] is True and slot["valid_weeks"] == [{"from": "2026-03-02", "to": "2026-11-29"}]
    # first week: Sunday March 8 20:00 EDT = Monday 00:00 UTC = Monday 08:00 in Singapore
    assert slot["utc"]["day"] == "mon" and slot["utc"]["start"] == "00:00"
    assert slot["mentor_local"] == {"day": "mon", "start": "08:00", "end": "09:00"}
    # overlap in the worst week: one hour (winter: 09:00-10:00 only), x 0.5
    assert pair["breakdown"]["overlap"] == pytest.approx(0.5)
    slot = solved(inst("Asia/Singapore", {"day": "tue", "start": "16:00", "end": "17:00"},
                       "Europe/Paris", {"day": "tue", "start": "09:00", "end": "10:00"}, pin=True))["pairs"][0]["proposed_slot"]
    assert slot["valid_weeks"] == [{"from": "2026-03-02", "to": "2026-03-29"}, {"from": "2026-10-26", "to": "2026-11-29"}]


def test_issues_are_machine_readable_and_kept_pairs_are_counted():
    """Issue 7: HR must read names, so each matcher problem carries a code and the ids (the server renders
    the names); stats.kept counts the pairs found again from the previous solution."""
    person = {"timezone": "UTC", "languages": ["en"], "availability": [{"day": "tue", "start": "10:00", "end": "11:00"}]}
    inst = {"reference_week": "2026-11-30", "session_minutes": 60,
            "mentors": [dict(person, id="117", capacity=1, teaches=[{"skill": "x", "level": 4}]),
                        dict(person, id="118", capacity=1, teaches=[{"skill": "x", "level": 4}])],
            "mentees": [dict(person, id="110", goals=[{"skill": "x", "current_level": 1}]),
                        dict(person, id="111", goals=[{"skill": "x", "current_level": 1}])],
            "reporting_lines": [{"id": "117", "manager": "110"}],
            "pins": [{"mentor": "117", "mentee": "110"}]}
    out = solved(inst)
    assert out["status"] == "infeasible"
    assert out["issues"] == [{"level": "error", "code": "pin_breaks_rule", "mentor": "117", "mentee": "110",
                              "rule": "reporting_line", "message": 'pin 117 -> 110 breaks hard rule "reporting_line"'}]
    # the server's instances ask for such pins to be left out: the solve then succeeds with a warning
    out = solved(dict(inst, drop_pins_breaking_rules=True))
    assert out["status"] == "optimal" and out["matched"] == 2, out
    assert out["issues"] == [{"level": "warning", "code": "pin_breaks_rule", "mentor": "117", "mentee": "110",
                              "rule": "reporting_line",
                              "message": 'pin 117 -> 110 breaks hard rule "reporting_line": left out'}]
    assert ("117", "110") not in {(p["mentor"], p["mentee"]) for p in out["pairs"]}
    inst["pins"] = []
    inst["keep"] = [{"mentor": "118", "mentee": "110"}, {"mentor": "117", "mentee": "111"}]
    out = solved(inst)
    assert out["stats"]["kept"] == 2 and out["issues"] == []
    assert all(p["kept"] for p in out["pairs"])


def test_a_mentors_giving_score_weighs_only_when_the_round_asks():
    """Issue 11: a round can weigh a mentor's ESN giving score (weights.giving, off by default). Two mentors
    equal in everything but their giving score: without the weight the tie goes by the usual order; with it
    the giver wins, and the breakdown says how much giving added."""
    person = {"timezone": "UTC", "languages": ["en"], "availability": [{"day": "tue", "start": "10:00", "end": "11:00"}]}
    base = {"reference_week": "2026-11-30", "session_minutes": 60,
            "mentors": [dict(person, id="1", capacity=1, teaches=[{"skill": "x", "level": 4}], giving_score=0),
                        dict(person, id="2", capacity=1, teaches=[{"skill": "x", "level": 4}], giving_score=10)],
            "mentees": [dict(person, id="9", goals=[{"skill": "x", "current_level": 1}])]}
    off = solved(base)
    assert "giving" not in off["pairs"][0]["breakdown"]
    on = solved(dict(base, weights={"giving": 0.5}))
    pair, = on["pairs"]
    assert pair["mentor"] == "2" and pair["breakdown"]["giving"] == pytest.approx(5.0), pair
    assert pair["score"] == pytest.approx(sum(pair["breakdown"].values()))
    assert on["objective"] == pytest.approx(off["objective"] + 5.0)

"""PUT/GET /v1/me/teaching, /v1/me/learning, /v1/me/availability: happy paths, sorting and validation."""

import pytest

from conftest import assert_error

TEACHING = {"skills": [{"skill": "short_video", "level": 2}, {"skill": "linkedin", "level": 4}]}
LEARNING = {"goals": [{"skill": "esn_posting", "current_level": 1, "priority": 1},
                      {"skill": "ai_assistants", "current_level": 0, "priority": 3}]}
AVAIL = {"slots": [{"day": "wed", "start": "16:00", "end": "17:00"},
                   {"day": "mon", "start": "14:00", "end": "15:00"},
                   {"day": "mon", "start": "09:00", "end": "10:30"},
                   {"day": "sun", "start": "23:00", "end": "24:00"}]}


def test_teaching_roundtrip_sorted(api, employee):
    r = api.put("/v1/me/teaching", TEACHING, token=employee.token)
    assert r.status == 200, r
    want = [{"skill": "linkedin", "level": 4}, {"skill": "short_video", "level": 2}]
    assert r.body == {"skills": want}
    assert api.get("/v1/me/teaching", token=employee.token).body == {"skills": want}
    assert api.get("/v1/me", token=employee.token).body["teaching"] == want


def test_learning_roundtrip_sorted(api, employee):
    r = api.put("/v1/me/learning", LEARNING, token=employee.token)
    assert r.status == 200, r
    want = sorted(LEARNING["goals"], key=lambda g: g["skill"])
    assert r.body == {"goals": want}
    assert api.get("/v1/me/learning", token=employee.token).body == {"goals": want}
    assert api.get("/v1/me", token=employee.token).body["learning"] == want


def test_availability_roundtrip_sorted(api, employee):
    r = api.put("/v1/me/availability", AVAIL, token=employee.token)
    assert r.status == 200, r
    want = [{"day": "mon", "start": "09:00", "end": "10:30"}, {"day": "mon", "start": "14:00", "end": "15:00"},
            {"day": "wed", "start": "16:00", "end": "17:00"}, {"day": "sun", "start": "23:00", "end": "24:00"}]
    assert r.body == {"slots": want}
    assert api.get("/v1/me/availability", token=employee.token).body == {"slots": want}
    assert api.get("/v1/me", token=employee.token).body["availability"] == want


def test_lists_start_empty(api, employee):
    assert api.get("/v1/me/teaching", token=employee.token).body == {"skills": []}
    assert api.get("/v1/me/learning", token=employee.token).body == {"goals": []}
    assert api.get("/v1/me/availability", token=employee.token).body == {"slots": []}


def test_put_replaces_and_empty_clears(api, employee):
    api.put("/v1/me/teaching", TEACHING, token=employee.token)
    r = api.put("/v1/me/teaching", {"skills": [{"skill": "podcasting_x", "level": 1}]}, token=employee.token)
    assert r.status == 400  # unknown skill: old list must survive
    assert len(api.get("/v1/me/teaching", token=employee.token).body["skills"]) == 2
    r = api.put("/v1/me/teaching", {"skills": [{"skill": "video_meetings", "level": 5}]}, token=employee.token)
    assert r.body == {"skills": [{"skill": "video_meetings", "level": 5}]}
    assert api.put("/v1/me/teaching", {"skills": []}, token=employee.token).body == {"skills": []}
    assert api.put("/v1/me/availability", {"slots": []}, token=employee.token).body == {"slots": []}
    assert api.put("/v1/me/learning", {"goals": []}, token=employee.token).body == {"goals": []}


def test_touching_slots_and_same_time_other_days_are_fine(api, employee):
    body = {"slots": [{"day": "mon", "start": "09:00", "end": "10:00"}, {"day": "mon", "start": "10:00", "end": "11:00"},
                      {"day": "tue", "start": "09:00", "end": "10:00"}, {"day": "sat", "start": "00:00", "end": "24:00"}]}
    r = api.put("/v1/me/availability", body, token=employee.token)
    assert r.status == 200, r
    assert len(r.body["slots"]) == 4


def test_limits_inclusive(api, employee):
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    slots = [{"day": days[i % 7], "start": f"{i // 7:02d}:00", "end": f"{i // 7:02d}:45"} for i in range(50)]
    r = api.put("/v1/me/availability", {"slots": slots}, token=employee.token)
    assert r.status == 200, r
    assert len(r.body["slots"]) == 50
    r = api.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 1}, {"skill": "esn_posting", "level": 5}]},
                token=employee.token)
    assert r.status == 200, r
    r = api.put("/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 5, "priority": 3},
                                              {"skill": "esn_posting", "current_level": 0, "priority": 1}]},
                token=employee.token)
    assert r.status == 200, r


def slot(day, start, end):
    return {"day": day, "start": start, "end": end}


OK_SLOT = slot("mon", "09:00", "10:00")
MANY_SLOTS = [slot(d, f"{h:02d}:00", f"{h:02d}:30") for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
              for h in range(8)]  # 56

INVALID = [
    # teaching
    ("t_missing_skills", "/v1/me/teaching", {}, "missing_field", "skills"),
    ("t_unknown_top", "/v1/me/teaching", {"skills": [], "extra": 1}, "unknown_field", "extra"),
    ("t_skills_not_array", "/v1/me/teaching", {"skills": {"skill": "linkedin", "level": 1}}, "invalid_type", "skills"),
    ("t_item_not_object", "/v1/me/teaching", {"skills": ["linkedin"]}, "invalid_type", "skills[0]"),
    ("t_level_zero", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 0}]}, "invalid_value", "skills[0].level"),
    ("t_level_six", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 3}, {"skill": "esn_posting", "level": 6}]},
     "invalid_value", "skills[1].level"),
    ("t_level_string", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": "4"}]}, "invalid_type", "skills[0].level"),
    ("t_level_float", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 2.5}]}, "invalid_type", "skills[0].level"),
    ("t_missing_level", "/v1/me/teaching", {"skills": [{"skill": "linkedin"}]}, "missing_field", "skills[0].level"),
    ("t_missing_skill", "/v1/me/teaching", {"skills": [{"level": 2}]}, "missing_field", "skills[0].skill"),
    ("t_item_unknown_field", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 2, "years": 3}]},
     "unknown_field", "skills[0].years"),
    ("t_unknown_skill", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 2}, {"skill": "juggling", "level": 2}]},
     "unknown_skill", "skills[1].skill"),
    ("t_skill_bad_slug", "/v1/me/teaching", {"skills": [{"skill": "LinkedIn", "level": 2}]},
     "unknown_skill", "skills[0].skill"),
    ("t_duplicate", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 2}, {"skill": "linkedin", "level": 3}]},
     "invalid_value", {"skills[1].skill", "skills[1]", "skills"}),
    ("t_too_many", "/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 1}] * 31}, "invalid_value", "skills"),
    # learning
    ("l_missing_goals", "/v1/me/learning", {}, "missing_field", "goals"),
    ("l_wrong_key", "/v1/me/learning", {"skills": []}, "unknown_field", "skills"),
    ("l_level_neg", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": -1, "priority": 1}]},
     "invalid_value", "goals[0].current_level"),
    ("l_level_six", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 6, "priority": 1}]},
     "invalid_value", "goals[0].current_level"),
    ("l_priority_zero", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 1, "priority": 0}]},
     "invalid_value", "goals[0].priority"),
    ("l_priority_four", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 1, "priority": 4}]},
     "invalid_value", "goals[0].priority"),
    ("l_priority_type", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 1, "priority": "high"}]},
     "invalid_type", "goals[0].priority"),
    ("l_missing_priority", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 1}]},
     "missing_field", "goals[0].priority"),
    ("l_unknown_skill", "/v1/me/learning", {"goals": [{"skill": "juggling", "current_level": 1, "priority": 1}]},
     "unknown_skill", "goals[0].skill"),
    ("l_duplicate", "/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 1, "priority": 1},
                                                  {"skill": "linkedin", "current_level": 2, "priority": 2}]},
     "invalid_value", {"goals[1].skill", "goals[1]", "goals"}),
    # availability
    ("a_missing_slots", "/v1/me/availability", {}, "missing_field", "slots"),
    ("a_bad_day", "/v1/me/availability", {"slots": [slot("monday", "09:00", "10:00")]}, "invalid_value", "slots[0].day"),
    ("a_day_upper", "/v1/me/availability", {"slots": [slot("Mon", "09:00", "10:00")]}, "invalid_value", "slots[0].day"),
    ("a_not_quarter", "/v1/me/availability", {"slots": [OK_SLOT, slot("tue", "09:10", "10:00")]},
     "invalid_value", "slots[1].start"),
    ("a_end_not_quarter", "/v1/me/availability", {"slots": [slot("tue", "09:00", "10:01")]}, "invalid_value", "slots[0].end"),
    ("a_bad_format", "/v1/me/availability", {"slots": [slot("tue", "9:00", "10:00")]}, "invalid_value", "slots[0].start"),
    ("a_seconds", "/v1/me/availability", {"slots": [slot("tue", "09:00:00", "10:00")]}, "invalid_value", "slots[0].start"),
    ("a_hour_25", "/v1/me/availability", {"slots": [slot("tue", "09:00", "25:00")]}, "invalid_value", "slots[0].end"),
    ("a_start_2400", "/v1/me/availability", {"slots": [slot("tue", "24:00", "24:00")]}, "invalid_value",
     {"slots[0].start", "slots[0]", "slots[0].end"}),
    ("a_end_2415", "/v1/me/availability", {"slots": [slot("tue", "23:00", "24:15")]}, "invalid_value", "slots[0].end"),
    ("a_start_eq_end", "/v1/me/availability", {"slots": [slot("tue", "10:00", "10:00")]}, "invalid_value",
     {"slots[0]", "slots[0].end", "slots[0].start"}),
    ("a_start_gt_end", "/v1/me/availability", {"slots": [slot("tue", "11:00", "10:00")]}, "invalid_value",
     {"slots[0]", "slots[0].end", "slots[0].start"}),
    ("a_time_type", "/v1/me/availability", {"slots": [{"day": "tue", "start": 900, "end": "10:00"}]},
     "invalid_type", "slots[0].start"),
    ("a_missing_end", "/v1/me/availability", {"slots": [{"day": "tue", "start": "09:00"}]}, "missing_field", "slots[0].end"),
    ("a_unknown_field", "/v1/me/availability", {"slots": [{"day": "tue", "start": "09:00", "end": "10:00", "tz": "UTC"}]},
     "unknown_field", "slots[0].tz"),
    ("a_overlap", "/v1/me/availability", {"slots": [slot("mon", "09:00", "10:00"), slot("mon", "09:30", "11:00")]},
     "overlapping_slots", {"slots[0]", "slots[1]"}),
    ("a_overlap_unsorted", "/v1/me/availability",
     {"slots": [slot("tue", "08:00", "09:00"), slot("mon", "09:30", "11:00"), slot("mon", "09:00", "10:00")]},
     "overlapping_slots", {"slots[1]", "slots[2]"}),
    ("a_contained", "/v1/me/availability", {"slots": [slot("fri", "09:00", "17:00"), slot("fri", "12:00", "13:00")]},
     "overlapping_slots", {"slots[0]", "slots[1]"}),
    ("a_identical", "/v1/me/availability", {"slots": [slot("fri", "09:00", "10:00"), slot("fri", "09:00", "10:00")]},
     "overlapping_slots", {"slots[0]", "slots[1]"}),
    ("a_too_many", "/v1/me/availability", {"slots": MANY_SLOTS[:51]}, "invalid_value", "slots"),
]


@pytest.mark.parametrize("case", INVALID, ids=[c[0] for c in INVALID])
def test_list_validation_writes_nothing(api, employee, case):
    _, path, body, code, field = case
    tok = employee.token
    api.put("/v1/me/teaching", {"skills": [{"skill": "esn_community", "level": 3}]}, token=tok)
    api.put("/v1/me/learning", {"goals": [{"skill": "security_hygiene", "current_level": 2, "priority": 2}]}, token=tok)
    api.put("/v1/me/availability", {"slots": [slot("thu", "13:00", "14:00")]}, token=tok)
    before = api.get("/v1/me", token=tok).body
    r = api.put(path, body, token=tok)
    assert_error(r, 400, code, field)
    after = api.get("/v1/me", token=tok).body
    assert after == before, "a rejected PUT changed the profile"

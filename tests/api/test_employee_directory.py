"""GET /v1/employees (HR): pagination with cursors and filters."""

import uuid

import pytest

from conftest import assert_error


def walk(api, token, params, limit):
    items, pages, cursor = [], 0, None
    while True:
        p = dict(params, limit=limit)
        if cursor is not None:
            p["cursor"] = cursor
        r = api.get("/v1/employees", token=token, params=p)
        assert r.status == 200, r
        assert len(r.body["items"]) <= limit
        items.extend(r.body["items"])
        pages += 1
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items, pages
        assert r.body["items"], "non-final page is empty"
        assert pages < 1000, "cursor loop"


@pytest.fixture(scope="module")
def cohort(api):
    """Six employees in a department of their own, with sites, roles and skills to filter on."""
    dept = "Dept-" + uuid.uuid4().hex[:10]
    site1, site2 = "Site-" + uuid.uuid4().hex[:6], "Site-" + uuid.uuid4().hex[:6]
    spec = [
        ("mentor", site1, [{"skill": "linkedin", "level": 4}], []),
        ("mentee", site2, [], [{"skill": "linkedin", "current_level": 0, "priority": 1}]),
        ("both", site1, [{"skill": "short_video", "level": 3}], [{"skill": "ai_assistants", "current_level": 1, "priority": 2}]),
        ("mentee", site1, [], []),
        ("mentor", site2, [{"skill": "ai_assistants", "level": 5}], []),
        ("both", site2, [], []),
    ]
    out = []
    for i, (role, site, teach, learn) in enumerate(spec):
        body = {"email": f"cohort-{i}-{uuid.uuid4().hex[:10]}@example.com", "display_name": f"Cohort {i}",
                "department": dept, "site": site, "timezone": "UTC", "languages": ["en"], "role": role}
        r = api.post("/v1/employees", body)
        assert r.status == 201, r
        tok = r.body["token"]
        if teach:
            assert api.put("/v1/me/teaching", {"skills": teach}, token=tok).status == 200
        if learn:
            assert api.put("/v1/me/learning", {"goals": learn}, token=tok).status == 200
        out.append(r.body["employee"])
    return {"dept": dept, "site1": site1, "site2": site2, "emps": out}


def ids(items):
    return [e["id"] for e in items]


def test_pagination_limit_2_covers_all_without_duplicates(api, hr_token, cohort):
    items, pages = walk(api, hr_token, {"department": cohort["dept"]}, 2)
    assert ids(items) == sorted(ids(cohort["emps"]))
    assert pages == 3
    assert len(set(ids(items))) == len(items)


def test_pagination_whole_table(api, hr_token, cohort):
    small, _ = walk(api, hr_token, {}, 7)
    big, pages = walk(api, hr_token, {}, 200)
    assert ids(small) == ids(big)
    assert ids(big) == sorted(set(ids(big))), "not ordered by id or duplicates"
    assert set(ids(cohort["emps"])) <= set(ids(big))


def test_default_limit_is_50(api, hr_token, make_employee):
    for _ in range(3):
        make_employee()
    r = api.get("/v1/employees", token=hr_token)
    assert r.status == 200
    total, _ = walk(api, hr_token, {}, 200)
    assert len(r.body["items"]) == min(50, len(total))
    if len(total) > 50:
        assert r.body["next_cursor"] is not None


def test_items_are_employees_without_lists(api, hr_token, cohort):
    r = api.get("/v1/employees", token=hr_token, params={"department": cohort["dept"]})
    for e in r.body["items"]:
        assert "teaching" not in e and "token" not in e


@pytest.mark.parametrize("params,expected_idx", [
    ({"role": "mentor"}, [0, 2, 4, 5]),
    ({"role": "mentee"}, [1, 2, 3, 5]),
    ({"role": "both"}, [2, 5]),
    ({"site": "@site1"}, [0, 2, 3]),
    ({"site": "@site2", "role": "mentor"}, [4, 5]),
    ({"skill": "linkedin"}, [0, 1]),
    ({"skill": "ai_assistants"}, [2, 4]),
    ({"skill": "short_video", "role": "mentee"}, [2]),
    ({"skill": "esn_posting"}, []),
])
def test_filters(api, hr_token, cohort, params, expected_idx):
    p = {"department": cohort["dept"]}
    for k, v in params.items():
        p[k] = cohort[v[1:]] if v.startswith("@") else v
    items, _ = walk(api, hr_token, p, 200)
    assert ids(items) == [cohort["emps"][i]["id"] for i in expected_idx]


def test_filter_unknown_department_is_empty(api, hr_token):
    r = api.get("/v1/employees", token=hr_token, params={"department": "No such " + uuid.uuid4().hex})
    assert r.status == 200 and r.body == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("params,field", [
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"limit": "2.5"}, "limit"),
    ({"role": "boss"}, "role"),
    ({"cursor": "definitely-not-a-cursor"}, "cursor"),
    ({"skill": "Not A Slug"}, "skill"),
    ({"department": b"\xff"}, "department"),  # invalid UTF-8 used to reach PostgreSQL: 500 (22021)
    ({"site": b"\xc3\x28"}, "site"),
])
def test_bad_parameters(api, hr_token, params, field):
    assert_error(api.get("/v1/employees", token=hr_token, params=params), 400, "invalid_parameter", field)


def test_filters_survive_cursor(api, hr_token, cohort):
    items, pages = walk(api, hr_token, {"department": cohort["dept"], "role": "mentor"}, 1)
    assert len(items) == 4 and pages == 4


def test_filter_values_are_url_decoded(api, hr_token):
    dept = "R&D / Öps+" + uuid.uuid4().hex[:6]
    r = api.post("/v1/employees", {"email": f"rd-{uuid.uuid4().hex[:10]}@example.com", "display_name": "RD",
                                   "department": dept, "site": "Saint-Étienne & co", "timezone": "UTC",
                                   "languages": ["fr"], "role": "mentee"})
    assert r.status == 201, r
    got = api.get("/v1/employees", token=hr_token, params={"department": dept, "site": "Saint-Étienne & co"}).body
    assert [e["id"] for e in got["items"]] == [r.body["employee"]["id"]]


def test_skill_filter_lists_teacher_and_learner_of_same_skill_once(api, hr_token):
    dept = "Same-" + uuid.uuid4().hex[:8]
    r = api.post("/v1/employees", {"email": f"same-{uuid.uuid4().hex[:10]}@example.com", "display_name": "Same",
                                   "department": dept, "timezone": "UTC", "languages": ["fr"], "role": "both"})
    tok = r.body["token"]
    assert api.put("/v1/me/teaching", {"skills": [{"skill": "linkedin", "level": 3}]}, token=tok).status == 200
    assert api.put("/v1/me/learning", {"goals": [{"skill": "linkedin", "current_level": 3, "priority": 1}]},
                   token=tok).status == 200
    got = api.get("/v1/employees", token=hr_token, params={"department": dept, "skill": "linkedin"}).body
    assert [e["id"] for e in got["items"]] == [r.body["employee"]["id"]]

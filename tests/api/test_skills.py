"""Skills catalogue: listing, HR creation, duplicates, retiring."""

import uuid

import pytest

from conftest import SEEDED_SKILLS, assert_error


def new_slug(prefix="sk"):
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def test_list_skills_seeded_and_sorted(api):
    r = api.get("/v1/skills")
    assert r.status == 200
    slugs = [s["slug"] for s in r.body["items"]]
    assert slugs == sorted(slugs)
    assert set(SEEDED_SKILLS) <= set(slugs)
    assert all(s["active"] for s in r.body["items"])
    names = {s["slug"]: s["name"] for s in r.body["items"]}
    assert names["esn_posting"] == "Posting on the enterprise social network"
    assert names["esn_community"] == "Animating an ESN community"


def test_create_skill(api, hr_token):
    slug = new_slug()
    r = api.post("/v1/skills", {"slug": slug, "name": "Sketchnoting", "description": "Visual notes"}, token=hr_token)
    assert r.status == 201, r
    assert r.body == {"slug": slug, "name": "Sketchnoting", "description": "Visual notes", "active": True}
    listed = {s["slug"]: s for s in api.get("/v1/skills").body["items"]}
    assert listed[slug] == r.body


def test_create_skill_description_defaults_to_empty(api, hr_token):
    slug = new_slug()
    r = api.post("/v1/skills", {"slug": slug, "name": "No description"}, token=hr_token)
    assert r.status == 201, r
    assert r.body["description"] == ""


def test_create_skill_duplicate_is_409(api, hr_token):
    slug = new_slug()
    assert api.post("/v1/skills", {"slug": slug, "name": "One"}, token=hr_token).status == 201
    assert_error(api.post("/v1/skills", {"slug": slug, "name": "Two"}, token=hr_token), 409, "skill_exists", "slug")
    assert_error(api.post("/v1/skills", {"slug": "linkedin", "name": "Again"}, token=hr_token), 409, "skill_exists", "slug")
    listed = {s["slug"]: s for s in api.get("/v1/skills").body["items"]}
    assert listed[slug]["name"] == "One"


@pytest.mark.parametrize("body,code,field", [
    ({"name": "No slug"}, "missing_field", "slug"),
    ({"slug": "no_name_" + "x"}, "missing_field", "name"),
    ({"slug": "Upper", "name": "X"}, "invalid_value", "slug"),
    ({"slug": "1abc", "name": "X"}, "invalid_value", "slug"),
    ({"slug": "a", "name": "X"}, "invalid_value", "slug"),
    ({"slug": "a" * 41, "name": "X"}, "invalid_value", "slug"),
    ({"slug": "has-dash", "name": "X"}, "invalid_value", "slug"),
    ({"slug": 5, "name": "X"}, "invalid_type", "slug"),
    ({"slug": "ok_slug_q", "name": ""}, "invalid_value", "name"),
    ({"slug": "ok_slug_r", "name": "X", "active": False}, "unknown_field", "active"),
    ({"slug": "ok_slug_s", "name": "X", "description": 3}, "invalid_type", "description"),
])
def test_create_skill_validation(api, hr_token, body, code, field):
    assert_error(api.post("/v1/skills", body, token=hr_token), 400, code, field)
    if isinstance(body.get("slug"), str):
        all_slugs = {s["slug"] for s in api.get("/v1/skills", params={"include_inactive": "true"}).body["items"]}
        assert body["slug"] not in all_slugs


def test_slug_length_limits_inclusive(api, hr_token):
    two = "q" + uuid.uuid4().hex[0]                 # 2 chars: the minimum (may exist from an earlier run)
    forty = "z" + uuid.uuid4().hex + "a" * 7        # 40 chars: the maximum
    assert len(two) == 2 and len(forty) == 40
    for slug in (two, forty):
        r = api.post("/v1/skills", {"slug": slug, "name": "Limits"}, token=hr_token)
        assert r.status in (201, 409), r


def test_patch_skill(api, hr_token):
    slug = new_slug()
    api.post("/v1/skills", {"slug": slug, "name": "Before"}, token=hr_token)
    r = api.patch(f"/v1/skills/{slug}", {"name": "After", "description": "Now described"}, token=hr_token)
    assert r.status == 200, r
    assert r.body == {"slug": slug, "name": "After", "description": "Now described", "active": True}
    r = api.patch(f"/v1/skills/{slug}", {}, token=hr_token)
    assert r.status == 200 and r.body["name"] == "After"


@pytest.mark.parametrize("body,code,field", [
    ({"slug": "renamed"}, "unknown_field", "slug"),
    ({"active": "no"}, "invalid_type", "active"),
    ({"name": ""}, "invalid_value", "name"),
    ({"name": None}, "invalid_type", "name"),
])
def test_patch_skill_validation_writes_nothing(api, hr_token, body, code, field):
    slug = new_slug()
    created = api.post("/v1/skills", {"slug": slug, "name": "Stable"}, token=hr_token).body
    assert_error(api.patch(f"/v1/skills/{slug}", body, token=hr_token), 400, code, field)
    listed = {s["slug"]: s for s in api.get("/v1/skills").body["items"]}
    assert listed[slug] == created


def test_patch_unknown_skill_is_404(api, hr_token):
    assert_error(api.patch("/v1/skills/no_such_skill_zz", {"name": "X"}, token=hr_token), 404, "not_found")


def test_retire_skill(api, hr_token, make_employee):
    slug = new_slug("retire")
    api.post("/v1/skills", {"slug": slug, "name": "Soon retired"}, token=hr_token)
    e = make_employee()
    r = api.put("/v1/me/teaching", {"skills": [{"skill": slug, "level": 2}]}, token=e.token)
    assert r.status == 200, r

    r = api.patch(f"/v1/skills/{slug}", {"active": False}, token=hr_token)
    assert r.status == 200 and r.body["active"] is False
    assert slug not in {s["slug"] for s in api.get("/v1/skills").body["items"]}
    inactive = {s["slug"]: s for s in api.get("/v1/skills", params={"include_inactive": "true"}).body["items"]}
    assert inactive[slug]["active"] is False
    all_slugs = [s["slug"] for s in api.get("/v1/skills", params={"include_inactive": "true"}).body["items"]]
    assert all_slugs == sorted(all_slugs)

    other = make_employee()
    assert_error(api.put("/v1/me/teaching", {"skills": [{"skill": slug, "level": 2}]}, token=other.token),
                 400, "unknown_skill", "skills[0].skill")
    assert_error(api.put("/v1/me/learning", {"goals": [{"skill": slug, "current_level": 0, "priority": 1}]},
                         token=other.token), 400, "unknown_skill", "goals[0].skill")
    assert api.get("/v1/me/teaching", token=other.token).body == {"skills": []}

    # reactivating makes it usable again
    assert api.patch(f"/v1/skills/{slug}", {"active": True}, token=hr_token).body["active"] is True
    assert api.put("/v1/me/teaching", {"skills": [{"skill": slug, "level": 2}]}, token=other.token).status == 200


def test_include_inactive_bad_value(api):
    assert_error(api.get("/v1/skills", params={"include_inactive": "maybe"}), 400, "invalid_parameter",
                 "include_inactive")


def test_include_inactive_false_is_default(api):
    assert api.get("/v1/skills", params={"include_inactive": "false"}).body == api.get("/v1/skills").body


def test_slug_that_is_not_utf8_is_a_400(api, hr_token):
    """PATCH /v1/skills/%FF used to reach PostgreSQL and fail as a 500 (SQLSTATE 22021)."""
    assert_error(api.patch("/v1/skills/%FF", {"name": "x"}, token=hr_token), 400, "invalid_parameter", "path")
    assert_error(api.patch("/v1/skills/%C3%28", {"name": "x"}, token=hr_token), 400, "invalid_parameter", "path")
    assert api.get("/v1/skills").status == 200

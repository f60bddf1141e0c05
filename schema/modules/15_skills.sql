-- The skills catalogue: public listing, HR creation and edits (retiring a skill keeps history).

CREATE FUNCTION core.skill_json(s skills) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('slug', s.slug, 'name', s.name, 'description', s.description, 'active', s.active)
$$;

CREATE FUNCTION core.api_create_skill(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    INSERT INTO skills (slug, name, description)
    VALUES (p->>'slug', p->>'name', coalesce(p->>'description', ''))
    RETURNING skill_json(skills)
$$;

CREATE FUNCTION core.api_patch_skill(s_slug text, p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    UPDATE skills SET
        name = CASE WHEN p ? 'name' THEN p->>'name' ELSE name END,
        description = CASE WHEN p ? 'description' THEN p->>'description' ELSE description END,
        active = CASE WHEN p ? 'active' THEN (p->>'active')::boolean ELSE active END
    WHERE slug = s_slug
    RETURNING skill_json(skills)
$$;

-- GET /v1/skills (no token)
CREATE FUNCTION api.skills_list(include_inactive boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT jsonb_build_object('items', coalesce(jsonb_agg(skill_json(s) ORDER BY s.slug), '[]'))
            FROM skills s WHERE s.active OR include_inactive);
END $$;

-- POST /v1/skills (HR)
CREATE FUNCTION api.skill_create(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_create_skill(p);
END $$;

-- PATCH /v1/skills/{slug} (HR)
CREATE FUNCTION api.skill_patch(tok bytea, s_slug text, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_patch_skill(s_slug, p);
END $$;

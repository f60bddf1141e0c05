-- Badges: criteria over counters of confirmed activity, awards (once each), the badge catalogue
-- and an employee's achievements (points, level, badges, progress toward the next ones).

-- The ESN counters of an employee (core.esn_counters, 90_esn.sql, loaded later: plpgsql resolves the
-- call when it runs, so this module does not depend on the order).
CREATE FUNCTION core.badge_esn_counters(eid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN esn_counters(eid);
END $$;

-- Counters badges are judged on, from confirmed sessions only, and from ESN events (esn_*).
CREATE FUNCTION core.employee_counters(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.*, p.mentor_id, p.mentee_id, p.cross_department AS cross_dept
        FROM sessions s JOIN pairs p ON p.id = s.pair_id
        WHERE s.status = 'confirmed' AND (p.mentor_id = eid OR p.mentee_id = eid)
    ), weeks AS (
        SELECT DISTINCT date_trunc('week', occurred_at) AS w FROM s
    ), runs AS (
        SELECT w, w - (row_number() OVER (ORDER BY w) * interval '1 week') AS grp FROM weeks
    )
    SELECT jsonb_build_object(
        'sessions', (SELECT count(*) FROM s),
        'sessions_given', (SELECT count(*) FROM s WHERE mentor_id = eid),
        'sessions_received', (SELECT count(*) FROM s WHERE mentee_id = eid),
        'hours_given', (SELECT json_num(coalesce(sum(duration_min), 0) / 60.0, 2) FROM s WHERE mentor_id = eid),
        'hours_received', (SELECT json_num(coalesce(sum(duration_min), 0) / 60.0, 2) FROM s WHERE mentee_id = eid),
        'distinct_mentees', (SELECT count(DISTINCT mentee_id) FROM s WHERE mentor_id = eid),
        'distinct_mentors', (SELECT count(DISTINCT mentor_id) FROM s WHERE mentee_id = eid),
        'cross_department_pairs', (SELECT count(DISTINCT pair_id) FROM s WHERE mentor_id = eid AND cross_dept),
        'skills_taught', (SELECT count(DISTINCT k) FROM s, unnest(s.skills) k WHERE mentor_id = eid),
        'skill_sessions', (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
                               SELECT k, count(*) AS n FROM s, unnest(s.skills) k WHERE mentor_id = eid GROUP BY k) t),
        'streak_weeks', (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM runs GROUP BY grp) t),
        'pairs_completed', (SELECT count(*) FROM pairs p WHERE p.completed AND (p.mentor_id = eid OR p.mentee_id = eid)),
        'skill_levels_gained', (SELECT coalesce(sum(gain), 0) FROM skill_progress WHERE employee_id = eid))
        || badge_esn_counters(eid)
$$;

-- Value of one criterion's counter for a person.
CREATE FUNCTION core.criterion_value(c jsonb, counters jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN c->>'counter' = 'skill_sessions'
                THEN coalesce((counters->'skill_sessions'->>(c->>'skill'))::numeric, 0)
                ELSE coalesce((counters->>(c->>'counter'))::numeric, 0) END
$$;

-- Progress of a badge's criteria: 1.0 when every criterion is met.
CREATE FUNCTION core.badge_progress(criteria jsonb, counters jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(min(least(criterion_value(c, counters) / greatest((c->>'min')::numeric, 1), 1)), 0)
    FROM jsonb_array_elements(criteria->'all') c
$$;

-- Awards every badge whose criteria the employee now meets (once each: unique per employee).
CREATE FUNCTION core.badges_evaluate(eid bigint, sid bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    counters jsonb := employee_counters(eid);
    b record;
    n integer := 0;
    new_id bigint;
BEGIN
    FOR b IN SELECT * FROM badges
             WHERE active
               AND (role = 'any'
                    OR (role = 'mentor' AND EXISTS (SELECT 1 FROM pairs WHERE mentor_id = eid))
                    OR (role = 'mentee' AND EXISTS (SELECT 1 FROM pairs WHERE mentee_id = eid)))
             ORDER BY slug LOOP
        IF badge_progress(b.criteria, counters) >= 1 THEN
            INSERT INTO badge_awards (employee_id, badge_slug, recipient_email, session_id)
            SELECT eid, b.slug, e.email, sid FROM employees e WHERE e.id = eid
            ON CONFLICT (employee_id, badge_slug) DO NOTHING
            RETURNING id INTO new_id;
            IF new_id IS NOT NULL THEN
                n := n + 1;
                PERFORM event_emit('badge_earned', true, eid, NULL, jsonb_build_object(
                    'badge', b.slug, 'badge_name', b.name, 'employee_id', eid, 'award_id', new_id));
                new_id := NULL;
            END IF;
        END IF;
    END LOOP;
    RETURN n;
END $$;

-- An employee's points, level, badges (with their public assertion and an add-to-profile link),
-- progress toward the badges not yet earned, and the hours given and received.
CREATE FUNCTION core.api_achievements(eid bigint, base text, org text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT employee_counters(eid) AS counters),
    pts AS (SELECT coalesce(sum(points), 0) AS total FROM points_ledger WHERE employee_id = eid),
    lvl AS (SELECT l.* FROM levels l, pts WHERE l.min_points <= pts.total ORDER BY l.min_points DESC LIMIT 1),
    nxt AS (SELECT l.* FROM levels l, pts WHERE l.min_points > pts.total ORDER BY l.min_points LIMIT 1)
    SELECT jsonb_build_object(
        'points', (SELECT total FROM pts),
        'level', (SELECT jsonb_build_object('level', level, 'name', name, 'min_points', min_points) FROM lvl),
        'next_level', (SELECT jsonb_build_object('level', level, 'name', name, 'min_points', min_points) FROM nxt),
        'hours_given', json_num(((SELECT counters FROM c)->>'hours_given')::numeric, 2),
        'hours_received', json_num(((SELECT counters FROM c)->>'hours_received')::numeric, 2),
        'counters', (SELECT counters FROM c),
        'badges', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'award_id', a.id, 'badge', b.slug, 'name', b.name, 'description', b.description,
                'awarded_at', ts_text(a.awarded_at), 'revoked', a.revoked_at IS NOT NULL,
                'assertion_url', base || '/ob/assertions/' || a.uid,
                'image_url', base || '/ob/badges/' || b.slug || '/image.svg',
                'add_to_profile_url', 'https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name='
                    || replace(replace(b.name, '&', '%26'), ' ', '%20')
                    || '&organizationName=' || replace(replace(org, '&', '%26'), ' ', '%20')
                    || '&issueYear=' || extract(year FROM a.awarded_at)::int
                    || '&issueMonth=' || extract(month FROM a.awarded_at)::int
                    || '&certUrl=' || replace(replace(base || '/ob/assertions/' || a.uid, ':', '%3A'), '/', '%2F')
                    || '&certId=' || a.uid) ORDER BY a.awarded_at, b.slug)
            FROM badge_awards a JOIN badges b ON b.slug = a.badge_slug WHERE a.employee_id = eid), '[]'),
        'next_badges', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'badge', b.slug, 'name', b.name, 'criteria', b.criteria_narrative,
                'progress', json_num(badge_progress(b.criteria, (SELECT counters FROM c)), 2)) ORDER BY
                badge_progress(b.criteria, (SELECT counters FROM c)) DESC, b.slug)
            FROM badges b WHERE b.active
              AND NOT EXISTS (SELECT 1 FROM badge_awards a WHERE a.employee_id = eid AND a.badge_slug = b.slug)), '[]'))
$$;

CREATE FUNCTION core.badge_json(b badges) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('slug', b.slug, 'name', b.name, 'description', b.description,
                              'criteria_narrative', b.criteria_narrative, 'role', b.role,
                              'criteria', b.criteria, 'color', b.color, 'active', b.active)
$$;

CREATE FUNCTION core.api_create_badge(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    b badges;
BEGIN
    INSERT INTO badges (slug, name, description, criteria_narrative, role, criteria, color)
    VALUES (p->>'slug', p->>'name', p->>'description', p->>'criteria_narrative', p->>'role',
            p->'criteria', coalesce(p->>'color', '#2d6cdf'))
    RETURNING * INTO b;
    RETURN badge_json(b);
EXCEPTION WHEN unique_violation THEN
    PERFORM api_fail(409, 'badge_exists', 'slug', 'a badge with this slug already exists');
END $$;

CREATE FUNCTION core.api_revoke_award(aid bigint, reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a badge_awards;
BEGIN
    UPDATE badge_awards SET revoked_at = coalesce(revoked_at, now()), revocation_reason = coalesce(revocation_reason, reason)
    WHERE id = aid RETURNING * INTO a;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such award');
    END IF;
    RETURN jsonb_build_object('award_id', a.id, 'badge', a.badge_slug, 'employee_id', a.employee_id,
                              'revoked_at', ts_text(a.revoked_at), 'reason', a.revocation_reason);
END $$;

-- GET /v1/me/achievements (employee)
CREATE FUNCTION api.achievements(tok bytea, base text, org text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_achievements(auth_employee(tok), base, org);
END $$;

-- GET /v1/badges (no token)
CREATE FUNCTION api.badges_list() RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT jsonb_build_object('items', coalesce(jsonb_agg(badge_json(b) ORDER BY b.slug), '[]'))
            FROM badges b WHERE b.active);
END $$;

-- POST /v1/badges (HR)
CREATE FUNCTION api.badge_create(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_create_badge(p);
END $$;

-- POST /v1/awards/{id}/revoke (HR)
CREATE FUNCTION api.award_revoke(tok bytea, aid bigint, reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_revoke_award(aid, reason);
END $$;

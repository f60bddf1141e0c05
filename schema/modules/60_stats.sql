-- HR statistics per department and site (JSON; stats.c renders CSV from the same rows).

-- HR statistics per department and site over a period: participation, pairs, time given, ratings,
-- skill levels gained, badges.
CREATE FUNCTION core.api_stats(period text, stall_days integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH since AS (SELECT period_start(period) AS t),
    groups AS (SELECT DISTINCT department, site FROM employees),
    mgr AS (SELECT * FROM employees WHERE role IN ('mentee', 'both')),
    active_pair AS (
        SELECT p.*, pair_last_activity(p) AS last_activity FROM pairs p WHERE p.status = 'active'),
    -- one rule for every figure of a row: a pair and its sessions, hours and ratings count under
    -- the department and site of its manager (the mentee), the person the programme is for
    conf AS (
        SELECT s.*, e.department, e.site
        FROM sessions s JOIN pairs p ON p.id = s.pair_id JOIN employees e ON e.id = p.mentee_id
        WHERE s.status = 'confirmed' AND s.occurred_at >= (SELECT t FROM since)),
    rows AS (
        SELECT g.department, g.site,
            (SELECT count(*) FROM mgr WHERE mgr.department = g.department AND mgr.site = g.site) AS managers_signed_up,
            (SELECT count(DISTINCT mgr.id) FROM mgr JOIN pairs p ON p.mentee_id = mgr.id
             WHERE mgr.department = g.department AND mgr.site = g.site) AS managers_matched,
            (SELECT count(*) FROM active_pair ap JOIN employees e ON e.id = ap.mentee_id
             WHERE e.department = g.department AND e.site = g.site) AS active_pairs,
            (SELECT count(*) FROM active_pair ap JOIN employees e ON e.id = ap.mentee_id
             WHERE e.department = g.department AND e.site = g.site
               AND pair_silent(ap.last_activity, stall_days)) AS stalled_pairs,
            (SELECT count(*) FROM conf WHERE conf.department = g.department AND conf.site = g.site) AS sessions_given,
            (SELECT json_num(coalesce(sum(duration_min), 0) / 60.0, 2) FROM conf
             WHERE conf.department = g.department AND conf.site = g.site) AS hours_given,
            (SELECT json_num(avg(rating), 2) FROM conf
             WHERE conf.department = g.department AND conf.site = g.site) AS average_rating,
            (SELECT coalesce(sum(sp.gain), 0) FROM skill_progress sp
             JOIN employees e ON e.id = sp.employee_id
             WHERE e.department = g.department AND e.site = g.site AND sp.created_at >= (SELECT t FROM since)) AS levels_gained,
            (SELECT count(*) FROM badge_awards a JOIN employees e ON e.id = a.employee_id
             WHERE e.department = g.department AND e.site = g.site AND a.revoked_at IS NULL
               AND a.awarded_at >= (SELECT t FROM since)) AS badges_awarded
        FROM groups g)
    SELECT jsonb_build_object(
        'period', period, 'since', ts_text((SELECT t FROM since)),
        'rows', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'department', department, 'site', site, 'managers_signed_up', managers_signed_up,
                'managers_matched', managers_matched,
                'participation_rate', CASE WHEN managers_signed_up = 0 THEN NULL
                                           ELSE json_num(managers_matched::numeric / managers_signed_up, 3) END,
                'active_pairs', active_pairs, 'stalled_pairs', stalled_pairs,
                'sessions_given', sessions_given, 'hours_given', hours_given,
                'average_rating', average_rating, 'levels_gained', levels_gained,
                'badges_awarded', badges_awarded) ORDER BY department, site) FROM rows), '[]'),
        'levels_gained_by_skill', coalesce((SELECT jsonb_agg(jsonb_build_object('skill', skill, 'levels_gained', n) ORDER BY skill)
            FROM (SELECT skill, sum(gain) AS n FROM skill_progress
                  WHERE created_at >= (SELECT t FROM since) GROUP BY skill) t), '[]'))
$$;

-- GET /v1/stats (HR)
CREATE FUNCTION api.stats(tok bytea, period text, stall_days integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_stats(period, stall_days);
END $$;

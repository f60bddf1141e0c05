-- Leaderboards: people (by points, only those who opted in are named) and departments (hours per head).

-- Start of a leaderboard/statistics period (UTC): week (ISO, Monday), month, quarter, or all time.
CREATE FUNCTION core.period_start(period text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE period WHEN 'all' THEN '-infinity'::timestamptz
                       ELSE date_trunc(period, now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' END
$$;

-- A person leaderboard (mentors or managers) by points in the period and scope. Only people who
-- opted in are ranked by name; the caller always sees their own standing and neighbours.
CREATE FUNCTION core.api_leaderboard(board text, period text, scope text, scope_value text, eid bigint, lim integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH pts AS (
        SELECT l.employee_id, sum(l.points) AS points
        FROM points_ledger l
        WHERE l.role = CASE board WHEN 'mentors' THEN 'mentor' ELSE 'mentee' END
          AND l.created_at >= period_start(period)
        GROUP BY l.employee_id HAVING sum(l.points) > 0
    ), people AS (
        SELECT e.id, e.display_name, e.department, e.site, e.leaderboard_opt_in, p.points
        FROM pts p JOIN employees e ON e.id = p.employee_id
        WHERE scope = 'company' OR (scope = 'department' AND e.department = scope_value)
              OR (scope = 'site' AND e.site = scope_value)
    ), ranked AS (
        SELECT *, rank() OVER (ORDER BY points DESC) AS rank,
               row_number() OVER (ORDER BY points DESC, id) AS pos
        FROM people WHERE leaderboard_opt_in
    ), me AS (
        SELECT p.*, (SELECT count(*) + 1 FROM ranked r WHERE r.points > p.points) AS rank
        FROM people p WHERE p.id = eid
    ), entry AS (
        SELECT r.pos, jsonb_build_object('rank', r.rank, 'employee_id', r.id, 'display_name', r.display_name,
                                         'department', r.department, 'site', r.site, 'points', r.points) AS j
        FROM ranked r
    )
    SELECT jsonb_build_object(
        'board', board, 'period', period, 'scope', scope, 'scope_value', scope_value,
        'since', ts_text(period_start(period)),
        'entries', coalesce((SELECT jsonb_agg(j ORDER BY pos) FROM entry WHERE pos <= lim), '[]'),
        'me', (SELECT jsonb_build_object(
                   'points', me.points, 'rank', me.rank, 'on_board', me.leaderboard_opt_in,
                   'neighbours', coalesce((SELECT jsonb_agg(jsonb_build_object('rank', r.rank, 'display_name', r.display_name,
                                                                               'points', r.points) ORDER BY r.pos)
                                           FROM ranked r
                                           WHERE r.id <> me.id
                                             AND r.pos BETWEEN coalesce((SELECT x.pos FROM ranked x WHERE x.id = me.id),
                                                                         (SELECT count(*) + 1 FROM ranked x WHERE x.points >= me.points)) - 2
                                                           AND coalesce((SELECT x.pos FROM ranked x WHERE x.id = me.id),
                                                                         (SELECT count(*) FROM ranked x WHERE x.points >= me.points)) + 2), '[]'))
               FROM me))
$$;

-- Department leaderboard: confirmed mentoring hours given per head, no consent needed (teams, not people).
CREATE FUNCTION core.api_department_board(period text, lim integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
    -- departments under 5 people are left out: their figures would single people out
    WITH heads AS (SELECT department, count(*) AS n FROM employees GROUP BY department HAVING count(*) >= 5),
    given AS (
        SELECT m.department, sum(s.duration_min) / 60.0 AS hours
        FROM sessions s JOIN pairs p ON p.id = s.pair_id JOIN employees m ON m.id = p.mentor_id
        WHERE s.status = 'confirmed' AND s.occurred_at >= period_start(period)
        GROUP BY m.department
    ), ranked AS (
        SELECT h.department, h.n AS headcount, coalesce(g.hours, 0) AS hours,
               coalesce(g.hours, 0) / h.n AS per_head
        FROM heads h LEFT JOIN given g ON g.department = h.department
    )
    SELECT jsonb_build_object('board', 'departments', 'period', period, 'since', ts_text(period_start(period)),
        'entries', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'rank', rk, 'department', department, 'headcount', headcount,
                'hours_given', json_num(hours, 2), 'hours_per_head', json_num(per_head, 3)) ORDER BY rk, department)
            FROM (SELECT *, rank() OVER (ORDER BY per_head DESC) AS rk FROM ranked) t WHERE rk <= lim), '[]'))
$$;

-- GET /v1/leaderboards?board=mentors|managers (any caller): an employee's own scope value is the
-- default; HR must name one for a department or site board.
CREATE FUNCTION api.leaderboard(tok bytea, board text, period text, scope text, scope_value text, lim integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM auth_any(tok);
    IF scope <> 'company' AND scope_value IS NULL AND c.hr_id IS NOT NULL THEN
        PERFORM api_fail(400, 'invalid_parameter', 'scope_value',
                         format('scope_value is required for a %s board', scope));
    END IF;
    RETURN api_leaderboard(board, period, scope,
                           coalesce(CASE WHEN scope = 'company' THEN NULL ELSE scope_value END,
                                    (SELECT CASE scope WHEN 'department' THEN e.department WHEN 'site' THEN e.site END
                                     FROM employees e WHERE e.id = c.employee_id)),
                           c.employee_id, lim);
END $$;

-- GET /v1/leaderboards?board=departments (any caller)
CREATE FUNCTION api.department_board(tok bytea, period text, lim integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_any(tok);
    RETURN api_department_board(period, lim);
END $$;

-- Matching rounds: HR creates a round, the solver worker fills in its solution, HR reviews
-- (pins, forbids, weights, re-solve) and publishes; publishing turns the solution into active pairs.

-- The round's participants given its filter.
CREATE FUNCTION core.round_participants(rid bigint) RETURNS SETOF employees LANGUAGE sql STABLE AS $$
    SELECT e.* FROM employees e, rounds r
    WHERE r.id = rid
      AND (jsonb_array_length(coalesce(r.params->'filter'->'departments', '[]')) = 0
           OR e.department IN (SELECT jsonb_array_elements_text(r.params->'filter'->'departments')))
      AND (jsonb_array_length(coalesce(r.params->'filter'->'sites', '[]')) = 0
           OR e.site IN (SELECT jsonb_array_elements_text(r.params->'filter'->'sites')))
      AND e.active  -- a leaver (HR import, SCIM) is never matched
$$;

-- "Name <email>" of an employee, how messages for HR and employees name people.
CREATE FUNCTION core.person_label(eid bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT format('%s <%s>', display_name, email) FROM employees WHERE id = eid),
                    'an erased employee')
$$;

-- The round's possible mentors now with the capacity each has left: participants (the round's
-- filter) who mentor, have capacity left and teach something. One owner for the instance and pins.
CREATE FUNCTION core.round_mentor_pool(rid bigint) RETURNS TABLE (id bigint, remaining integer)
LANGUAGE sql STABLE AS $$
    SELECT e.id, e.mentor_capacity - coalesce(b.n, 0)::integer
    FROM round_participants(rid) e
    LEFT JOIN (SELECT mentor_id, count(*) AS n FROM pairs WHERE status = 'active' GROUP BY mentor_id) b
           ON b.mentor_id = e.id
    WHERE e.role IN ('mentor', 'both') AND e.mentor_capacity > coalesce(b.n, 0)
      AND EXISTS (SELECT 1 FROM teaching t WHERE t.employee_id = e.id)
$$;

-- The round's possible mentees now: participants who learn something and have no active mentor.
CREATE FUNCTION core.round_mentee_pool(rid bigint) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT e.id FROM round_participants(rid) e
    WHERE e.role IN ('mentee', 'both')
      AND EXISTS (SELECT 1 FROM learning l WHERE l.employee_id = e.id)
      AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.mentee_id = e.id AND p.status = 'active')
$$;

-- The documented defaults of a new round's parameters (the one owner of them: the spec documents
-- them, the matcher receives them all in the instance). Dates in UTC: the reference week is the
-- next Monday (today if Monday); a round starts then, or on starts_on, and lasts 26 weeks.
CREATE FUNCTION core.round_defaults(starts_on date) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    monday date := today + (8 - extract(isodow FROM today)::int) % 7;
    start date := coalesce(starts_on, monday);
BEGIN
    RETURN jsonb_build_object(
        'objective', 'max_matched_then_score',
        'filter', jsonb_build_object('departments', '[]'::jsonb, 'sites', '[]'::jsonb),
        'weights', jsonb_build_object('skill_gain', 1.0, 'cross_department', 4.0, 'overlap_per_hour', 0.5,
                                      'overlap_cap_hours', 4.0, 'previously_unmatched', 2.0),
        'constraints', jsonb_build_object('max_mentors_per_team', NULL, 'min_department_share', NULL),
        'session_minutes', 60, 'reference_week', monday::text, 'allow_repeat_pairs', false,
        'exclude_same_manager', true,
        'mentor_capacity_cap', 3, 'time_limit_seconds', 60,
        'starts_on', start::text, 'ends_on', (start + 182)::text);
END $$;

-- Why a pin or forbidden pair cannot take part in the round's next solve (NULL when it can), and
-- which side is at fault ('mentor_id' or 'mentee_id').
CREATE FUNCTION core.round_pair_problem(rid bigint, mentor bigint, mentee bigint, OUT side text, OUT why text)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN mentor = mentee THEN 'mentee_id'
                WHEN mentor NOT IN (SELECT id FROM round_mentor_pool(rid)) THEN 'mentor_id'
                WHEN mentee NOT IN (SELECT round_mentee_pool(rid)) THEN 'mentee_id' END,
           CASE WHEN mentor = mentee THEN format('%s cannot mentor themselves', person_label(mentor))
                WHEN mentor NOT IN (SELECT id FROM round_mentor_pool(rid))
                    THEN format('%s is not a possible mentor in this round (outside its filter, not a mentor, '
                                'no capacity left or teaching nothing)', person_label(mentor))
                WHEN mentee NOT IN (SELECT round_mentee_pool(rid))
                    THEN format('%s is not a possible mentee in this round (outside its filter, not a '
                                'manager who learns, learning nothing or already paired)', person_label(mentee))
           END
$$;

CREATE FUNCTION core.round_json(r rounds) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT (r.params - 'filter') || jsonb_build_object(
        'id', r.id, 'name', r.name, 'status', r.status,
        'filter', r.params->'filter',
        'pins', r.pins, 'forbidden', r.forbidden, 'keep_previous', r.keep_previous,
        'result', CASE WHEN r.solution IS NULL THEN NULL ELSE jsonb_build_object(
            'solver_status', r.solution->>'status',
            'objective', r.solution->'objective',
            'matched', r.solution->'matched',
            'mentees', (r.solution->'stats'->'mentees'),
            'mentors', (r.solution->'stats'->'mentors'),
            'kept_from_previous', CASE WHEN r.previous IS NULL OR NOT r.keep_previous THEN NULL
                                       ELSE (SELECT count(*) FROM jsonb_array_elements(r.solution->'pairs') p
                                             WHERE (p->>'kept')::boolean) END,
            'solve_ms', r.solve_ms,
            'solve_started_at', ts_text(r.solve_started_at),
            'solved_at', ts_text(r.solved_at),
            'proof', r.solution->'proof') END,
        'error', r.error,
        'created_at', ts_text(r.created_at), 'updated_at', ts_text(r.updated_at),
        'published_at', ts_text(r.published_at))
$$;

-- A round with its pairs (names resolved) and unmatched mentees, for HR review. Built as json
-- text: the round's own fields (round_json, small) with the lists appended to its text, each list a
-- json_agg of its members; merging a jsonb tree of the whole solution (12 MB on the L round of
-- bench/round_api.py) cost more than building it (backend CPU of the L round's detail 2.1-2.2 s -> 1.5 s).
CREATE FUNCTION core.round_detail(rid bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (left(round_json(r)::text, -1) || ', ' || right(json_build_object(
        'pairs', coalesce((SELECT json_agg((p - 'mentor' - 'mentee') || jsonb_build_object(
                               'mentor', person_card((p->>'mentor')::bigint),
                               'mentee', person_card((p->>'mentee')::bigint)) ORDER BY i)
                           FROM jsonb_array_elements(r.solution->'pairs') WITH ORDINALITY AS t(p, i)
                           WHERE person_card((p->>'mentor')::bigint) IS NOT NULL
                             AND person_card((p->>'mentee')::bigint) IS NOT NULL), '[]'),
        'unmatched', coalesce((SELECT json_agg((u - 'mentee') || jsonb_build_object(
                               'mentee', person_card((u->>'mentee')::bigint)) ORDER BY i)
                           FROM jsonb_array_elements(r.solution->'unmatched') WITH ORDINALITY AS t(u, i)
                           WHERE person_card((u->>'mentee')::bigint) IS NOT NULL), '[]'),
        'warnings', CASE WHEN r.solution IS NULL THEN '[]'::json ELSE coalesce((
            SELECT json_agg(jsonb_build_object(
                       'code', 'pin_not_applied',
                       'mentor_id', (x->>'mentor_id')::bigint, 'mentee_id', (x->>'mentee_id')::bigint,
                       'message', format('the pin of %s with %s was not applied: %s',
                                         person_label((x->>'mentor_id')::bigint), person_label((x->>'mentee_id')::bigint),
                                         coalesce((round_pair_problem(rid, (x->>'mentor_id')::bigint, (x->>'mentee_id')::bigint)).why,
                                                  (SELECT format('the pair breaks the hard rule "%s"', it->>'rule')
                                                   FROM jsonb_array_elements(coalesce(r.solution->'issues', '[]')) it
                                                   WHERE it->>'code' = 'pin_breaks_rule' AND it->>'mentor' = x->>'mentor_id'
                                                     AND it->>'mentee' = x->>'mentee_id' LIMIT 1),
                                                  'the pair breaks a hard rule or the round''s constraints'))) ORDER BY i)
            FROM jsonb_array_elements(r.pins) WITH ORDINALITY AS t(x, i)
            WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r.solution->'pairs') p
                              WHERE p->>'mentor' = x->>'mentor_id' AND p->>'mentee' = x->>'mentee_id')), '[]') END)::text, -1))::json
    FROM rounds r WHERE r.id = rid
$$;


-- A mentor's ESN giving score over the ESN window's default (core.esn_*, 90_esn.sql, resolved at run time).
CREATE FUNCTION core.round_giving_score(eid bigint) RETURNS double precision LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_num(esn_giving_score(esn_giving_parts(eid, now() - make_interval(days => esn_default_days()),
                                                      now() + interval '1 day')), 1);
END $$;

-- The matcher's domain-form instance of a round (see api-spec/matcher-instance.schema.json).
-- When the round's weights.giving is above 0, each mentor carries giving_score (off by default).
-- Mentees already in an active pair are left out; mentors keep only their remaining capacity.
-- Built as json text (json_agg: no jsonb tree rebuilt at every level of nesting), each list in one
-- grouped pass, and without JIT: the planner's row estimates of the joins are far too high, and
-- compiling the plan took half of the CPU on L (perf; bench/README.md).
CREATE FUNCTION core.round_instance(rid bigint) RETURNS json LANGUAGE sql STABLE SET jit = off AS $$
    WITH r AS (SELECT * FROM rounds WHERE id = rid),
    part AS MATERIALIZED (SELECT * FROM round_participants(rid)),
    mpool AS MATERIALIZED (SELECT * FROM round_mentor_pool(rid)),
    epool AS MATERIALIZED (SELECT id FROM round_mentee_pool(rid) AS id),
    giving AS (SELECT coalesce((params->'weights'->>'giving')::double precision, 0) > 0 AS on FROM r),
    last_published AS (
        SELECT solution FROM rounds WHERE status = 'published' AND id <> rid
        ORDER BY published_at DESC LIMIT 1),
    prev_unmatched AS (
        SELECT (u->>'mentee')::bigint AS id
        FROM last_published, jsonb_array_elements(coalesce(solution->'unmatched', '[]')) AS u),
    -- each list in one grouped pass over its table (not a function call per person): the same
    -- members in the same order as teaching_json, learning_json and availability_json
    teach AS (
        SELECT employee_id AS id, json_agg(json_build_object('skill', skill, 'level', level) ORDER BY skill) AS j
        FROM teaching WHERE employee_id IN (SELECT id FROM mpool) GROUP BY employee_id),
    learn AS (
        SELECT employee_id AS id, json_agg(json_build_object('skill', skill, 'current_level', current_level,
                                                             'priority', priority) ORDER BY skill) AS j
        FROM learning WHERE employee_id IN (SELECT id FROM epool) GROUP BY employee_id),
    avail AS (
        SELECT employee_id AS id, json_agg(json_build_object('day', day_name(day), 'start', hhmm(start_min),
                                                             'end', hhmm(end_min)) ORDER BY day, start_min) AS j
        FROM availability WHERE employee_id IN (SELECT id FROM part) GROUP BY employee_id),
    mentors AS (
        SELECT json_agg(CASE WHEN g.on THEN json_build_object(
                   'id', e.id::text, 'department', e.department,
                   'team', coalesce(e.manager_email, ''), 'timezone', e.timezone,
                   'languages', to_json(e.languages), 'capacity', mp.remaining,
                   'teaches', coalesce(t.j, '[]'), 'availability', coalesce(a.j, '[]'),
                   'giving_score', round_giving_score(e.id))
               ELSE json_build_object(
                   'id', e.id::text, 'department', e.department,
                   'team', coalesce(e.manager_email, ''), 'timezone', e.timezone,
                   'languages', to_json(e.languages), 'capacity', mp.remaining,
                   'teaches', coalesce(t.j, '[]'), 'availability', coalesce(a.j, '[]')) END
               ORDER BY e.id) AS j
        FROM part e JOIN mpool mp ON mp.id = e.id CROSS JOIN giving g
        LEFT JOIN teach t ON t.id = e.id LEFT JOIN avail a ON a.id = e.id),
    mentees AS (
        SELECT json_agg(json_build_object(
                   'id', e.id::text, 'department', e.department,
                   'team', coalesce(e.manager_email, ''), 'timezone', e.timezone,
                   'languages', to_json(e.languages),
                   'goals', coalesce(l.j, '[]'), 'availability', coalesce(a.j, '[]'),
                   'previously_unmatched', e.id IN (SELECT id FROM prev_unmatched))
               ORDER BY e.id) AS j
        FROM part e JOIN epool ep ON ep.id = e.id
        LEFT JOIN learn l ON l.id = e.id LEFT JOIN avail a ON a.id = e.id),
    -- who reports to whom: core.reporting_line, the one owner of that rule (inlined here)
    lines AS (
        SELECT json_agg(json_build_object('id', l.report_id::text, 'manager', l.manager_id::text)
                        ORDER BY l.report_id) AS j
        FROM reporting_line() l),
    history AS (
        SELECT jsonb_agg(DISTINCT jsonb_build_object('mentor', mentor_id::text, 'mentee', mentee_id::text)) AS j
        FROM pairs WHERE round_id <> rid AND mentor_id IS NOT NULL AND mentee_id IS NOT NULL)
    SELECT json_build_object(
        'objective', r.params->'objective',
        'reference_week', r.params->'reference_week',
        'starts_on', r.params->'starts_on', 'ends_on', r.params->'ends_on',
        'drop_pins_breaking_rules', true,
        'session_minutes', r.params->'session_minutes',
        'weights', r.params->'weights',
        'mentor_capacity_cap', r.params->'mentor_capacity_cap',
        'allow_repeat_pairs', r.params->'allow_repeat_pairs',
        -- a round created before the rule existed takes its default (round_defaults, the one owner)
        'exclude_same_manager', coalesce(r.params->'exclude_same_manager',
                                         round_defaults(NULL::date)->'exclude_same_manager'),
        'constraints', r.params->'constraints',
        'time_limit_seconds', r.params->'time_limit_seconds',
        'mentors', coalesce((SELECT j FROM mentors), '[]'),
        'mentees', coalesce((SELECT j FROM mentees), '[]'),
        'reporting_lines', coalesce((SELECT j FROM lines), '[]'),
        'history', coalesce((SELECT j FROM history), '[]'),
        'pins', (SELECT coalesce(jsonb_agg(jsonb_build_object('mentor', p->>'mentor_id', 'mentee', p->>'mentee_id')), '[]')
                 FROM jsonb_array_elements(r.pins) p
                 WHERE (round_pair_problem(rid, (p->>'mentor_id')::bigint, (p->>'mentee_id')::bigint)).why IS NULL),
        'forbidden', (SELECT coalesce(jsonb_agg(jsonb_build_object('mentor', p->>'mentor_id', 'mentee', p->>'mentee_id')), '[]')
                      FROM jsonb_array_elements(r.forbidden) p
                      WHERE (round_pair_problem(rid, (p->>'mentor_id')::bigint, (p->>'mentee_id')::bigint)).why IS NULL),
        'keep', CASE WHEN r.keep_previous AND r.previous IS NOT NULL THEN r.previous ELSE '[]' END)
    FROM r
$$;

-- Stores the solver's outcome if the round is still waiting for it (a cancel wins over a late result).
CREATE FUNCTION core.round_store_result(rid bigint, p_result jsonb, p_error text, p_ms integer) RETURNS void
LANGUAGE sql AS $$
    UPDATE rounds SET
        status = CASE WHEN p_error IS NOT NULL THEN 'failed'
                      WHEN p_result->>'status' = 'infeasible' THEN 'failed'
                      ELSE 'solved' END,
        solution = p_result,
        error = CASE WHEN p_error IS NOT NULL THEN p_error
                     WHEN p_result->>'status' = 'infeasible'
                         THEN coalesce(p_result->>'message', 'no assignment satisfies the pins and constraints')
                     ELSE NULL END,
        solve_ms = p_ms,
        solved_at = clock_timestamp(),
        updated_at = now()
    WHERE id = rid AND status = 'solving'
$$;

-- Locks a round that may still change (draft, solved or failed) for the caller's transaction;
-- 404 when there is none, 409 naming what cannot be done to it otherwise.
CREATE FUNCTION core.round_lock_open(rid bigint, verb text) RETURNS rounds LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
BEGIN
    SELECT * INTO r FROM rounds WHERE id = rid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such round');
    END IF;
    IF r.status NOT IN ('draft', 'solved', 'failed') THEN
        PERFORM api_fail(409, 'conflict', 'status', format('a %s round cannot be %s', r.status, verb));
    END IF;
    RETURN r;
END $$;

-- Queues a (re-)solve: remembers the current pairs so the solver can keep them (minimal disruption).
CREATE FUNCTION core.api_round_solve(rid bigint, keep boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
BEGIN
    r := round_lock_open(rid, 'solved');
    UPDATE rounds SET status = 'solving', keep_previous = coalesce(keep, keep_previous),
        previous = CASE WHEN solution IS NOT NULL
                        THEN (SELECT coalesce(jsonb_agg(jsonb_build_object('mentor', p->>'mentor', 'mentee', p->>'mentee')), '[]')
                              FROM jsonb_array_elements(solution->'pairs') p)
                        ELSE previous END,
        error = NULL, updated_at = now()
    WHERE id = rid RETURNING * INTO r;
    RETURN round_json(r);
END $$;

-- Updates a round's parameters (the server validated and merged them); the round needs a new solve.
CREATE FUNCTION core.api_round_patch(rid bigint, p jsonb, new_name text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
BEGIN
    r := round_lock_open(rid, 'changed');
    UPDATE rounds SET
        params = params || (p - 'weights' - 'constraints' - 'filter')
                 || jsonb_build_object('weights', (params->'weights') || coalesce(p->'weights', '{}'),
                                       'constraints', (params->'constraints') || coalesce(p->'constraints', '{}'),
                                       'filter', (params->'filter') || coalesce(p->'filter', '{}')),
        name = coalesce(new_name, name),
        status = 'draft', updated_at = now()
    WHERE id = rid RETURNING * INTO r;
    PERFORM round_check_dates(r.params);
    RETURN round_json(r);
END $$;

-- Replaces the pins or the forbidden pairs of a round; every id must be an employee.
CREATE FUNCTION core.api_round_set_pairs(rid bigint, which text, list jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
    bad record;
BEGIN
    r := round_lock_open(rid, 'changed');
    SELECT i - 1 AS idx, k AS key INTO bad
    FROM jsonb_array_elements(list) WITH ORDINALITY AS t(x, i), unnest(ARRAY['mentor_id', 'mentee_id']) AS k
    WHERE NOT EXISTS (SELECT 1 FROM employees e WHERE e.id = (x->>k)::bigint)
    ORDER BY i LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(400, 'invalid_value', format('%s[%s].%s', which, bad.idx, bad.key),
                         format('%s[%s].%s: no such employee', which, bad.idx, bad.key));
    END IF;
    SELECT i - 1 AS idx, (round_pair_problem(rid, (x->>'mentor_id')::bigint, (x->>'mentee_id')::bigint)).*
    INTO bad
    FROM jsonb_array_elements(list) WITH ORDINALITY AS t(x, i)
    WHERE (round_pair_problem(rid, (x->>'mentor_id')::bigint, (x->>'mentee_id')::bigint)).why IS NOT NULL
    ORDER BY i LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(422, 'invalid_value', format('%s[%s].%s', which, bad.idx, bad.side),
                         format('%s[%s]: %s', which, bad.idx, bad.why));
    END IF;
    IF which = 'pins' THEN
        -- a manager pinned twice, or a mentor pinned beyond the capacity left, could not be solved
        SELECT i - 1 AS idx, 'mentee_id' AS side,
               format('%s is pinned to two mentors', person_label((x->>'mentee_id')::bigint)) AS why
        INTO bad
        FROM jsonb_array_elements(list) WITH ORDINALITY AS t(x, i)
        WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(list) WITH ORDINALITY AS u(y, j)
                      WHERE j < i AND y->>'mentee_id' = x->>'mentee_id')
        ORDER BY i LIMIT 1;
        IF NOT FOUND THEN
            SELECT i - 1 AS idx, 'mentor_id' AS side,
                   format('%s is pinned more times than the %s mentee(s) they can still take',
                          person_label((x->>'mentor_id')::bigint), mp.remaining) AS why
            INTO bad
            FROM jsonb_array_elements(list) WITH ORDINALITY AS t(x, i)
            JOIN round_mentor_pool(rid) mp ON mp.id = (x->>'mentor_id')::bigint
            WHERE (SELECT count(*) FROM jsonb_array_elements(list) WITH ORDINALITY AS u(y, j)
                   WHERE j <= i AND y->>'mentor_id' = x->>'mentor_id') > mp.remaining
            ORDER BY i LIMIT 1;
        END IF;
        IF FOUND THEN
            PERFORM api_fail(422, 'invalid_value', format('pins[%s].%s', bad.idx, bad.side),
                             format('pins[%s]: %s', bad.idx, bad.why));
        END IF;
    END IF;
    IF which = 'pins' THEN
        UPDATE rounds SET pins = list, status = 'draft', updated_at = now() WHERE id = rid RETURNING * INTO r;
    ELSE
        UPDATE rounds SET forbidden = list, status = 'draft', updated_at = now() WHERE id = rid RETURNING * INTO r;
    END IF;
    RETURN round_json(r);
END $$;

-- Publishes a solved round: all of its pairs become active at once, or none (409 on a conflict).
CREATE FUNCTION core.api_round_publish(rid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
    clash bigint;
BEGIN
    SELECT * INTO r FROM rounds WHERE id = rid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such round');
    END IF;
    IF r.status <> 'solved' THEN
        PERFORM api_fail(409, 'conflict', 'status', format('only a solved round can be published (this one is %s)', r.status));
    END IF;
    -- serialise publications so the mentee/mentor checks below see every earlier one
    PERFORM pg_advisory_xact_lock(7346212);
    SELECT (p->>'mentee')::bigint INTO clash
    FROM jsonb_array_elements(r.solution->'pairs') p
    WHERE EXISTS (SELECT 1 FROM pairs x WHERE x.mentee_id = (p->>'mentee')::bigint AND x.status = 'active')
    LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(409, 'conflict', 'pairs',
                         format('%s got an active mentor since this round was solved: re-solve it', person_label(clash)));
    END IF;
    -- the people of the solution, share-locked: a deactivation under way (HR import, SCIM) either
    -- commits first and is seen below, or waits for this publication and then ends its new pairs
    PERFORM 1 FROM employees x
    WHERE x.id IN (SELECT (p->>k)::bigint FROM jsonb_array_elements(r.solution->'pairs') p,
                                               unnest(ARRAY['mentor', 'mentee']) k)
    ORDER BY x.id FOR SHARE;
    SELECT x.id INTO clash
    FROM jsonb_array_elements(r.solution->'pairs') p
    JOIN employees x ON x.id IN ((p->>'mentor')::bigint, (p->>'mentee')::bigint)
    WHERE NOT x.active
    ORDER BY x.id LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(409, 'conflict', 'pairs',
                         format('%s left the company (deactivated) since this round was solved: re-solve it',
                                person_label(clash)));
    END IF;
    INSERT INTO pairs (round_id, mentor_id, mentee_id, score, detail, starts_on, ends_on, cross_department)
    SELECT rid, (p->>'mentor')::bigint, (p->>'mentee')::bigint, (p->>'score')::double precision,
           p - 'mentor' - 'mentee' - 'score',
           (r.params->>'starts_on')::date, (r.params->>'ends_on')::date,
           (SELECT m.department <> e.department FROM employees m, employees e
            WHERE m.id = (p->>'mentor')::bigint AND e.id = (p->>'mentee')::bigint)
    FROM jsonb_array_elements(r.solution->'pairs') p
    WHERE EXISTS (SELECT 1 FROM employees e WHERE e.id = (p->>'mentor')::bigint)
      AND EXISTS (SELECT 1 FROM employees e WHERE e.id = (p->>'mentee')::bigint);
    SELECT p.mentor_id INTO clash FROM pairs p JOIN employees e ON e.id = p.mentor_id
    WHERE p.status = 'active'
      AND p.mentor_id IN (SELECT (x->>'mentor')::bigint FROM jsonb_array_elements(r.solution->'pairs') x)
    GROUP BY p.mentor_id, e.mentor_capacity
    HAVING count(*) > e.mentor_capacity LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(409, 'conflict', 'pairs',
                         format('%s would exceed their mentor capacity: re-solve the round', person_label(clash)));
    END IF;
    UPDATE rounds SET status = 'published', published_at = now(), updated_at = now()
    WHERE id = rid RETURNING * INTO r;
    RETURN round_json(r);
END $$;

CREATE FUNCTION core.api_round_cancel(rid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
BEGIN
    SELECT * INTO r FROM rounds WHERE id = rid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such round');
    END IF;
    IF r.status IN ('published', 'cancelled') THEN
        PERFORM api_fail(409, 'conflict', 'status', format('a %s round cannot be cancelled', r.status));
    END IF;
    UPDATE rounds SET status = 'cancelled', updated_at = now() WHERE id = rid RETURNING * INTO r;
    RETURN round_json(r);
END $$;

-- How long a round's pairs may run, from their start: programmes last 6 to 12 months; two years
-- bounds what a round or a moved end date may ask (an invitation covers the whole span).
CREATE FUNCTION core.programme_max_days() RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT 731
$$;

-- Date rules of a round's parameters (dates already well-formed): the reference week starts on a
-- Monday, the round ends after it starts. Checked on the body, then on the whole parameters once the
-- defaults or the stored ones are merged in (a body giving only ends_on is compared with the default
-- start).
CREATE FUNCTION core.round_check_dates(p jsonb) RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p ? 'reference_week' AND extract(isodow FROM (p->>'reference_week')::date) <> 1 THEN
        PERFORM api_fail(400, 'invalid_value', 'reference_week', 'reference_week must be a Monday');
    END IF;
    IF p ? 'starts_on' AND p ? 'ends_on' AND (p->>'ends_on')::date <= (p->>'starts_on')::date THEN
        PERFORM api_fail(400, 'invalid_value', 'ends_on', 'ends_on must be after starts_on');
    END IF;
    IF p ? 'starts_on' AND p ? 'ends_on'
       AND (p->>'ends_on')::date > (p->>'starts_on')::date + programme_max_days() THEN
        PERFORM api_fail(400, 'invalid_value', 'ends_on',
                         format('a round lasts at most %s days (ends_on %s at the latest)', programme_max_days(),
                                (p->>'starts_on')::date + programme_max_days()));
    END IF;
END $$;

-- POST /v1/rounds (HR): the defaults overlaid by the body (objects merged one level deep); a draft
-- when solve is false, else queued for the solver.
CREATE FUNCTION api.round_create(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    hid bigint := auth_hr(tok);
    d jsonb;
    j jsonb;
    params jsonb;
BEGIN
    PERFORM round_check_dates(p);
    d := round_defaults((p->>'starts_on')::date);
    params := d || (p - 'name' - 'solve' - 'filter' - 'weights' - 'constraints')
              || jsonb_build_object('filter', (d->'filter') || coalesce(p->'filter', '{}'),
                                    'weights', (d->'weights') || coalesce(p->'weights', '{}'),
                                    'constraints', (d->'constraints') || coalesce(p->'constraints', '{}'));
    PERFORM round_check_dates(params);
    INSERT INTO rounds (name, status, params, created_by)
    VALUES (p->>'name', CASE WHEN p->'solve' = 'false'::jsonb THEN 'draft' ELSE 'solving' END, params, hid)
    RETURNING round_json(rounds) INTO j;
    RETURN j;
END $$;

-- GET /v1/rounds (HR)
CREATE FUNCTION api.rounds_list(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN (SELECT jsonb_build_object('items', coalesce(jsonb_agg(round_json(r) ORDER BY r.id DESC), '[]'))
            FROM rounds r);
END $$;

-- GET /v1/rounds/{id} (HR)
CREATE FUNCTION api.round_get(tok bytea, rid bigint) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN round_detail(rid);
END $$;

-- PATCH /v1/rounds/{id} (HR)
CREATE FUNCTION api.round_patch(tok bytea, rid bigint, p jsonb, new_name text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    PERFORM round_check_dates(p);
    RETURN api_round_patch(rid, p, new_name);
END $$;

-- PUT /v1/rounds/{id}/pins and /forbidden (HR)
CREATE FUNCTION api.round_set_pairs(tok bytea, rid bigint, which text, list jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_round_set_pairs(rid, which, list);
END $$;

-- POST /v1/rounds/{id}/solve (HR)
CREATE FUNCTION api.round_solve(tok bytea, rid bigint, keep boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_round_solve(rid, keep);
END $$;

-- POST /v1/rounds/{id}/publish (HR)
CREATE FUNCTION api.round_publish(tok bytea, rid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_round_publish(rid);
END $$;

-- POST /v1/rounds/{id}/cancel (HR)
CREATE FUNCTION api.round_cancel(tok bytea, rid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_round_cancel(rid);
END $$;

-- The solver worker's statements (solver.c connects as the application role and runs nothing else):
-- the solve lock, the next waiting round, taking one (its instance and time limit, solve_started_at
-- stamped), storing its outcome, failing one whose instance cannot be built.

-- The solve lock: one round solves at a time across every tandemd on the database. Session-level,
-- so a solver that dies loses it with its connection; true when taken (each take needs its unlock).
CREATE FUNCTION api.solver_lock() RETURNS boolean LANGUAGE sql AS $$
    SELECT pg_try_advisory_lock(7346211)
$$;

CREATE FUNCTION api.solver_unlock() RETURNS boolean LANGUAGE sql AS $$
    SELECT pg_advisory_unlock(7346211)
$$;

CREATE FUNCTION api.solver_next_round() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT id FROM rounds WHERE status = 'solving' ORDER BY updated_at, id LIMIT 1);
END $$;

-- The instance is built before the round's row is stamped (with the time it was taken), so the row
-- is not locked while it builds (seconds on a large company): HR's cancel or edit need not wait.
CREATE FUNCTION api.solver_take(rid bigint, OUT instance text, OUT time_limit integer) LANGUAGE plpgsql AS $$
DECLARE
    taken timestamptz := clock_timestamp();
BEGIN
    SELECT round_instance(id)::text, coalesce((params->>'time_limit_seconds')::int, 60)
    INTO instance, time_limit FROM rounds WHERE id = rid;
    UPDATE rounds SET solve_started_at = taken WHERE id = rid;
END $$;

CREATE FUNCTION api.solver_store(rid bigint, p_result jsonb, p_error text, p_ms integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM round_store_result(rid, p_result, p_error, p_ms);
END $$;

CREATE FUNCTION api.solver_fail(rid bigint, p_error text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rounds SET status = 'failed', error = p_error, updated_at = now()
    WHERE id = rid AND status = 'solving';
END $$;

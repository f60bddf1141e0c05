-- Matching rounds: HR creates a round, the solver worker fills in its solution, HR reviews
-- (pins, forbids, weights, re-solve) and publishes; publishing turns the solution into active pairs.

CREATE TABLE rounds (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL,
    status           text NOT NULL CHECK (status IN ('draft', 'solving', 'solved', 'published', 'failed', 'cancelled')),
    params           jsonb NOT NULL,           -- objective, filter, weights, constraints, dates...
    pins             jsonb NOT NULL DEFAULT '[]',
    forbidden        jsonb NOT NULL DEFAULT '[]',
    keep_previous    boolean NOT NULL DEFAULT true,
    previous         jsonb,                    -- pairs of the solution replaced by a re-solve
    solution         jsonb,                    -- the matcher's full result
    solve_ms         integer,
    solve_started_at timestamptz,              -- when the solver worker took it (wall clock)
    solved_at        timestamptz,              -- when its result was stored
    error            text,
    created_by       bigint REFERENCES hr_accounts (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz
);
CREATE INDEX rounds_status_idx ON rounds (status);

CREATE TABLE pairs (
    id            bigserial PRIMARY KEY,
    round_id      bigint NOT NULL REFERENCES rounds (id),
    -- NULL once that person erased their account: the partner keeps the pair's history
    mentor_id     bigint REFERENCES employees (id) ON DELETE SET NULL,
    mentee_id     bigint REFERENCES employees (id) ON DELETE SET NULL,
    cross_department boolean NOT NULL DEFAULT false,  -- as it was at publication
    score         double precision NOT NULL,
    detail        jsonb NOT NULL,              -- breakdown, skills, slots, proposed slot
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    starts_on     date NOT NULL,
    ends_on       date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (round_id, mentee_id)
);
CREATE INDEX pairs_mentor_idx ON pairs (mentor_id) WHERE status = 'active';
CREATE INDEX pairs_mentee_idx ON pairs (mentee_id) WHERE status = 'active';
-- a manager has at most one active mentor at a time
CREATE UNIQUE INDEX pairs_one_active_mentor ON pairs (mentee_id) WHERE status = 'active';

CREATE FUNCTION round_json(r rounds) RETURNS jsonb LANGUAGE sql STABLE AS $$
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
            'kept_from_previous', (r.solution->'stats'->'kept'),
            'solve_ms', r.solve_ms,
            'solve_started_at', ts_text(r.solve_started_at),
            'solved_at', ts_text(r.solved_at),
            'proof', r.solution->'proof') END,
        'error', r.error,
        'created_at', ts_text(r.created_at), 'updated_at', ts_text(r.updated_at),
        'published_at', ts_text(r.published_at))
$$;

-- Public card of an employee shown to their partner and to HR in a pair.
CREATE FUNCTION person_card(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', e.id, 'display_name', e.display_name, 'email', e.email,
                              'department', e.department, 'site', e.site, 'job_title', e.job_title,
                              'timezone', e.timezone, 'languages', to_jsonb(e.languages))
    FROM employees e WHERE e.id = eid
$$;

-- A round with its pairs (names resolved) and unmatched mentees, for HR review.
CREATE FUNCTION round_detail(rid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT round_json(r) || jsonb_build_object(
        'pairs', coalesce((SELECT jsonb_agg((p - 'mentor' - 'mentee') || jsonb_build_object(
                               'mentor', person_card((p->>'mentor')::bigint),
                               'mentee', person_card((p->>'mentee')::bigint)) ORDER BY i)
                           FROM jsonb_array_elements(r.solution->'pairs') WITH ORDINALITY AS t(p, i)
                           WHERE person_card((p->>'mentor')::bigint) IS NOT NULL
                             AND person_card((p->>'mentee')::bigint) IS NOT NULL), '[]'),
        'unmatched', coalesce((SELECT jsonb_agg((u - 'mentee') || jsonb_build_object(
                               'mentee', person_card((u->>'mentee')::bigint)) ORDER BY i)
                           FROM jsonb_array_elements(r.solution->'unmatched') WITH ORDINALITY AS t(u, i)
                           WHERE person_card((u->>'mentee')::bigint) IS NOT NULL), '[]'))
    FROM rounds r WHERE r.id = rid
$$;

-- Ids (text) of the round's participants given its filter.
CREATE FUNCTION round_participants(rid bigint) RETURNS SETOF employees LANGUAGE sql STABLE AS $$
    SELECT e.* FROM employees e, rounds r
    WHERE r.id = rid
      AND (jsonb_array_length(coalesce(r.params->'filter'->'departments', '[]')) = 0
           OR e.department IN (SELECT jsonb_array_elements_text(r.params->'filter'->'departments')))
      AND (jsonb_array_length(coalesce(r.params->'filter'->'sites', '[]')) = 0
           OR e.site IN (SELECT jsonb_array_elements_text(r.params->'filter'->'sites')))
$$;

-- The matcher's domain-form instance of a round (see api-spec/matcher-instance.schema.json).
-- Mentees already in an active pair are left out; mentors keep only their remaining capacity.
CREATE FUNCTION round_instance(rid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH r AS (SELECT * FROM rounds WHERE id = rid),
    part AS (SELECT * FROM round_participants(rid)),
    busy AS (SELECT mentor_id, count(*) AS n FROM pairs WHERE status = 'active' GROUP BY mentor_id),
    last_published AS (
        SELECT solution FROM rounds WHERE status = 'published' AND id <> rid
        ORDER BY published_at DESC LIMIT 1),
    prev_unmatched AS (
        SELECT (u->>'mentee')::bigint AS id
        FROM last_published, jsonb_array_elements(coalesce(solution->'unmatched', '[]')) AS u),
    mentors AS (
        SELECT jsonb_agg(jsonb_build_object(
                   'id', e.id::text, 'department', e.department,
                   'team', coalesce(e.manager_email, ''), 'timezone', e.timezone,
                   'languages', to_jsonb(e.languages),
                   'capacity', e.mentor_capacity - coalesce(b.n, 0),
                   'teaches', teaching_json(e.id), 'availability', availability_json(e.id))
               ORDER BY e.id) AS j
        FROM part e LEFT JOIN busy b ON b.mentor_id = e.id
        WHERE e.role IN ('mentor', 'both') AND e.mentor_capacity > coalesce(b.n, 0)
          AND EXISTS (SELECT 1 FROM teaching t WHERE t.employee_id = e.id)),
    mentees AS (
        SELECT jsonb_agg(jsonb_build_object(
                   'id', e.id::text, 'department', e.department,
                   'team', coalesce(e.manager_email, ''), 'timezone', e.timezone,
                   'languages', to_jsonb(e.languages),
                   'goals', learning_json(e.id), 'availability', availability_json(e.id),
                   'previously_unmatched', e.id IN (SELECT id FROM prev_unmatched))
               ORDER BY e.id) AS j
        FROM part e
        WHERE e.role IN ('mentee', 'both')
          AND EXISTS (SELECT 1 FROM learning l WHERE l.employee_id = e.id)
          AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.mentee_id = e.id AND p.status = 'active')),
    lines AS (
        SELECT jsonb_agg(jsonb_build_object('id', e.id::text, 'manager', m.id::text) ORDER BY e.id) AS j
        FROM employees e JOIN employees m ON lower(m.email) = lower(e.manager_email)),
    history AS (
        SELECT jsonb_agg(DISTINCT jsonb_build_object('mentor', mentor_id::text, 'mentee', mentee_id::text)) AS j
        FROM pairs WHERE round_id <> rid AND mentor_id IS NOT NULL AND mentee_id IS NOT NULL)
    SELECT jsonb_build_object(
        'objective', r.params->'objective',
        'reference_week', r.params->'reference_week',
        'starts_on', r.params->'starts_on', 'ends_on', r.params->'ends_on',
        'session_minutes', r.params->'session_minutes',
        'weights', r.params->'weights',
        'mentor_capacity_cap', r.params->'mentor_capacity_cap',
        'allow_repeat_pairs', r.params->'allow_repeat_pairs',
        'constraints', r.params->'constraints',
        'time_limit_seconds', r.params->'time_limit_seconds',
        'mentors', coalesce((SELECT j FROM mentors), '[]'),
        'mentees', coalesce((SELECT j FROM mentees), '[]'),
        'reporting_lines', coalesce((SELECT j FROM lines), '[]'),
        'history', coalesce((SELECT j FROM history), '[]'),
        'pins', (SELECT coalesce(jsonb_agg(jsonb_build_object('mentor', p->>'mentor_id', 'mentee', p->>'mentee_id')), '[]')
                 FROM jsonb_array_elements(r.pins) p),
        'forbidden', (SELECT coalesce(jsonb_agg(jsonb_build_object('mentor', p->>'mentor_id', 'mentee', p->>'mentee_id')), '[]')
                      FROM jsonb_array_elements(r.forbidden) p),
        'keep', CASE WHEN r.keep_previous AND r.previous IS NOT NULL THEN r.previous ELSE '[]' END)
    FROM r
$$;

-- Stores the solver's outcome if the round is still waiting for it (a cancel wins over a late result).
CREATE FUNCTION round_store_result(rid bigint, p_result jsonb, p_error text, p_ms integer) RETURNS void
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

-- Queues a (re-)solve: remembers the current pairs so the solver can keep them (minimal disruption).
CREATE FUNCTION api_round_solve(rid bigint, keep boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
BEGIN
    SELECT * INTO r FROM rounds WHERE id = rid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such round');
    END IF;
    IF r.status NOT IN ('draft', 'solved', 'failed') THEN
        PERFORM api_fail(409, 'conflict', 'status', format('a %s round cannot be solved', r.status));
    END IF;
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
CREATE FUNCTION api_round_patch(rid bigint, p jsonb, new_name text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
BEGIN
    SELECT * INTO r FROM rounds WHERE id = rid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such round');
    END IF;
    IF r.status NOT IN ('draft', 'solved', 'failed') THEN
        PERFORM api_fail(409, 'conflict', 'status', format('a %s round cannot be changed', r.status));
    END IF;
    UPDATE rounds SET
        params = params || (p - 'weights' - 'constraints' - 'filter')
                 || jsonb_build_object('weights', (params->'weights') || coalesce(p->'weights', '{}'),
                                       'constraints', (params->'constraints') || coalesce(p->'constraints', '{}'),
                                       'filter', (params->'filter') || coalesce(p->'filter', '{}')),
        name = coalesce(new_name, name),
        status = 'draft', updated_at = now()
    WHERE id = rid RETURNING * INTO r;
    IF (r.params->>'ends_on')::date <= (r.params->>'starts_on')::date THEN
        PERFORM api_fail(400, 'invalid_value', 'ends_on', 'ends_on must be after starts_on');
    END IF;
    RETURN round_json(r);
END $$;

-- Replaces the pins or the forbidden pairs of a round; every id must be an employee.
CREATE FUNCTION api_round_set_pairs(rid bigint, which text, list jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r rounds;
    bad record;
BEGIN
    SELECT * INTO r FROM rounds WHERE id = rid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such round');
    END IF;
    IF r.status NOT IN ('draft', 'solved', 'failed') THEN
        PERFORM api_fail(409, 'conflict', 'status', format('a %s round cannot be changed', r.status));
    END IF;
    SELECT i - 1 AS idx, k AS key INTO bad
    FROM jsonb_array_elements(list) WITH ORDINALITY AS t(x, i), unnest(ARRAY['mentor_id', 'mentee_id']) AS k
    WHERE NOT EXISTS (SELECT 1 FROM employees e WHERE e.id = (x->>k)::bigint)
    ORDER BY i LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(400, 'invalid_value', format('%s[%s].%s', which, bad.idx, bad.key),
                         format('%s[%s].%s: no such employee', which, bad.idx, bad.key));
    END IF;
    IF which = 'pins' THEN
        UPDATE rounds SET pins = list, status = 'draft', updated_at = now() WHERE id = rid RETURNING * INTO r;
    ELSE
        UPDATE rounds SET forbidden = list, status = 'draft', updated_at = now() WHERE id = rid RETURNING * INTO r;
    END IF;
    RETURN round_json(r);
END $$;

-- Publishes a solved round: all of its pairs become active at once, or none (409 on a conflict).
CREATE FUNCTION api_round_publish(rid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
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
                         format('employee %s got an active mentor since this round was solved: re-solve it', clash));
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
                         format('mentor %s would exceed their capacity: re-solve the round', clash));
    END IF;
    UPDATE rounds SET status = 'published', published_at = now(), updated_at = now()
    WHERE id = rid RETURNING * INTO r;
    RETURN round_json(r);
END $$;

CREATE FUNCTION api_round_cancel(rid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
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

-- The caller's active pairs with the partner's public card, skills, slots and proposed slot.
CREATE FUNCTION api_my_pairs(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'pair_id', p.id, 'round_id', p.round_id, 'round_name', r.name,
        'role', CASE WHEN p.mentor_id = eid THEN 'mentor' ELSE 'mentee' END,
        'partner', person_card(CASE WHEN p.mentor_id = eid THEN p.mentee_id ELSE p.mentor_id END),
        'score', p.score,
        'skills', coalesce(p.detail->'skills', '[]'),
        'slots', coalesce(p.detail->'slots', '[]'),
        'proposed_slot', p.detail->'proposed_slot',
        'starts_on', p.starts_on::text, 'ends_on', p.ends_on::text,
        'status', p.status) ORDER BY p.id), '[]'))
    FROM pairs p JOIN rounds r ON r.id = p.round_id
    WHERE (p.mentor_id = eid OR p.mentee_id = eid) AND p.status = 'active'
$$;

-- Escapes text for an iCalendar property value.
CREATE FUNCTION ics_escape(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(replace(t, '\', '\\'), ';', '\;'), ',', '\,'), E'\n', '\n')
$$;

-- An iCalendar invitation for the pair's proposed weekly slot, in the caller's own time zone,
-- recurring weekly from the round's start to its end. NULL when the pair is not the caller's.
CREATE FUNCTION api_pair_ics(eid bigint, pid bigint) RETURNS text LANGUAGE sql STABLE AS $$
    WITH p AS (
        SELECT p.*, me.timezone AS tz,
               p.detail->'proposed_slot'->(CASE WHEN p.mentor_id = eid THEN 'mentor_local' ELSE 'mentee_local' END) AS s,
               (SELECT display_name FROM employees WHERE id = p.mentor_id) AS mentor_name,
               (SELECT display_name FROM employees WHERE id = p.mentee_id) AS mentee_name
        FROM pairs p JOIN employees me ON me.id = eid
        WHERE p.id = pid AND (p.mentor_id = eid OR p.mentee_id = eid) AND p.status = 'active'
    ), f AS (
        SELECT p.*, p.starts_on + ((day_index(s->>'day') - (extract(isodow FROM p.starts_on)::int - 1) + 7) % 7) AS d
        FROM p WHERE s IS NOT NULL
    )
    SELECT concat_ws(E'\r\n',
        'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Tandem//Reverse mentoring//EN',
        'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'BEGIN:VEVENT',
        'UID:tandem-pair-' || f.id || '@tandem',
        'DTSTAMP:' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
        'DTSTART;TZID=' || f.tz || ':' || to_char(f.d + hhmm_minutes(f.s->>'start') * interval '1 minute', 'YYYYMMDD"T"HH24MISS'),
        'DTEND;TZID=' || f.tz || ':' || to_char(f.d + hhmm_minutes(f.s->>'end') * interval '1 minute', 'YYYYMMDD"T"HH24MISS'),
        'RRULE:FREQ=WEEKLY;UNTIL=' || to_char(f.ends_on, 'YYYYMMDD') || 'T235959Z',
        'SUMMARY:' || ics_escape('Tandem reverse mentoring: ' || f.mentor_name || ' and ' || f.mentee_name),
        'DESCRIPTION:' || ics_escape('Skills to work on: ' ||
            coalesce((SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(f.detail->'skills') x), '')),
        'END:VEVENT', 'END:VCALENDAR') || E'\r\n'
    FROM f
$$;

-- Refuses a mentor capacity below the number of mentees the employee mentors now.
CREATE FUNCTION employee_check_capacity(eid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    active integer;
    cap smallint;
BEGIN
    PERFORM pg_advisory_xact_lock(7346212); -- the lock publications take
    SELECT count(*) INTO active FROM pairs WHERE mentor_id = eid AND status = 'active';
    SELECT mentor_capacity INTO cap FROM employees WHERE id = eid;
    IF active > cap THEN
        PERFORM api_fail(409, 'conflict', 'mentor_capacity',
                         format('mentor_capacity: you mentor %s people now; end a pair first', active));
    END IF;
END $$;

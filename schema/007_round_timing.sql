-- When each solve started and ended (wall clock, from the solver worker's point of view), shown in
-- a round's result: HR sees how long a round took, and the one-solve-at-a-time rule is checkable.
ALTER TABLE rounds ADD COLUMN solve_started_at timestamptz;
ALTER TABLE rounds ADD COLUMN solved_at timestamptz;

CREATE OR REPLACE FUNCTION round_store_result(rid bigint, p_result jsonb, p_error text, p_ms integer) RETURNS void
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

CREATE OR REPLACE FUNCTION round_json(r rounds) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

-- Mentoring sessions (logged by the manager, confirmed or disputed by the mentor; points and badges
-- are awarded in the confirming statement) and a manager's skill progress.
-- Points and badges count only sessions the mentor confirmed.

CREATE FUNCTION core.session_json(s sessions, with_note boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'pair_id', s.pair_id, 'occurred_at', ts_text(s.occurred_at),
        'duration_minutes', s.duration_min, 'skills', to_jsonb(s.skills), 'rating', s.rating,
        'status', s.status, 'dispute_reason', s.dispute_reason,
        'decided_at', ts_text(s.decided_at), 'created_at', ts_text(s.created_at))
        || CASE WHEN with_note THEN jsonb_build_object('note', s.note) ELSE '{}' END
$$;

-- Logs a session for the manager of an active pair. A retried Idempotency-Key replays the first reply.
CREATE FUNCTION core.api_session_log(eid bigint, pid bigint, p jsonb, idem text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    pr pairs;
    s sessions;
    at timestamptz;
    bad text;
BEGIN
    -- an update lock, not a share lock: two logs of one pair are serialised, so the overlap check
    -- below sees the other's session (FOR SHARE let concurrent logs of the same time both pass)
    SELECT * INTO pr FROM pairs WHERE id = pid FOR NO KEY UPDATE;
    IF NOT FOUND OR (pr.mentor_id IS DISTINCT FROM eid AND pr.mentee_id IS DISTINCT FROM eid) THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such pair of yours');
    END IF;
    IF pr.mentee_id IS DISTINCT FROM eid THEN
        PERFORM api_fail(403, 'forbidden', NULL, 'the manager of the pair logs sessions; the mentor confirms them');
    END IF;
    IF idem IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('session:' || pid || ':' || idem, 0));
        SELECT * INTO s FROM sessions WHERE pair_id = pid AND idempotency_key = idem;
        IF FOUND THEN
            IF s.request_hash IS DISTINCT FROM md5(p::text) THEN
                PERFORM api_fail(409, 'conflict', 'Idempotency-Key',
                                 'this Idempotency-Key was already used for a different session');
            END IF;
            RETURN s.response || jsonb_build_object('replayed', true);
        END IF;
    END IF;
    IF pr.status <> 'active' THEN
        PERFORM api_fail(409, 'conflict', NULL, 'this pair has ended');
    END IF;
    at := (p->>'occurred_at')::timestamptz;
    IF at > now() + interval '5 minutes' THEN
        PERFORM api_fail(400, 'invalid_value', 'occurred_at', 'occurred_at: a session cannot be in the future');
    END IF;
    IF at < pr.starts_on::timestamptz THEN
        PERFORM api_fail(400, 'invalid_value', 'occurred_at',
                         format('occurred_at: the pair started on %s', pr.starts_on));
    END IF;
    SELECT k INTO bad FROM jsonb_array_elements_text(p->'skills') k
    WHERE NOT (coalesce(pr.detail->'skills', '[]') ? k) LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(400, 'invalid_value', 'skills',
                         format('skills: "%s" is not one of this pair''s skills (%s)', bad,
                                (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(pr.detail->'skills') x)));
    END IF;
    -- sessions of one pair cannot overlap: hours cannot be stacked on one moment
    IF EXISTS (SELECT 1 FROM sessions x WHERE x.pair_id = pid AND x.status <> 'disputed'
               AND tstzrange(x.occurred_at, x.occurred_at + x.duration_min * interval '1 minute')
                   && tstzrange(at, at + (p->>'duration_minutes')::int * interval '1 minute')) THEN
        PERFORM api_fail(409, 'conflict', 'occurred_at', 'occurred_at: another session of this pair covers that time');
    END IF;
    INSERT INTO sessions (pair_id, occurred_at, duration_min, skills, note, rating, idempotency_key, request_hash)
    VALUES (pid, at, (p->>'duration_minutes')::smallint, json_text_array(p->'skills'),
            coalesce(p->>'note', ''), (p->>'rating')::smallint, idem, CASE WHEN idem IS NOT NULL THEN md5(p::text) END)
    RETURNING * INTO s;
    UPDATE sessions SET response = session_json(s, true) WHERE id = s.id;
    RETURN session_json(s, true);
END $$;

-- The mentor confirms or disputes a pending session; a confirmation awards points and badges in
-- this same transaction, exactly once (the pending → confirmed update is the gate).
CREATE FUNCTION core.api_session_decide(eid bigint, sid bigint, decision text, why text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sessions;
    pr pairs;
    first_confirmed boolean;
BEGIN
    SELECT * INTO s FROM sessions WHERE id = sid;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such session');
    END IF;
    -- lock order everywhere: the pair, then its people (pair_end does the same)
    SELECT * INTO pr FROM pairs WHERE id = s.pair_id FOR UPDATE;
    IF pr.mentor_id IS DISTINCT FROM eid AND pr.mentee_id IS DISTINCT FROM eid THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such session');
    END IF;
    IF pr.mentor_id IS DISTINCT FROM eid THEN
        PERFORM api_fail(403, 'forbidden', NULL, 'only the mentor of the pair confirms or disputes its sessions');
    END IF;
    PERFORM lock_people(pr.mentor_id, pr.mentee_id);
    UPDATE sessions SET status = decision, dispute_reason = why, decided_at = now()
    WHERE id = sid AND status = 'pending' RETURNING * INTO s;
    IF NOT FOUND THEN
        SELECT * INTO s FROM sessions WHERE id = sid;
        PERFORM api_fail(409, 'conflict', 'status', format('this session is already %s', s.status));
    END IF;
    IF decision = 'confirmed' THEN
        SELECT count(*) = 1 INTO first_confirmed FROM sessions WHERE pair_id = pr.id AND status = 'confirmed';
        PERFORM points_for_event(pr.mentor_id, 'mentor', 'session_confirmed', 1, sid, pr.id, 'session confirmed');
        PERFORM points_for_event(pr.mentor_id, 'mentor', 'session_half_hours', s.duration_min / 30, sid, pr.id, 'time given');
        PERFORM points_for_event(pr.mentee_id, 'mentee', 'session_confirmed', 1, sid, pr.id, 'session confirmed');
        IF first_confirmed AND pr.cross_department THEN
            PERFORM points_for_event(pr.mentor_id, 'mentor', 'cross_department_pair', 1, sid, pr.id, 'cross-department pair');
            PERFORM points_for_event(pr.mentee_id, 'mentee', 'cross_department_pair', 1, sid, pr.id, 'cross-department pair');
        END IF;
        PERFORM event_emit('session_confirmed', false, pr.mentor_id, pr.id,
                           jsonb_build_object('session_id', sid, 'pair_id', pr.id, 'minutes', s.duration_min));
        -- a session confirmed after its pair ended (the pair is locked above) completes it after all
        IF pr.status = 'ended' AND NOT pr.completed THEN
            UPDATE pairs SET completed = true WHERE id = pr.id;
            PERFORM pair_award_completion(pr, 1);
        END IF;
        PERFORM badges_evaluate(pr.mentor_id, sid);
        PERFORM badges_evaluate(pr.mentee_id, sid);
    END IF;
    RETURN session_json(s, true);
END $$;

-- A manager records a new level on a skill they learn. Every change is kept (before/after); what
-- counts (badges, points, statistics) is only the rise above the best level ever recorded for that
-- skill, and only once mentoring on it was confirmed: nobody scores by editing a number up and down.
CREATE FUNCTION core.api_progress(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    before smallint;
    after smallint := (p->>'level')::smallint;
    slug text := p->>'skill';
    best smallint;
    mentored boolean;
    counted smallint := 0;
BEGIN
    PERFORM lock_people(eid, eid);
    SELECT current_level INTO before FROM learning WHERE employee_id = eid AND skill = slug;
    IF NOT FOUND THEN
        PERFORM api_fail(400, 'invalid_value', 'skill', format('skill: "%s" is not one of your learning goals', slug));
    END IF;
    SELECT greatest(before, max(greatest(level_before, level_after))) INTO best
    FROM skill_progress WHERE employee_id = eid AND skill = slug;
    SELECT EXISTS (SELECT 1 FROM sessions s JOIN pairs pr ON pr.id = s.pair_id
                   WHERE pr.mentee_id = eid AND s.status = 'confirmed' AND slug = ANY (s.skills)) INTO mentored;
    IF mentored THEN
        counted := greatest(after - coalesce(best, before), 0);
    END IF;
    INSERT INTO skill_progress (employee_id, skill, level_before, level_after, gain)
    VALUES (eid, slug, before, after, counted);
    UPDATE learning SET current_level = after WHERE employee_id = eid AND skill = slug;
    IF counted > 0 THEN
        PERFORM points_for_event(eid, 'mentee', 'skill_level_gained', counted, NULL, NULL,
                                 format('%s: level %s to %s', slug, before, after));
    END IF;
    PERFORM badges_evaluate(eid, NULL);
    RETURN jsonb_build_object('skill', slug, 'level_before', before, 'level_after', after,
                              'counted', counted > 0);
END $$;

-- POST /v1/pairs/{id}/sessions (employee): the session, and whether an Idempotency-Key replayed it.
CREATE FUNCTION api.session_log(tok bytea, pid bigint, p jsonb, idem text, OUT s jsonb, OUT replayed boolean)
LANGUAGE plpgsql AS $$
BEGIN
    s := api_session_log(auth_employee(tok), pid, p, idem);
    replayed := s ? 'replayed';
END $$;

-- POST /v1/sessions/{id}/confirm and /dispute (employee)
CREATE FUNCTION api.session_decide(tok bytea, sid bigint, decision text, why text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_session_decide(auth_employee(tok), sid, decision, why);
END $$;

-- POST /v1/me/progress (employee)
CREATE FUNCTION api.progress(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_progress(auth_employee(tok), p);
END $$;

-- People: HR's overview of one employee (GET /v1/employees/{id}/overview), for a stalled pair or a
-- debrief. Read-only, and built from the owners of each fact: the profile (profile_json), the
-- partner's card (person_card), the stalled rule's clock (pair_last_activity), points, level, hours
-- and badges (api_achievements over employee_counters), and the giving score (esn_giving_parts,
-- esn_giving_score, esn_why).

-- One pair of an employee as HR sees it: the partner (null once erased), the round, the status
-- (active, stalled = active with no sign of life for stall_days, ended), the dates, and its confirmed
-- sessions (count, hours, latest, average rating when sessions carry one). Never a session's note.
CREATE FUNCTION core.people_pair_json(p pairs, eid bigint, stall_days integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'pair_id', p.id, 'round_id', p.round_id, 'round_name', r.name,
        'role', CASE WHEN p.mentor_id = eid THEN 'mentor' ELSE 'mentee' END,
        'partner', person_card(CASE WHEN p.mentor_id = eid THEN p.mentee_id ELSE p.mentor_id END),
        'skills', coalesce(p.detail->'skills', '[]'),
        'status', CASE WHEN p.status = 'ended' THEN 'ended'
                       WHEN pair_silent(la.t, stall_days) THEN 'stalled'
                       ELSE 'active' END,
        'completed', p.completed, 'starts_on', p.starts_on::text, 'ends_on', p.ends_on::text,
        'ended_at', ts_text(p.ended_at), 'ended_by', p.ended_by,
        'last_activity_at', ts_text(la.t),
        'confirmed_sessions', s.n, 'hours', json_num(s.minutes / 60.0, 2),
        'last_session_at', ts_text(s.latest), 'average_rating', json_num(s.rating, 2))
    FROM rounds r, (SELECT pair_last_activity(p) AS t) la, -- read once: the status and the field
         (SELECT count(*) AS n, coalesce(sum(x.duration_min), 0) AS minutes, max(x.occurred_at) AS latest,
                 avg(x.rating) AS rating
          FROM sessions x WHERE x.pair_id = p.id AND x.status = 'confirmed') s
    WHERE r.id = p.round_id
$$;

-- The overview of employee eid, or NULL when there is none (never was, or erased): the profile, every
-- pair of a published round (active first, then the latest), the totals, and ESN figures only where
-- HR already sees them by name. Employees are told (My ESN activity) that only they see their figures
-- by name and that HR sees group totals of at least esn_min_group() people and the biggest givers as
-- ambassador candidates; so the overview gives the giving score, parts and why over the ambassadors'
-- default window (esn_default_days) only for an ambassador candidate (esn_is_candidate). A manager's
-- own before/during/after (/v1/me/esn) is never given.
CREATE FUNCTION core.people_overview(eid bigint, stall_days integer, base text, org text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    profile jsonb := profile_json(eid);
    ach jsonb;
    counters jsonb;
    parts jsonb;
    esn jsonb;
    days integer := esn_default_days();
    score numeric;
BEGIN
    IF profile IS NULL THEN
        RETURN NULL;
    END IF;
    ach := api_achievements(eid, base, org);
    counters := ach->'counters';
    IF esn_never_mentored(eid) THEN
        parts := esn_giving_parts(eid, now() - make_interval(days => days), now() + interval '1 day');
        score := esn_giving_score(parts);
    END IF;
    IF esn_is_candidate(eid, score) THEN
        esn := jsonb_build_object('days', days, 'score', json_num(score, 1), 'parts', parts, 'why', esn_why(parts));
    END IF;
    RETURN jsonb_build_object(
        'employee', profile,
        -- a leaver (HR import, SCIM) is deactivated, not deleted: HR sees since when
        'deactivated_at', (SELECT ts_text(e.deactivated_at) FROM employees e WHERE e.id = eid),
        'stall_days', stall_days,
        'pairs', coalesce((SELECT jsonb_agg(people_pair_json(p, eid, stall_days)
                                            ORDER BY p.status = 'active' DESC, p.starts_on DESC, p.id DESC)
                           FROM pairs p JOIN rounds r ON r.id = p.round_id
                           WHERE (p.mentor_id = eid OR p.mentee_id = eid) AND r.published_at IS NOT NULL), '[]'),
        'totals', jsonb_build_object(
            'sessions_confirmed', (counters->>'sessions')::bigint,
            'sessions_given', (counters->>'sessions_given')::bigint,
            'sessions_received', (counters->>'sessions_received')::bigint,
            'hours_given', ach->'hours_given', 'hours_received', ach->'hours_received',
            'pairs_completed', (counters->>'pairs_completed')::bigint,
            'points', ach->'points', 'level', ach->'level',
            'badges', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                   'award_id', b->'award_id', 'badge', b->'badge', 'name', b->'name', 'awarded_at', b->'awarded_at',
                                   'revoked', b->'revoked', 'assertion_url', b->'assertion_url') ORDER BY i)
                                FROM jsonb_array_elements(ach->'badges') WITH ORDINALITY AS t(b, i)), '[]')),
        'esn', esn);
END $$;

-- GET /v1/employees/{id}/overview (HR): 404 for an unknown or erased employee (NULL).
CREATE FUNCTION api.employee_overview(tok bytea, eid bigint, stall_days integer, base text, org text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN people_overview(eid, stall_days, base, org);
END $$;

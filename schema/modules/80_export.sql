-- Export: data portability, everything Tandem holds about one employee, in one JSON document
-- (profile, lists, pairs with the partner's card, sessions with notes, feedback, progress,
-- points ledger, badges). Tokens are never exported (only their hashes exist).
CREATE FUNCTION core.api_export(eid bigint, base text, org text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'exported_at', ts_text(now()),
        'profile', profile_json(eid),
        'pairs', coalesce((SELECT jsonb_agg(pair_json(p.id, false) ORDER BY p.id) FROM pairs p
                           WHERE p.mentor_id = eid OR p.mentee_id = eid), '[]'),
        'sessions', coalesce((SELECT jsonb_agg(session_json(s, true) ORDER BY s.id)
                              FROM sessions s JOIN pairs p ON p.id = s.pair_id
                              WHERE p.mentor_id = eid OR p.mentee_id = eid), '[]'),
        'skill_progress', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                        'skill', skill, 'level_before', level_before, 'level_after', level_after,
                                        'created_at', ts_text(created_at)) ORDER BY id)
                                    FROM skill_progress WHERE employee_id = eid), '[]'),
        'ledger', api_ledger(eid),
        'achievements', api_achievements(eid, base, org),
        'events', coalesce((SELECT jsonb_agg(jsonb_build_object('id', ev.id, 'type', ev.type,
                                                                'payload', ev.payload, 'created_at', ts_text(ev.created_at))
                                             ORDER BY ev.id)
                            FROM events ev LEFT JOIN pairs p ON p.id = ev.pair_id
                            WHERE ev.employee_id = eid OR p.mentor_id = eid OR p.mentee_id = eid), '[]'))
    WHERE EXISTS (SELECT 1 FROM employees WHERE id = eid)
$$;

-- GET /v1/me/export (employee)
CREATE FUNCTION api.export(tok bytea, base text, org text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_export(auth_employee(tok), base, org);
END $$;

-- Export: data portability, everything Tandem holds about one employee, in one JSON document
-- (profile, the HR system's record, lists, pairs with the partner's card, sessions with notes,
-- feedback, progress, points ledger, badges, events, ESN activity). Tokens are never exported (only
-- their hashes exist).

-- What the HR data (HR import, SCIM) holds about an employee: the HR system's id, where the record
-- comes from, whether they are active and since when they left, and the manager the HR system gives
-- them, by id and name only (their own reporting line, not that person's profile).
CREATE FUNCTION core.export_hr_data(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'external_id', e.external_id, 'source', e.source, 'active', e.active,
        'deactivated_at', ts_text(e.deactivated_at),
        'hr_manager', (SELECT jsonb_build_object('id', m.id, 'display_name', m.display_name)
                       FROM employees m WHERE m.id = e.hr_manager_id))
    FROM employees e WHERE e.id = eid
$$;

-- An employee's ESN activity as Tandem holds it. Their own events one by one (kind, community,
-- when, and whether it was aimed at nobody, themselves or a colleague: never who, since a matched
-- target tells that the colleague is enrolled in Tandem). Events of others aimed at them only as a
-- count per kind: rows are stored only for actors enrolled in Tandem, so one event with its time
-- and community would point, on the ESN, at the colleague who acted and tell they are enrolled.
CREATE FUNCTION core.export_esn(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'own', coalesce((SELECT jsonb_agg(jsonb_build_object(
                             'kind', ev.kind, 'community', c.name, 'occurred_at', ts_text(ev.occurred_at),
                             'received_at', ts_text(ev.received_at),
                             'aimed_at', CASE WHEN ev.target_id IS NULL THEN 'none'
                                              WHEN ev.target_id = eid THEN 'self' ELSE 'colleague' END)
                             ORDER BY ev.occurred_at, ev.kind)
                         FROM esn_events ev LEFT JOIN esn_communities c ON c.id = ev.community_id
                         WHERE ev.actor_id = eid), '[]'),
        'received', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', kind, 'count', n) ORDER BY kind)
                              FROM (SELECT kind, count(*) AS n FROM esn_events
                                    WHERE target_id = eid AND actor_id <> eid GROUP BY kind) t), '[]'))
$$;

CREATE FUNCTION core.api_export(eid bigint, base text, org text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'exported_at', ts_text(now()),
        'profile', profile_json(eid),
        'hr_data', export_hr_data(eid),
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
                            WHERE ev.employee_id = eid OR p.mentor_id = eid OR p.mentee_id = eid), '[]'),
        'esn', export_esn(eid))
    WHERE EXISTS (SELECT 1 FROM employees WHERE id = eid)
$$;

-- GET /v1/me/export (employee)
CREATE FUNCTION api.export(tok bytea, base text, org text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_export(auth_employee(tok), base, org);
END $$;

-- Activity events: public ones feed the enterprise network (people named only with consent);
-- private ones (pair_stalled) go to HR and the pair. event_emit also queues webhook deliveries.

-- Records an event and queues one delivery per active webhook of its type.
CREATE FUNCTION core.event_emit(p_type text, p_public boolean, p_employee bigint, p_pair bigint, p_payload jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
BEGIN
    INSERT INTO events (type, public, employee_id, pair_id, payload)
    VALUES (p_type, p_public, p_employee, p_pair, p_payload) RETURNING id INTO eid;
    INSERT INTO webhook_deliveries (webhook_id, event_id)
    SELECT w.id, eid FROM webhooks w WHERE w.active AND w.event_type = p_type;
END $$;

-- How a person is named in public: by name only with their leaderboard consent, as it stands when
-- the feed is read (withdrawing consent, or erasure, takes effect on past events too). Without
-- consent the department is named only when it has at least 5 people, so nobody is singled out.
CREATE FUNCTION core.public_name(eid bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT CASE WHEN e.leaderboard_opt_in THEN e.display_name
                                 WHEN (SELECT count(*) FROM employees d WHERE d.department = e.department) >= 5
                                     THEN 'A colleague from ' || e.department
                                 ELSE 'A colleague' END
                     FROM employees e WHERE e.id = eid), 'A former colleague')
$$;

-- The public face of an event: people's ids replaced by their public names.
CREATE FUNCTION core.event_view(ev events) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE ev.type
        WHEN 'badge_earned' THEN (ev.payload - 'employee_id')
             || jsonb_build_object('who', public_name((ev.payload->>'employee_id')::bigint))
        WHEN 'pair_completed' THEN (ev.payload - 'mentor_id' - 'manager_id')
             || jsonb_build_object('mentor', public_name((ev.payload->>'mentor_id')::bigint),
                                   'manager', public_name((ev.payload->>'manager_id')::bigint))
        ELSE ev.payload END
$$;

-- Public activity feed, newest first, with keyset pagination.
CREATE FUNCTION core.api_activity(before_id bigint, lim integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT ev.id, ev.type, ev.created_at, event_view(ev) AS view FROM events ev
        WHERE ev.public AND ev.id < coalesce(before_id, 9223372036854775807)
        ORDER BY ev.id DESC LIMIT lim + 1
    ), numbered AS (SELECT *, row_number() OVER (ORDER BY id DESC) AS n FROM page)
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'type', type, 'payload', view,
                                                               'created_at', ts_text(created_at)) ORDER BY id DESC)
                           FROM numbered WHERE n <= lim), '[]'),
        'next_cursor', (SELECT id::text FROM numbered WHERE n = lim AND EXISTS (SELECT 1 FROM numbered WHERE n = lim + 1)))
$$;

-- Private events (stalled pairs): HR sees all, an employee those of their pairs.
CREATE FUNCTION core.api_private_events(eid bigint, is_hr boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'id', ev.id, 'type', ev.type, 'payload', ev.payload, 'created_at', ts_text(ev.created_at)) ORDER BY ev.id DESC), '[]'))
    FROM events ev LEFT JOIN pairs p ON p.id = ev.pair_id
    WHERE NOT ev.public AND ev.type = 'pair_stalled'
      AND (is_hr OR p.mentor_id = eid OR p.mentee_id = eid)
$$;

-- GET /v1/activity (any caller)
CREATE FUNCTION api.activity(tok bytea, before_id bigint, lim integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_any(tok);
    RETURN api_activity(before_id, lim);
END $$;

-- GET /v1/events (any caller): HR sees every private event, an employee those of their pairs.
CREATE FUNCTION api.private_events(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM auth_any(tok);
    RETURN api_private_events(c.employee_id, c.hr_id IS NOT NULL);
END $$;

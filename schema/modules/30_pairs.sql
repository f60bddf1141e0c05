-- Pairs: what an employee sees of their pairs (with an iCalendar invitation), a pair's view, its
-- end with closing feedback and completion awards, and the periodic upkeep of pairs.

-- The caller's pairs, active first then ended ones (history stays reachable), each with the
-- partner's public card (null once the partner erased their account), skills, slots, proposed
-- slot, status and dates.
CREATE FUNCTION core.api_my_pairs(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'pair_id', p.id, 'round_id', p.round_id, 'round_name', r.name,
        'role', CASE WHEN p.mentor_id = eid THEN 'mentor' ELSE 'mentee' END,
        'partner', person_card(CASE WHEN p.mentor_id = eid THEN p.mentee_id ELSE p.mentor_id END),
        'score', p.score,
        'skills', coalesce(p.detail->'skills', '[]'),
        'slots', coalesce(p.detail->'slots', '[]'),
        'proposed_slot', p.detail->'proposed_slot',
        'starts_on', p.starts_on::text, 'ends_on', p.ends_on::text,
        'status', p.status, 'completed', p.completed, 'ended_at', ts_text(p.ended_at))
        ORDER BY p.status = 'active' DESC, p.id DESC), '[]'))
    FROM pairs p JOIN rounds r ON r.id = p.round_id
    WHERE p.mentor_id = eid OR p.mentee_id = eid
$$;

-- Escapes text for an iCalendar TEXT value (RFC 5545 3.3.11): a line break of any kind becomes \n and
-- any other control character but a tab is dropped, so that no name or skill starts a property.
CREATE FUNCTION core.ics_escape(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(
        replace(replace(replace(replace(replace(replace(t, E'\r\n', E'\n'), E'\r', E'\n'), '\', '\\'), ';', '\;'),
                        ',', '\,'), E'\n', '\n'),
        '[\x01-\x08\x0a-\x1f\x7f]', '', 'g')
$$;

-- A name as a quoted iCalendar parameter value (RFC 5545 3.2: no control character, no DQUOTE).
CREATE FUNCTION core.ics_param(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(replace(t, '"', ''''), '[\x01-\x1f\x7f]', ' ', 'g')
$$;

-- Folds one iCalendar content line into lines of at most 75 octets (RFC 5545 3.1), never inside a
-- UTF-8 character.
CREATE FUNCTION core.ics_fold(line text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out text := '';
    cur text := '';
    ch text;
BEGIN
    FOREACH ch IN ARRAY regexp_split_to_array(line, '') LOOP
        IF octet_length(cur) + octet_length(ch) > 75 THEN
            out := out || cur || E'\r\n ';
            cur := '';
        END IF;
        cur := cur || ch;
    END LOOP;
    RETURN out || cur;
END $$;

-- A UTC offset as iCalendar writes it (+0100, -0430).
CREATE FUNCTION core.ics_offset(o interval) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN o < interval '0' THEN '-' ELSE '+' END
           || to_char(abs(extract(epoch FROM o))::int / 3600, 'FM00')
           || to_char(abs(extract(epoch FROM o))::int % 3600 / 60, 'FM00')
$$;

-- The VTIMEZONE of a zone over [t0, t1): its offset at t0, then every change of offset in the
-- period as PostgreSQL's zone database knows it (scanned every 15 minutes), each observance with the
-- wall-clock time it starts at, before the change (RFC 5545 3.6.5).
CREATE FUNCTION core.ics_vtimezone(zone text, t0 timestamptz, t1 timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH steps AS (
        SELECT t, (t AT TIME ZONE zone) - (t AT TIME ZONE 'UTC') AS off
        FROM generate_series(t0, t1, interval '15 minutes') AS t
    ), changes AS (
        SELECT t, off, lag(off) OVER (ORDER BY t) AS before FROM steps
    ), obs AS (
        -- the first row is the offset in force at t0; then one row per change
        SELECT t, coalesce(before, off) AS before, off, before IS NULL AS initial
        FROM changes WHERE before IS NULL OR before <> off
    ), kinds AS (
        -- an offset above the period's smallest is daylight time, the smallest is standard time
        SELECT obs.*, CASE WHEN off > (SELECT min(off) FROM steps) THEN 'DAYLIGHT' ELSE 'STANDARD' END AS kind
        FROM obs
    )
    SELECT concat_ws(E'\r\n', 'BEGIN:VTIMEZONE', 'TZID:' || zone,
        (SELECT string_agg(concat_ws(E'\r\n', 'BEGIN:' || kind,
                    'DTSTART:' || to_char((t AT TIME ZONE 'UTC') + before, 'YYYYMMDD"T"HH24MISS'),
                    'TZOFFSETFROM:' || ics_offset(before), 'TZOFFSETTO:' || ics_offset(off),
                    'END:' || kind), E'\r\n' ORDER BY t)
         FROM kinds),
        'END:VTIMEZONE')
$$;

-- The invitation of a pair, the same for both partners: one weekly series anchored in the time zone
-- the matcher anchored the proposed slot in (the manager's), from the round's first week to its
-- end, with ORGANIZER (the mentor, who leads), both partners as ATTENDEE, a VTIMEZONE for the TZID
-- it uses, and skill names. Each calendar shows it in its owner's own time. NULL when the pair is
-- not the caller's or has no proposed slot.
CREATE FUNCTION core.api_pair_ics(eid bigint, pid bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    p pairs;
    anchor text;
    tz text;
    slot jsonb;
    minutes integer;
    first_day date;
    first_start timestamp;
    until_utc timestamptz;
    mentor employees;
    mentee employees;
    skills text;
BEGIN
    SELECT * INTO p FROM pairs
    WHERE id = pid AND (mentor_id = eid OR mentee_id = eid) AND status = 'active';
    IF NOT FOUND OR p.detail->'proposed_slot' IS NULL OR jsonb_typeof(p.detail->'proposed_slot') <> 'object' THEN
        RETURN NULL;
    END IF;
    SELECT * INTO mentor FROM employees WHERE id = p.mentor_id;
    SELECT * INTO mentee FROM employees WHERE id = p.mentee_id;
    IF mentor.id IS NULL OR mentee.id IS NULL THEN
        RETURN NULL;
    END IF;
    anchor := coalesce(p.detail->'proposed_slot'->>'anchor', 'mentee');
    tz := CASE WHEN anchor = 'mentor' THEN mentor.timezone ELSE mentee.timezone END;
    slot := p.detail->'proposed_slot'->(anchor || '_local');
    SELECT coalesce((r.params->>'session_minutes')::integer, 60) INTO minutes FROM rounds r WHERE r.id = p.round_id;
    first_day := p.starts_on + ((day_index(slot->>'day') - (extract(isodow FROM p.starts_on)::int - 1) + 7) % 7);
    first_start := first_day + hhmm_minutes(slot->>'start') * interval '1 minute';
    until_utc := ((p.ends_on + 1)::timestamp AT TIME ZONE tz) - interval '1 second';
    SELECT string_agg(coalesce(s.name, k), ', ' ORDER BY k) INTO skills
    FROM jsonb_array_elements_text(coalesce(p.detail->'skills', '[]')) k LEFT JOIN skills s ON s.slug = k;
    RETURN concat_ws(E'\r\n',
        'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Tandem//Reverse mentoring//EN',
        'CALSCALE:GREGORIAN', 'METHOD:PUBLISH',
        ics_vtimezone(tz, (first_start AT TIME ZONE tz) - interval '7 days', until_utc + interval '7 days'),
        'BEGIN:VEVENT',
        'UID:tandem-pair-' || p.id || '@tandem',
        -- a changed end date is a revision of the same series (RFC 5545 3.8.7.4)
        'SEQUENCE:' || p.ics_sequence,
        'DTSTAMP:' || to_char(greatest(p.created_at, p.ends_on_changed_at) AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
        'DTSTART;TZID=' || tz || ':' || to_char(first_start, 'YYYYMMDD"T"HH24MISS'),
        'DTEND;TZID=' || tz || ':' || to_char(first_start + minutes * interval '1 minute', 'YYYYMMDD"T"HH24MISS'),
        'RRULE:FREQ=WEEKLY;UNTIL=' || to_char(until_utc AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
        ics_fold('ORGANIZER;CN="' || ics_param(mentor.display_name) || '":mailto:' || mentor.email),
        ics_fold('ATTENDEE;CN="' || ics_param(mentor.display_name) || '";ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:' || mentor.email),
        ics_fold('ATTENDEE;CN="' || ics_param(mentee.display_name) || '";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:' || mentee.email),
        ics_fold('SUMMARY:' || ics_escape('Tandem reverse mentoring: ' || mentor.display_name || ' and ' || mentee.display_name)),
        ics_fold('DESCRIPTION:' || ics_escape('Skills to work on: ' || coalesce(skills, ''))),
        'END:VEVENT', 'END:VCALENDAR') || E'\r\n';
END $$;

-- Refuses a mentor capacity below the number of mentees the employee mentors now.
CREATE FUNCTION core.employee_check_capacity(eid bigint) RETURNS void LANGUAGE plpgsql AS $$
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

-- Serialises awards of one person so caps and "once" rules hold under concurrent confirmations.
CREATE FUNCTION core.lock_people(a bigint, b bigint) RETURNS void LANGUAGE sql AS $$
    SELECT 1 FROM employees WHERE id IN (a, b) ORDER BY id FOR UPDATE
$$;

-- Awards what completing a pair earns: both sides' points and the public event (badges follow
-- from the callers' badges_evaluate).
CREATE FUNCTION core.pair_award_completion(pr pairs, confirmed integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM points_for_event(pr.mentor_id, 'mentor', 'pair_completed', 1, NULL, pr.id, 'pair completed');
    PERFORM points_for_event(pr.mentee_id, 'mentee', 'pair_completed', 1, NULL, pr.id, 'pair completed');
    PERFORM event_emit('pair_completed', true, NULL, pr.id, jsonb_build_object(
        'pair_id', pr.id, 'mentor_id', pr.mentor_id, 'manager_id', pr.mentee_id, 'sessions', confirmed));
END $$;

-- Ends a pair (either side, HR, or the round's end date) and records the caller's closing feedback.
CREATE FUNCTION core.pair_end(pid bigint, who text, p_feedback text, p_rating smallint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    pr pairs;
    confirmed integer;
BEGIN
    SELECT * INTO pr FROM pairs WHERE id = pid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such pair');
    END IF;
    IF pr.status = 'active' THEN
        PERFORM lock_people(pr.mentor_id, pr.mentee_id);
        SELECT count(*) INTO confirmed FROM sessions WHERE pair_id = pid AND status = 'confirmed';
        UPDATE pairs SET status = 'ended', ended_at = now(), ended_by = who,
            completed = confirmed > 0
        WHERE id = pid RETURNING * INTO pr;
        IF pr.completed THEN
            PERFORM pair_award_completion(pr, confirmed);
            PERFORM badges_evaluate(pr.mentor_id, NULL);
            PERFORM badges_evaluate(pr.mentee_id, NULL);
        END IF;
    END IF;
    IF p_feedback IS NOT NULL AND who IN ('mentor', 'mentee', 'hr') THEN
        INSERT INTO pair_feedback (pair_id, side, feedback, rating) VALUES (pid, who, p_feedback, p_rating)
        ON CONFLICT (pair_id, side) DO UPDATE SET feedback = EXCLUDED.feedback, rating = EXCLUDED.rating;
    END IF;
    RETURN pair_json(pid, who = 'hr');
END $$;

-- A pair as its two sides see it (HR's own closing feedback only for HR); a side that erased
-- their account shows as null.
CREATE FUNCTION core.pair_json(pid bigint, for_hr boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', p.id, 'round_id', p.round_id, 'status', p.status, 'completed', p.completed,
        'mentor', person_card(p.mentor_id), 'mentee', person_card(p.mentee_id),
        'skills', coalesce(p.detail->'skills', '[]'), 'starts_on', p.starts_on::text,
        'ends_on', p.ends_on::text, 'ends_on_changed_at', ts_text(p.ends_on_changed_at),
        'ends_on_changed_by', p.ends_on_changed_by, 'ended_at', ts_text(p.ended_at), 'ended_by', p.ended_by,
        'confirmed_sessions', (SELECT count(*) FROM sessions s WHERE s.pair_id = p.id AND s.status = 'confirmed'),
        'feedback', (SELECT coalesce(jsonb_agg(jsonb_build_object('side', f.side, 'feedback', f.feedback,
                                                                  'rating', f.rating) ORDER BY f.side), '[]')
                     FROM pair_feedback f WHERE f.pair_id = p.id AND (for_hr OR f.side <> 'hr')))
    FROM pairs p WHERE p.id = pid
$$;

-- Who may act on a pair: 'mentor', 'mentee', 'hr', or NULL.
CREATE FUNCTION core.pair_side(pid bigint, eid bigint, is_hr boolean) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN is_hr THEN 'hr' WHEN p.mentor_id = eid THEN 'mentor' WHEN p.mentee_id = eid THEN 'mentee' END
    FROM pairs p WHERE p.id = pid
$$;

CREATE FUNCTION core.api_pair_end(pid bigint, eid bigint, is_hr boolean, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    side text := pair_side(pid, eid, is_hr);
BEGIN
    IF side IS NULL THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such pair of yours');
    END IF;
    RETURN pair_end(pid, side, p->>'feedback', (p->>'rating')::smallint);
END $$;

-- Moves an active pair's end date (either side or HR, recorded as the last change): after its start,
-- within programme_max_days() of it, and not before today_utc() (the day the upkeep tick ends pairs
-- by), since ending it now is
-- POST /v1/pairs/{id}/end; the invitation's SEQUENCE goes up. The same date changes nothing.
CREATE FUNCTION core.api_pair_set_end(pid bigint, eid bigint, is_hr boolean, p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    side text := pair_side(pid, eid, is_hr);
    pr pairs;
    d date := (p->>'ends_on')::date;
BEGIN
    IF side IS NULL THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such pair of yours');
    END IF;
    SELECT * INTO pr FROM pairs WHERE id = pid FOR UPDATE;
    IF pr.status <> 'active' THEN
        PERFORM api_fail(409, 'conflict', 'ends_on', 'the pair has ended: its end date no longer changes');
    END IF;
    IF d <= pr.starts_on THEN
        PERFORM api_fail(400, 'invalid_value', 'ends_on',
                         format('ends_on must be after the pair''s start (%s)', pr.starts_on));
    END IF;
    IF d > pr.starts_on + programme_max_days() THEN
        PERFORM api_fail(400, 'invalid_value', 'ends_on',
                         format('a pair runs at most %s days (ends_on %s at the latest)', programme_max_days(),
                                pr.starts_on + programme_max_days()));
    END IF;
    IF d < today_utc() THEN
        PERFORM api_fail(400, 'invalid_value', 'ends_on',
                         'ends_on must be today or later (to end the pair now, end it)');
    END IF;
    IF d <> pr.ends_on THEN
        UPDATE pairs SET ends_on = d, ends_on_changed_at = now(), ends_on_changed_by = side,
            ics_sequence = ics_sequence + 1
        WHERE id = pid;
    END IF;
    RETURN pair_json(pid, side = 'hr');
END $$;

CREATE FUNCTION core.api_pair_sessions(pid bigint, eid bigint, is_hr boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    side text := pair_side(pid, eid, is_hr);
BEGIN
    IF side IS NULL THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such pair of yours');
    END IF;
    RETURN jsonb_build_object('items', coalesce((
        SELECT jsonb_agg(session_json(s, side <> 'hr') ORDER BY s.occurred_at, s.id)
        FROM sessions s WHERE s.pair_id = pid), '[]'));
END $$;

-- When a pair last showed life: its start, its publication, or its latest confirmed session. The
-- one owner of the stalled-pair rule's clock (the upkeep tick, HR statistics, an employee's overview):
-- an active pair is stalled once this is more than --stall-days old.
CREATE FUNCTION core.pair_last_activity(p pairs) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT greatest(p.starts_on::timestamptz, p.created_at,
                    coalesce((SELECT max(s.occurred_at) FROM sessions s WHERE s.pair_id = p.id AND s.status = 'confirmed'),
                             '-infinity'))
$$;

-- Whether an active pair whose last sign of life was last_activity (pair_last_activity) is stalled:
-- silent for stall_days. The one owner of that rule (inlined into the tick, the stats, the overview).
CREATE FUNCTION core.pair_silent(last_activity timestamptz, stall_days integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT last_activity < now() - make_interval(days => stall_days)
$$;

-- Today's date in UTC: the upkeep tick ends a pair the day after its ends_on, and a moved end date
-- may not be before it.
CREATE FUNCTION core.today_utc() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE 'UTC')::date
$$;

-- Periodic upkeep: end pairs whose round is over; flag pairs with no confirmed session for
-- stall_days (once per silence). Returns how many of each.
CREATE FUNCTION core.maintenance_tick(stall_days integer) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    pr record;
    ended integer := 0;
    stalled integer := 0;
BEGIN
    FOR pr IN SELECT id FROM pairs WHERE status = 'active' AND ends_on < today_utc()
              ORDER BY id FOR UPDATE SKIP LOCKED LOOP
        PERFORM pair_end(pr.id, 'round_end', NULL, NULL);
        ended := ended + 1;
    END LOOP;
    FOR pr IN
        SELECT p.id, p.mentor_id, p.mentee_id, pair_last_activity(p) AS last_activity
        FROM pairs p WHERE p.status = 'active'
        FOR UPDATE SKIP LOCKED
    LOOP
        IF pair_silent(pr.last_activity, stall_days)
           AND NOT EXISTS (SELECT 1 FROM pairs x WHERE x.id = pr.id AND x.stalled_notified_at > pr.last_activity) THEN
            UPDATE pairs SET stalled_notified_at = now() WHERE id = pr.id;
            PERFORM event_emit('pair_stalled', false, NULL, pr.id, jsonb_build_object(
                'pair_id', pr.id, 'mentor_id', pr.mentor_id, 'manager_id', pr.mentee_id,
                'last_activity', ts_text(pr.last_activity), 'days', stall_days));
            stalled := stalled + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('ended', ended, 'stalled', stalled,
                              'id_tokens_cleared', oidc_forget_expired_id_tokens());
END $$;

-- GET /v1/me/pairs (employee)
CREATE FUNCTION api.my_pairs(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_my_pairs(auth_employee(tok));
END $$;

-- GET /v1/me/pairs/{id}/invite.ics (employee): NULL when the pair is not an active one of the caller.
CREATE FUNCTION api.pair_ics(tok bytea, pid bigint) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_pair_ics(auth_employee(tok), pid);
END $$;

-- GET /v1/pairs/{id} (either side or HR): NULL when the caller is neither.
CREATE FUNCTION api.pair_get(tok bytea, pid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM auth_any(tok);
    RETURN CASE WHEN pair_side(pid, c.employee_id, c.hr_id IS NOT NULL) IS NOT NULL
                THEN pair_json(pid, c.hr_id IS NOT NULL) END;
END $$;

-- POST /v1/pairs/{id}/end (either side or HR)
CREATE FUNCTION api.pair_end(tok bytea, pid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM auth_any(tok);
    RETURN api_pair_end(pid, c.employee_id, c.hr_id IS NOT NULL, p);
END $$;

-- PATCH /v1/pairs/{id} (either side or HR): a new end date.
CREATE FUNCTION api.pair_patch(tok bytea, pid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM auth_any(tok);
    RETURN api_pair_set_end(pid, c.employee_id, c.hr_id IS NOT NULL, p);
END $$;

-- GET /v1/pairs/{id}/sessions (either side or HR)
CREATE FUNCTION api.pair_sessions(tok bytea, pid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM auth_any(tok);
    RETURN api_pair_sessions(pid, c.employee_id, c.hr_id IS NOT NULL);
END $$;

-- The upkeep tick (upkeep.c): ends finished pairs, flags stalled ones, forgets expired sessions' ID
-- tokens (77_oidc.sql).
CREATE FUNCTION api.maintenance_tick(stall_days integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN maintenance_tick(stall_days);
END $$;

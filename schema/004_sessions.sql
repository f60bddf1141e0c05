-- Sessions, pair endings, skill progress, points (rules + append-only ledger), levels, badges
-- (criteria over counters, Open Badges assertions), activity events and webhooks.
-- Points and badges count only sessions the mentor confirmed.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

ALTER TABLE pairs ADD COLUMN ended_at timestamptz;
ALTER TABLE pairs ADD COLUMN ended_by text CHECK (ended_by IN ('mentor', 'mentee', 'hr', 'round_end'));
ALTER TABLE pairs ADD COLUMN completed boolean NOT NULL DEFAULT false;
ALTER TABLE pairs ADD COLUMN stalled_notified_at timestamptz;

CREATE TABLE pair_feedback (
    pair_id     bigint NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    side        text NOT NULL CHECK (side IN ('mentor', 'mentee', 'hr')),
    feedback    text NOT NULL,
    rating      smallint CHECK (rating BETWEEN 1 AND 5),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pair_id, side)
);

CREATE TABLE sessions (
    id              bigserial PRIMARY KEY,
    pair_id         bigint NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    occurred_at     timestamptz NOT NULL,
    duration_min    smallint NOT NULL CHECK (duration_min BETWEEN 15 AND 240),
    skills          text[] NOT NULL,
    note            text NOT NULL DEFAULT '',        -- private to the pair, never shown to HR
    rating          smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'disputed')),
    dispute_reason  text,
    decided_at      timestamptz,
    idempotency_key text,
    request_hash    text,                             -- md5 of the first body sent with the key
    response        jsonb,                            -- the first reply, replayed for a retried key
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pair_id, idempotency_key)
);
CREATE INDEX sessions_pair_idx ON sessions (pair_id);
CREATE INDEX sessions_confirmed_idx ON sessions (occurred_at) WHERE status = 'confirmed';

-- A manager's self-assessed level change on a skill: before/after, the transfer the programme is for.
CREATE TABLE skill_progress (
    id          bigserial PRIMARY KEY,
    employee_id bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    skill       text NOT NULL REFERENCES skills (slug),
    level_before smallint NOT NULL,
    level_after  smallint NOT NULL,
    gain         smallint NOT NULL DEFAULT 0,   -- what counts: levels above the best ever reached, after mentoring
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX skill_progress_employee_idx ON skill_progress (employee_id);

-- Point rules are data. event: what triggers them; unit: points per occurrence (or per 30 minutes).
CREATE TABLE point_rules (
    code        text PRIMARY KEY,
    description text NOT NULL,
    role        text NOT NULL CHECK (role IN ('mentor', 'mentee')),
    event       text NOT NULL CHECK (event IN ('session_confirmed', 'session_half_hours', 'pair_completed',
                                               'cross_department_pair', 'skill_level_gained')),
    points      integer NOT NULL CHECK (points > 0),
    cap_points  integer CHECK (cap_points > 0),
    cap_period  text CHECK (cap_period IN ('week', 'month')),
    active      boolean NOT NULL DEFAULT true,
    CHECK ((cap_points IS NULL) = (cap_period IS NULL))
);
INSERT INTO point_rules (code, description, role, event, points, cap_points, cap_period) VALUES
    ('mentor_session', 'A confirmed session given', 'mentor', 'session_confirmed', 10, 50, 'week'),
    ('mentor_time', 'Each 30 minutes of confirmed mentoring', 'mentor', 'session_half_hours', 5, 60, 'week'),
    ('mentee_session', 'A confirmed session attended', 'mentee', 'session_confirmed', 5, 25, 'week'),
    ('mentor_pair_completed', 'A pair completed as mentor', 'mentor', 'pair_completed', 30, NULL, NULL),
    ('mentee_pair_completed', 'A pair completed as manager', 'mentee', 'pair_completed', 30, NULL, NULL),
    ('mentor_cross_department', 'A first confirmed session across departments', 'mentor', 'cross_department_pair', 20, NULL, NULL),
    ('mentee_cross_department', 'A first confirmed session across departments', 'mentee', 'cross_department_pair', 10, NULL, NULL),
    ('mentee_level_gained', 'A skill level gained after mentoring', 'mentee', 'skill_level_gained', 15, 45, 'month');

CREATE TABLE levels (
    level      integer PRIMARY KEY,
    name       text NOT NULL,
    min_points integer NOT NULL UNIQUE
);
INSERT INTO levels VALUES (1, 'Newcomer', 0), (2, 'Contributor', 50), (3, 'Connector', 150),
                          (4, 'Ambassador', 400), (5, 'Champion', 1000);

-- Append-only: a correction is a compensating row (negative points, corrects = the row it fixes).
CREATE TABLE points_ledger (
    id          bigserial PRIMARY KEY,
    employee_id bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    rule_code   text NOT NULL REFERENCES point_rules (code),
    role        text NOT NULL CHECK (role IN ('mentor', 'mentee')),
    points      integer NOT NULL,
    session_id  bigint REFERENCES sessions (id) ON DELETE SET NULL,
    pair_id     bigint REFERENCES pairs (id) ON DELETE SET NULL,
    capped_from integer,              -- what the rule would have given without its cap
    corrects    bigint REFERENCES points_ledger (id),
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX points_ledger_employee_idx ON points_ledger (employee_id, created_at);
CREATE INDEX points_ledger_created_idx ON points_ledger (created_at);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- erasing an employee (cascade, nested trigger) and clearing a deleted session/pair link are allowed
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1
       AND (NEW.session_id IS NULL OR NEW.pair_id IS NULL)
       AND NEW.points = OLD.points AND NEW.employee_id = OLD.employee_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'points_ledger is append-only: add a compensating row instead';
END $$;
CREATE TRIGGER points_ledger_append_only BEFORE UPDATE OR DELETE ON points_ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- Badges are data: criteria {"all": [{"counter": "...", "min": n, "skill": "slug"?}]} over employee_counters().
CREATE TABLE badges (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9_]{1,39}$'),
    name        text NOT NULL,
    description text NOT NULL,
    criteria_narrative text NOT NULL,
    role        text NOT NULL CHECK (role IN ('mentor', 'mentee', 'any')),
    criteria    jsonb NOT NULL,
    color       text NOT NULL DEFAULT '#2d6cdf' CHECK (color ~ '^#[0-9a-f]{6}$'),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO badges (slug, name, description, criteria_narrative, role, criteria, color) VALUES
    ('first_step', 'First step', 'Took part in a first confirmed reverse-mentoring session.',
     'One session confirmed by both sides.', 'any', '{"all": [{"counter": "sessions", "min": 1}]}', '#4a9d5b'),
    ('ambassador', 'Ambassador', 'Mentored three different managers.',
     'Confirmed sessions with three different managers as a mentor.', 'mentor',
     '{"all": [{"counter": "distinct_mentees", "min": 3}]}', '#c0392b'),
    ('bridge_builder', 'Bridge builder', 'Mentored a manager from another department.',
     'A confirmed session as mentor with a manager of another department.', 'mentor',
     '{"all": [{"counter": "cross_department_pairs", "min": 1}]}', '#8e44ad'),
    ('streak', 'Streak', 'Four weeks in a row with a confirmed session.',
     'Confirmed sessions in four consecutive ISO weeks.', 'any',
     '{"all": [{"counter": "streak_weeks", "min": 4}]}', '#e67e22'),
    ('generous_time', 'Generous time', 'Gave ten hours of mentoring.',
     'Ten hours of confirmed sessions given as mentor.', 'mentor',
     '{"all": [{"counter": "hours_given", "min": 10}]}', '#16a085'),
    ('master_linkedin', 'LinkedIn master', 'Taught LinkedIn in five confirmed sessions.',
     'Five confirmed sessions as mentor working on LinkedIn.', 'mentor',
     '{"all": [{"counter": "skill_sessions", "skill": "linkedin", "min": 5}]}', '#0a66c2'),
    ('master_ai_assistants', 'AI assistants master', 'Taught AI assistants in five confirmed sessions.',
     'Five confirmed sessions as mentor working on AI assistants.', 'mentor',
     '{"all": [{"counter": "skill_sessions", "skill": "ai_assistants", "min": 5}]}', '#34495e'),
    ('master_esn_posting', 'Enterprise network master', 'Taught posting on the enterprise network in five confirmed sessions.',
     'Five confirmed sessions as mentor working on enterprise-network posting.', 'mentor',
     '{"all": [{"counter": "skill_sessions", "skill": "esn_posting", "min": 5}]}', '#d35400'),
    ('lead_by_example', 'Lead by example', 'Completed a pair and raised a skill by two levels.',
     'A completed pair as manager and skill levels raised by two in all.', 'mentee',
     '{"all": [{"counter": "pairs_completed", "min": 1}, {"counter": "skill_levels_gained", "min": 2}]}', '#27ae60'),
    ('open_door', 'Open door', 'Learned from two different mentors.',
     'Confirmed sessions as manager with two different mentors.', 'mentee',
     '{"all": [{"counter": "distinct_mentors", "min": 2}]}', '#2980b9');

CREATE TABLE badge_awards (
    id           bigserial PRIMARY KEY,
    uid          uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),   -- the public assertion id
    employee_id  bigint REFERENCES employees (id) ON DELETE CASCADE,
    badge_slug   text NOT NULL REFERENCES badges (slug),
    recipient_email text NOT NULL,
    salt         text NOT NULL DEFAULT encode(gen_random_bytes(16), 'hex'),
    session_id   bigint REFERENCES sessions (id) ON DELETE SET NULL,
    awarded_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    revocation_reason text,
    UNIQUE (employee_id, badge_slug)
);

-- Activity events: public ones feed the enterprise network; private ones (pair_stalled) go to HR and the pair.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    type        text NOT NULL CHECK (type IN ('badge_earned', 'pair_completed', 'pair_stalled', 'session_confirmed')),
    public      boolean NOT NULL,
    employee_id bigint REFERENCES employees (id) ON DELETE CASCADE,
    pair_id     bigint REFERENCES pairs (id) ON DELETE CASCADE,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created_idx ON events (created_at);

CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    event_type  text NOT NULL CHECK (event_type IN ('badge_earned', 'pair_completed', 'pair_stalled', 'session_confirmed')),
    url         text NOT NULL CHECK (url ~ '^https?://'),
    secret      text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Records an event and queues one delivery per active webhook of its type.
CREATE FUNCTION event_emit(p_type text, p_public boolean, p_employee bigint, p_pair bigint, p_payload jsonb)
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
CREATE FUNCTION public_name(eid bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT CASE WHEN e.leaderboard_opt_in THEN e.display_name
                                 WHEN (SELECT count(*) FROM employees d WHERE d.department = e.department) >= 5
                                     THEN 'A colleague from ' || e.department
                                 ELSE 'A colleague' END
                     FROM employees e WHERE e.id = eid), 'A former colleague')
$$;

-- The public face of an event: people's ids replaced by their public names.
CREATE FUNCTION event_view(ev events) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE ev.type
        WHEN 'badge_earned' THEN (ev.payload - 'employee_id')
             || jsonb_build_object('who', public_name((ev.payload->>'employee_id')::bigint))
        WHEN 'pair_completed' THEN (ev.payload - 'mentor_id' - 'manager_id')
             || jsonb_build_object('mentor', public_name((ev.payload->>'mentor_id')::bigint),
                                   'manager', public_name((ev.payload->>'manager_id')::bigint))
        ELSE ev.payload END
$$;

CREATE FUNCTION session_json(s sessions, with_note boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'pair_id', s.pair_id, 'occurred_at', ts_text(s.occurred_at),
        'duration_minutes', s.duration_min, 'skills', to_jsonb(s.skills), 'rating', s.rating,
        'status', s.status, 'dispute_reason', s.dispute_reason,
        'decided_at', ts_text(s.decided_at), 'created_at', ts_text(s.created_at))
        || CASE WHEN with_note THEN jsonb_build_object('note', s.note) ELSE '{}' END
$$;

-- Counters badges are judged on, from confirmed sessions only.
CREATE FUNCTION employee_counters(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.*, p.mentor_id, p.mentee_id, p.cross_department AS cross_dept
        FROM sessions s JOIN pairs p ON p.id = s.pair_id
        WHERE s.status = 'confirmed' AND (p.mentor_id = eid OR p.mentee_id = eid)
    ), weeks AS (
        SELECT DISTINCT date_trunc('week', occurred_at) AS w FROM s
    ), runs AS (
        SELECT w, w - (row_number() OVER (ORDER BY w) * interval '1 week') AS grp FROM weeks
    )
    SELECT jsonb_build_object(
        'sessions', (SELECT count(*) FROM s),
        'sessions_given', (SELECT count(*) FROM s WHERE mentor_id = eid),
        'sessions_received', (SELECT count(*) FROM s WHERE mentee_id = eid),
        'hours_given', (SELECT json_num(coalesce(sum(duration_min), 0) / 60.0, 2) FROM s WHERE mentor_id = eid),
        'hours_received', (SELECT json_num(coalesce(sum(duration_min), 0) / 60.0, 2) FROM s WHERE mentee_id = eid),
        'distinct_mentees', (SELECT count(DISTINCT mentee_id) FROM s WHERE mentor_id = eid),
        'distinct_mentors', (SELECT count(DISTINCT mentor_id) FROM s WHERE mentee_id = eid),
        'cross_department_pairs', (SELECT count(DISTINCT pair_id) FROM s WHERE mentor_id = eid AND cross_dept),
        'skills_taught', (SELECT count(DISTINCT k) FROM s, unnest(s.skills) k WHERE mentor_id = eid),
        'skill_sessions', (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
                               SELECT k, count(*) AS n FROM s, unnest(s.skills) k WHERE mentor_id = eid GROUP BY k) t),
        'streak_weeks', (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM runs GROUP BY grp) t),
        'pairs_completed', (SELECT count(*) FROM pairs p WHERE p.completed AND (p.mentor_id = eid OR p.mentee_id = eid)),
        'skill_levels_gained', (SELECT coalesce(sum(gain), 0) FROM skill_progress WHERE employee_id = eid))
$$;

-- Value of one criterion's counter for a person.
CREATE FUNCTION criterion_value(c jsonb, counters jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN c->>'counter' = 'skill_sessions'
                THEN coalesce((counters->'skill_sessions'->>(c->>'skill'))::numeric, 0)
                ELSE coalesce((counters->>(c->>'counter'))::numeric, 0) END
$$;

-- Progress of a badge's criteria: 1.0 when every criterion is met.
CREATE FUNCTION badge_progress(criteria jsonb, counters jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(min(least(criterion_value(c, counters) / greatest((c->>'min')::numeric, 1), 1)), 0)
    FROM jsonb_array_elements(criteria->'all') c
$$;

-- Awards every badge whose criteria the employee now meets (once each: unique per employee).
CREATE FUNCTION badges_evaluate(eid bigint, sid bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    counters jsonb := employee_counters(eid);
    b record;
    n integer := 0;
    new_id bigint;
BEGIN
    FOR b IN SELECT * FROM badges
             WHERE active
               AND (role = 'any'
                    OR (role = 'mentor' AND EXISTS (SELECT 1 FROM pairs WHERE mentor_id = eid))
                    OR (role = 'mentee' AND EXISTS (SELECT 1 FROM pairs WHERE mentee_id = eid)))
             ORDER BY slug LOOP
        IF badge_progress(b.criteria, counters) >= 1 THEN
            INSERT INTO badge_awards (employee_id, badge_slug, recipient_email, session_id)
            SELECT eid, b.slug, e.email, sid FROM employees e WHERE e.id = eid
            ON CONFLICT (employee_id, badge_slug) DO NOTHING
            RETURNING id INTO new_id;
            IF new_id IS NOT NULL THEN
                n := n + 1;
                PERFORM event_emit('badge_earned', true, eid, NULL, jsonb_build_object(
                    'badge', b.slug, 'badge_name', b.name, 'employee_id', eid, 'award_id', new_id));
                new_id := NULL;
            END IF;
        END IF;
    END LOOP;
    RETURN n;
END $$;

-- Appends the points of one rule occurrence, trimmed to what the rule's cap still allows.
CREATE FUNCTION points_award(eid bigint, p_rule text, qty integer, sid bigint, pid bigint, why text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r point_rules;
    want integer;
    used integer;
    got integer;
BEGIN
    SELECT * INTO r FROM point_rules WHERE code = p_rule AND active;
    -- an erased person earns nothing; their partner still earns their own points
    IF NOT FOUND OR qty <= 0 OR eid IS NULL THEN
        RETURN 0;
    END IF;
    want := r.points * qty;
    got := want;
    IF r.cap_points IS NOT NULL THEN
        SELECT coalesce(sum(points), 0) INTO used FROM points_ledger
        WHERE employee_id = eid AND rule_code = p_rule
          AND created_at >= date_trunc(r.cap_period, now());
        got := greatest(least(want, r.cap_points - used), 0);
    END IF;
    IF got > 0 THEN
        INSERT INTO points_ledger (employee_id, rule_code, role, points, session_id, pair_id, capped_from, reason)
        VALUES (eid, p_rule, r.role, got, sid, pid, CASE WHEN got < want THEN want END, why);
    END IF;
    RETURN got;
END $$;

-- Applies every active rule of an event for one side of a pair.
CREATE FUNCTION points_for_event(eid bigint, p_role text, p_event text, qty integer, sid bigint, pid bigint, why text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    total integer := 0;
BEGIN
    FOR r IN SELECT code FROM point_rules WHERE active AND role = p_role AND event = p_event ORDER BY code LOOP
        total := total + points_award(eid, r.code, qty, sid, pid, why);
    END LOOP;
    RETURN total;
END $$;

-- Serialises awards of one person so caps and "once" rules hold under concurrent confirmations.
CREATE FUNCTION lock_people(a bigint, b bigint) RETURNS void LANGUAGE sql AS $$
    SELECT 1 FROM employees WHERE id IN (a, b) ORDER BY id FOR UPDATE
$$;

-- Logs a session for the manager of an active pair. A retried Idempotency-Key replays the first reply.
CREATE FUNCTION api_session_log(eid bigint, pid bigint, p jsonb, idem text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    pr pairs;
    s sessions;
    at timestamptz;
    bad text;
BEGIN
    SELECT * INTO pr FROM pairs WHERE id = pid FOR SHARE;
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

-- Awards what completing a pair earns: both sides' points and the public event (badges follow
-- from the callers' badges_evaluate).
CREATE FUNCTION pair_award_completion(pr pairs, confirmed integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM points_for_event(pr.mentor_id, 'mentor', 'pair_completed', 1, NULL, pr.id, 'pair completed');
    PERFORM points_for_event(pr.mentee_id, 'mentee', 'pair_completed', 1, NULL, pr.id, 'pair completed');
    PERFORM event_emit('pair_completed', true, NULL, pr.id, jsonb_build_object(
        'pair_id', pr.id, 'mentor_id', pr.mentor_id, 'manager_id', pr.mentee_id, 'sessions', confirmed));
END $$;

-- The mentor confirms or disputes a pending session; a confirmation awards points and badges in
-- this same transaction, exactly once (the pending → confirmed update is the gate).
CREATE FUNCTION api_session_decide(eid bigint, sid bigint, decision text, why text) RETURNS jsonb
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

-- Ends a pair (either side, HR, or the round's end date) and records the caller's closing feedback.
CREATE FUNCTION pair_end(pid bigint, who text, p_feedback text, p_rating smallint) RETURNS jsonb
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
CREATE FUNCTION pair_json(pid bigint, for_hr boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', p.id, 'round_id', p.round_id, 'status', p.status, 'completed', p.completed,
        'mentor', person_card(p.mentor_id), 'mentee', person_card(p.mentee_id),
        'skills', coalesce(p.detail->'skills', '[]'), 'starts_on', p.starts_on::text,
        'ends_on', p.ends_on::text, 'ended_at', ts_text(p.ended_at), 'ended_by', p.ended_by,
        'confirmed_sessions', (SELECT count(*) FROM sessions s WHERE s.pair_id = p.id AND s.status = 'confirmed'),
        'feedback', (SELECT coalesce(jsonb_agg(jsonb_build_object('side', f.side, 'feedback', f.feedback,
                                                                  'rating', f.rating) ORDER BY f.side), '[]')
                     FROM pair_feedback f WHERE f.pair_id = p.id AND (for_hr OR f.side <> 'hr')))
    FROM pairs p WHERE p.id = pid
$$;

-- Who may act on a pair: 'mentor', 'mentee', 'hr', or NULL.
CREATE FUNCTION pair_side(pid bigint, eid bigint, is_hr boolean) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN is_hr THEN 'hr' WHEN p.mentor_id = eid THEN 'mentor' WHEN p.mentee_id = eid THEN 'mentee' END
    FROM pairs p WHERE p.id = pid
$$;

CREATE FUNCTION api_pair_end(pid bigint, eid bigint, is_hr boolean, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    side text := pair_side(pid, eid, is_hr);
BEGIN
    IF side IS NULL THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such pair of yours');
    END IF;
    RETURN pair_end(pid, side, p->>'feedback', (p->>'rating')::smallint);
END $$;

CREATE FUNCTION api_pair_sessions(pid bigint, eid bigint, is_hr boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
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

-- A manager records a new level on a skill they learn. Every change is kept (before/after); what
-- counts (badges, points, statistics) is only the rise above the best level ever recorded for that
-- skill, and only once mentoring on it was confirmed: nobody scores by editing a number up and down.
CREATE FUNCTION api_progress(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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

-- Public base URL is passed by the server; documents follow Open Badges 2.0 (hosted verification).
CREATE FUNCTION ob_issuer(base text, issuer_name text, issuer_email text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('@context', 'https://w3id.org/openbadges/v2', 'type', 'Issuer',
                              'id', base || '/ob/issuer', 'name', issuer_name, 'url', base,
                              'email', issuer_email)
$$;

CREATE FUNCTION ob_badge_class(b badges, base text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('@context', 'https://w3id.org/openbadges/v2', 'type', 'BadgeClass',
                              'id', base || '/ob/badges/' || b.slug, 'name', b.name,
                              'description', b.description,
                              'image', base || '/ob/badges/' || b.slug || '/image.svg',
                              'criteria', jsonb_build_object('narrative', b.criteria_narrative),
                              'issuer', base || '/ob/issuer',
                              'tags', jsonb_build_array('reverse-mentoring', b.role))
$$;

-- The hosted assertion, or NULL when unknown; revoked ones carry revoked=true (served as 410).
CREATE FUNCTION ob_assertion(p_uid text, base text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN a.revoked_at IS NOT NULL THEN
        jsonb_build_object('@context', 'https://w3id.org/openbadges/v2', 'type', 'Assertion',
                           'id', base || '/ob/assertions/' || a.uid, 'revoked', true,
                           'revocationReason', coalesce(a.revocation_reason, ''))
    ELSE
        jsonb_build_object('@context', 'https://w3id.org/openbadges/v2', 'type', 'Assertion',
                           'id', base || '/ob/assertions/' || a.uid,
                           'recipient', jsonb_build_object(
                               'type', 'email', 'hashed', true, 'salt', a.salt,
                               'identity', 'sha256$' || encode(sha256(convert_to(lower(a.recipient_email) || a.salt, 'UTF8')), 'hex')),
                           'badge', base || '/ob/badges/' || a.badge_slug,
                           'verification', jsonb_build_object('type', 'hosted'),
                           'issuedOn', ts_text(a.awarded_at),
                           'image', base || '/ob/badges/' || a.badge_slug || '/image.svg')
    END
    FROM badge_awards a WHERE a.uid::text = p_uid
$$;

-- An employee's points, level, badges (with their public assertion and an add-to-profile link),
-- progress toward the badges not yet earned, and the hours given and received.
CREATE FUNCTION api_achievements(eid bigint, base text, org text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT employee_counters(eid) AS counters),
    pts AS (SELECT coalesce(sum(points), 0) AS total FROM points_ledger WHERE employee_id = eid),
    lvl AS (SELECT l.* FROM levels l, pts WHERE l.min_points <= pts.total ORDER BY l.min_points DESC LIMIT 1),
    nxt AS (SELECT l.* FROM levels l, pts WHERE l.min_points > pts.total ORDER BY l.min_points LIMIT 1)
    SELECT jsonb_build_object(
        'points', (SELECT total FROM pts),
        'level', (SELECT jsonb_build_object('level', level, 'name', name, 'min_points', min_points) FROM lvl),
        'next_level', (SELECT jsonb_build_object('level', level, 'name', name, 'min_points', min_points) FROM nxt),
        'hours_given', json_num(((SELECT counters FROM c)->>'hours_given')::numeric, 2),
        'hours_received', json_num(((SELECT counters FROM c)->>'hours_received')::numeric, 2),
        'counters', (SELECT counters FROM c),
        'badges', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'award_id', a.id, 'badge', b.slug, 'name', b.name, 'description', b.description,
                'awarded_at', ts_text(a.awarded_at), 'revoked', a.revoked_at IS NOT NULL,
                'assertion_url', base || '/ob/assertions/' || a.uid,
                'image_url', base || '/ob/badges/' || b.slug || '/image.svg',
                'add_to_profile_url', 'https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name='
                    || replace(replace(b.name, '&', '%26'), ' ', '%20')
                    || '&organizationName=' || replace(replace(org, '&', '%26'), ' ', '%20')
                    || '&issueYear=' || extract(year FROM a.awarded_at)::int
                    || '&issueMonth=' || extract(month FROM a.awarded_at)::int
                    || '&certUrl=' || replace(replace(base || '/ob/assertions/' || a.uid, ':', '%3A'), '/', '%2F')
                    || '&certId=' || a.uid) ORDER BY a.awarded_at, b.slug)
            FROM badge_awards a JOIN badges b ON b.slug = a.badge_slug WHERE a.employee_id = eid), '[]'),
        'next_badges', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'badge', b.slug, 'name', b.name, 'criteria', b.criteria_narrative,
                'progress', json_num(badge_progress(b.criteria, (SELECT counters FROM c)), 2)) ORDER BY
                badge_progress(b.criteria, (SELECT counters FROM c)) DESC, b.slug)
            FROM badges b WHERE b.active
              AND NOT EXISTS (SELECT 1 FROM badge_awards a WHERE a.employee_id = eid AND a.badge_slug = b.slug)), '[]'))
$$;

CREATE FUNCTION api_ledger(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'id', l.id, 'rule', l.rule_code, 'role', l.role, 'points', l.points, 'session_id', l.session_id,
        'pair_id', l.pair_id, 'capped_from', l.capped_from, 'corrects', l.corrects, 'reason', l.reason,
        'created_at', ts_text(l.created_at)) ORDER BY l.id), '[]'),
        'total', (SELECT coalesce(sum(points), 0) FROM points_ledger WHERE employee_id = eid))
    FROM points_ledger l WHERE l.employee_id = eid
$$;

-- Start of a leaderboard/statistics period (UTC): week (ISO, Monday), month, quarter, or all time.
CREATE FUNCTION period_start(period text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE period WHEN 'all' THEN '-infinity'::timestamptz
                       ELSE date_trunc(period, now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' END
$$;

-- A person leaderboard (mentors or managers) by points in the period and scope. Only people who
-- opted in are ranked by name; the caller always sees their own standing and neighbours.
CREATE FUNCTION api_leaderboard(board text, period text, scope text, scope_value text, eid bigint, lim integer)
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
CREATE FUNCTION api_department_board(period text, lim integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

-- Public activity feed, newest first, with keyset pagination.
CREATE FUNCTION api_activity(before_id bigint, lim integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
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
CREATE FUNCTION api_private_events(eid bigint, is_hr boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'id', ev.id, 'type', ev.type, 'payload', ev.payload, 'created_at', ts_text(ev.created_at)) ORDER BY ev.id DESC), '[]'))
    FROM events ev LEFT JOIN pairs p ON p.id = ev.pair_id
    WHERE NOT ev.public AND ev.type = 'pair_stalled'
      AND (is_hr OR p.mentor_id = eid OR p.mentee_id = eid)
$$;

-- Periodic upkeep: end pairs whose round is over; flag pairs with no confirmed session for
-- stall_days (once per silence). Returns how many of each.
CREATE FUNCTION maintenance_tick(stall_days integer) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    pr record;
    ended integer := 0;
    stalled integer := 0;
BEGIN
    FOR pr IN SELECT id FROM pairs WHERE status = 'active' AND ends_on < (now() AT TIME ZONE 'UTC')::date
              ORDER BY id FOR UPDATE SKIP LOCKED LOOP
        PERFORM pair_end(pr.id, 'round_end', NULL, NULL);
        ended := ended + 1;
    END LOOP;
    FOR pr IN
        SELECT p.id, p.mentor_id, p.mentee_id,
               greatest(p.starts_on::timestamptz, p.created_at,
                        coalesce((SELECT max(s.occurred_at) FROM sessions s WHERE s.pair_id = p.id AND s.status = 'confirmed'),
                                 '-infinity')) AS last_activity
        FROM pairs p WHERE p.status = 'active'
        FOR UPDATE SKIP LOCKED
    LOOP
        IF pr.last_activity < now() - make_interval(days => stall_days)
           AND NOT EXISTS (SELECT 1 FROM pairs x WHERE x.id = pr.id AND x.stalled_notified_at > pr.last_activity) THEN
            UPDATE pairs SET stalled_notified_at = now() WHERE id = pr.id;
            PERFORM event_emit('pair_stalled', false, NULL, pr.id, jsonb_build_object(
                'pair_id', pr.id, 'mentor_id', pr.mentor_id, 'manager_id', pr.mentee_id,
                'last_activity', ts_text(pr.last_activity), 'days', stall_days));
            stalled := stalled + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('ended', ended, 'stalled', stalled);
END $$;

-- HR statistics per department and site over a period: participation, pairs, time given, ratings,
-- skill levels gained, badges.
CREATE FUNCTION api_stats(period text, stall_days integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH since AS (SELECT period_start(period) AS t),
    groups AS (SELECT DISTINCT department, site FROM employees),
    mgr AS (SELECT * FROM employees WHERE role IN ('mentee', 'both')),
    active_pair AS (
        SELECT p.*, greatest(p.starts_on::timestamptz, p.created_at,
                             coalesce((SELECT max(s.occurred_at) FROM sessions s WHERE s.pair_id = p.id AND s.status = 'confirmed'),
                                      '-infinity')) AS last_activity
        FROM pairs p WHERE p.status = 'active'),
    -- one rule for every figure of a row: a pair and its sessions, hours and ratings count under
    -- the department and site of its manager (the mentee), the person the programme is for
    conf AS (
        SELECT s.*, e.department, e.site
        FROM sessions s JOIN pairs p ON p.id = s.pair_id JOIN employees e ON e.id = p.mentee_id
        WHERE s.status = 'confirmed' AND s.occurred_at >= (SELECT t FROM since)),
    rows AS (
        SELECT g.department, g.site,
            (SELECT count(*) FROM mgr WHERE mgr.department = g.department AND mgr.site = g.site) AS managers_signed_up,
            (SELECT count(DISTINCT mgr.id) FROM mgr JOIN pairs p ON p.mentee_id = mgr.id
             WHERE mgr.department = g.department AND mgr.site = g.site) AS managers_matched,
            (SELECT count(*) FROM active_pair ap JOIN employees e ON e.id = ap.mentee_id
             WHERE e.department = g.department AND e.site = g.site) AS active_pairs,
            (SELECT count(*) FROM active_pair ap JOIN employees e ON e.id = ap.mentee_id
             WHERE e.department = g.department AND e.site = g.site
               AND ap.last_activity < now() - make_interval(days => stall_days)) AS stalled_pairs,
            (SELECT count(*) FROM conf WHERE conf.department = g.department AND conf.site = g.site) AS sessions_given,
            (SELECT json_num(coalesce(sum(duration_min), 0) / 60.0, 2) FROM conf
             WHERE conf.department = g.department AND conf.site = g.site) AS hours_given,
            (SELECT json_num(avg(rating), 2) FROM conf
             WHERE conf.department = g.department AND conf.site = g.site) AS average_rating,
            (SELECT coalesce(sum(sp.gain), 0) FROM skill_progress sp
             JOIN employees e ON e.id = sp.employee_id
             WHERE e.department = g.department AND e.site = g.site AND sp.created_at >= (SELECT t FROM since)) AS levels_gained,
            (SELECT count(*) FROM badge_awards a JOIN employees e ON e.id = a.employee_id
             WHERE e.department = g.department AND e.site = g.site AND a.revoked_at IS NULL
               AND a.awarded_at >= (SELECT t FROM since)) AS badges_awarded
        FROM groups g)
    SELECT jsonb_build_object(
        'period', period, 'since', ts_text((SELECT t FROM since)),
        'rows', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'department', department, 'site', site, 'managers_signed_up', managers_signed_up,
                'managers_matched', managers_matched,
                'participation_rate', CASE WHEN managers_signed_up = 0 THEN NULL
                                           ELSE json_num(managers_matched::numeric / managers_signed_up, 3) END,
                'active_pairs', active_pairs, 'stalled_pairs', stalled_pairs,
                'sessions_given', sessions_given, 'hours_given', hours_given,
                'average_rating', average_rating, 'levels_gained', levels_gained,
                'badges_awarded', badges_awarded) ORDER BY department, site) FROM rows), '[]'),
        'levels_gained_by_skill', coalesce((SELECT jsonb_agg(jsonb_build_object('skill', skill, 'levels_gained', n) ORDER BY skill)
            FROM (SELECT skill, sum(gain) AS n FROM skill_progress
                  WHERE created_at >= (SELECT t FROM since) GROUP BY skill) t), '[]'))
$$;

CREATE FUNCTION badge_json(b badges) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('slug', b.slug, 'name', b.name, 'description', b.description,
                              'criteria_narrative', b.criteria_narrative, 'role', b.role,
                              'criteria', b.criteria, 'color', b.color, 'active', b.active)
$$;

CREATE FUNCTION api_create_badge(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    b badges;
BEGIN
    INSERT INTO badges (slug, name, description, criteria_narrative, role, criteria, color)
    VALUES (p->>'slug', p->>'name', p->>'description', p->>'criteria_narrative', p->>'role',
            p->'criteria', coalesce(p->>'color', '#2d6cdf'))
    RETURNING * INTO b;
    RETURN badge_json(b);
EXCEPTION WHEN unique_violation THEN
    PERFORM api_fail(409, 'badge_exists', 'slug', 'a badge with this slug already exists');
END $$;

CREATE FUNCTION api_revoke_award(aid bigint, reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a badge_awards;
BEGIN
    UPDATE badge_awards SET revoked_at = coalesce(revoked_at, now()), revocation_reason = coalesce(revocation_reason, reason)
    WHERE id = aid RETURNING * INTO a;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such award');
    END IF;
    RETURN jsonb_build_object('award_id', a.id, 'badge', a.badge_slug, 'employee_id', a.employee_id,
                              'revoked_at', ts_text(a.revoked_at), 'reason', a.revocation_reason);
END $$;

-- Deliveries due now, leased for 30 s so that another tandemd does not send them too; the body
-- and its HMAC-SHA256 signature (hex, with the webhook's secret) are computed here.
CREATE FUNCTION webhook_due(lim integer)
RETURNS TABLE (delivery_id bigint, url text, body text, signature text, event_type text)
LANGUAGE sql AS $$
    WITH due AS (
        SELECT d.id FROM webhook_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at, d.id LIMIT lim FOR UPDATE SKIP LOCKED
    ), leased AS (
        UPDATE webhook_deliveries d SET next_attempt_at = now() + interval '30 seconds', attempts = attempts + 1
        FROM due WHERE d.id = due.id RETURNING d.id, d.webhook_id, d.event_id
    ), bodies AS (
        SELECT l.id, w.url, w.secret, e.type,
               jsonb_build_object('event_id', e.id, 'type', e.type, 'created_at', ts_text(e.created_at),
                                  'payload', event_view(e))::text AS body
        FROM leased l JOIN webhooks w ON w.id = l.webhook_id JOIN events e ON e.id = l.event_id
    )
    SELECT id, url, body, 'sha256=' || encode(hmac(convert_to(body, 'UTF8'), convert_to(secret, 'UTF8'), 'sha256'), 'hex'),
           type
    FROM bodies
$$;

-- Records a delivery's outcome: delivered, or retried with exponential back-off (up to 8 attempts).
CREATE FUNCTION webhook_done(did bigint, ok boolean, err text) RETURNS void LANGUAGE sql AS $$
    UPDATE webhook_deliveries SET
        status = CASE WHEN ok THEN 'delivered' WHEN attempts >= 8 THEN 'failed' ELSE 'pending' END,
        delivered_at = CASE WHEN ok THEN now() END,
        last_error = CASE WHEN ok THEN NULL ELSE err END,
        next_attempt_at = CASE WHEN ok THEN next_attempt_at
                               ELSE now() + least(interval '1 second' * power(2, attempts - 1), interval '1 hour') END
    WHERE id = did
$$;

CREATE FUNCTION webhook_json(w webhooks) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', w.id, 'event_type', w.event_type, 'url', w.url, 'active', w.active,
                              'created_at', ts_text(w.created_at),
                              'deliveries', (SELECT jsonb_build_object(
                                  'pending', count(*) FILTER (WHERE status = 'pending'),
                                  'delivered', count(*) FILTER (WHERE status = 'delivered'),
                                  'failed', count(*) FILTER (WHERE status = 'failed'))
                               FROM webhook_deliveries d WHERE d.webhook_id = w.id))
$$;

-- Erasure of an employee (DELETE /v1/me): their active pairs end, their own words (session notes
-- they wrote as the manager, their closing feedback) go; the partner keeps the pair's history,
-- with this side shown as null.
CREATE FUNCTION employee_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pairs p SET status = 'ended', ended_at = now(),
        ended_by = CASE WHEN p.mentor_id = OLD.id THEN 'mentor' ELSE 'mentee' END,
        completed = EXISTS (SELECT 1 FROM sessions s WHERE s.pair_id = p.id AND s.status = 'confirmed')
    WHERE p.status = 'active' AND (p.mentor_id = OLD.id OR p.mentee_id = OLD.id);
    UPDATE sessions SET note = '', response = NULL, request_hash = NULL
    WHERE pair_id IN (SELECT id FROM pairs WHERE mentee_id = OLD.id);
    DELETE FROM pair_feedback f USING pairs p
    WHERE f.pair_id = p.id AND ((p.mentor_id = OLD.id AND f.side = 'mentor')
                                OR (p.mentee_id = OLD.id AND f.side = 'mentee'));
    RETURN OLD;
END $$;
CREATE TRIGGER employees_erase BEFORE DELETE ON employees
    FOR EACH ROW EXECUTE FUNCTION employee_erase();
-- The caller's pairs, active first then ended ones (history stays reachable), each with the
-- partner's public card (null once the partner erased their account), skills, slots, proposed
-- slot, status and dates.
CREATE OR REPLACE FUNCTION api_my_pairs(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

-- Folds one iCalendar content line into lines of at most 75 octets (RFC 5545 3.1), never inside a
-- UTF-8 character.
CREATE OR REPLACE FUNCTION ics_fold(line text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
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
CREATE OR REPLACE FUNCTION ics_offset(o interval) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN o < interval '0' THEN '-' ELSE '+' END
           || to_char(abs(extract(epoch FROM o))::int / 3600, 'FM00')
           || to_char(abs(extract(epoch FROM o))::int % 3600 / 60, 'FM00')
$$;

-- The VTIMEZONE of a zone over [t0, t1): its offset at t0, then every change of offset in the
-- period as PostgreSQL's zone database knows it (scanned every 15 minutes), each observance with the
-- wall-clock time it starts at, before the change (RFC 5545 3.6.5).
CREATE OR REPLACE FUNCTION ics_vtimezone(zone text, t0 timestamptz, t1 timestamptz) RETURNS text
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
CREATE OR REPLACE FUNCTION api_pair_ics(eid bigint, pid bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
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
        'DTSTAMP:' || to_char(p.created_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
        'DTSTART;TZID=' || tz || ':' || to_char(first_start, 'YYYYMMDD"T"HH24MISS'),
        'DTEND;TZID=' || tz || ':' || to_char(first_start + minutes * interval '1 minute', 'YYYYMMDD"T"HH24MISS'),
        'RRULE:FREQ=WEEKLY;UNTIL=' || to_char(until_utc AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
        ics_fold('ORGANIZER;CN="' || replace(mentor.display_name, '"', '''') || '":mailto:' || mentor.email),
        ics_fold('ATTENDEE;CN="' || replace(mentor.display_name, '"', '''') || '";ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:' || mentor.email),
        ics_fold('ATTENDEE;CN="' || replace(mentee.display_name, '"', '''') || '";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:' || mentee.email),
        ics_fold('SUMMARY:' || ics_escape('Tandem reverse mentoring: ' || mentor.display_name || ' and ' || mentee.display_name)),
        ics_fold('DESCRIPTION:' || ics_escape('Skills to work on: ' || coalesce(skills, ''))),
        'END:VEVENT', 'END:VCALENDAR') || E'\r\n';
END $$;

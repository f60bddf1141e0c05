-- V001 baseline: every table, index and reference row of Tandem as of issue 8 (formerly migrations
-- 001-006, edited in place). Versioned migrations hold tables, indexes and data changes only; once
-- landed, a versioned file is never edited (its SHA-256 is recorded and checked at every start).
-- Functions, views and triggers live in ../modules/, re-applied at every start.

-- Foundation: employees, HR accounts, tokens, skills catalogue, teaching, learning, availability.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- IANA zone names PostgreSQL knows (read once at migration: pg_timezone_names is slow to scan).
-- Abbreviations (EST), POSIX strings and the posix/ and right/ copies are left out.
CREATE TABLE tz_names (name text PRIMARY KEY);

INSERT INTO tz_names
SELECT name FROM pg_timezone_names
WHERE name = 'UTC' OR (name ~ '^[A-Z][A-Za-z]+(/[A-Za-z0-9_+-]+)+$'
                       AND name NOT LIKE 'posix/%' AND name NOT LIKE 'right/%')
ON CONFLICT DO NOTHING;

-- True when tz is exactly (case included) an IANA time zone name PostgreSQL knows. It lives here,
-- with the tables, because the employees table's CHECK constraint depends on it.
CREATE FUNCTION tz_is_valid(tz text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT tz IS NOT NULL AND EXISTS (SELECT 1 FROM tz_names WHERE name = tz)
$$;

CREATE TABLE employees (
    id                 bigserial PRIMARY KEY,
    email              text NOT NULL,
    display_name       text NOT NULL,
    department         text NOT NULL,
    site               text NOT NULL DEFAULT '',
    job_title          text NOT NULL DEFAULT '',
    timezone           text NOT NULL CONSTRAINT employees_timezone_check CHECK (tz_is_valid(timezone)),
    languages          text[] NOT NULL,
    manager_email      text,
    role               text NOT NULL CHECK (role IN ('mentor', 'mentee', 'both')),
    mentor_capacity    smallint NOT NULL DEFAULT 1 CHECK (mentor_capacity BETWEEN 1 AND 3),
    leaderboard_opt_in boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT employees_manager_not_self CHECK (manager_email IS NULL OR lower(manager_email) <> lower(email))
);

CREATE UNIQUE INDEX employees_email_key ON employees (lower(email));

CREATE INDEX employees_department_idx ON employees (department);

CREATE INDEX employees_site_idx ON employees (site);

CREATE INDEX employees_manager_idx ON employees (lower(manager_email));

CREATE TABLE hr_accounts (
    id           bigserial PRIMARY KEY,
    email        text NOT NULL,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX hr_accounts_email_key ON hr_accounts (lower(email));

CREATE TABLE api_tokens (
    token_hash  bytea PRIMARY KEY,
    employee_id bigint REFERENCES employees (id) ON DELETE CASCADE,
    hr_id       bigint REFERENCES hr_accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((employee_id IS NULL) <> (hr_id IS NULL))
);

CREATE INDEX api_tokens_employee_idx ON api_tokens (employee_id);

CREATE TABLE skills (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9_]{1,39}$'),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO skills (slug, name, description) VALUES
    ('esn_posting', 'Posting on the enterprise social network', 'Write posts, share documents, mention colleagues and answer questions on the internal network.'),
    ('esn_community', 'Animating an ESN community', 'Create and moderate a community, welcome members, keep discussions alive.'),
    ('linkedin', 'LinkedIn', 'Profile, posts and professional networking on LinkedIn.'),
    ('short_video', 'Short video', 'Film, edit and publish short videos from a phone.'),
    ('video_meetings', 'Video meetings', 'Run engaging video meetings: sharing, breakout rooms, etiquette.'),
    ('ai_assistants', 'AI assistants', 'Use AI assistants safely and well for writing, summarising and research.'),
    ('data_visualisation', 'Data visualisation', 'Turn team data into clear dashboards and charts.'),
    ('security_hygiene', 'Online security hygiene', 'Passwords, phishing, two-factor authentication, what not to post.'),
    ('collaborative_docs', 'Collaborative documents', 'Co-edit documents and spreadsheets, comments, versions.'),
    ('personal_branding', 'Personal branding', 'Build a credible professional voice online.');

CREATE TABLE teaching (
    employee_id bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    skill       text NOT NULL CONSTRAINT teaching_skill_fkey REFERENCES skills (slug),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    PRIMARY KEY (employee_id, skill)
);

CREATE INDEX teaching_skill_idx ON teaching (skill);

CREATE TABLE learning (
    employee_id   bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    skill         text NOT NULL CONSTRAINT learning_skill_fkey REFERENCES skills (slug),
    current_level smallint NOT NULL CHECK (current_level BETWEEN 0 AND 5),
    priority      smallint NOT NULL CHECK (priority BETWEEN 1 AND 3),
    PRIMARY KEY (employee_id, skill)
);

CREATE INDEX learning_skill_idx ON learning (skill);

-- Weekly availability in the employee's own time zone; day 0 = Monday; minutes since midnight.
CREATE TABLE availability (
    employee_id bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    day         smallint NOT NULL CHECK (day BETWEEN 0 AND 6),
    start_min   smallint NOT NULL,
    end_min     smallint NOT NULL,
    CHECK (start_min >= 0 AND end_min <= 1440 AND start_min < end_min
           AND start_min % 15 = 0 AND end_min % 15 = 0),
    EXCLUDE USING gist (employee_id WITH =, day WITH =, int4range(start_min, end_min) WITH &&)
);

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
    ended_at      timestamptz,
    ended_by      text CHECK (ended_by IN ('mentor', 'mentee', 'hr', 'round_end')),
    completed     boolean NOT NULL DEFAULT false,
    stalled_notified_at timestamptz,
    UNIQUE (round_id, mentee_id)
);

CREATE INDEX pairs_mentor_idx ON pairs (mentor_id) WHERE status = 'active';

CREATE INDEX pairs_mentee_idx ON pairs (mentee_id) WHERE status = 'active';

-- a manager has at most one active mentor at a time
CREATE UNIQUE INDEX pairs_one_active_mentor ON pairs (mentee_id) WHERE status = 'active';

-- Sessions, pair endings, skill progress, points (rules + append-only ledger), levels, badges
-- (criteria over counters, Open Badges assertions), activity events and webhooks.
-- Points and badges count only sessions the mentor confirmed.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

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

-- Tandem foundation: employees, HR accounts, tokens, skills catalogue, teaching, learning, availability.
-- Every API write is one statement calling one of the api_* functions below: one transaction.
-- Functions raise SQLSTATE 'TDnnn' (nnn = HTTP status) with HINT = error code and DETAIL = field.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- IANA zone names PostgreSQL knows (read once at migration: pg_timezone_names is slow to scan).
-- Abbreviations (EST), POSIX strings and the posix/ and right/ copies are left out.
CREATE TABLE tz_names (name text PRIMARY KEY);
INSERT INTO tz_names
SELECT name FROM pg_timezone_names
WHERE name = 'UTC' OR (name ~ '^[A-Z][A-Za-z]+(/[A-Za-z0-9_+-]+)+$'
                       AND name NOT LIKE 'posix/%' AND name NOT LIKE 'right/%')
ON CONFLICT DO NOTHING;

-- True when tz is exactly (case included) an IANA time zone name PostgreSQL knows.
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

-- RFC 3339 UTC text of a timestamp.
-- A figure as it prints in JSON: rounded to places decimals and carried as a double so that
-- 1.0 hour prints as 1 and 1.5 as 1.5, never as numeric's 1.00000000000000000000.
CREATE FUNCTION json_num(x numeric, places integer) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT round(x, places)::double precision
$$;

CREATE FUNCTION ts_text(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- "HH:MM" of minutes since midnight.
CREATE FUNCTION hhmm(m integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT lpad((m / 60)::text, 2, '0') || ':' || lpad((m % 60)::text, 2, '0')
$$;

CREATE FUNCTION day_name(d integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['mon','tue','wed','thu','fri','sat','sun'])[d + 1]
$$;

CREATE FUNCTION day_index(d text) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (array_position(ARRAY['mon','tue','wed','thu','fri','sat','sun'], d) - 1)::smallint
$$;

-- Minutes since midnight of "HH:MM".
CREATE FUNCTION hhmm_minutes(t text) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (split_part(t, ':', 1)::int * 60 + split_part(t, ':', 2)::int)::smallint
$$;

CREATE FUNCTION api_fail(status integer, code text, field text, message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'TD' || status::text, MESSAGE = message,
        HINT = code, DETAIL = coalesce(field, '');
END $$;

CREATE FUNCTION employee_json(e employees) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', e.id, 'email', e.email, 'display_name', e.display_name,
        'department', e.department, 'site', e.site, 'job_title', e.job_title,
        'timezone', e.timezone, 'languages', to_jsonb(e.languages),
        'manager_email', e.manager_email, 'role', e.role,
        'mentor_capacity', e.mentor_capacity, 'leaderboard_opt_in', e.leaderboard_opt_in,
        'created_at', ts_text(e.created_at), 'updated_at', ts_text(e.updated_at))
$$;

CREATE FUNCTION teaching_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('skill', skill, 'level', level) ORDER BY skill), '[]')
    FROM teaching WHERE employee_id = eid
$$;

CREATE FUNCTION learning_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('skill', skill, 'current_level', current_level,
                                                 'priority', priority) ORDER BY skill), '[]')
    FROM learning WHERE employee_id = eid
$$;

CREATE FUNCTION availability_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('day', day_name(day), 'start', hhmm(start_min),
                                                 'end', hhmm(end_min)) ORDER BY day, start_min), '[]')
    FROM availability WHERE employee_id = eid
$$;

CREATE FUNCTION profile_json(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT employee_json(e) || jsonb_build_object('teaching', teaching_json(e.id),
                                                  'learning', learning_json(e.id),
                                                  'availability', availability_json(e.id))
    FROM employees e WHERE e.id = eid
$$;

-- Resolves a bearer token to its employee or HR account (both NULL when unknown).
CREATE FUNCTION api_authenticate(token text, OUT employee_id bigint, OUT hr_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.employee_id, t.hr_id FROM api_tokens t
    WHERE t.token_hash = sha256(convert_to(token, 'UTF8'))
    UNION ALL SELECT NULL, NULL
    LIMIT 1
$$;

CREATE FUNCTION json_text_array(a jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(x ORDER BY i), '{}') FROM jsonb_array_elements_text(a) WITH ORDINALITY AS t(x, i)
$$;

-- Signs up an employee (body already validated by the server) and stores the hash of their token.
CREATE FUNCTION api_signup(p jsonb, token text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
BEGIN
    INSERT INTO employees (email, display_name, department, site, job_title, timezone, languages,
                           manager_email, role, mentor_capacity, leaderboard_opt_in)
    VALUES (lower(p->>'email'), p->>'display_name', p->>'department', coalesce(p->>'site', ''),
            coalesce(p->>'job_title', ''), p->>'timezone', json_text_array(p->'languages'),
            lower(p->>'manager_email'), p->>'role', coalesce((p->>'mentor_capacity')::smallint, 1),
            coalesce((p->>'leaderboard_opt_in')::boolean, false))
    RETURNING id INTO eid;
    INSERT INTO api_tokens (token_hash, employee_id) VALUES (sha256(convert_to(token, 'UTF8')), eid);
    RETURN jsonb_build_object('employee', profile_json(eid), 'token', token);
END $$;

-- Applies a partial update of an employee's own fields.
CREATE FUNCTION api_patch_employee(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    UPDATE employees SET
        email = CASE WHEN p ? 'email' THEN lower(p->>'email') ELSE email END,
        display_name = CASE WHEN p ? 'display_name' THEN p->>'display_name' ELSE display_name END,
        department = CASE WHEN p ? 'department' THEN p->>'department' ELSE department END,
        site = CASE WHEN p ? 'site' THEN p->>'site' ELSE site END,
        job_title = CASE WHEN p ? 'job_title' THEN p->>'job_title' ELSE job_title END,
        timezone = CASE WHEN p ? 'timezone' THEN p->>'timezone' ELSE timezone END,
        languages = CASE WHEN p ? 'languages' THEN json_text_array(p->'languages') ELSE languages END,
        manager_email = CASE WHEN p ? 'manager_email' THEN lower(p->>'manager_email') ELSE manager_email END,
        role = CASE WHEN p ? 'role' THEN p->>'role' ELSE role END,
        mentor_capacity = CASE WHEN p ? 'mentor_capacity' THEN (p->>'mentor_capacity')::smallint ELSE mentor_capacity END,
        leaderboard_opt_in = CASE WHEN p ? 'leaderboard_opt_in' THEN (p->>'leaderboard_opt_in')::boolean ELSE leaderboard_opt_in END,
        updated_at = now()
    WHERE id = eid;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'employee not found');
    END IF;
    -- a mentor cannot take on fewer mentees than they already mentor (rounds publish against it)
    IF p ? 'mentor_capacity' THEN
        PERFORM employee_check_capacity(eid);
    END IF;
    RETURN profile_json(eid);
END $$;

-- Replaces the skills an employee teaches; every slug must be an active catalogue skill.
CREATE FUNCTION api_put_teaching(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT i - 1 AS idx, x->>'skill' AS slug INTO bad
    FROM jsonb_array_elements(p->'skills') WITH ORDINALITY AS t(x, i)
    WHERE NOT EXISTS (SELECT 1 FROM skills s WHERE s.slug = x->>'skill' AND s.active)
    ORDER BY i LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(400, 'unknown_skill', format('skills[%s].skill', bad.idx),
                         format('skills[%s].skill: "%s" is not an active skill of the catalogue', bad.idx, bad.slug));
    END IF;
    PERFORM 1 FROM employees WHERE id = eid FOR UPDATE;
    DELETE FROM teaching WHERE employee_id = eid;
    INSERT INTO teaching (employee_id, skill, level)
    SELECT eid, x->>'skill', (x->>'level')::smallint FROM jsonb_array_elements(p->'skills') AS t(x);
    UPDATE employees SET updated_at = now() WHERE id = eid;
    RETURN jsonb_build_object('skills', teaching_json(eid));
END $$;

-- Replaces an employee's learning goals; every slug must be an active catalogue skill.
CREATE FUNCTION api_put_learning(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT i - 1 AS idx, x->>'skill' AS slug INTO bad
    FROM jsonb_array_elements(p->'goals') WITH ORDINALITY AS t(x, i)
    WHERE NOT EXISTS (SELECT 1 FROM skills s WHERE s.slug = x->>'skill' AND s.active)
    ORDER BY i LIMIT 1;
    IF FOUND THEN
        PERFORM api_fail(400, 'unknown_skill', format('goals[%s].skill', bad.idx),
                         format('goals[%s].skill: "%s" is not an active skill of the catalogue', bad.idx, bad.slug));
    END IF;
    PERFORM 1 FROM employees WHERE id = eid FOR UPDATE;
    -- a level changed here is history too: progress is measured above the best level ever held
    INSERT INTO skill_progress (employee_id, skill, level_before, level_after, gain)
    SELECT eid, l.skill, l.current_level, (x->>'current_level')::smallint, 0
    FROM learning l JOIN jsonb_array_elements(p->'goals') AS t(x) ON x->>'skill' = l.skill
    WHERE l.employee_id = eid AND l.current_level <> (x->>'current_level')::smallint;
    DELETE FROM learning WHERE employee_id = eid;
    INSERT INTO learning (employee_id, skill, current_level, priority)
    SELECT eid, x->>'skill', (x->>'current_level')::smallint, (x->>'priority')::smallint
    FROM jsonb_array_elements(p->'goals') AS t(x);
    UPDATE employees SET updated_at = now() WHERE id = eid;
    RETURN jsonb_build_object('goals', learning_json(eid));
END $$;

-- Replaces an employee's weekly availability (validated by the server; the exclusion constraint guards overlaps).
CREATE FUNCTION api_put_availability(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM employees WHERE id = eid FOR UPDATE;
    DELETE FROM availability WHERE employee_id = eid;
    INSERT INTO availability (employee_id, day, start_min, end_min)
    SELECT eid, day_index(x->>'day'), hhmm_minutes(x->>'start'), hhmm_minutes(x->>'end')
    FROM jsonb_array_elements(p->'slots') AS t(x);
    UPDATE employees SET updated_at = now() WHERE id = eid;
    RETURN jsonb_build_object('slots', availability_json(eid));
END $$;

-- Lists employees for HR with optional filters and keyset pagination by id.
CREATE FUNCTION api_list_employees(f_department text, f_site text, f_role text, f_skill text,
                                   after_id bigint, lim integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT e FROM employees e
        WHERE (f_department IS NULL OR e.department = f_department)
          AND (f_site IS NULL OR e.site = f_site)
          AND (f_role IS NULL OR e.role = f_role OR (f_role <> 'both' AND e.role = 'both'))
          AND (f_skill IS NULL OR EXISTS (SELECT 1 FROM teaching t WHERE t.employee_id = e.id AND t.skill = f_skill)
                               OR EXISTS (SELECT 1 FROM learning l WHERE l.employee_id = e.id AND l.skill = f_skill))
          AND e.id > coalesce(after_id, 0)
        ORDER BY e.id
        LIMIT lim + 1
    ), numbered AS (
        SELECT e, row_number() OVER (ORDER BY (e).id) AS n FROM page
    )
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(employee_json(e) ORDER BY n) FROM numbered WHERE n <= lim), '[]'),
        'next_cursor', (SELECT ((e).id)::text FROM numbered WHERE n = lim AND EXISTS (SELECT 1 FROM numbered WHERE n = lim + 1)))
$$;

CREATE FUNCTION skill_json(s skills) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('slug', s.slug, 'name', s.name, 'description', s.description, 'active', s.active)
$$;

CREATE FUNCTION api_create_skill(p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    INSERT INTO skills (slug, name, description)
    VALUES (p->>'slug', p->>'name', coalesce(p->>'description', ''))
    RETURNING skill_json(skills)
$$;

CREATE FUNCTION api_patch_skill(s_slug text, p jsonb) RETURNS jsonb LANGUAGE sql AS $$
    UPDATE skills SET
        name = CASE WHEN p ? 'name' THEN p->>'name' ELSE name END,
        description = CASE WHEN p ? 'description' THEN p->>'description' ELSE description END,
        active = CASE WHEN p ? 'active' THEN (p->>'active')::boolean ELSE active END
    WHERE slug = s_slug
    RETURNING skill_json(skills)
$$;

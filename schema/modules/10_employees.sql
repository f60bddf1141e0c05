-- Employees: profiles, sign-up, and the lists an employee declares (teaching, learning, availability).
-- The profile builders are plpgsql, not LANGUAGE sql: PostgreSQL caches a plpgsql function's plans
-- per session, while a LANGUAGE sql function that cannot be inlined (these read tables) is planned
-- again at every call; GET /v1/me runs 2.6x faster so (pgbench, README). The profile is one query
-- whose lists are ARRAY(...) subqueries (an index scan each, no aggregate node to set up at every
-- execution): 1.2-1.4x the tps of a jsonb_agg subquery per list in a function of its own (bench/README.md).

CREATE FUNCTION core.employee_json(e employees) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', e.id, 'email', e.email, 'display_name', e.display_name,
        'department', e.department, 'site', e.site, 'job_title', e.job_title,
        'timezone', e.timezone, 'languages', to_jsonb(e.languages),
        'manager_email', e.manager_email, 'role', e.role,
        'mentor_capacity', e.mentor_capacity, 'leaderboard_opt_in', e.leaderboard_opt_in,
        'created_at', ts_text(e.created_at), 'updated_at', ts_text(e.updated_at))
$$;

-- The reporting line, one row per employee who has a manager in Tandem: the manager imported from
-- the HR system (hr_manager_id) when there is one, else the employee whose email they gave as
-- manager_email. The one owner of "who reports to whom" (inlined into its callers' queries).
CREATE FUNCTION core.reporting_line() RETURNS TABLE (report_id bigint, manager_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.id, coalesce(e.hr_manager_id, s.id)
    FROM employees e
    LEFT JOIN employees s ON e.hr_manager_id IS NULL AND lower(s.email) = lower(e.manager_email)
    WHERE coalesce(e.hr_manager_id, s.id) IS NOT NULL
$$;

CREATE FUNCTION core.teaching_json(eid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN to_jsonb(ARRAY(SELECT jsonb_build_object('skill', skill, 'level', level)
                          FROM teaching WHERE employee_id = eid ORDER BY skill));
END $$;

CREATE FUNCTION core.learning_json(eid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN to_jsonb(ARRAY(SELECT jsonb_build_object('skill', skill, 'current_level', current_level,
                                                    'priority', priority)
                          FROM learning WHERE employee_id = eid ORDER BY skill));
END $$;

CREATE FUNCTION core.availability_json(eid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN to_jsonb(ARRAY(SELECT jsonb_build_object('day', day_name(day), 'start', hhmm(start_min),
                                                    'end', hhmm(end_min))
                          FROM availability WHERE employee_id = eid ORDER BY day, start_min));
END $$;

-- An employee's profile: their fields and their three lists, in one query (one plan, cached).
CREATE FUNCTION core.profile_json(eid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT employee_json(e) || jsonb_build_object(
        'teaching', to_jsonb(ARRAY(SELECT jsonb_build_object('skill', t.skill, 'level', t.level)
                                   FROM teaching t WHERE t.employee_id = e.id ORDER BY t.skill)),
        'learning', to_jsonb(ARRAY(SELECT jsonb_build_object('skill', l.skill, 'current_level',
                                                             l.current_level, 'priority', l.priority)
                                   FROM learning l WHERE l.employee_id = e.id ORDER BY l.skill)),
        'availability', to_jsonb(ARRAY(SELECT jsonb_build_object('day', day_name(a.day), 'start',
                                                                 hhmm(a.start_min), 'end', hhmm(a.end_min))
                                       FROM availability a WHERE a.employee_id = e.id
                                       ORDER BY a.day, a.start_min)))
    FROM employees e WHERE e.id = eid);
END $$;

-- The profile cache (employee_profiles, issue 8): GET /v1/me reads the profile profile_json built
-- at the last write instead of building it from four tables at every call. Every write to
-- employees, teaching, learning or availability marks the profiles it touched, and each is
-- rebuilt once at its commit, in its transaction, through the triggers below (a skill slug is
-- never renamed: teaching and learning reference it without ON UPDATE). The functions live in
-- public, with the tables, so that rebuilding schema core never drops the triggers; they call
-- core at run time.

-- Marks the cached profile of employee eid stale (a placeholder row for a new employee); the
-- deferred trigger below rebuilds each marked row once, at commit, however many rows and statements
-- touched it. Marking takes the row's lock until commit: a writer that waited for another marks
-- again after that one's commit, and its build at commit sees both (a new snapshot per statement).
CREATE OR REPLACE FUNCTION public.employee_profiles_mark(eid bigint) RETURNS void
LANGUAGE plpgsql SET search_path = core, public, pg_temp AS $$
BEGIN
    UPDATE employee_profiles SET stale = true WHERE employee_id = eid AND NOT stale;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM employee_profiles WHERE employee_id = eid) THEN
        INSERT INTO employee_profiles (employee_id, profile, stale)
        SELECT e.id, '{}', true FROM employees e WHERE e.id = eid
        ON CONFLICT (employee_id) DO UPDATE SET stale = true;
    END IF;
END $$;

-- Deferred row trigger of employee_profiles: builds a row marked stale, at commit. It runs after
-- the api function that wrote has returned, as the caller (tandem_app, which may not use schema
-- core), hence SECURITY DEFINER with a fixed search_path, and nobody may call it otherwise.
CREATE OR REPLACE FUNCTION public.employee_profiles_build() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = core, public, pg_temp AS $$
BEGIN
    UPDATE employee_profiles SET profile = profile_json(employee_id), stale = false
    WHERE employee_id = NEW.employee_id AND stale;
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION public.employee_profiles_build() FROM PUBLIC;

-- (a constraint trigger has no CREATE OR REPLACE)
DROP TRIGGER IF EXISTS employee_profiles_build ON employee_profiles;
CREATE CONSTRAINT TRIGGER employee_profiles_build AFTER INSERT OR UPDATE ON employee_profiles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.stale) EXECUTE FUNCTION employee_profiles_build();

-- Row trigger of employees, teaching, learning and availability: marks the profile of the
-- employee a row belongs to (both, should a list row change hands); rebuilt at commit.
CREATE OR REPLACE FUNCTION public.employee_profiles_touch() RETURNS trigger
LANGUAGE plpgsql SET search_path = core, public, pg_temp AS $$
DECLARE
    new_id bigint;
    old_id bigint;
BEGIN
    IF TG_TABLE_NAME = 'employees' THEN
        PERFORM employee_profiles_mark(NEW.id);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_id := NEW.employee_id;
        PERFORM employee_profiles_mark(new_id);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_id := OLD.employee_id;
        IF old_id IS DISTINCT FROM new_id THEN
            PERFORM employee_profiles_mark(old_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- (an employee's deletion needs no trigger: employee_profiles cascades)
DROP TRIGGER IF EXISTS employees_profile_ins ON employees;
DROP TRIGGER IF EXISTS employees_profile_upd ON employees;
CREATE OR REPLACE TRIGGER employees_profile AFTER INSERT OR UPDATE ON employees
    FOR EACH ROW EXECUTE FUNCTION employee_profiles_touch();
CREATE OR REPLACE TRIGGER teaching_profile AFTER INSERT OR UPDATE OR DELETE ON teaching
    FOR EACH ROW EXECUTE FUNCTION employee_profiles_touch();
CREATE OR REPLACE TRIGGER learning_profile AFTER INSERT OR UPDATE OR DELETE ON learning
    FOR EACH ROW EXECUTE FUNCTION employee_profiles_touch();
CREATE OR REPLACE TRIGGER availability_profile AFTER INSERT OR UPDATE OR DELETE ON availability
    FOR EACH ROW EXECUTE FUNCTION employee_profiles_touch();

-- At every start (modules are re-applied): when the builder's definition (profile_json and the
-- functions it calls) differs from the one the cached rows were built with, or an employee has no
-- row, every profile is rebuilt, in the modules' transaction.
DO $$
DECLARE
    fp text;
BEGIN
    SELECT md5(string_agg(pg_get_functiondef(f), E'\n' ORDER BY f::text)) INTO fp
    FROM unnest(ARRAY['core.profile_json(bigint)', 'core.employee_json(employees)',
                      'core.ts_text(timestamptz)', 'core.hhmm(integer)',
                      'core.day_name(integer)']::regprocedure[]) f;
    IF fp IS DISTINCT FROM (SELECT fingerprint FROM employee_profiles_builder)
       OR EXISTS (SELECT 1 FROM employees e
                  WHERE NOT EXISTS (SELECT 1 FROM employee_profiles p WHERE p.employee_id = e.id)) THEN
        DELETE FROM employee_profiles;
        INSERT INTO employee_profiles (employee_id, profile, stale) SELECT id, profile_json(id), false FROM employees;
        INSERT INTO employee_profiles_builder (fingerprint) VALUES (fp)
        ON CONFLICT (one) DO UPDATE SET fingerprint = EXCLUDED.fingerprint;
    END IF;
END $$;

-- Signs up an employee (body already validated by the server) and stores the hash of their token
-- (computed by the server: token_hash in token.c is the one place tokens are hashed).
CREATE FUNCTION core.api_signup(p jsonb, token text, token_hash bytea, token_days integer) RETURNS jsonb LANGUAGE plpgsql AS $$
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
    INSERT INTO api_tokens (token_hash, employee_id, expires_at)
    VALUES (token_hash, eid, now() + token_days * interval '1 day');
    RETURN jsonb_build_object('employee', profile_json(eid), 'token', token);
END $$;

-- Applies a partial update of an employee's own fields. The email is who someone is: where the
-- identity provider (sso) or the HR system (an imported or provisioned record) owns it, it changes
-- there, never here; else moving onto a colleague's address before their first sign-in or import
-- would hand their account, or their HR record, to someone else.
CREATE FUNCTION core.api_patch_employee(eid bigint, p jsonb, sso boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    e employees;
BEGIN
    SELECT * INTO e FROM employees WHERE id = eid;
    IF p ? 'email' AND lower(p->>'email') IS DISTINCT FROM e.email AND (sso OR e.source <> 'signup') THEN
        PERFORM api_fail(403, 'email_managed', 'email',
                         CASE WHEN sso THEN 'your email comes from the company''s identity provider: it changes there'
                              ELSE 'your email comes from the HR system: HR changes it there' END);
    END IF;
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
CREATE FUNCTION core.api_put_teaching(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
CREATE FUNCTION core.api_put_learning(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
CREATE FUNCTION core.api_put_availability(eid bigint, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
CREATE FUNCTION core.api_list_employees(f_department text, f_site text, f_role text, f_skill text,
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

-- Public card of an employee shown to their partner and to HR in a pair.
CREATE FUNCTION core.person_card(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', e.id, 'display_name', e.display_name, 'email', e.email,
                              'department', e.department, 'site', e.site, 'job_title', e.job_title,
                              'timezone', e.timezone, 'languages', to_jsonb(e.languages))
    FROM employees e WHERE e.id = eid
$$;

-- POST /v1/employees (no token): sign-up (the server enforces --signup-mode); new_hash is the
-- SHA-256 of new_token, which expires after token_days.
CREATE FUNCTION api.signup(new_token text, new_hash bytea, token_days integer, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_signup(p, new_token, new_hash, token_days);
END $$;

-- GET /v1/employees (HR): filtered, keyset-paginated list.
CREATE FUNCTION api.employees_list(tok bytea, f_department text, f_site text, f_role text, f_skill text,
                                   after_id bigint, lim integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN api_list_employees(f_department, f_site, f_role, f_skill, after_id, lim);
END $$;

-- GET /v1/employees/{id}: HR reads anyone, an employee only themselves.
CREATE FUNCTION api.employee_get(tok bytea, eid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM auth_any(tok);
    IF c.employee_id IS NOT NULL AND c.employee_id <> eid THEN
        PERFORM api_fail(403, 'forbidden', NULL, 'employees can read only their own profile');
    END IF;
    RETURN profile_json(eid);
END $$;

-- GET /v1/me
-- (the profile profile_json built at the last write, kept by the triggers above)
-- The one api function that runs without SET search_path (99_privileges.sql lists it): on the
-- hottest path, setting and restoring the path at every call cost 10-15 % of its throughput
-- (pgbench, 16 clients). Everything it names is therefore schema-qualified, tables, operators and
-- types, and token_expired's body was parsed at its creation, so the caller's search_path (even
-- pg_temp first, with tables of its own) changes nothing; any other case goes to core.me_slow,
-- which sets the path as every other function does.
CREATE FUNCTION api.me(tok bytea) RETURNS pg_catalog.json LANGUAGE plpgsql AS $$
DECLARE
    p pg_catalog.json; -- the cached text as stored: printed by nobody on the way out
BEGIN
    -- the hot path in one query: an employee's live bearer token (the expiry rule inlined)
    SELECT ep.profile INTO p
    FROM public.api_tokens t JOIN public.employee_profiles ep ON ep.employee_id OPERATOR(pg_catalog.=) t.employee_id
    WHERE t.token_hash OPERATOR(pg_catalog.=) tok AND t.kind OPERATOR(pg_catalog.<>) 'session'
      AND NOT core.token_expired(t);
    IF FOUND THEN
        RETURN p;
    END IF;
    RETURN core.me_slow(tok);
END $$;

-- GET /v1/me for every case but the hot one (unknown, expired, HR, a session whose last use is
-- due): authenticates through auth_employee, which answers each with its error.
CREATE FUNCTION core.me_slow(tok bytea) RETURNS json LANGUAGE plpgsql SET search_path = core, public, pg_temp AS $$
DECLARE
    eid bigint := auth_employee(tok); -- first: a WHERE clause need not call it at all
BEGIN
    RETURN (SELECT profile FROM employee_profiles WHERE employee_id = eid);
END $$;

-- PATCH /v1/me (sso: single sign-on is on)
CREATE FUNCTION api.me_patch(tok bytea, p jsonb, sso boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_patch_employee(auth_employee(tok), p, sso);
END $$;

-- GET /v1/me/teaching
CREATE FUNCTION api.me_teaching(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN jsonb_build_object('skills', teaching_json(auth_employee(tok)));
END $$;

-- PUT /v1/me/teaching
CREATE FUNCTION api.me_put_teaching(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_put_teaching(auth_employee(tok), p);
END $$;

-- GET /v1/me/learning
CREATE FUNCTION api.me_learning(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN jsonb_build_object('goals', learning_json(auth_employee(tok)));
END $$;

-- PUT /v1/me/learning
CREATE FUNCTION api.me_put_learning(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_put_learning(auth_employee(tok), p);
END $$;

-- GET /v1/me/availability
CREATE FUNCTION api.me_availability(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN jsonb_build_object('slots', availability_json(auth_employee(tok)));
END $$;

-- PUT /v1/me/availability
CREATE FUNCTION api.me_put_availability(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_put_availability(auth_employee(tok), p);
END $$;

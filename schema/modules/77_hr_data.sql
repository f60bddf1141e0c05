-- HR data: the HR system's extract (CSV or JSON, parsed by hr_import.c into rows of canonical
-- fields) and SCIM 2.0 provisioning (scim.c) create, update and deactivate employees. One owner of
-- what an HR-managed employee gets by default and of what deactivation does.

-- Deactivates an employee (a leaver): their active pairs end cleanly (ended_by 'leaver', completed
-- with the usual points when a session was confirmed), every token is revoked, their HR
-- account's too when they had one (a deactivated account cannot sign in) and their matching preferences (teaching, learning, availability) are
-- erased, which also keeps them out of every round's pools. Profile, pairs' history, points and
-- badges stay until the account is erased (SCIM DELETE). Returns the number of pairs ended.
CREATE FUNCTION core.employee_deactivate(eid bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    pid bigint;
    n integer := 0;
BEGIN
    UPDATE employees SET active = false, deactivated_at = now(), updated_at = now()
    WHERE id = eid AND active;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    FOR pid IN SELECT id FROM pairs WHERE status = 'active' AND (mentor_id = eid OR mentee_id = eid)
               ORDER BY id LOOP
        PERFORM pair_end(pid, 'leaver', NULL, NULL);
        n := n + 1;
    END LOOP;
    DELETE FROM api_tokens WHERE employee_id = eid;
    -- the same person's HR account (one email) keeps no access either
    DELETE FROM api_tokens WHERE hr_id IN (SELECT h.id FROM hr_accounts h, employees e
                                           WHERE e.id = eid AND lower(h.email) = lower(e.email));
    DELETE FROM teaching WHERE employee_id = eid;
    DELETE FROM learning WHERE employee_id = eid;
    DELETE FROM availability WHERE employee_id = eid;
    RETURN n;
END $$;

-- The time zone and languages an employee created from HR data gets when the HR system says
-- nothing (the employee corrects them on their own profile).
CREATE FUNCTION core.hr_default_timezone() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'UTC' $$;
CREATE FUNCTION core.hr_default_languages() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT '{en}'::text[] $$;

-- The guard against a truncated or wrong full extract: a full import that would deactivate more
-- than this many employees and more than this share of the active imported ones deactivates
-- nobody unless HR confirms with allow_mass_deactivation=true.
CREATE FUNCTION core.hr_mass_deactivation_min() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 3 $$;
CREATE FUNCTION core.hr_mass_deactivation_share() RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT 0.10 $$;

-- Imports the HR system's extract. rows: [{line, employee_id, email, display_name, department,
-- site, job_title, timezone, languages, manager} | {line, employee_id?, email?, keys?, own_keys?,
-- malformed?, rejected: {field, code, message}}] as parsed by the server (keys: other texts of a
-- rejected row that may be an id or an email; own_keys: those that may be the row's own, keys when
-- absent; malformed: the row's columns cannot be trusted); cols: the
-- canonical columns the file has (a column it lacks is left as is). mode 'full': employees of
-- earlier imports absent from the file are deactivated, except anyone a rejected row names; when a
-- rejected row names nobody (it may have meant anyone), or the leavers would be a mass
-- (hr_mass_deactivation_*) without allow_mass, no leaver is processed and leavers_withheld says
-- why. A dry run returns the same report and changes nothing; applying twice changes nothing the
-- second time.
CREATE FUNCTION core.hr_import(hid bigint, fmt text, mode text, dry_run boolean, rows jsonb, cols jsonb,
                               allow_mass boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    has_site boolean := cols ? 'site';
    has_title boolean := cols ? 'job_title';
    has_tz boolean := cols ? 'timezone';
    has_lang boolean := cols ? 'languages';
    has_mgr boolean := cols ? 'manager';
    report jsonb;
    leaver record;
    deact jsonb := '[]';
    n_created integer;
    n_updated integer;
    n_rejected integer;
    n_managed integer;
    untied integer[];
    withheld jsonb;
    import_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7346213); -- one import or provisioning change at a time
    CREATE TEMP TABLE hr_in ON COMMIT DROP AS
    SELECT (x->>'line')::integer AS line, nullif(x->>'employee_id', '') AS ext, lower(x->>'email') AS email,
           x->>'display_name' AS display_name, x->>'department' AS department,
           coalesce(x->>'site', '') AS site, coalesce(x->>'job_title', '') AS job_title,
           nullif(x->>'timezone', '') AS timezone,
           CASE WHEN jsonb_array_length(coalesce(x->'languages', '[]')) > 0
                THEN ARRAY(SELECT jsonb_array_elements_text(x->'languages')) END AS languages,
           nullif(x->>'manager', '') AS manager, x->'rejected' AS rejected,
           coalesce(x->'keys', '[]') AS keys, coalesce(x->'own_keys', x->'keys', '[]') AS own_keys,
           coalesce((x->>'malformed')::boolean, false) AS malformed,
           NULL::bigint AS eid, false AS is_new, NULL::bigint AS mgr_eid, NULL::integer AS mgr_line, NULL::text[] AS changes
    FROM jsonb_array_elements(rows) AS t(x);
    CREATE INDEX ON hr_in (ext);
    CREATE INDEX ON hr_in (email);
    ANALYZE hr_in;

    -- who each row is: the HR id first, then the email (also for rejected rows: a person in a full
    -- extract whose row is rejected is not a leaver)
    UPDATE hr_in h SET eid = e.id FROM employees e WHERE h.ext IS NOT NULL AND e.external_id = h.ext;
    UPDATE hr_in h SET eid = e.id FROM employees e
    WHERE h.eid IS NULL AND h.email IS NOT NULL AND lower(e.email) = h.email;
    UPDATE hr_in SET is_new = true WHERE eid IS NULL AND rejected IS NULL;

    -- rejections, in the order a person would fix them
    UPDATE hr_in h SET rejected = jsonb_build_object('field', 'employee_id', 'code', 'duplicate',
        'message', format('employee_id "%s" is also on line %s', h.ext, d.line))
    FROM (SELECT ext, min(line) AS line FROM hr_in WHERE ext IS NOT NULL GROUP BY ext HAVING count(*) > 1) d
    WHERE h.rejected IS NULL AND h.ext = d.ext AND h.line > d.line;
    UPDATE hr_in h SET rejected = jsonb_build_object('field', 'email', 'code', 'duplicate',
        'message', format('email "%s" is also on line %s', h.email, d.line))
    FROM (SELECT email, min(line) AS line FROM hr_in WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1) d
    WHERE h.rejected IS NULL AND h.email = d.email AND h.line > d.line;
    UPDATE hr_in h SET rejected = jsonb_build_object('field', 'email', 'code', 'email_taken',
        'message', format('email "%s" belongs to another employee (id %s)', h.email, e.id))
    FROM employees e
    WHERE h.rejected IS NULL AND h.eid IS NOT NULL AND lower(e.email) = h.email AND e.id <> h.eid;
    UPDATE hr_in h SET rejected = jsonb_build_object('field', 'timezone', 'code', 'invalid_timezone',
        'message', format('timezone "%s" is not a known IANA time zone', h.timezone))
    WHERE h.rejected IS NULL
      AND h.timezone IN (SELECT z FROM (SELECT DISTINCT timezone AS z FROM hr_in WHERE timezone IS NOT NULL) d
                         WHERE NOT tz_is_valid(z));
    -- applying: the new employees' ids are taken now, so that a new employee's manager who is new
    -- too is known when both rows are inserted (the foreign key is checked at the statement's end)
    IF NOT dry_run THEN
        UPDATE hr_in SET eid = nextval(pg_get_serial_sequence('employees', 'id'))
        WHERE is_new AND rejected IS NULL;
    END IF;
    -- the manager: another row of the file (by HR id, or by email when it has an @), else an
    -- employee already in Tandem
    -- (one statement per key: an OR of the two would defeat the indexes and join every row with every row)
    UPDATE hr_in h SET mgr_line = m.line, mgr_eid = m.eid
    FROM hr_in m
    WHERE h.rejected IS NULL AND h.manager LIKE '%@%' AND m.rejected IS NULL AND m.email = lower(h.manager);
    UPDATE hr_in h SET mgr_line = m.line, mgr_eid = m.eid
    FROM hr_in m
    WHERE h.rejected IS NULL AND h.manager NOT LIKE '%@%' AND m.rejected IS NULL AND m.ext = h.manager;
    UPDATE hr_in h SET mgr_eid = e.id
    FROM employees e
    WHERE h.rejected IS NULL AND h.manager LIKE '%@%' AND h.mgr_line IS NULL AND lower(e.email) = lower(h.manager);
    UPDATE hr_in h SET mgr_eid = e.id
    FROM employees e
    WHERE h.rejected IS NULL AND h.manager NOT LIKE '%@%' AND h.mgr_line IS NULL AND e.external_id = h.manager;
    UPDATE hr_in h SET rejected = jsonb_build_object('field', 'manager', 'code', 'unknown_manager',
        'message', format('manager "%s" is neither in the file nor in Tandem', h.manager))
    WHERE h.rejected IS NULL AND h.manager IS NOT NULL AND h.mgr_line IS NULL AND h.mgr_eid IS NULL;
    UPDATE hr_in h SET rejected = jsonb_build_object('field', 'manager', 'code', 'invalid_value',
        'message', 'an employee cannot be their own manager')
    WHERE h.rejected IS NULL AND (h.mgr_line = h.line OR (h.eid IS NOT NULL AND h.mgr_eid = h.eid));

    -- whom each rejected row names: anyone whose HR id or email is one of its texts (its employee_id
    -- and email, its other keys: nobody they name is a leaver); own: by a text that may be the
    -- row's own id or email (own_keys). One statement per key, as for the manager.
    CREATE TEMP TABLE hr_tie ON COMMIT DROP AS
    WITH k AS (SELECT h.line, btrim(s.k) AS k, s.own FROM hr_in h
               CROSS JOIN LATERAL (SELECT jsonb_array_elements_text(h.keys), false
                                   UNION ALL SELECT jsonb_array_elements_text(h.own_keys), true
                                   UNION ALL SELECT h.ext, true UNION ALL SELECT h.email, true) AS s(k, own)
               WHERE h.rejected IS NOT NULL AND nullif(btrim(s.k), '') IS NOT NULL)
    SELECT k.line, e.id AS eid, k.own FROM k JOIN employees e ON e.external_id = k.k
    UNION
    SELECT k.line, e.id, k.own FROM k JOIN employees e ON lower(e.email) = lower(k.k);
    -- rejected rows that name nobody and may have meant anyone: a malformed row (its columns
    -- cannot be trusted) none of whose own_keys is someone's, or a row with neither an id nor an
    -- email (a well-formed row whose id or email is nobody's is a newcomer)
    SELECT coalesce(array_agg(h.line ORDER BY h.line), '{}') INTO untied FROM hr_in h
    WHERE h.rejected IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hr_tie t WHERE t.line = h.line AND t.own)
      AND (h.malformed OR (h.ext IS NULL AND h.email IS NULL AND jsonb_array_length(h.keys) = 0));
    SELECT count(*) INTO n_managed FROM employees WHERE source = 'import' AND active;

    -- what changes for employees already in Tandem
    UPDATE hr_in h SET changes = array_remove(ARRAY[
            CASE WHEN e.external_id IS DISTINCT FROM h.ext AND h.ext IS NOT NULL THEN 'employee_id' END,
            CASE WHEN lower(e.email) <> h.email THEN 'email' END,
            CASE WHEN e.display_name <> h.display_name THEN 'display_name' END,
            CASE WHEN e.department <> h.department THEN 'department' END,
            CASE WHEN has_site AND e.site <> h.site THEN 'site' END,
            CASE WHEN has_title AND e.job_title <> h.job_title THEN 'job_title' END,
            CASE WHEN has_tz AND h.timezone IS NOT NULL AND e.timezone <> h.timezone THEN 'timezone' END,
            CASE WHEN has_lang AND h.languages IS NOT NULL AND e.languages <> h.languages THEN 'languages' END,
            CASE WHEN has_mgr AND ((h.mgr_line IS NOT NULL AND h.mgr_eid IS NULL)
                                   OR e.hr_manager_id IS DISTINCT FROM h.mgr_eid) THEN 'manager' END,
            CASE WHEN NOT e.active THEN 'active' END,
            CASE WHEN e.source <> 'import' THEN 'source' END], NULL)
    FROM employees e WHERE h.rejected IS NULL AND e.id = h.eid;

    SELECT count(*) FILTER (WHERE rejected IS NULL AND is_new),
           count(*) FILTER (WHERE rejected IS NULL AND cardinality(changes) > 0),
           count(*) FILTER (WHERE rejected IS NOT NULL)
    INTO n_created, n_updated, n_rejected FROM hr_in;

    IF NOT dry_run THEN
        INSERT INTO employees (id, email, display_name, department, site, job_title, timezone, languages,
                               role, external_id, hr_manager_id, source)
        SELECT h.eid, h.email, h.display_name, h.department, h.site, h.job_title,
               coalesce(h.timezone, hr_default_timezone()), coalesce(h.languages, hr_default_languages()),
               'both', h.ext, h.mgr_eid, 'import'
        FROM hr_in h WHERE h.rejected IS NULL AND h.is_new ORDER BY h.line;
        UPDATE employees e SET
            external_id = coalesce(h.ext, e.external_id), email = h.email, display_name = h.display_name,
            department = h.department,
            site = CASE WHEN has_site THEN h.site ELSE e.site END,
            job_title = CASE WHEN has_title THEN h.job_title ELSE e.job_title END,
            timezone = CASE WHEN has_tz AND h.timezone IS NOT NULL THEN h.timezone ELSE e.timezone END,
            languages = CASE WHEN has_lang AND h.languages IS NOT NULL THEN h.languages ELSE e.languages END,
            hr_manager_id = CASE WHEN has_mgr THEN h.mgr_eid ELSE e.hr_manager_id END,
            active = true, deactivated_at = NULL, source = 'import', updated_at = now()
        FROM hr_in h
        WHERE e.id = h.eid AND h.rejected IS NULL AND NOT h.is_new AND cardinality(h.changes) > 0;
    END IF;

    IF mode = 'full' THEN
        CREATE TEMP TABLE hr_leaver ON COMMIT DROP AS
        SELECT e.id, e.external_id, e.email FROM employees e
        WHERE e.source = 'import' AND e.active
          AND NOT EXISTS (SELECT 1 FROM hr_in h WHERE h.eid = e.id)
          AND NOT EXISTS (SELECT 1 FROM hr_tie t WHERE t.eid = e.id);
        IF cardinality(untied) > 0 THEN
            withheld := jsonb_build_object('code', 'unidentified_rejected_rows', 'lines', to_jsonb(untied),
                'message', format('no leaver was deactivated: rejected line(s) %s name nobody and may be anyone '
                                  '(fix them and import again)', array_to_string(untied, ', ')));
        ELSIF (SELECT count(*) FROM hr_leaver) > hr_mass_deactivation_min()
              AND (SELECT count(*) FROM hr_leaver) > hr_mass_deactivation_share() * n_managed
              AND NOT allow_mass THEN
            withheld := jsonb_build_object('code', 'mass_deactivation', 'lines', '[]'::jsonb,
                'message', format('no leaver was deactivated: the file would deactivate %s of the %s active imported '
                                  'employees (more than %s%%); check the file, then import it with '
                                  'allow_mass_deactivation=true', (SELECT count(*) FROM hr_leaver), n_managed,
                                  round(hr_mass_deactivation_share() * 100)));
        END IF;
        FOR leaver IN SELECT * FROM hr_leaver ORDER BY id LOOP
            deact := deact || jsonb_build_object('id', leaver.id, 'employee_id', leaver.external_id,
                'email', leaver.email,
                'pairs_ended', CASE WHEN dry_run OR withheld IS NOT NULL
                    THEN (SELECT count(*) FROM pairs p WHERE p.status = 'active'
                          AND (p.mentor_id = leaver.id OR p.mentee_id = leaver.id))
                    ELSE employee_deactivate(leaver.id) END);
        END LOOP;
        IF withheld IS NOT NULL THEN
            withheld := withheld || jsonb_build_object('would_deactivate', deact);
            deact := '[]';
        END IF;
        DROP TABLE hr_leaver;
    END IF;

    IF NOT dry_run THEN
        INSERT INTO hr_imports (hr_id, format, mode, rows, created, updated, deactivated, rejected)
        VALUES (hid, fmt, mode, jsonb_array_length(rows), n_created, n_updated, jsonb_array_length(deact), n_rejected)
        RETURNING id INTO import_id;
    END IF;

    SELECT jsonb_build_object(
        'dry_run', dry_run, 'mode', mode, 'format', fmt, 'import_id', import_id,
        'rows', jsonb_array_length(rows),
        'counts', jsonb_build_object('created', n_created, 'updated', n_updated,
                                     'unchanged', count(*) FILTER (WHERE rejected IS NULL AND cardinality(changes) = 0),
                                     'deactivated', jsonb_array_length(deact), 'rejected', n_rejected),
        'created', coalesce(jsonb_agg(jsonb_build_object('line', line, 'employee_id', ext, 'email', email,
                                                         'id', CASE WHEN dry_run THEN NULL ELSE eid END) ORDER BY line)
                            FILTER (WHERE rejected IS NULL AND is_new), '[]'),
        'updated', coalesce(jsonb_agg(jsonb_build_object('line', line, 'id', eid, 'employee_id', ext, 'email', email,
                                                         'fields', to_jsonb(changes)) ORDER BY line)
                            FILTER (WHERE rejected IS NULL AND cardinality(changes) > 0), '[]'),
        'deactivated', deact, 'leavers_withheld', withheld,
        'rejected', coalesce(jsonb_agg(jsonb_build_object('line', line, 'field', rejected->>'field',
                                                          'code', rejected->>'code', 'message', rejected->>'message')
                                       ORDER BY line) FILTER (WHERE rejected IS NOT NULL), '[]'))
    INTO report FROM hr_in;
    DROP TABLE hr_in;
    DROP TABLE hr_tie;
    RETURN report;
END $$;

-- POST /v1/employees/import (HR)
CREATE FUNCTION api.hr_import(tok bytea, fmt text, mode text, dry_run boolean, rows jsonb, cols jsonb,
                              allow_mass boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN hr_import(auth_hr(tok), fmt, mode, dry_run, rows, cols, allow_mass);
END $$;

-- SCIM 2.0 (RFC 7643/7644): a Tandem employee as a SCIM User; id = the employee id, externalId =
-- the HR system's id, userName = the email, enterprise manager.value = the manager's SCIM id.
CREATE FUNCTION core.scim_user_json(eid bigint, base text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User',
                                     'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'),
        'id', e.id::text, 'externalId', e.external_id, 'userName', e.email,
        'displayName', e.display_name, 'name', jsonb_build_object('formatted', e.display_name),
        'emails', jsonb_build_array(jsonb_build_object('value', e.email, 'type', 'work', 'primary', true)),
        'title', nullif(e.job_title, ''), 'timezone', e.timezone,
        'preferredLanguage', e.languages[1], 'active', e.active,
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', jsonb_build_object(
            'department', nullif(e.department, ''),
            'manager', CASE WHEN e.hr_manager_id IS NOT NULL THEN jsonb_build_object(
                'value', e.hr_manager_id::text, '$ref', base || '/scim/v2/Users/' || e.hr_manager_id,
                'displayName', (SELECT m.display_name FROM employees m WHERE m.id = e.hr_manager_id)) END),
        'meta', jsonb_build_object('resourceType', 'User', 'created', ts_text(e.created_at),
                                   'lastModified', ts_text(e.updated_at),
                                   'location', base || '/scim/v2/Users/' || e.id)))
    FROM employees e WHERE e.id = eid
$$;

CREATE FUNCTION core.scim_fail(status integer, scim_type text, message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api_fail(status, scim_type, NULL, message);
END $$;

-- The employee of a SCIM id (404 in SCIM's words when there is none).
CREATE FUNCTION core.scim_find(sid text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
    eid bigint;
BEGIN
    IF sid ~ '^[1-9][0-9]{0,17}$' THEN
        SELECT id INTO eid FROM employees WHERE id = sid::bigint;
    END IF;
    IF eid IS NULL THEN
        PERFORM scim_fail(404, 'noTarget', format('no User with id "%s"', sid));
    END IF;
    RETURN eid;
END $$;

-- Writes a whole SCIM User (create when eid is NULL, replace otherwise) and returns its id. What
-- the User leaves out keeps its value on replace, except the manager (PUT replaces the whole
-- extension) and what HR data does not own (role, preferences).
CREATE FUNCTION core.scim_write(eid bigint, u jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    ent jsonb := coalesce(u->'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', '{}');
    v_email text := lower(u->>'userName');
    v_name text := coalesce(nullif(u->>'displayName', ''), nullif(u->'name'->>'formatted', ''),
                          nullif(concat_ws(' ', u->'name'->>'givenName', u->'name'->>'familyName'), ''),
                          u->>'userName');
    mgr bigint;
    mref text;
    lang text := lower(substr(u->>'preferredLanguage', 1, 2));
    was_active boolean;
    attr text;
    val jsonb;
BEGIN
    PERFORM pg_advisory_xact_lock(7346213);
    -- the attributes Tandem keeps are SCIM strings (name and the extension complex): a value of
    -- another JSON type is refused, never stored as its JSON text
    IF jsonb_typeof(u->'name') NOT IN ('object', 'null') THEN
        PERFORM scim_fail(400, 'invalidValue', 'name must be a complex attribute (an object)');
    END IF;
    IF jsonb_typeof(ent) NOT IN ('object', 'null') THEN
        PERFORM scim_fail(400, 'invalidValue',
                          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User must be an object');
    END IF;
    FOR attr, val IN VALUES ('userName', u->'userName'), ('externalId', u->'externalId'),
                            ('displayName', u->'displayName'), ('name.formatted', u->'name'->'formatted'),
                            ('name.givenName', u->'name'->'givenName'), ('name.familyName', u->'name'->'familyName'),
                            ('title', u->'title'), ('timezone', u->'timezone'),
                            ('preferredLanguage', u->'preferredLanguage'), ('department', ent->'department') LOOP
        IF jsonb_typeof(val) NOT IN ('string', 'null') THEN
            PERFORM scim_fail(400, 'invalidValue', format('%s must be a string', attr));
        END IF;
    END LOOP;
    IF v_email IS NULL OR v_email !~ '^[^@\s]+@[^@\s]+$' OR length(v_email) > 254 THEN
        PERFORM scim_fail(400, 'invalidValue', 'userName must be the employee''s email address');
    END IF;
    IF length(v_name) > 100 OR length(u->>'title') > 100 OR length(ent->>'department') > 100 THEN
        PERFORM scim_fail(400, 'invalidValue', 'displayName, title and department are at most 100 characters');
    END IF;
    IF u ? 'timezone' AND NOT tz_is_valid(u->>'timezone') THEN
        PERFORM scim_fail(400, 'invalidValue', 'timezone is not a known IANA time zone');
    END IF;
    IF u ? 'active' AND jsonb_typeof(u->'active') <> 'boolean' THEN
        PERFORM scim_fail(400, 'invalidValue', 'active must be a boolean');
    END IF;
    IF lang IS NOT NULL AND lang !~ '^[a-z]{2}$' THEN
        lang := NULL;
    END IF;
    IF ent->'manager' IS NOT NULL AND jsonb_typeof(ent->'manager') <> 'null' THEN
        mref := coalesce(ent->'manager'->>'value', ent->>'manager');
        IF mref ~ '^[1-9][0-9]{0,17}$' THEN
            SELECT id INTO mgr FROM employees WHERE id = mref::bigint;
        END IF;
        IF mgr IS NULL THEN
            PERFORM scim_fail(400, 'invalidValue', 'manager.value is not the id of a User');
        END IF;
        IF mgr = eid THEN
            PERFORM scim_fail(400, 'invalidValue', 'a User cannot be their own manager');
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM employees WHERE lower(employees.email) = v_email AND id IS DISTINCT FROM eid) THEN
        PERFORM scim_fail(409, 'uniqueness', 'userName is already taken');
    END IF;
    IF u->>'externalId' IS NOT NULL AND EXISTS (SELECT 1 FROM employees WHERE external_id = u->>'externalId'
                                                 AND id IS DISTINCT FROM eid) THEN
        PERFORM scim_fail(409, 'uniqueness', 'externalId is already taken');
    END IF;
    IF eid IS NULL THEN
        INSERT INTO employees (email, display_name, department, job_title, timezone, languages, role,
                               external_id, hr_manager_id, source, active, deactivated_at)
        VALUES (v_email, v_name, coalesce(ent->>'department', ''), coalesce(u->>'title', ''),
                coalesce(u->>'timezone', hr_default_timezone()),
                CASE WHEN lang IS NOT NULL THEN ARRAY[lang] ELSE hr_default_languages() END, 'both',
                u->>'externalId', mgr, 'scim', coalesce((u->>'active')::boolean, true),
                CASE WHEN (u->>'active')::boolean IS FALSE THEN now() END)
        RETURNING id INTO eid;
        RETURN eid;
    END IF;
    SELECT active INTO was_active FROM employees WHERE id = eid FOR UPDATE;
    UPDATE employees e SET
        email = v_email, display_name = v_name,
        external_id = coalesce(u->>'externalId', e.external_id),
        department = coalesce(ent->>'department', e.department),
        job_title = coalesce(u->>'title', e.job_title),
        timezone = coalesce(u->>'timezone', e.timezone),
        languages = CASE WHEN lang IS NOT NULL AND NOT lang = ANY (e.languages)
                         THEN ARRAY[lang] || e.languages ELSE e.languages END,
        hr_manager_id = mgr,
        updated_at = now()
    WHERE e.id = eid;
    IF (u->>'active')::boolean IS FALSE AND was_active THEN
        PERFORM employee_deactivate(eid);
    ELSIF (u->>'active')::boolean IS TRUE AND NOT was_active THEN
        UPDATE employees SET active = true, deactivated_at = NULL, updated_at = now() WHERE id = eid;
    END IF;
    RETURN eid;
END $$;

-- Applies SCIM PATCH operations (RFC 7644 3.5.2) to the User's SCIM form, then writes it whole:
-- add/replace of simple attributes (with a path, or a value object without one, as Entra ID
-- sends), remove of the manager or the title. op names are case-insensitive.
CREATE FUNCTION core.scim_patch(eid bigint, ops jsonb, base text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    ent constant text := 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    u jsonb := scim_user_json(eid, base);
    o jsonb;
    op text;
    path text;
    val jsonb;
    k text;
BEGIN
    IF jsonb_typeof(ops) IS DISTINCT FROM 'array' OR jsonb_array_length(ops) = 0 THEN
        PERFORM scim_fail(400, 'invalidSyntax', 'Operations must be a non-empty array');
    END IF;
    FOR o IN SELECT x FROM jsonb_array_elements(ops) AS t(x) LOOP
        op := lower(o->>'op');
        path := o->>'path';
        val := o->'value';
        IF op IS NULL OR op NOT IN ('add', 'replace', 'remove') THEN
            PERFORM scim_fail(400, 'invalidSyntax', 'op must be add, replace or remove');
        END IF;
        IF path IS NULL THEN
            IF op = 'remove' OR jsonb_typeof(val) IS DISTINCT FROM 'object' THEN
                PERFORM scim_fail(400, 'noTarget', 'an operation without a path needs an object value');
            END IF;
            FOR k IN SELECT jsonb_object_keys(val) LOOP
                -- a fully qualified key of the extension ("urn:...:User:department") is its attribute
                IF k LIKE ent || ':%' THEN
                    u := jsonb_set(u, ARRAY[ent], coalesce(u->ent, '{}') || jsonb_build_object(substr(k, length(ent) + 2), val->k));
                ELSIF k = ent THEN
                    u := jsonb_set(u, ARRAY[ent], coalesce(u->ent, '{}') || (val->k));
                ELSE
                    u := u || jsonb_build_object(k, val->k);
                END IF;
            END LOOP;
            CONTINUE;
        END IF;
        -- one attribute path: core attributes, name.*, emails[...].value, or the extension's
        path := regexp_replace(path, '^urn:ietf:params:scim:schemas:core:2\.0:User:', '');
        IF path LIKE ent || ':%' THEN
            k := substr(path, length(ent) + 2);
            IF k NOT IN ('department', 'manager', 'manager.value') THEN
                PERFORM scim_fail(400, 'invalidPath', format('"%s" is not an attribute Tandem keeps', o->>'path'));
            END IF;
            IF op = 'remove' THEN
                u := jsonb_set(u, ARRAY[ent], coalesce(u->ent, '{}') - split_part(k, '.', 1));
            ELSIF k = 'manager.value' THEN
                u := jsonb_set(u, ARRAY[ent], coalesce(u->ent, '{}') || jsonb_build_object('manager', jsonb_build_object('value', val)));
            ELSE
                u := jsonb_set(u, ARRAY[ent], coalesce(u->ent, '{}') || jsonb_build_object(k, val));
            END IF;
        ELSIF path IN ('active', 'userName', 'displayName', 'externalId', 'title', 'timezone', 'preferredLanguage') THEN
            IF op = 'remove' AND path IN ('active', 'userName', 'displayName', 'timezone') THEN
                PERFORM scim_fail(400, 'mutability', format('"%s" cannot be removed', path));
            END IF;
            -- Entra ID sends booleans as the strings "True"/"False"
            IF path = 'active' AND jsonb_typeof(val) = 'string' AND lower(val #>> '{}') IN ('true', 'false') THEN
                val := to_jsonb(lower(val #>> '{}')::boolean);
            END IF;
            u := CASE WHEN op = 'remove' THEN u - path ELSE u || jsonb_build_object(path, val) END;
            IF op = 'remove' AND path = 'title' THEN
                u := u || '{"title": ""}';
            END IF;
        ELSIF path IN ('name.formatted', 'name.givenName', 'name.familyName') AND op <> 'remove' THEN
            u := jsonb_set(u - 'displayName', '{name}', coalesce(u->'name', '{}') || jsonb_build_object(split_part(path, '.', 2), val));
            IF path <> 'name.formatted' THEN
                u := jsonb_set(u, '{name}', (u->'name') - 'formatted');
            END IF;
        ELSIF path ~ '^emails(\[.*\])?(\.value)?$' AND op <> 'remove' THEN
            u := u || jsonb_build_object('userName', CASE WHEN jsonb_typeof(val) = 'array' THEN val->0->'value'
                                                          WHEN jsonb_typeof(val) = 'object' THEN val->'value'
                                                          ELSE val END);
        ELSE
            PERFORM scim_fail(400, 'invalidPath', format('"%s" is not an attribute Tandem keeps', o->>'path'));
        END IF;
    END LOOP;
    RETURN scim_write(eid, u);
END $$;

-- POST /scim/v2/Users
CREATE FUNCTION api.scim_user_create(tok bytea, base text, u jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
BEGIN
    PERFORM auth_hr(tok);
    -- a statement of its own: scim_user_json is STABLE and sees only what was written before it
    eid := scim_write(NULL, u);
    RETURN scim_user_json(eid, base);
END $$;

-- GET /scim/v2/Users/{id}
CREATE FUNCTION api.scim_user_get(tok bytea, base text, sid text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN scim_user_json(scim_find(sid), base);
END $$;

-- PUT /scim/v2/Users/{id}
CREATE FUNCTION api.scim_user_replace(tok bytea, base text, sid text, u jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
BEGIN
    PERFORM auth_hr(tok);
    eid := scim_write(scim_find(sid), u);
    RETURN scim_user_json(eid, base);
END $$;

-- PATCH /scim/v2/Users/{id}
CREATE FUNCTION api.scim_user_patch(tok bytea, base text, sid text, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
BEGIN
    PERFORM auth_hr(tok);
    eid := scim_patch(scim_find(sid), p->'Operations', base);
    RETURN scim_user_json(eid, base);
END $$;

-- DELETE /scim/v2/Users/{id}: the account is erased (the erasure trigger ends active pairs and
-- keeps the partner's history).
CREATE FUNCTION api.scim_user_delete(tok bytea, sid text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    DELETE FROM employees WHERE id = scim_find(sid);
END $$;

-- GET /scim/v2/Users: an optional equality filter on userName, externalId or id (attr NULL:
-- none), 1-based startIndex and count (RFC 7644 3.4.2.4), in id order.
CREATE FUNCTION api.scim_users_list(tok bytea, base text, attr text, val text, start_index integer, cnt integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    total integer;
    page jsonb;
BEGIN
    PERFORM auth_hr(tok);
    SELECT count(*) INTO total FROM employees e
    WHERE attr IS NULL OR (attr = 'username' AND lower(e.email) = lower(val))
       OR (attr = 'externalid' AND e.external_id = val) OR (attr = 'id' AND e.id::text = val);
    SELECT coalesce(jsonb_agg(scim_user_json(s.id, base) ORDER BY s.id), '[]') INTO page
    FROM (SELECT e.id FROM employees e
          WHERE attr IS NULL OR (attr = 'username' AND lower(e.email) = lower(val))
             OR (attr = 'externalid' AND e.external_id = val) OR (attr = 'id' AND e.id::text = val)
          ORDER BY e.id OFFSET start_index - 1 LIMIT cnt) s;
    RETURN jsonb_build_object('schemas', jsonb_build_array('urn:ietf:params:scim:api:messages:2.0:ListResponse'),
                              'totalResults', total, 'startIndex', start_index,
                              'itemsPerPage', jsonb_array_length(page), 'Resources', page);
END $$;

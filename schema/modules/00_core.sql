-- Core: the helpers every module uses (time and day formats, the error convention, JSON arrays)
-- and the authentication of a bearer token. Schema core is private to the owner role; schema api
-- holds what the server calls (see 99_privileges.sql). Both are dropped and rebuilt at every start.
-- Functions raise SQLSTATE 'TDnnn' (nnn = HTTP status) with HINT = error code and DETAIL = field.

-- A figure as it prints in JSON: rounded to places decimals and carried as a double so that
-- 1.0 hour prints as 1 and 1.5 as 1.5, never as numeric's 1.00000000000000000000.
CREATE FUNCTION core.json_num(x numeric, places integer) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT round(x, places)::double precision
$$;

-- RFC 3339 UTC text of a timestamp. STABLE, as to_char is: declared IMMUTABLE it could not be
-- inlined, and every query calling it parsed and planned its body again at every execution (19 % of
-- GET /v1/me's time in PostgreSQL, perf).
CREATE FUNCTION core.ts_text(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- "HH:MM" of minutes since midnight.
CREATE FUNCTION core.hhmm(m integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT lpad((m / 60)::text, 2, '0') || ':' || lpad((m % 60)::text, 2, '0')
$$;

CREATE FUNCTION core.day_name(d integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['mon','tue','wed','thu','fri','sat','sun'])[d + 1]
$$;

CREATE FUNCTION core.day_index(d text) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (array_position(ARRAY['mon','tue','wed','thu','fri','sat','sun'], d) - 1)::smallint
$$;

-- Minutes since midnight of "HH:MM".
CREATE FUNCTION core.hhmm_minutes(t text) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (split_part(t, ':', 1)::int * 60 + split_part(t, ':', 2)::int)::smallint
$$;

CREATE FUNCTION core.api_fail(status integer, code text, field text, message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'TD' || status::text, MESSAGE = message,
        HINT = code, DETAIL = coalesce(field, '');
END $$;

CREATE FUNCTION core.json_text_array(a jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(x ORDER BY i), '{}') FROM jsonb_array_elements_text(a) WITH ORDINALITY AS t(x, i)
$$;

-- The caller of a bearer token, given its SHA-256 (the server hashes; the token itself never reaches
-- the database): 401 when no token has that hash. One of the two ids is set.
CREATE FUNCTION core.auth_any(tok bytea, OUT employee_id bigint, OUT hr_id bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT t.employee_id, t.hr_id INTO employee_id, hr_id FROM api_tokens t WHERE t.token_hash = tok;
    IF NOT FOUND THEN
        PERFORM api_fail(401, 'unauthorized', NULL, 'unknown or revoked token');
    END IF;
END $$;

-- The employee id of a bearer token's hash: 401 when unknown, 403 for an HR account.
CREATE FUNCTION core.auth_employee(tok bytea) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
    eid bigint;
    hid bigint;
BEGIN
    SELECT t.employee_id, t.hr_id INTO eid, hid FROM api_tokens t WHERE t.token_hash = tok;
    IF NOT FOUND THEN
        PERFORM api_fail(401, 'unauthorized', NULL, 'unknown or revoked token');
    END IF;
    IF eid IS NULL THEN
        PERFORM api_fail(403, 'forbidden', NULL, 'this endpoint is for employees');
    END IF;
    RETURN eid;
END $$;

-- The HR account id of a bearer token's hash: 401 when unknown, 403 for an employee.
CREATE FUNCTION core.auth_hr(tok bytea) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
    hid bigint;
BEGIN
    SELECT t.hr_id INTO hid FROM api_tokens t WHERE t.token_hash = tok;
    IF NOT FOUND THEN
        PERFORM api_fail(401, 'unauthorized', NULL, 'unknown or revoked token');
    END IF;
    IF hid IS NULL THEN
        PERFORM api_fail(403, 'forbidden', NULL, 'this endpoint is for HR accounts');
    END IF;
    RETURN hid;
END $$;

-- Checks that a token's hash may call a route for need ('employee', 'hr' or 'any'), raising the
-- 401/403 the route's own function would: the server asks before answering a request it refused
-- on its own (a malformed body, say), so that an unknown caller learns nothing more.
CREATE FUNCTION api.authorize(tok bytea, need text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CASE need
        WHEN 'employee' THEN PERFORM auth_employee(tok);
        WHEN 'hr' THEN PERFORM auth_hr(tok);
        ELSE PERFORM auth_any(tok);
    END CASE;
END $$;

-- GET /readyz: the highest versioned migration applied.
CREATE FUNCTION api.schema_version() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT max(version) FROM schema_migrations
$$;

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

-- Whether a token has expired: its absolute lifetime, or a browser session idle too long. The one
-- owner of that rule (a plain expression, inlined where it is used). Its body is parsed here, under
-- this file's search_path (BEGIN ATOMIC), so api.me may inline it whatever the caller's path is.
CREATE FUNCTION core.token_expired(t api_tokens) RETURNS boolean LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT t.expires_at <= now() OR (t.idle_seconds IS NOT NULL AND
                                     coalesce(t.last_used_at, t.created_at) + t.idle_seconds * interval '1 second' <= now());
END;

-- The live token of a SHA-256 (the server hashes; the token itself never reaches the database): 401
-- when no token has that hash, or it has expired. A session's last use is written at most once a
-- minute, so reads stay cheap.
CREATE FUNCTION core.auth_token(tok bytea) RETURNS api_tokens LANGUAGE plpgsql AS $$
DECLARE
    t api_tokens;
BEGIN
    SELECT * INTO t FROM api_tokens WHERE token_hash = tok;
    IF NOT FOUND THEN
        PERFORM api_fail(401, 'unauthorized', NULL, 'unknown or revoked token');
    END IF;
    IF token_expired(t) THEN
        PERFORM api_fail(401, 'unauthorized', NULL, 'expired token');
    END IF;
    IF t.kind = 'session' AND coalesce(t.last_used_at, t.created_at) < now() - interval '1 minute' THEN
        UPDATE api_tokens SET last_used_at = now() WHERE token_hash = tok;
    END IF;
    RETURN t;
END $$;

-- The caller of a bearer token's hash: 401 when unknown or expired. One of the two ids is set.
CREATE FUNCTION core.auth_any(tok bytea, OUT employee_id bigint, OUT hr_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t api_tokens := auth_token(tok);
BEGIN
    employee_id := t.employee_id;
    hr_id := t.hr_id;
END $$;

-- The employee id of a bearer token's hash: 401 when unknown or expired, 403 for an HR account.
CREATE FUNCTION core.auth_employee(tok bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    t api_tokens := auth_token(tok);
BEGIN
    IF t.employee_id IS NULL THEN
        PERFORM api_fail(403, 'forbidden', NULL, 'this endpoint is for employees');
    END IF;
    RETURN t.employee_id;
END $$;

-- The HR account id of a bearer token's hash: 401 when unknown or expired, 403 for an employee.
CREATE FUNCTION core.auth_hr(tok bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    t api_tokens := auth_token(tok);
BEGIN
    IF t.hr_id IS NULL THEN
        PERFORM api_fail(403, 'forbidden', NULL, 'this endpoint is for HR accounts');
    END IF;
    RETURN t.hr_id;
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

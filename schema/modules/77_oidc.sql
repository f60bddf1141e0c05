-- Single sign-on (OpenID Connect): tandemd checks the provider's ID token itself; these functions
-- keep the sign-ins in flight and open the browser session of the employee or HR account named.

-- Records a sign-in in flight for ttl seconds (and forgets expired ones).
CREATE FUNCTION api.oidc_login_begin(p_state bytea, p_nonce text, p_verifier text, ttl integer)
RETURNS void LANGUAGE sql AS $$
    DELETE FROM oidc_logins WHERE expires_at <= now();
    INSERT INTO oidc_logins (state_hash, nonce, code_verifier, expires_at)
    VALUES (p_state, p_nonce, p_verifier, now() + ttl * interval '1 second');
$$;

-- Takes (once: it is deleted) the sign-in of a state: {nonce, code_verifier}; 400 when the state is
-- unknown, used already or expired.
CREATE FUNCTION api.oidc_login_take(p_state bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    l oidc_logins;
BEGIN
    DELETE FROM oidc_logins WHERE state_hash = p_state RETURNING * INTO l;
    IF NOT FOUND OR l.expires_at <= now() THEN
        PERFORM api_fail(400, 'sso_state_invalid', 'state',
                         'this sign-in is unknown, used already or expired: start again at /v1/auth/login');
    END IF;
    RETURN jsonb_build_object('nonce', l.nonce, 'code_verifier', l.code_verifier);
END $$;

-- Forgets the ID tokens of sessions that have expired (absolute or idle lifetime) but whose row is
-- still there: an ID token is kept no longer than its session, give or take one upkeep tick. Called
-- by the upkeep tick (core.maintenance_tick, every --maintenance-seconds), not at sign-in: it reads
-- every session holding an ID token, which a sign-in should not pay for. Rows another transaction
-- holds are skipped (the next tick takes them). Returns how many it cleared.
CREATE FUNCTION core.oidc_forget_expired_id_tokens() RETURNS integer LANGUAGE sql AS $$
    WITH cleared AS (
        UPDATE api_tokens SET id_token = NULL
        WHERE token_hash IN (SELECT token_hash FROM api_tokens
                             WHERE id_token IS NOT NULL AND token_expired(api_tokens)
                             FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM cleared;
$$;

-- Opens a browser session (a token of kind session, idle and absolute lifetimes) for the user the
-- provider vouched for: an HR account when the HR claim matched (created on first sign-in: the
-- provider is the authority on who is HR), else the employee of that email; an unknown employee is
-- created from the claims when just-in-time creation is on, refused with 403 otherwise; a
-- deactivated employee (a leaver) is refused with 403 sso_deactivated, as HR too, and never
-- re-created. The
-- verified ID token is kept on the session's row for the sign-out's id_token_hint.
CREATE FUNCTION api.oidc_sign_in(new_hash bytea, p_email text, p_name text, is_hr boolean,
                                 jit boolean, idle_seconds integer, max_seconds integer,
                                 p_id_token text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
    hid bigint;
    is_active boolean;
    nm text := coalesce(nullif(btrim(p_name), ''), split_part(p_email, '@', 1));
BEGIN
    IF p_email IS NULL OR p_email !~ '^[^@\s]+@[^@\s]+$' THEN
        PERFORM api_fail(403, 'sso_no_email', 'email',
                         'the identity provider sent no usable email for this account');
    END IF;
    -- one person, one email: a leaver (HR import, SCIM) signs in neither as an employee nor as HR
    -- (a leaver may still sign in at the provider for a while); the share lock orders this sign-in
    -- with a deactivation under way, which then revokes the session opened here
    SELECT id, active INTO eid, is_active FROM employees WHERE lower(email) = lower(p_email) FOR SHARE;
    IF FOUND AND NOT is_active THEN
        PERFORM api_fail(403, 'sso_deactivated', 'email',
                         format('%s has left the company in Tandem''s HR data: this account is deactivated',
                                lower(p_email)));
    END IF;
    IF is_hr THEN
        eid := NULL;
        SELECT id INTO hid FROM hr_accounts WHERE lower(email) = lower(p_email);
        IF NOT FOUND THEN
            INSERT INTO hr_accounts (email, display_name) VALUES (lower(p_email), left(nm, 100))
            RETURNING id INTO hid;
        END IF;
    ELSE
        IF eid IS NULL AND jit THEN
            INSERT INTO employees (email, display_name, department, timezone, languages, role)
            VALUES (lower(p_email), left(nm, 100), 'Unassigned', 'UTC', '{en}', 'mentee')
            RETURNING id INTO eid;
        ELSIF eid IS NULL THEN
            PERFORM api_fail(403, 'sso_unknown_employee', 'email',
                             format('%s signed in at the identity provider but is not a Tandem employee: '
                                    'ask HR to import or provision this account', lower(p_email)));
        END IF;
    END IF;
    INSERT INTO api_tokens (token_hash, employee_id, hr_id, kind, scope, name, expires_at, idle_seconds,
                            id_token)
    VALUES (new_hash, eid, hid, 'session', 'write', 'browser session',
            now() + max_seconds * interval '1 second', idle_seconds, p_id_token);
    RETURN jsonb_build_object('employee_id', eid, 'hr_id', hid);
END $$;

-- POST /v1/auth/logout (any caller): revokes the token used, like DELETE /v1/tokens/current. A
-- browser session (is_session) is ended even when it has expired, idle or past its lifetime: who
-- signs out after a pause must still be able to end the provider's session, so the server is told,
-- with the ID token the session was opened with (hint) unless the upkeep tick has cleared it
-- already; the row and the token go together. A session cookie (via_cookie) whose session is gone
-- already (revoked elsewhere: another device's "sign out everywhere", HR, deactivation; or expired
-- and purged) is a sign-out too: nothing is left to revoke, but the browser must still forget the
-- dead cookie and end the provider's session (no hint: the ID token went with the row). The router
-- checked the cookie's CSRF header before. A bearer token is authenticated first (401 when unknown
-- or expired), as everywhere: its caller holds it, and learns that it is dead.
CREATE FUNCTION api.oidc_logout(tok bytea, via_cookie boolean, OUT is_session boolean, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM api_tokens t WHERE t.token_hash = tok AND t.kind = 'session' RETURNING t.id_token INTO hint;
    is_session := FOUND OR (via_cookie AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.token_hash = tok));
    IF NOT is_session THEN
        PERFORM auth_any(tok);
        DELETE FROM api_tokens t WHERE t.token_hash = tok;
    END IF;
END $$;

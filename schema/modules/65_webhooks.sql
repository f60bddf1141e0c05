-- Outgoing webhooks managed by HR; deliveries leased and recorded by the upkeep thread (upkeep.c).

-- Deliveries due now, leased for 30 s so that another tandemd does not send them too, with the
-- body and the secrets to sign it with (upkeep.c signs, Standard Webhooks scheme): the current one,
-- and the previous one while its rotation grace period lasts.
CREATE FUNCTION core.webhook_due(lim integer)
RETURNS TABLE (delivery_id bigint, url text, body text, secret text, previous_secret text, event_type text)
LANGUAGE sql AS $$
    WITH due AS (
        SELECT d.id FROM webhook_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at, d.id LIMIT lim FOR UPDATE SKIP LOCKED
    ), leased AS (
        UPDATE webhook_deliveries d SET next_attempt_at = now() + interval '30 seconds', attempts = attempts + 1
        FROM due WHERE d.id = due.id RETURNING d.id, d.webhook_id, d.event_id
    )
    SELECT l.id, w.url,
           jsonb_build_object('event_id', e.id, 'type', e.type, 'created_at', ts_text(e.created_at),
                              'payload', event_view(e))::text,
           w.secret,
           CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END,
           e.type
    FROM leased l JOIN webhooks w ON w.id = l.webhook_id JOIN events e ON e.id = l.event_id
$$;

-- A new webhook signing secret: "whsec_" + base64 of 32 random bytes (Standard Webhooks).
CREATE FUNCTION core.webhook_new_secret() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT 'whsec_' || encode(gen_random_bytes(32), 'base64')
$$;

-- Records a delivery's outcome: delivered, or retried with exponential back-off (up to 8 attempts).
CREATE FUNCTION core.webhook_done(did bigint, ok boolean, err text) RETURNS void LANGUAGE sql AS $$
    UPDATE webhook_deliveries SET
        status = CASE WHEN ok THEN 'delivered' WHEN attempts >= 8 THEN 'failed' ELSE 'pending' END,
        delivered_at = CASE WHEN ok THEN now() END,
        last_error = CASE WHEN ok THEN NULL ELSE err END,
        next_attempt_at = CASE WHEN ok THEN next_attempt_at
                               ELSE now() + least(interval '1 second' * power(2, attempts - 1), interval '1 hour') END
    WHERE id = did
$$;

CREATE FUNCTION core.webhook_json(w webhooks) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', w.id, 'event_type', w.event_type, 'url', w.url, 'active', w.active,
                              'created_at', ts_text(w.created_at),
                              'secret_rotated_at', ts_text(w.secret_rotated_at),
                              'previous_secret_expires_at',
                                  CASE WHEN w.previous_secret_expires_at > now()
                                       THEN ts_text(w.previous_secret_expires_at) END,
                              'deliveries', (SELECT jsonb_build_object(
                                  'pending', count(*) FILTER (WHERE status = 'pending'),
                                  'delivered', count(*) FILTER (WHERE status = 'delivered'),
                                  'failed', count(*) FILTER (WHERE status = 'failed'))
                               FROM webhook_deliveries d WHERE d.webhook_id = w.id))
$$;

-- POST /v1/webhooks (HR): the secret is generated here and returned this once.
CREATE FUNCTION api.webhook_create(tok bytea, p_type text, p_url text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    PERFORM auth_hr(tok);
    INSERT INTO webhooks (event_type, url, secret) VALUES (p_type, p_url, webhook_new_secret())
    RETURNING * INTO w;
    RETURN webhook_json(w) || jsonb_build_object('secret', w.secret);
END $$;

-- POST /v1/webhooks/{id}/rotate-secret (HR): a new secret, returned this once; the previous one
-- still signs deliveries (a second signature) for grace_seconds (default one day; 0 revokes it now).
CREATE FUNCTION api.webhook_rotate_secret(tok bytea, wid bigint, body jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    grace integer := coalesce((body->>'grace_seconds')::integer, 86400);
    w webhooks;
BEGIN
    PERFORM auth_hr(tok);
    UPDATE webhooks SET
        previous_secret = CASE WHEN grace > 0 THEN secret END,
        previous_secret_expires_at = CASE WHEN grace > 0 THEN now() + grace * interval '1 second' END,
        secret = webhook_new_secret(),
        secret_rotated_at = now()
    WHERE id = wid RETURNING * INTO w;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such webhook');
    END IF;
    RETURN webhook_json(w) || jsonb_build_object('secret', w.secret);
END $$;

-- GET /v1/webhooks (HR)
CREATE FUNCTION api.webhooks_list(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN (SELECT jsonb_build_object('items', coalesce(jsonb_agg(webhook_json(w) ORDER BY w.id), '[]'))
            FROM webhooks w);
END $$;

-- DELETE /v1/webhooks/{id} (HR)
CREATE FUNCTION api.webhook_delete(tok bytea, wid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    DELETE FROM webhooks WHERE id = wid;
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not_found', NULL, 'no such webhook');
    END IF;
END $$;

-- The upkeep thread's deliveries due now (leased for 30 s).
CREATE FUNCTION api.webhook_due(lim integer)
RETURNS TABLE (delivery_id bigint, url text, body text, secret text, previous_secret text, event_type text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM webhook_due(lim);
END $$;

-- The upkeep thread records a delivery's outcome.
CREATE FUNCTION api.webhook_done(did bigint, ok boolean, err text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_done(did, ok, err);
END $$;

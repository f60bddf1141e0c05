-- Open Badges 2.0 hosted documents (public, no token); the public base URL is passed by the server.

-- Public base URL is passed by the server; documents follow Open Badges 2.0 (hosted verification).
CREATE FUNCTION core.ob_issuer(base text, issuer_name text, issuer_email text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('@context', 'https://w3id.org/openbadges/v2', 'type', 'Issuer',
                              'id', base || '/ob/issuer', 'name', issuer_name, 'url', base,
                              'email', issuer_email)
$$;

CREATE FUNCTION core.ob_badge_class(b badges, base text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('@context', 'https://w3id.org/openbadges/v2', 'type', 'BadgeClass',
                              'id', base || '/ob/badges/' || b.slug, 'name', b.name,
                              'description', b.description,
                              'image', base || '/ob/badges/' || b.slug || '/image.svg',
                              'criteria', jsonb_build_object('narrative', b.criteria_narrative),
                              'issuer', base || '/ob/issuer',
                              'tags', jsonb_build_array('reverse-mentoring', b.role))
$$;

-- The hosted assertion, or NULL when unknown; revoked ones carry revoked=true (served as 410).
CREATE FUNCTION core.ob_assertion(p_uid text, base text) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

-- GET /ob/issuer
CREATE FUNCTION api.ob_issuer(base text, issuer_name text, issuer_email text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN ob_issuer(base, issuer_name, issuer_email);
END $$;

-- GET /ob/badges/{slug}: NULL when unknown.
CREATE FUNCTION api.ob_badge(p_slug text, base text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT ob_badge_class(b, base) FROM badges b WHERE b.slug = p_slug);
END $$;

-- GET /ob/badges/{slug}/image.svg: what the image shows (no row when unknown).
CREATE FUNCTION api.ob_badge_image(p_slug text) RETURNS TABLE (name text, color text) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT b.name, b.color FROM badges b WHERE b.slug = p_slug;
END $$;

-- GET /ob/assertions/{uid}: the document (NULL when unknown) and whether it was revoked (410).
CREATE FUNCTION api.ob_assertion(p_uid text, base text, OUT doc jsonb, OUT revoked boolean) LANGUAGE plpgsql AS $$
BEGIN
    doc := ob_assertion(p_uid, base);
    revoked := (doc->>'revoked')::boolean IS TRUE;
END $$;

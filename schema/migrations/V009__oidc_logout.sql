-- Sign-out at the identity provider too (OpenID Connect RP-Initiated Logout 1.0): the ID token a
-- browser session was opened with, sent back to the provider as id_token_hint at sign-out. It lives
-- on the session's own row, so whatever ends the session by deleting the row (sign-out, revocation
-- by the user or HR, "sign out everywhere", erasure, deactivation) forgets it in the same
-- statement; an expired session's is cleared at the next sign-in or sign-out (77_oidc.sql).
ALTER TABLE api_tokens
    ADD COLUMN id_token text,
    ADD CONSTRAINT api_tokens_id_token_session CHECK (id_token IS NULL OR kind = 'session');

-- The sessions still holding an ID token, by expiry: what the clearing of expired ones scans.
CREATE INDEX api_tokens_id_token_idx ON api_tokens (expires_at) WHERE id_token IS NOT NULL;

-- Single sign-on (issue 9): the sign-ins in flight between GET /v1/auth/login and the provider's
-- redirect to /v1/auth/callback. Keyed by the SHA-256 of the state (the state itself only travels
-- in the browser); the nonce and PKCE verifier are what the callback needs to finish. Short-lived.
CREATE TABLE oidc_logins (
    state_hash    bytea PRIMARY KEY,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX oidc_logins_expires_idx ON oidc_logins (expires_at);

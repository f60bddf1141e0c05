-- Identity (issue 9): every token expires; personal API tokens carry a scope and a label; a token of
-- kind session (a browser session, for single sign-on) also expires when idle.

-- A public id for listing and revoking a token (its hash stays private); what kind of token it is.
ALTER TABLE api_tokens
    ADD COLUMN id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN kind         text NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'session')),
    ADD COLUMN scope        text NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write')),
    ADD COLUMN name         text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN idle_seconds integer CHECK (idle_seconds > 0),
    ADD COLUMN last_used_at timestamptz;

-- Tokens issued before expiry existed get the default lifetime of a personal token from now.
UPDATE api_tokens SET expires_at = now() + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL,
                       ALTER COLUMN expires_at SET DEFAULT now() + interval '90 days';

CREATE INDEX api_tokens_hr_idx ON api_tokens (hr_id);
CREATE INDEX api_tokens_expires_idx ON api_tokens (expires_at);

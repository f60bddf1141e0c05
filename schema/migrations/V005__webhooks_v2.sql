-- Webhooks v2 (issue 9): Standard Webhooks secrets ("whsec_" + base64 of 32 random bytes) generated
-- by the server and shown once; rotation keeps the previous secret for a grace period, during
-- which deliveries carry both signatures. Secrets chosen by clients before V005 keep working (used
-- as raw key bytes) until rotated.
ALTER TABLE webhooks
    ADD COLUMN previous_secret            text,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD COLUMN secret_rotated_at          timestamptz,
    ADD CONSTRAINT webhooks_previous_secret_pair
        CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL));

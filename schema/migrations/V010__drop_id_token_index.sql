-- The partial index of V009 on sessions holding an ID token served no query: the upkeep tick's
-- clearing reads the expiry rule (absolute or idle lifetime, an OR) that no index range answers, so
-- the index was only a cost on every sign-in and sign-out.
DROP INDEX api_tokens_id_token_idx;

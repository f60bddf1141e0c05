-- The cached profile is stored as json text (issue 8): GET /v1/me returns it as it is, where a
-- jsonb column had to be printed again at every read (jsonb_out, about a tenth of the backend's
-- time per request). It holds the text core.profile_json's jsonb prints as, so replies keep their
-- bytes; writes go through the assignment cast jsonb -> json.
ALTER TABLE employee_profiles ALTER COLUMN profile TYPE json USING profile::json;

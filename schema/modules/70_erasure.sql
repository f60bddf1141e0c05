-- Erasure of an employee (DELETE /v1/me). The trigger function lives in public, with the table it
-- guards, so that rebuilding schema core never drops the trigger.

-- Erasure of an employee (DELETE /v1/me): their active pairs end, their own words (session notes
-- they wrote as the manager, their closing feedback) go; the partner keeps the pair's history,
-- with this side shown as null.
CREATE OR REPLACE FUNCTION public.employee_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pairs p SET status = 'ended', ended_at = now(),
        ended_by = CASE WHEN p.mentor_id = OLD.id THEN 'mentor' ELSE 'mentee' END,
        completed = EXISTS (SELECT 1 FROM sessions s WHERE s.pair_id = p.id AND s.status = 'confirmed')
    WHERE p.status = 'active' AND (p.mentor_id = OLD.id OR p.mentee_id = OLD.id);
    UPDATE sessions SET note = '', response = NULL, request_hash = NULL
    WHERE pair_id IN (SELECT id FROM pairs WHERE mentee_id = OLD.id);
    DELETE FROM pair_feedback f USING pairs p
    WHERE f.pair_id = p.id AND ((p.mentor_id = OLD.id AND f.side = 'mentor')
                                OR (p.mentee_id = OLD.id AND f.side = 'mentee'));
    RETURN OLD;
END $$;

CREATE OR REPLACE TRIGGER employees_erase BEFORE DELETE ON employees
    FOR EACH ROW EXECUTE FUNCTION employee_erase();

-- DELETE /v1/me (employee): the row goes, the trigger above keeps the partner's history.
CREATE FUNCTION api.me_delete(tok bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    eid bigint := auth_employee(tok);
BEGIN
    DELETE FROM employees WHERE id = eid;
END $$;

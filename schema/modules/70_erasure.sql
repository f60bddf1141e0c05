-- Erasure of an employee (DELETE /v1/me). The trigger function lives in public, with the table it
-- guards, so that rebuilding schema core never drops the trigger.

-- Erasure of an employee (DELETE /v1/me, SCIM DELETE), before their row goes: their own words go
-- (as the manager: session notes, the replies replayed for a retried key, the keys their client
-- chose; as the mentor: dispute reasons; either side: closing feedback) and the events of their
-- pairs stop naming them by id; then their side of every pair is set null (what the foreign key
-- would do after) and their active pairs end through core.pair_end as an ending by that side would:
-- the partner who stays gets the completion points, badges and the pair_completed event, while the
-- erased side, already null, earns nothing and is not named by the event. The partner keeps the
-- pair's history, with this side shown as null.
CREATE OR REPLACE FUNCTION public.employee_erase() RETURNS trigger LANGUAGE plpgsql
SET search_path = core, public, pg_temp AS $$
DECLARE
    pr record;
BEGIN
    UPDATE sessions SET note = '', response = NULL, request_hash = NULL, idempotency_key = NULL
    WHERE pair_id IN (SELECT id FROM pairs WHERE mentee_id = OLD.id);
    UPDATE sessions SET dispute_reason = NULL
    WHERE pair_id IN (SELECT id FROM pairs WHERE mentor_id = OLD.id) AND dispute_reason IS NOT NULL;
    DELETE FROM pair_feedback f USING pairs p
    WHERE f.pair_id = p.id AND ((p.mentor_id = OLD.id AND f.side = 'mentor')
                                OR (p.mentee_id = OLD.id AND f.side = 'mentee'));
    -- the events of their pairs (completed, stalled) stop naming them, as the pairs do
    UPDATE events e SET payload = e.payload
        || CASE WHEN p.mentor_id = OLD.id THEN jsonb_build_object('mentor_id', NULL) ELSE '{}' END
        || CASE WHEN p.mentee_id = OLD.id THEN jsonb_build_object('manager_id', NULL) ELSE '{}' END
    FROM pairs p
    WHERE e.pair_id = p.id AND (p.mentor_id = OLD.id OR p.mentee_id = OLD.id)
      AND e.type IN ('pair_completed', 'pair_stalled');
    FOR pr IN SELECT p.id, p.status, CASE WHEN p.mentor_id = OLD.id THEN 'mentor' ELSE 'mentee' END AS side
              FROM pairs p WHERE p.mentor_id = OLD.id OR p.mentee_id = OLD.id
              ORDER BY p.id FOR UPDATE LOOP
        UPDATE pairs SET mentor_id = CASE WHEN pr.side = 'mentor' THEN NULL ELSE mentor_id END,
                         mentee_id = CASE WHEN pr.side = 'mentee' THEN NULL ELSE mentee_id END
        WHERE id = pr.id;
        IF pr.status = 'active' THEN
            PERFORM pair_end(pr.id, pr.side, NULL, NULL);
        END IF;
    END LOOP;
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

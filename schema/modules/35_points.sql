-- Points: rules are data (point_rules), the ledger is append-only (its trigger lives in public,
-- with the table, so that rebuilding schema core never drops it).

CREATE OR REPLACE FUNCTION public.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- erasing an employee (cascade, nested trigger) and clearing a deleted session/pair link are allowed
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1
       AND (NEW.session_id IS NULL OR NEW.pair_id IS NULL)
       AND NEW.points = OLD.points AND NEW.employee_id = OLD.employee_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'points_ledger is append-only: add a compensating row instead';
END $$;

CREATE OR REPLACE TRIGGER points_ledger_append_only BEFORE UPDATE OR DELETE ON points_ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- Appends the points of one rule occurrence, trimmed to what the rule's cap still allows.
CREATE FUNCTION core.points_award(eid bigint, p_rule text, qty integer, sid bigint, pid bigint, why text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r point_rules;
    want integer;
    used integer;
    got integer;
BEGIN
    SELECT * INTO r FROM point_rules WHERE code = p_rule AND active;
    -- an erased person earns nothing; their partner still earns their own points
    IF NOT FOUND OR qty <= 0 OR eid IS NULL THEN
        RETURN 0;
    END IF;
    want := r.points * qty;
    got := want;
    IF r.cap_points IS NOT NULL THEN
        SELECT coalesce(sum(points), 0) INTO used FROM points_ledger
        WHERE employee_id = eid AND rule_code = p_rule
          AND created_at >= date_trunc(r.cap_period, now());
        got := greatest(least(want, r.cap_points - used), 0);
    END IF;
    IF got > 0 THEN
        INSERT INTO points_ledger (employee_id, rule_code, role, points, session_id, pair_id, capped_from, reason)
        VALUES (eid, p_rule, r.role, got, sid, pid, CASE WHEN got < want THEN want END, why);
    END IF;
    RETURN got;
END $$;

-- Applies every active rule of an event for one side of a pair.
CREATE FUNCTION core.points_for_event(eid bigint, p_role text, p_event text, qty integer, sid bigint, pid bigint, why text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    total integer := 0;
BEGIN
    FOR r IN SELECT code FROM point_rules WHERE active AND role = p_role AND event = p_event ORDER BY code LOOP
        total := total + points_award(eid, r.code, qty, sid, pid, why);
    END LOOP;
    RETURN total;
END $$;

CREATE FUNCTION core.api_ledger(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'id', l.id, 'rule', l.rule_code, 'role', l.role, 'points', l.points, 'session_id', l.session_id,
        'pair_id', l.pair_id, 'capped_from', l.capped_from, 'corrects', l.corrects, 'reason', l.reason,
        'created_at', ts_text(l.created_at)) ORDER BY l.id), '[]'),
        'total', (SELECT coalesce(sum(points), 0) FROM points_ledger WHERE employee_id = eid))
    FROM points_ledger l WHERE l.employee_id = eid
$$;

-- GET /v1/me/ledger (employee)
CREATE FUNCTION api.ledger(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN api_ledger(auth_employee(tok));
END $$;

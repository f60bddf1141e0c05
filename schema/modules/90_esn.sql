-- Enterprise social network (ESN) activity: ingestion (signed deliveries and bulk imports, one
-- validator, all-or-nothing), the giving score and ambassador candidates, an employee's own figures,
-- and "leading by example": mentored managers and their teams before/during/after their pair,
-- against a comparison group of managers not yet mentored (difference in differences).

-- The smallest group any aggregate names (people behind a figure); smaller ones are suppressed.
CREATE FUNCTION core.esn_min_group() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 5 $$;

-- The first problem of a batch of events (index from 0, field, message), or no row when valid.
CREATE FUNCTION core.esn_first_problem(p jsonb, OUT idx bigint, OUT field text, OUT message text)
LANGUAGE sql STABLE AS $$
    WITH ev AS (SELECT i - 1 AS i, e FROM jsonb_array_elements(p) WITH ORDINALITY t(e, i)),
    checks AS (
        SELECT i, CASE
            WHEN jsonb_typeof(e) <> 'object' THEN ARRAY['', 'an event must be a JSON object']
            WHEN EXISTS (SELECT 1 FROM jsonb_object_keys(e) k
                         WHERE k NOT IN ('id', 'actor_email', 'kind', 'community', 'occurred_at', 'target_email'))
                THEN ARRAY[(SELECT k FROM jsonb_object_keys(e) k
                            WHERE k NOT IN ('id', 'actor_email', 'kind', 'community', 'occurred_at', 'target_email')
                            ORDER BY k LIMIT 1), 'unknown member (content is never accepted)']
            WHEN jsonb_typeof(e->'id') IS DISTINCT FROM 'string' OR length(e->>'id') NOT BETWEEN 1 AND 200
                THEN ARRAY['id', 'id must be a string of 1 to 200 characters']
            WHEN jsonb_typeof(e->'actor_email') IS DISTINCT FROM 'string'
                 OR e->>'actor_email' !~ '^[^@[:space:]]+@[^@[:space:]]+$' OR length(e->>'actor_email') > 254
                THEN ARRAY['actor_email', 'actor_email must be an email address']
            WHEN jsonb_typeof(e->'kind') IS DISTINCT FROM 'string'
                 OR e->>'kind' NOT IN ('post', 'comment', 'reaction_given', 'answer_accepted', 'share',
                                       'community_created', 'community_animated')
                THEN ARRAY['kind', 'kind must be one of post, comment, reaction_given, answer_accepted, share, '
                                   'community_created, community_animated']
            WHEN e ? 'community' AND e->'community' <> 'null'::jsonb
                 AND (jsonb_typeof(e->'community') <> 'string' OR length(e->>'community') > 200)
                THEN ARRAY['community', 'community must be a string of at most 200 characters']
            WHEN e->>'kind' IN ('community_created', 'community_animated') AND coalesce(e->>'community', '') = ''
                THEN ARRAY['community', 'a community event names its community']
            WHEN jsonb_typeof(e->'occurred_at') IS DISTINCT FROM 'string'
                 OR e->>'occurred_at' !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$'
                THEN ARRAY['occurred_at', 'occurred_at must be an RFC 3339 date-time']
            WHEN e ? 'target_email' AND e->'target_email' <> 'null'::jsonb
                 AND (jsonb_typeof(e->'target_email') <> 'string'
                      OR e->>'target_email' !~ '^[^@[:space:]]+@[^@[:space:]]+$' OR length(e->>'target_email') > 254)
                THEN ARRAY['target_email', 'target_email must be an email address']
            END AS bad
        FROM ev),
    first AS (SELECT i, bad FROM checks WHERE bad IS NOT NULL ORDER BY i LIMIT 1),
    -- dates are well-formed from here; their range is checked on the cast values
    times AS (
        SELECT i, CASE WHEN (e->>'occurred_at')::timestamptz > now() + interval '1 day'
                           THEN ARRAY['occurred_at', 'occurred_at is in the future']
                       WHEN (e->>'occurred_at')::timestamptz < '2000-01-01'::timestamptz
                           THEN ARRAY['occurred_at', 'occurred_at is before 2000'] END AS bad
        FROM ev WHERE NOT EXISTS (SELECT 1 FROM first)),
    worst AS (SELECT * FROM first UNION ALL (SELECT i, bad FROM times WHERE bad IS NOT NULL ORDER BY i LIMIT 1))
    SELECT i, format('events[%s]%s', i, CASE WHEN bad[1] = '' THEN '' ELSE '.' || bad[1] END), bad[2]
    FROM worst ORDER BY i LIMIT 1
$$;

-- Stores a batch of events all-or-nothing: the first invalid event fails the whole batch (400, its
-- field named), nothing written. A known external id is a duplicate (idempotent); an actor who is not
-- an employee is counted as unmatched. Points and ESN badges follow for the actors of the batch:
-- all of them for live (signed) deliveries; for a history import (live = false) only the managers in a
-- pair (first contributions after mentoring), the others being judged at their next live event, so
-- that a bulk import does not evaluate every badge of every actor of every batch.
CREATE FUNCTION core.esn_ingest(p jsonb, live boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    prob record;
    res jsonb;
    v_actors bigint[];
    v_answers bigint[];
    v_animations bigint[];
    v_contributions bigint[];
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'array' THEN
        PERFORM api_fail(400, 'invalid_value', 'events', 'events must be an array of events');
    END IF;
    IF jsonb_array_length(p) = 0 OR jsonb_array_length(p) > 50000 THEN
        PERFORM api_fail(400, 'invalid_value', 'events', 'a batch holds 1 to 50000 events');
    END IF;
    SELECT * INTO prob FROM esn_first_problem(p);
    IF prob.idx IS NOT NULL THEN
        PERFORM api_fail(400, 'invalid_value', prob.field,
                         format('event %s of the batch: %s; nothing was stored', prob.idx + 1, prob.message));
    END IF;
    INSERT INTO esn_communities (name)
    SELECT DISTINCT e->>'community' FROM jsonb_array_elements(p) e WHERE coalesce(e->>'community', '') <> ''
    ON CONFLICT (name) DO NOTHING;
    WITH ev AS (
        SELECT DISTINCT ON (e->>'id') e->>'id' AS xid, lower(e->>'actor_email') AS actor, e->>'kind' AS kind,
               nullif(e->>'community', '') AS community, (e->>'occurred_at')::timestamptz AS t,
               lower(nullif(e->>'target_email', '')) AS target
        FROM jsonb_array_elements(p) WITH ORDINALITY x(e, i) ORDER BY e->>'id', i),
    fresh AS (
        INSERT INTO esn_ingest_keys (external_id) SELECT xid FROM ev ON CONFLICT DO NOTHING RETURNING external_id),
    rows AS (
        SELECT ev.*, ac.id AS actor_id, tg.id AS target_id, c.id AS community_id
        FROM ev JOIN fresh ON fresh.external_id = ev.xid
        LEFT JOIN employees ac ON lower(ac.email) = ev.actor
        LEFT JOIN employees tg ON lower(tg.email) = ev.target
        LEFT JOIN esn_communities c ON c.name = ev.community),
    ins AS (
        INSERT INTO esn_events (actor_id, kind, community_id, occurred_at, target_id)
        SELECT actor_id, kind, community_id, t, target_id FROM rows WHERE actor_id IS NOT NULL
        RETURNING actor_id),
    unm AS (
        INSERT INTO esn_unmatched AS u (actor_hash, events, first_at, last_at)
        SELECT digest(actor, 'sha256'), count(*), min(t), max(t) FROM rows WHERE actor_id IS NULL GROUP BY 1
        ON CONFLICT (actor_hash) DO UPDATE SET events = u.events + excluded.events,
            first_at = least(u.first_at, excluded.first_at), last_at = greatest(u.last_at, excluded.last_at)
        RETURNING 1),
    per AS (
        SELECT actor_id,
               count(*) FILTER (WHERE kind = 'answer_accepted' AND target_id IS NOT NULL AND target_id <> actor_id) AS answers,
               count(*) FILTER (WHERE kind IN ('community_created', 'community_animated')) AS animations,
               count(*) FILTER (WHERE kind IN ('post', 'answer_accepted', 'community_created', 'community_animated')
                                  AND t >= (SELECT min(starts_on)::timestamptz FROM pairs WHERE mentee_id = actor_id)) AS contributions
        FROM rows WHERE actor_id IS NOT NULL
          AND (live OR EXISTS (SELECT 1 FROM pairs pp WHERE pp.mentee_id = rows.actor_id))
        GROUP BY actor_id)
    SELECT jsonb_build_object(
               'received', jsonb_array_length(p),
               'stored', (SELECT count(*) FROM rows WHERE actor_id IS NOT NULL),
               'duplicates', jsonb_array_length(p) - (SELECT count(*) FROM rows),
               'unmatched', (SELECT count(*) FROM rows WHERE actor_id IS NULL),
               'unmatched_targets', (SELECT count(*) FROM rows WHERE target IS NOT NULL AND target_id IS NULL)),
           (SELECT array_agg(actor_id ORDER BY actor_id) FROM per),
           (SELECT array_agg(answers ORDER BY actor_id) FROM per),
           (SELECT array_agg(animations ORDER BY actor_id) FROM per),
           (SELECT array_agg(contributions ORDER BY actor_id) FROM per)
    INTO res, v_actors, v_answers, v_animations, v_contributions;
    -- points (capped by their rules) and badges for the actors of the events just stored
    FOR i IN 1 .. coalesce(array_length(v_actors, 1), 0) LOOP
        PERFORM points_for_event(v_actors[i], 'mentor', 'esn_answer_given', v_answers[i]::int, NULL, NULL,
                                 'answers accepted on the network');
        PERFORM points_for_event(v_actors[i], 'mentor', 'esn_community_animated', v_animations[i]::int, NULL, NULL,
                                 'communities animated on the network');
        PERFORM points_for_event(v_actors[i], 'mentee', 'esn_contribution_after_mentoring', v_contributions[i]::int, NULL, NULL,
                                 'contributions on the network after mentoring began');
        PERFORM badges_evaluate(v_actors[i], NULL);
    END LOOP;
    RETURN res;
END $$;

-- The giving score's parts of each employee of ids over [since, until), in one pass over their
-- events (HR's ambassadors list scores everyone who acted): what they gave to others and how far it
-- reached. Answers = answers of theirs accepted by someone else; comments and reactions count unless
-- aimed at themselves; animations = communities created or animated; reach = distinct other people,
-- and other departments and sites than their own, among the people they answered, commented or
-- reacted to. One row per id (ids distinct).
CREATE FUNCTION core.esn_giving_parts_of(ids bigint[], since timestamptz, until timestamptz)
RETURNS TABLE (employee_id bigint, parts jsonb) LANGUAGE sql STABLE AS $$
    WITH ev AS (SELECT x.actor_id, x.kind, x.target_id FROM esn_events x
                WHERE x.actor_id = ANY (ids) AND x.occurred_at >= since AND x.occurred_at < until),
    counts AS (
        SELECT a.id,
               count(*) FILTER (WHERE ev.kind = 'answer_accepted' AND ev.target_id <> a.id) AS answers,
               count(*) FILTER (WHERE ev.kind = 'comment' AND ev.target_id IS DISTINCT FROM a.id) AS comments,
               count(*) FILTER (WHERE ev.kind = 'reaction_given' AND ev.target_id IS DISTINCT FROM a.id) AS reactions,
               count(*) FILTER (WHERE ev.kind IN ('community_created', 'community_animated')) AS animations,
               count(*) FILTER (WHERE ev.kind = 'post') AS posts,
               count(*) FILTER (WHERE ev.kind = 'share') AS shares
        FROM unnest(ids) a(id) LEFT JOIN ev ON ev.actor_id = a.id
        GROUP BY a.id),
    reached AS (
        SELECT DISTINCT ev.actor_id, t.id, t.department, t.site
        FROM ev JOIN employees t ON t.id = ev.target_id
        WHERE ev.kind IN ('answer_accepted', 'comment', 'reaction_given') AND ev.target_id <> ev.actor_id),
    spread AS (
        SELECT r.actor_id, count(*) AS people,
               count(DISTINCT r.department) FILTER (WHERE r.department <> me.department) AS departments,
               count(DISTINCT r.site) FILTER (WHERE r.site <> me.site AND r.site <> '') AS sites
        FROM reached r JOIN employees me ON me.id = r.actor_id
        GROUP BY r.actor_id)
    SELECT c.id, jsonb_build_object(
        'answers', c.answers, 'comments', c.comments, 'reactions', c.reactions, 'animations', c.animations,
        'posts', c.posts, 'shares', c.shares, 'people_reached', coalesce(s.people, 0),
        'departments_reached', coalesce(s.departments, 0), 'sites_reached', coalesce(s.sites, 0))
    FROM counts c LEFT JOIN spread s ON s.actor_id = c.id
$$;

-- The giving score's parts of one employee over [since, until) (esn_giving_parts_of).
CREATE FUNCTION core.esn_giving_parts(eid bigint, since timestamptz, until timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT parts FROM esn_giving_parts_of(ARRAY[eid], since, until)
$$;

-- The giving score of parts: the sum of each part times its HR-set weight (esn_weights).
CREATE FUNCTION core.esn_giving_score(parts jsonb) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum((parts->>w.part)::numeric * w.weight::numeric), 0) FROM esn_weights w
$$;

-- Counters of ESN activity the badges are judged on (merged into employee_counters).
CREATE FUNCTION core.esn_counters(eid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH start AS (SELECT min(starts_on)::timestamptz AS t FROM pairs WHERE mentee_id = eid),
    after AS (SELECT kind FROM esn_events, start WHERE actor_id = eid AND occurred_at >= start.t)
    SELECT jsonb_build_object(
        'esn_giving_score_90d', json_num(esn_giving_score(esn_giving_parts(eid, now() - interval '90 days', now() + interval '1 day')), 1),
        'esn_posts_after_mentoring', (SELECT count(*) FROM after WHERE kind = 'post'),
        'esn_answers_after_mentoring', (SELECT count(*) FROM after WHERE kind = 'answer_accepted'),
        'esn_animations_after_mentoring', (SELECT count(*) FROM after WHERE kind IN ('community_created', 'community_animated')))
$$;

-- The ESN window's default length in days, when a request gives none (GET /v1/esn/ambassadors and
-- /v1/me/esn) and for HR's overview of one employee.
CREATE FUNCTION core.esn_default_days() RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT 90
$$;

-- Half of the ambassador-candidate rule, checked before a score is worth computing.
CREATE FUNCTION core.esn_never_mentored(eid bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (SELECT 1 FROM pairs WHERE mentor_id = eid)
$$;

-- The ambassador-candidate rule's one owner: eid never mentored and gave something that weighs
-- (score, from esn_giving_score, above zero); the ambassadors list and HR's overview both apply it.
CREATE FUNCTION core.esn_is_candidate(eid bigint, score numeric) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT score > 0 AND esn_never_mentored(eid)
$$;

-- "Why" of an ambassador candidate: the parts that weigh, in words.
CREATE FUNCTION core.esn_why(parts jsonb) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(format('%s %s', parts->>w.part, replace(w.part, '_', ' ')), ', '
                               ORDER BY (parts->>w.part)::numeric * w.weight DESC, w.part), 'no giving yet')
    FROM esn_weights w WHERE w.weight > 0 AND (parts->>w.part)::numeric > 0
$$;

CREATE FUNCTION core.esn_weights_json() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('weights', jsonb_object_agg(part, weight ORDER BY part)) FROM esn_weights
$$;

-- Activity counts of an employee in [since, until), by kind, plus the total.
CREATE FUNCTION core.esn_activity(eid bigint, since timestamptz, until timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('from', ts_text(since), 'to', ts_text(until), 'events', count(*),
        'by_kind', (SELECT jsonb_object_agg(k, (SELECT count(*) FROM esn_events x
                                                WHERE x.actor_id = eid AND x.kind = k AND x.occurred_at >= since AND x.occurred_at < until))
                    FROM unnest(ARRAY['post', 'comment', 'reaction_given', 'answer_accepted', 'share',
                                      'community_created', 'community_animated']) k))
    FROM esn_events WHERE actor_id = eid AND occurred_at >= since AND occurred_at < until
$$;

-- The equal windows of a pair: during = its start to its end (or its early end, or now), before and
-- after the same length either side; after is complete only once that length has passed.
CREATE FUNCTION core.esn_pair_windows(p pairs, OUT s timestamptz, OUT e timestamptz, OUT len interval, OUT after_complete boolean)
LANGUAGE sql STABLE AS $$
    SELECT w.s, w.e, w.e - w.s, w.e + (w.e - w.s) <= now()
    FROM (SELECT p.starts_on::timestamptz AS s,
                 least(coalesce(p.ended_at, 'infinity'), p.ends_on::timestamptz, now()) AS e) w
$$;

-- GET /v1/me/esn: an employee's own figures (nobody else's): activity and giving over the window,
-- and, for each pair as manager, the activity before, during and after it.
CREATE FUNCTION core.esn_me(eid bigint, days integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH parts AS (SELECT esn_giving_parts(eid, now() - make_interval(days => days), now() + interval '1 day') AS j)
    SELECT jsonb_build_object(
        'days', days,
        'activity', esn_activity(eid, now() - make_interval(days => days), now() + interval '1 day'),
        'giving', jsonb_build_object('score', json_num(esn_giving_score((SELECT j FROM parts)), 1),
                                     'parts', (SELECT j FROM parts)),
        'as_manager', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'pair_id', p.id, 'starts_on', p.starts_on::text, 'window_days', extract(day FROM w.len)::int,
                'before', esn_activity(eid, w.s - w.len, w.s),
                'during', esn_activity(eid, w.s, w.e),
                'after', CASE WHEN w.after_complete THEN esn_activity(eid, w.e, w.e + w.len) END) ORDER BY p.starts_on, p.id)
            FROM pairs p, esn_pair_windows(p) w WHERE p.mentee_id = eid AND w.len > interval '0'), '[]'))
$$;

-- One figure over people: their count, events, active people and the rates, or suppressed (all
-- null) when fewer than esn_min_group() people are behind it. n is the people count; events and
-- active are summed over the (person, window) rows averaged as given by rows.
CREATE FUNCTION core.esn_figure(people bigint, rows bigint, events numeric, active numeric) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN people < esn_min_group() OR rows = 0
                THEN jsonb_build_object('people', NULL, 'suppressed', true, 'events', NULL, 'active_people', NULL,
                                        'events_per_person', NULL, 'active_rate', NULL)
                ELSE jsonb_build_object('people', people, 'suppressed', false,
                                        'events', json_num(events * people / rows, 1),
                                        'active_people', json_num(active * people / rows, 1),
                                        'events_per_person', json_num(events / rows, 3),
                                        'active_rate', json_num(active / rows, 3)) END
$$;

-- Leading by example, per department or per round (by = 'department' | 'round'). Treated: each
-- mentored manager's first pair with its windows (esn_pair_windows), and the manager's team (direct
-- reports, core.reporting_line). Comparison: managers (someone reports to them) never mentored,
-- of the same department (for a round: of its managers' departments), measured over each treated
-- manager's windows, and their teams likewise. did = (treated window - treated before) - (comparison
-- window - comparison before), for events per person and active rate; null when a side is suppressed.
-- Groups under esn_min_group() mentored managers are not listed, only counted (left_out).
CREATE FUNCTION core.esn_impact(by text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH first_pair AS (
        SELECT DISTINCT ON (p.mentee_id) p.*, w.s, w.e, w.len, w.after_complete
        FROM pairs p, esn_pair_windows(p) w
        WHERE p.mentee_id IS NOT NULL AND w.len >= interval '1 day'
        ORDER BY p.mentee_id, p.starts_on, p.id),
    treated AS (
        SELECT fp.mentee_id AS mid, m.email, m.department, fp.round_id, fp.s, fp.e, fp.len, fp.after_complete,
               CASE by WHEN 'round' THEN fp.round_id::text ELSE m.department END AS grp
        FROM first_pair fp JOIN employees m ON m.id = fp.mentee_id),
    never AS (
        SELECT c.* FROM employees c
        WHERE EXISTS (SELECT 1 FROM reporting_line() l WHERE l.manager_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.mentee_id = c.id)),
    -- (group, treated manager, subject, side) rows: the subject is measured over the manager's windows
    subjects AS (
        SELECT t.grp, t.mid, t.mid AS who, 'managers' AS side FROM treated t
        UNION ALL
        SELECT t.grp, t.mid, l.report_id, 'teams' FROM treated t JOIN reporting_line() l ON l.manager_id = t.mid
        UNION ALL
        SELECT t.grp, t.mid, c.id, 'comparison_managers' FROM treated t JOIN never c ON c.department = t.department
        UNION ALL
        SELECT t.grp, t.mid, l.report_id, 'comparison_teams' FROM treated t JOIN never c ON c.department = t.department
            JOIN reporting_line() l ON l.manager_id = c.id),
    measured AS (
        SELECT s.grp, s.side, s.who, k.win,
               (SELECT count(*) FROM esn_events x WHERE x.actor_id = s.who AND x.occurred_at >= k.lo AND x.occurred_at < k.hi) AS n
        FROM subjects s JOIN treated t ON t.mid = s.mid AND t.grp = s.grp,
        LATERAL (VALUES ('before', t.s - t.len, t.s, true), ('during', t.s, t.e, true),
                        ('after', t.e, t.e + t.len, t.after_complete)) AS k(win, lo, hi, ok)
        WHERE k.ok),
    figs AS (
        SELECT grp, side, win, count(DISTINCT who) AS people, count(*) AS nrows, sum(n)::numeric AS events,
               sum((n > 0)::int)::numeric AS active
        FROM measured GROUP BY grp, side, win),
    fig AS (
        SELECT grp, side, win, esn_figure(people, nrows, events, active) AS j FROM figs),
    sides AS (
        SELECT grp, side, jsonb_object_agg(win, j) AS j FROM fig GROUP BY grp, side),
    groups AS (SELECT DISTINCT grp FROM treated),
    did AS (
        SELECT g.grp, tr.side AS tside, jsonb_object_agg(w.win, CASE
                WHEN (tr.j->w.win->>'suppressed')::boolean IS NOT FALSE OR (tr.j->'before'->>'suppressed')::boolean IS NOT FALSE
                     OR (co.j->w.win->>'suppressed')::boolean IS NOT FALSE OR (co.j->'before'->>'suppressed')::boolean IS NOT FALSE
                    THEN NULL
                ELSE jsonb_build_object(
                    'events_per_person', json_num(((tr.j->w.win->>'events_per_person')::numeric - (tr.j->'before'->>'events_per_person')::numeric)
                                                - ((co.j->w.win->>'events_per_person')::numeric - (co.j->'before'->>'events_per_person')::numeric), 3),
                    'active_rate', json_num(((tr.j->w.win->>'active_rate')::numeric - (tr.j->'before'->>'active_rate')::numeric)
                                          - ((co.j->w.win->>'active_rate')::numeric - (co.j->'before'->>'active_rate')::numeric), 3)) END) AS j
        FROM groups g
        JOIN sides tr ON tr.grp = g.grp AND tr.side IN ('managers', 'teams')
        LEFT JOIN sides co ON co.grp = g.grp AND co.side = 'comparison_' || tr.side
        CROSS JOIN (VALUES ('during'), ('after')) w(win)
        GROUP BY g.grp, tr.side)
    SELECT jsonb_build_object('by', by, 'min_group', esn_min_group(),
        'left_out', (SELECT count(*) FROM groups g WHERE (SELECT count(*) FROM treated t WHERE t.grp = g.grp) < esn_min_group()),
        'rows', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'group', CASE by WHEN 'round' THEN (SELECT name FROM rounds WHERE id = g.grp::bigint) ELSE g.grp END,
            'round_id', CASE by WHEN 'round' THEN g.grp::bigint END,
            'mentored_managers', (SELECT count(*) FROM treated t WHERE t.grp = g.grp),
            'managers', (SELECT j FROM sides s WHERE s.grp = g.grp AND s.side = 'managers'),
            'teams', (SELECT j FROM sides s WHERE s.grp = g.grp AND s.side = 'teams'),
            'comparison_managers', (SELECT j FROM sides s WHERE s.grp = g.grp AND s.side = 'comparison_managers'),
            'comparison_teams', (SELECT j FROM sides s WHERE s.grp = g.grp AND s.side = 'comparison_teams'),
            'did_managers', (SELECT j FROM did d WHERE d.grp = g.grp AND d.tside = 'managers'),
            'did_teams', (SELECT j FROM did d WHERE d.grp = g.grp AND d.tside = 'teams'))
            ORDER BY g.grp) FROM groups g
          WHERE (SELECT count(*) FROM treated t WHERE t.grp = g.grp) >= esn_min_group()), '[]'))
$$;

-- The state of ingestion, for HR: stored events, communities, unmatched events and actors, the latest
-- event's time and when the last delivery or import came in (a history import has old events).
CREATE FUNCTION core.esn_status() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'events', (SELECT count(*) FROM esn_events),
        'external_ids', (SELECT count(*) FROM esn_ingest_keys),
        'communities', (SELECT count(*) FROM esn_communities),
        'unmatched_events', (SELECT coalesce(sum(events), 0) FROM esn_unmatched),
        'unmatched_actors', (SELECT count(*) FROM esn_unmatched),
        'last_event_at', (SELECT ts_text(max(occurred_at)) FROM esn_events),
        'last_received_at', (SELECT ts_text(max(received_at)) FROM esn_ingest_keys))
$$;

-- POST /v1/esn/events (signed by the ESN; the server checked the HMAC and the timestamp window):
-- a signature already seen is a replay (409); deliveries older than a day are forgotten.
CREATE FUNCTION api.esn_receive(sig bytea, body jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM esn_deliveries WHERE received_at < now() - interval '1 day';
    INSERT INTO esn_deliveries (signature) VALUES (sig) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        PERFORM api_fail(409, 'replayed', NULL, 'this signed delivery was already received');
    END IF;
    IF jsonb_typeof(body) IS DISTINCT FROM 'object' OR NOT body ? 'events' THEN
        PERFORM api_fail(400, 'missing_field', 'events', 'the body is {"events": [...]}');
    END IF;
    RETURN esn_ingest(body->'events', true);
END $$;

-- POST /v1/esn/import (HR): a bulk import (the server turned NDJSON or CSV into an array).
CREATE FUNCTION api.esn_import(tok bytea, events jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN esn_ingest(events, false);
END $$;

-- GET /v1/esn/status (HR)
CREATE FUNCTION api.esn_status(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN esn_status();
END $$;

-- GET /v1/esn/weights (HR)
CREATE FUNCTION api.esn_weights(tok bytea) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN esn_weights_json();
END $$;

-- PATCH /v1/esn/weights (HR): the parts given change, the others stay.
CREATE FUNCTION api.esn_weights_set(tok bytea, p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    UPDATE esn_weights w SET weight = (p->>w.part)::double precision WHERE p ? w.part;
    RETURN esn_weights_json();
END $$;

-- GET /v1/esn/ambassadors (HR): the candidates (esn_is_candidate) with the highest giving over the
-- window (days, or esn_default_days() when NULL), with why; only someone who acted in the window can
-- score, so only they are scored.
CREATE FUNCTION api.esn_ambassadors(tok bytea, days integer, lim integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    days := coalesce(days, esn_default_days());
    RETURN (WITH cand AS (
                SELECT g.employee_id AS id, g.parts
                FROM esn_giving_parts_of(
                    ARRAY(SELECT e.id FROM employees e
                          WHERE EXISTS (SELECT 1 FROM esn_events x WHERE x.actor_id = e.id
                                        AND x.occurred_at >= now() - make_interval(days => days))
                            AND esn_never_mentored(e.id)),
                    now() - make_interval(days => days), now() + interval '1 day') g),
            scored AS (SELECT id, parts, esn_giving_score(parts) AS score FROM cand)
            SELECT jsonb_build_object('days', days, 'items', coalesce(jsonb_agg(jsonb_build_object(
                       'employee', person_card(s.id), 'role', e.role, 'score', json_num(s.score, 1),
                       'parts', s.parts, 'why', esn_why(s.parts)) ORDER BY s.score DESC, s.id), '[]'))
            FROM (SELECT * FROM scored WHERE esn_is_candidate(id, score) ORDER BY score DESC, id LIMIT lim) s
            JOIN employees e ON e.id = s.id);
END $$;

-- GET /v1/esn/impact (HR)
CREATE FUNCTION api.esn_impact(tok bytea, by text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_hr(tok);
    RETURN esn_impact(by);
END $$;

-- GET /v1/me/esn (employee)
CREATE FUNCTION api.esn_me(tok bytea, days integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN esn_me(auth_employee(tok), coalesce(days, esn_default_days()));
END $$;

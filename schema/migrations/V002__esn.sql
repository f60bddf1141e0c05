-- V002 enterprise social network (ESN) activity: events (counts and links between people only,
-- never content), communities, unknown actors counted, ingestion keys (idempotency), signed
-- deliveries seen (replays), HR-set giving-score weights, the ESN badges and point rules.

-- Communities by name as the ESN calls them (first seen wins the id).
CREATE TABLE esn_communities (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per event of a known actor. Sized for millions of rows: no primary key (nothing refers
-- to an event), a btree on (actor, time) for every per-person figure, a BRIN on time for ranges.
CREATE TABLE esn_events (
    actor_id     bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('post', 'comment', 'reaction_given', 'answer_accepted', 'share',
                                               'community_created', 'community_animated')),
    community_id bigint REFERENCES esn_communities (id),
    occurred_at  timestamptz NOT NULL,
    target_id    bigint REFERENCES employees (id) ON DELETE SET NULL,  -- the person answered or reacted to
    received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX esn_events_actor_idx ON esn_events (actor_id, occurred_at);

CREATE INDEX esn_events_target_idx ON esn_events (target_id) WHERE target_id IS NOT NULL;

CREATE INDEX esn_events_time_brin ON esn_events USING brin (occurred_at);

-- Every external event id ever accepted (matched actor or not): a second delivery of an id is a
-- duplicate, counted and not stored again.
CREATE TABLE esn_ingest_keys (
    external_id text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Events whose actor is not an employee: counted per actor, who is kept only as the SHA-256 of the
-- lower-cased email (Tandem stores nothing readable about people who are not in it).
CREATE TABLE esn_unmatched (
    actor_hash bytea PRIMARY KEY,
    events     bigint NOT NULL,
    first_at   timestamptz NOT NULL,
    last_at    timestamptz NOT NULL
);

-- Signatures of the signed deliveries recently accepted: the same signed request again is a replay.
CREATE TABLE esn_deliveries (
    signature   bytea PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX esn_deliveries_received_idx ON esn_deliveries (received_at);

-- The giving score's weights, set by HR (see README "Giving score").
CREATE TABLE esn_weights (
    part   text PRIMARY KEY,
    weight double precision NOT NULL CHECK (weight >= 0 AND weight <= 100)
);

INSERT INTO esn_weights VALUES
    ('answers', 3), ('comments', 1), ('reactions', 0.5), ('animations', 2), ('posts', 0), ('shares', 0),
    ('people_reached', 1), ('departments_reached', 3), ('sites_reached', 2);

-- Point rules grounded in ESN events (same ledger, same caps).
ALTER TABLE point_rules DROP CONSTRAINT point_rules_event_check;

ALTER TABLE point_rules ADD CONSTRAINT point_rules_event_check
    CHECK (event IN ('session_confirmed', 'session_half_hours', 'pair_completed', 'cross_department_pair',
                     'skill_level_gained', 'esn_answer_given', 'esn_community_animated', 'esn_contribution_after_mentoring'));

INSERT INTO point_rules (code, description, role, event, points, cap_points, cap_period) VALUES
    ('esn_answer', 'An answer accepted by a colleague on the enterprise network', 'mentor', 'esn_answer_given', 2, 20, 'week'),
    ('esn_animation', 'A community created or animated on the enterprise network', 'mentor', 'esn_community_animated', 3, 15, 'week'),
    ('mentee_esn_contribution', 'A post, answer or community animation on the network after mentoring began', 'mentee',
     'esn_contribution_after_mentoring', 2, 10, 'week');

-- Badges from ESN events (counters of core.esn_counters, 90_esn.sql).
INSERT INTO badges (slug, name, description, criteria_narrative, role, criteria, color) VALUES
    ('esn_ambassador', 'Network ambassador', 'Gives a lot on the enterprise network: answers, reactions, communities, reach.',
     'A giving score of at least 50 over the last 90 days, from network events.', 'any',
     '{"all": [{"counter": "esn_giving_score_90d", "min": 50}]}', '#b03a2e'),
    ('esn_first_post', 'First post', 'A first post on the enterprise network after mentoring began.',
     'One post on the network, on or after the start of a pair as manager.', 'mentee',
     '{"all": [{"counter": "esn_posts_after_mentoring", "min": 1}]}', '#1f8a70'),
    ('esn_first_answer', 'First answer', 'A first answer accepted on the enterprise network after mentoring began.',
     'One accepted answer on the network, on or after the start of a pair as manager.', 'mentee',
     '{"all": [{"counter": "esn_answers_after_mentoring", "min": 1}]}', '#2e86c1'),
    ('esn_first_community', 'Community animator', 'A first community created or animated after mentoring began.',
     'One community created or animated, on or after the start of a pair as manager.', 'mentee',
     '{"all": [{"counter": "esn_animations_after_mentoring", "min": 1}]}', '#a569bd');

-- Demo: the company loaded by `tandemd --demo` (owner role; no versioned data): 4 sites in 3 time zones, 6 departments, a reporting
-- tree, 16 managers who want to learn and 32 juniors who teach. Deterministic and idempotent.
CREATE FUNCTION core.demo_load() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    depts text[] := ARRAY['Sales', 'Operations', 'Finance', 'Digital', 'Marketing', 'Human Resources'];
    sites text[] := ARRAY['Paris', 'Lyon', 'Montreal', 'Singapore'];
    zones text[] := ARRAY['Europe/Paris', 'Europe/Paris', 'America/Toronto', 'Asia/Singapore'];
    langs text[][] := ARRAY[['fr', 'en'], ['fr', 'en'], ['fr', 'en'], ['en', 'zh']];
    slugs text[] := ARRAY['esn_posting', 'esn_community', 'linkedin', 'short_video', 'video_meetings',
                          'ai_assistants', 'data_visualisation', 'security_hygiene'];
    first_names text[] := ARRAY['Alice', 'Bruno', 'Chloe', 'David', 'Emma', 'Farid', 'Gabrielle', 'Hugo',
                                'Ines', 'Jules', 'Karim', 'Lea', 'Mei', 'Nathan', 'Olivia', 'Paul'];
    last_names text[] := ARRAY['Martin', 'Bernard', 'Dubois', 'Tremblay', 'Tan', 'Moreau', 'Laurent', 'Roy'];
    added integer := 0;
    i integer;
    s integer;
    d integer;
    eid bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM employees WHERE email LIKE '%@demo.tandem.test') THEN
        RETURN 0;
    END IF;
    INSERT INTO employees (email, display_name, department, site, job_title, timezone, languages, role)
    VALUES ('ceo@demo.tandem.test', 'Claire Fontaine', 'Executive', 'Paris', 'Chief executive', 'Europe/Paris', '{fr,en}', 'mentee');
    added := added + 1;
    FOR d IN 1..6 LOOP
        INSERT INTO employees (email, display_name, department, site, job_title, timezone, languages, manager_email, role)
        VALUES (format('director.%s@demo.tandem.test', d), format('%s Director', depts[d]), depts[d], 'Paris',
                'Director', 'Europe/Paris', '{fr,en}', 'ceo@demo.tandem.test', 'mentee');
        added := added + 1;
    END LOOP;
    -- 16 front-line managers (mentees), reporting to their department director
    FOR i IN 1..16 LOOP
        d := 1 + (i - 1) % 6;
        s := 1 + (i * 7) % 4;
        INSERT INTO employees (email, display_name, department, site, job_title, timezone, languages,
                               manager_email, role, leaderboard_opt_in)
        VALUES (format('manager.%s@demo.tandem.test', i),
                first_names[1 + (i * 5) % 16] || ' ' || last_names[1 + (i * 3) % 8],
                depts[d], sites[s], 'Team manager', zones[s], ARRAY[langs[s][1], langs[s][2]],
                format('director.%s@demo.tandem.test', d), 'mentee', i % 3 = 0)
        RETURNING id INTO eid;
        INSERT INTO learning (employee_id, skill, current_level, priority)
        SELECT eid, slugs[1 + (i + k * 3) % 8], (i + k) % 2, 3 - k FROM generate_series(0, 2) k;
        INSERT INTO availability (employee_id, day, start_min, end_min)
        SELECT eid, dd, 9 * 60 + ((i + dd) % 3) * 120, 9 * 60 + ((i + dd) % 3) * 120 + 90
        FROM generate_series(0, 4) dd WHERE (i + dd) % 2 = 0;
        added := added + 1;
    END LOOP;
    -- 32 juniors (mentors), in the managers' teams
    FOR i IN 1..32 LOOP
        d := 1 + (i * 5) % 6;
        s := 1 + (i * 3) % 4;
        INSERT INTO employees (email, display_name, department, site, job_title, timezone, languages,
                               manager_email, role, mentor_capacity, leaderboard_opt_in)
        VALUES (format('junior.%s@demo.tandem.test', i),
                first_names[1 + (i * 7) % 16] || ' ' || last_names[1 + (i * 5) % 8],
                depts[d], sites[s], 'Analyst', zones[s], ARRAY[langs[s][1], langs[s][2]],
                format('manager.%s@demo.tandem.test', 1 + (i - 1) % 16), 'mentor', 1 + i % 2, i % 2 = 0)
        RETURNING id INTO eid;
        INSERT INTO teaching (employee_id, skill, level)
        SELECT eid, slugs[1 + (i + k * 5) % 8], 3 + (i + k) % 3 FROM generate_series(0, 2) k;
        INSERT INTO availability (employee_id, day, start_min, end_min)
        SELECT eid, dd, 8 * 60 + ((i + dd) % 4) * 120, 8 * 60 + ((i + dd) % 4) * 120 + 180
        FROM generate_series(0, 4) dd WHERE (i + dd) % 3 <> 0;
        added := added + 1;
    END LOOP;
    RETURN added;
END $$;

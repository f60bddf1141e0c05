-- A synthetic company for benchmarks and tests, loaded straight into Tandem's database:
-- departments of ~40 people with their manager as reporting line, 6 sites in 4 time zones,
-- languages by site plus English for most, 2-4 skills taught (levels 2-5) or learned (0-2),
-- weekly slots between 08:00 and 18:00 local time. Deterministic for a seed.
-- psql -v seed=0.42 -v mentees=1000 -v mentors=4000 -f bench/synthetic_company.sql
SELECT setseed(:seed);
BEGIN;
CREATE TEMP TABLE sz(k int, site text, tz text, lang text);
INSERT INTO sz VALUES (0, 'Paris', 'Europe/Paris', 'fr'), (1, 'Lyon', 'Europe/Paris', 'fr'),
  (2, 'Montreal', 'America/Toronto', 'fr'), (3, 'New York', 'America/New_York', 'en'),
  (4, 'Singapore', 'Asia/Singapore', 'zh'), (5, 'Madrid', 'Europe/Madrid', 'es');
CREATE TEMP TABLE gen AS
SELECT g AS n, CASE WHEN g <= :mentees THEN 'mentee' ELSE 'mentor' END AS role, (g::bigint * 7919) % 6 AS k,
       'Dept ' || (1 + (g::bigint * 104729) % greatest((:mentees + :mentors) / 40, 1)) AS dept,
       random() AS r1, random() AS r2, random() AS r3
FROM generate_series(1, :mentees + :mentors) g;
INSERT INTO employees (email, display_name, department, site, timezone, languages, manager_email, role, mentor_capacity)
SELECT 'p' || n || '@bench.example', 'Person ' || n, dept, sz.site, sz.tz,
       CASE WHEN sz.lang = 'en' THEN ARRAY['en'] WHEN r1 < 0.8 THEN ARRAY['en', sz.lang] ELSE ARRAY[sz.lang] END,
       CASE WHEN n % 40 <> 0 THEN 'p' || (n - n % 40 + 40) || '@bench.example' END,
       role, 1 + floor(r2 * 3)::int
FROM gen JOIN sz USING (k);
INSERT INTO teaching (employee_id, skill, level)
SELECT e.id, s.slug, 2 + floor(random() * 4)::int
FROM gen g JOIN employees e ON e.email = 'p' || g.n || '@bench.example'
CROSS JOIN LATERAL (SELECT slug FROM skills WHERE active ORDER BY md5(slug || e.id) LIMIT 2 + floor(g.r3 * 3)::int) s
WHERE g.role = 'mentor';
INSERT INTO learning (employee_id, skill, current_level, priority)
SELECT e.id, s.slug, floor(random() * 3)::int, 1 + floor(random() * 3)::int
FROM gen g JOIN employees e ON e.email = 'p' || g.n || '@bench.example'
CROSS JOIN LATERAL (SELECT slug FROM skills WHERE active ORDER BY md5(slug || e.id) LIMIT 2 + floor(g.r3 * 3)::int) s
WHERE g.role = 'mentee';
INSERT INTO availability (employee_id, day, start_min, end_min)
SELECT e.id, d, h * 60, h * 60 + 60 + 30 * floor(random() * 4)::int
FROM gen g JOIN employees e ON e.email = 'p' || g.n || '@bench.example',
     LATERAL (SELECT d, 8 + floor(random() * 8)::int AS h FROM generate_series(0, 4) d
              WHERE random() < 0.6 + 0 * e.id) slot;
COMMIT;

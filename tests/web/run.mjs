// Browser tests of the web app: a whole programme through the UI only, in English and in French,
// then the ESN pages (leading by example, givers, an employee's own figures) on a company set up
// through the API, and a token revoked while a page is open, then HR's page for one employee,
// against the real tandemd (embedded PostgreSQL) serving web/dist, driven by playwright-core in
// Debian's chromium (headless; never a downloaded browser). Every page visited is checked with
// axe-core (no serious or critical violation), for keyboard reachability and for CSP violations;
// screenshots go to $TANDEM_WEB_ARTIFACTS. Then single sign-on through the real OpenID Provider of
// tests/oidc (npm oidc-provider; its node_modules from scripts/test.sh). Ends with "N passed, N failed".
// Environment: TANDEMD (binary), CHROMIUM (default /usr/bin/chromium), TANDEM_WEB_ARTIFACTS;
// TANDEM_WEB_ONLY=sso runs only the dictionaries check and single sign-on, TANDEM_WEB_ONLY=employee
// only the dictionaries check and HR's page for one employee (while working on one; CI runs everything).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { dictionaries } from '../../web/src/strings.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// resolved now: tandemd is started in its state directory, where a relative TANDEMD is not found
const TANDEMD = path.resolve(process.env.TANDEMD || path.join(repo, 'build/tandemd'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.TANDEM_WEB_ARTIFACTS || path.join(repo, 'build/web-artifacts');
const WEB_DIR = process.env.TANDEM_WEB_DIR || path.join(repo, 'web/dist');
const JS_LIMIT = 200 * 1024;
fs.mkdirSync(ARTIFACTS, { recursive: true });

let passed = 0, failed = 0;
const failures = [];
// Runs one named check; a thrown error fails it (and is printed), the suite goes on when it can.
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    failures.push(name);
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').slice(0, 6).join('\n  ')}`);
  }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// Starts tandemd like tests/api/conftest.py's Tandemd: own port, own state dir, embedded cluster;
// extra arguments (args(base) for those naming its own URL) and its log's name.
async function startTandemd({ port, args = () => [], name = 'tandemd' } = {}) {
  port = port || await freePort();
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-web-test-'));
  fs.chmodSync(state, 0o777);
  const base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(ARTIFACTS, `${name}.log`), 'w');
  const proc = spawn(TANDEMD, ['--listen', `127.0.0.1:${port}`, '--state-dir', state, '--web-dir', WEB_DIR,
    '--public-base-url', base, '--threads', '2', ...args(base)], { cwd: state, stdio: ['ignore', log, log] });
  const deadline = Date.now() + 120000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tandemd exited with ${proc.exitCode}; see ${ARTIFACTS}/${name}.log`);
    try { if ((await fetch(base + '/readyz')).ok) break; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error('tandemd not ready within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, state, base };
}

function createHr(state) {
  const r = spawnSync(TANDEMD, ['admin', 'create-hr', '--email', `hr-${Date.now()}@example.com`, '--name', 'HR Team', '--state-dir', state],
    { cwd: state, encoding: 'utf8', timeout: 60000 });
  assert(r.status === 0, `admin create-hr: ${r.stderr}`);
  return JSON.parse(r.stdout).token;
}

const pageProblems = new WeakMap(); // page -> CSP violations and page errors seen

async function newPage(browser, locale) {
  const ctx = await browser.newContext({ locale, timezoneId: 'Europe/Paris', viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => d.accept());
  pageProblems.set(page, problems);
  return page;
}

// axe-core (WCAG 2.1 A/AA rules) on the current page: no serious or critical violation.
async function axe(page) {
  await page.evaluate(axeSource); // through the DevTools protocol: the page's CSP stays in force
  const res = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join('; '));
}

// Every visible enabled control is reached by Tab.
async function keyboard(page) {
  const want = await page.evaluate(() => {
    const els = [...document.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, summary')]
      .filter((e) => e.offsetParent !== null && !e.closest('[aria-hidden="true"]'));
    els.forEach((e, i) => { e.dataset.kb = String(i); });
    return els.length;
  });
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const seen = new Set();
  for (let i = 0; i < want + 10 && seen.size < want; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => document.activeElement?.dataset?.kb);
    if (k !== undefined) seen.add(k);
  }
  assert(seen.size === want, `reached ${seen.size} of ${want} controls by Tab`);
}

// The checks of one main page: axe, keyboard, CSP, no horizontal overflow at phone width, screenshots.
async function pageChecks(page, name, lang) {
  await page.waitForLoadState('networkidle');
  await check(`${lang} ${name}: axe (no serious/critical violation)`, () => axe(page));
  await check(`${lang} ${name}: every control reachable by keyboard`, () => keyboard(page));
  await check(`${lang} ${name}: no CSP violation or page error`, async () => {
    const p = pageProblems.get(page);
    const seen = p.splice(0); // each page answers for its own problems
    assert(seen.length === 0, seen.join('; '));
  });
  await page.screenshot({ path: path.join(ARTIFACTS, `${lang}-${name}.png`), fullPage: true });
  const vp = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))); // layout settles
  await check(`${lang} ${name}: usable at phone width (no horizontal scroll)`, async () => {
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert(over <= 1, `page is ${over}px wider than a 390px screen`);
  });
  await page.screenshot({ path: path.join(ARTIFACTS, `${lang}-${name}-phone.png`), fullPage: true });
  await page.setViewportSize(vp);
}

const goto = async (page, base, p) => { await page.goto(base + p); await page.waitForLoadState('networkidle'); };
const byLabel = (page, label) => page.getByLabel(label, { exact: true });

// Signs up through the form; returns the page (signed in).
async function signUp(page, base, T, who) {
  await goto(page, base, '/');
  await byLabel(page, T.email).fill(who.email);
  await byLabel(page, T.display_name).fill(who.name);
  await byLabel(page, T.department).fill(who.department);
  await byLabel(page, T.site).fill('Lyon');
  await byLabel(page, T.timezone).fill('Europe/Paris');
  await byLabel(page, T.languages).fill('fr, en');
  await byLabel(page, T.role).selectOption(who.role);
  if (who.consent) await page.getByLabel(T.consent_label).check();
  await page.getByRole('button', { name: T.signup, exact: true }).click();
  await page.getByTestId('issued-token').waitFor();
  await page.getByRole('button', { name: T.signin, exact: true }).click();
  await page.getByRole('heading', { name: T.profile_title }).waitFor();
}

// Drags on the availability grid from one quarter hour to another on a day.
// Runs action and waits for the availability PUT it makes to be answered (the list shown is the
// app's own state at once; the stored one only once the PUT is done).
async function savedBy(page, action) {
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/v1/me/availability') && r.request().method() === 'PUT'),
    action(),
  ]);
}

async function dragSlot(page, day, fromQ, toQ) {
  const a = await page.locator(`[data-day="${day}"][data-q="${fromQ}"]`).boundingBox();
  const b = await page.locator(`[data-day="${day}"][data-q="${toQ}"]`).boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

async function programme(browser, base, hrToken, lang) {
  const T = dictionaries[lang];
  const locale = lang === 'fr' ? 'fr-FR' : 'en-US';
  const tag = `${lang}${Date.now() % 100000}`;
  const mentorInfo = { email: `mentor-${tag}@example.com`, name: `Mentor ${lang.toUpperCase()}`, department: `Digital ${tag}`, role: 'mentor', consent: true };
  const menteeInfo = { email: `manager-${tag}@example.com`, name: `Manager ${lang.toUpperCase()}`, department: `Finance ${tag}`, role: 'mentee', consent: false };
  const mentor = await newPage(browser, locale);
  const mentee = await newPage(browser, locale);
  const hr = await newPage(browser, locale);

  await check(`${lang} sign-in page in the browser's language`, async () => {
    await goto(mentor, base, '/');
    await mentor.getByRole('heading', { name: T.signin_title }).waitFor({ timeout: 5000 });
    assert(await mentor.evaluate(() => document.documentElement.lang) === lang, 'html lang');
  });
  await pageChecks(mentor, 'signin', lang);
  await check(`${lang} language switch`, async () => {
    const other = lang === 'fr' ? 'en' : 'fr';
    await mentor.getByRole('button', { name: T.lang_switch_label }).click();
    await mentor.getByRole('heading', { name: dictionaries[other].signin_title }).waitFor({ timeout: 5000 });
    await mentor.getByRole('button', { name: dictionaries[other].lang_switch_label }).click();
    await mentor.getByRole('heading', { name: T.signin_title }).waitFor({ timeout: 5000 });
  });

  await check(`${lang} mentor signs up, teaches a skill`, async () => {
    await signUp(mentor, base, T, mentorInfo);
    await mentor.getByTestId('add-teaching').selectOption('linkedin');
    await mentor.getByRole('button', { name: T.save, exact: true }).click();
    await mentor.getByText(T.saved).waitFor();
  });
  await pageChecks(mentor, 'profile', lang);
  await check(`${lang} mentor adds Monday 09:00-11:00 by dragging on the grid`, async () => {
    await mentor.getByRole('link', { name: T.nav_availability }).click();
    await mentor.getByTestId('avail-grid').waitFor();
    await dragSlot(mentor, 'mon', 36, 43);
    await mentor.getByText(T.saved).waitFor();
    const items = await mentor.getByTestId('slots').locator('li').allTextContents();
    assert(items.length === 1 && items[0].includes('09:00') && items[0].includes('11:00'), `slots: ${items}`);
  });
  await check(`${lang} overlapping slot impossible on the grid and in the form`, async () => {
    // 08:00 -> 11:45 across 09:00-11:00: clamped to 08:00-09:00
    await savedBy(mentor, () => dragSlot(mentor, 'mon', 32, 47));
    const items = await mentor.getByTestId('slots').locator('li').allTextContents();
    assert(items.length === 2 && items.some((x) => x.includes('08:00') && x.includes('09:00')), `slots: ${items}`);
    await byLabel(mentor, T.day).selectOption('mon');
    await byLabel(mentor, T.start).selectOption('10:00');
    await byLabel(mentor, T.end).selectOption('12:00');
    await mentor.getByRole('button', { name: T.add_slot }).click();
    await mentor.getByText(T.slot_overlap).waitFor();
    const r = await (await mentor.request.get(base + '/v1/me/availability', { headers: { Authorization: `Bearer ${await mentor.evaluate(() => localStorage.getItem('tandem.token'))}` } })).json();
    assert(r.slots.length === 2, `stored slots: ${JSON.stringify(r.slots)}`);
  });
  await check(`${lang} a drag released before the app saw its last move ends where released`, async () => {
    // a quick flick: the pointer is released over 11:45 before any move reached the app (it used to
    // save the range up to the last move it had rendered, here the first quarter alone)
    const at = async (q) => { const b = await mentor.locator(`[data-day="wed"][data-q="${q}"]`).boundingBox(); return { x: b.x + b.width / 2, y: b.y + b.height / 2 }; };
    const from = await at(40), to = await at(47);
    await mentor.locator('[data-day="wed"][data-q="40"]').dispatchEvent('pointerdown', { button: 0, clientX: from.x, clientY: from.y, isPrimary: true });
    await mentor.waitForTimeout(100); // the app renders the drag and listens for the release
    await savedBy(mentor, () => mentor.evaluate((p) => window.dispatchEvent(new PointerEvent('pointerup', { clientX: p.x, clientY: p.y, bubbles: true })), to));
    const items = await mentor.getByTestId('slots').locator('li').allTextContents();
    const made = items.filter((x) => x.includes('10:00') && x.includes('12:00'));
    assert(items.length === 3 && made.length === 1, `slots: ${items}`);
    await savedBy(mentor, () => mentor.getByTestId('slots').locator('li', { hasText: '12:00' }).getByRole('button').click());
    const left = await mentor.getByTestId('slots').locator('li').allTextContents();
    assert(left.length === 2, `slots after removing: ${left}`);
  });
  await pageChecks(mentor, 'availability', lang);

  await check(`${lang} manager signs up, wants to learn, same availability`, async () => {
    await signUp(mentee, base, T, menteeInfo);
    await mentee.getByTestId('add-learning').selectOption('linkedin');
    await mentee.getByRole('button', { name: T.save, exact: true }).click();
    await mentee.getByText(T.saved).waitFor();
    await mentee.getByRole('link', { name: T.nav_availability }).click();
    await mentee.getByTestId('avail-grid').waitFor();
    await dragSlot(mentee, 'mon', 36, 43);
    await mentee.getByText(T.saved).waitFor();
  });

  await check(`${lang} HR signs in with a token, creates a round and watches it solve`, async () => {
    await goto(hr, base, '/signin');
    await byLabel(hr, T.token_label).fill(hrToken);
    await hr.getByRole('button', { name: T.signin, exact: true }).click();
    await hr.getByRole('heading', { name: T.hr_title }).waitFor();
    await byLabel(hr, T.round_name).fill(`Round ${tag}`);
    await byLabel(hr, T.filter_departments).fill(`${mentorInfo.department}, ${menteeInfo.department}`);
    await hr.getByRole('button', { name: T.create_solve }).click();
    await hr.getByTestId('round-status').getByText(T.round_status_solved).waitFor({ timeout: 60000 });
    await hr.getByTestId('round-pairs').getByRole('cell').filter({ hasText: mentorInfo.name }).first().waitFor();
  });
  await pageChecks(hr, 'hr-round-review', lang);
  await check(`${lang} HR pins the pair from the table, re-solves, publishes`, async () => {
    await hr.getByRole('button', { name: `${T.pin} ${mentorInfo.name} / ${menteeInfo.name}` }).click();
    await hr.getByRole('button', { name: `${T.unpin} ${mentorInfo.name} / ${menteeInfo.name}` }).waitFor();
    await hr.getByRole('button', { name: T.resolve }).click();
    await hr.getByTestId('round-status').getByText(T.round_status_solved).waitFor({ timeout: 60000 });
    await hr.getByTestId('round-pairs').getByText(T.pinned, { exact: true }).waitFor();
    await hr.getByRole('button', { name: T.publish }).click();
    await hr.getByTestId('round-status').getByText(T.round_status_published).waitFor();
  });

  await check(`${lang} manager sees the pair and logs a session`, async () => {
    await mentee.getByRole('link', { name: T.nav_pairs }).click();
    await mentee.getByRole('link', { name: T.pair_title.replace('{name}', mentorInfo.name) }).click();
    await mentee.getByTestId('proposed').waitFor();
    const text = await mentee.getByTestId('proposed').textContent();
    assert(text.includes('09:00'), `proposed slot: ${text}`);
    await mentee.getByRole('button', { name: T.log }).click();
    await mentee.getByTestId('sessions').getByText(T.status_pending).waitFor();
  });
  await pageChecks(mentee, 'pair', lang);
  await check(`${lang} mentor confirms the session`, async () => {
    await mentor.getByRole('link', { name: T.nav_pairs }).click();
    await mentor.getByRole('link', { name: T.pair_title.replace('{name}', menteeInfo.name) }).click();
    await mentor.getByRole('button', { name: T.confirm, exact: true }).click();
    await mentor.getByTestId('sessions').getByText(T.status_confirmed).waitFor();
  });
  await check(`${lang} mentor moves the pair's end date; the page and the API say who and when`, async () => {
    const later = isoDay(new Date(Date.now() + 150 * 864e5));
    await byLabel(mentor, T.new_end_date).fill(later);
    await mentor.getByRole('button', { name: T.save_end_date }).click();
    const notice = norm(await mentor.getByTestId('end-date-changed').textContent());
    const [head] = T.end_date_changed.split('{who}').map(norm);
    assert(notice.startsWith(head) && notice.includes(norm(T.changed_by_mentor)), `notice: ${notice}`);
    const id = new URL(mentor.url()).pathname.split('/').pop();
    const pair = ok(await call(base, 'GET', `/v1/pairs/${id}`, { token: hrToken }), 200, 'pair');
    assert(pair.ends_on === later && pair.ends_on_changed_by === 'mentor', JSON.stringify(pair));
  });
  await check(`${lang} mentor's badge and points shown`, async () => {
    await mentor.getByRole('link', { name: T.nav_achievements }).click();
    await mentor.getByTestId('badges').waitFor();
    const points = Number((await mentor.getByTestId('points').textContent()).replace(/\D/g, ''));
    assert(points > 0, `points ${points}`);
    const img = mentor.getByTestId('badges').locator('img').first();
    // the list is rendered before its images arrive: wait for this one to finish (load or error)
    const loaded = await img.evaluate((i) => (i.complete ? i.naturalWidth > 0 : new Promise((res) => {
      i.addEventListener('load', () => res(i.naturalWidth > 0), { once: true });
      i.addEventListener('error', () => res(false), { once: true });
    })));
    assert(loaded, 'badge image did not load');
  });
  await pageChecks(mentor, 'achievements', lang);
  await check(`${lang} leaderboard with consent lists the mentor by name`, async () => {
    await mentor.getByRole('link', { name: T.nav_leaderboards }).click();
    await mentor.getByTestId('leaderboard').getByText(mentorInfo.name).waitFor();
    await mentor.getByTestId('my-rank').waitFor();
  });
  await pageChecks(mentor, 'leaderboards', lang);
  await check(`${lang} leaderboard without consent: the manager is not named`, async () => {
    await mentee.getByRole('link', { name: T.nav_leaderboards }).click();
    await byLabel(mentee, T.lb_title).selectOption('managers');
    await mentee.getByText(T.not_on_board).waitFor();
    const names = await mentee.getByTestId('leaderboard').textContent();
    assert(!names.includes(menteeInfo.name), 'the manager appears without consent');
  });
  for (const [p, name] of [['/hr/employees', 'hr-employees'], ['/hr/dashboard', 'hr-dashboard'], ['/hr/badges', 'hr-badges'], ['/hr/webhooks', 'hr-webhooks'], ['/hr', 'hr-rounds']]) {
    await goto(hr, base, p);
    await pageChecks(hr, name, lang);
  }
  await check(`${lang} HR dashboard counts the confirmed session`, async () => {
    await goto(hr, base, '/hr/dashboard');
    await hr.getByTestId('stats').getByText(mentorInfo.department).waitFor();
  });
  for (const p of [mentor, mentee, hr]) await p.context().close();
}

// ---- ESN: leading by example, ambassadors, ingestion, an employee's own figures, expiry ------------
// A JSON API call from the test itself (setting up data, reading what the page must show).
async function call(base, method, p, { token, json, raw, type } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  if (raw !== undefined) { headers['Content-Type'] = type; body = raw; }
  const r = await fetch(base + p, { method, headers, body });
  const text = await r.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: r.status, body: data };
}
const ok = (r, status, what) => { assert(r.status === status, `${what}: ${r.status} ${JSON.stringify(r.body)}`); return r.body; };
const isoDay = (d) => d.toISOString().slice(0, 10);
const DAYS3 = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// Signs up one employee through the API; returns {employee, token}.
async function apiPerson(base, over) {
  const body = { email: `p-${Math.random().toString(16).slice(2, 14)}@example.com`, display_name: 'Test Employee',
    department: 'Sales', site: 'Lyon', job_title: '', timezone: 'UTC', languages: ['en'], role: 'mentee',
    mentor_capacity: 1, leaderboard_opt_in: false, ...over };
  if (body.manager_email === null) delete body.manager_email;
  return ok(await call(base, 'POST', '/v1/employees', { json: body }), 201, 'sign-up');
}

// Waits for round id to be solved (polling its state), then publishes it.
async function publishWhenSolved(base, hr, id) {
  for (let i = 0; ; i++) {
    const r = ok(await call(base, 'GET', `/v1/rounds/${id}`, { token: hr }), 200, 'round');
    if (r.status === 'solved') break;
    assert(r.status === 'solving' || r.status === 'draft', `round ${r.status}`);
    assert(i < 600, 'round still solving after 30 s');
    await new Promise((res) => setTimeout(res, 50));
  }
  ok(await call(base, 'POST', `/v1/rounds/${id}/publish`, { token: hr }), 200, 'publish');
}

// The company of tests/api/test_esn.py's setup_company, twice: department A with five mentored managers
// (one past pair each: 60 days, ended 60 days ago) and five never-mentored managers, department B with
// five mentored and only two never-mentored managers (a comparison group too small to show), department C
// with one mentored manager (a group too small to list); one direct
// report each; events imported by HR (POST /v1/esn/import) before, during and after: mentored managers
// +4 events, their teams +2, the comparison group +0. Plus a giver (answers to people of other
// departments, never a mentor) and an actor who is no employee.
async function esnCompany(base, hr) {
  const tag = `${Date.now() % 1000000}`;
  const A = `Ops-${tag}`, B = `Small-${tag}`, C = `Lone-${tag}`;
  const day = 864e5;
  const today = new Date(isoDay(new Date()) + 'T00:00:00Z');
  const start = new Date(today - 120 * day), end = new Date(today - 60 * day);
  const mentees = [], mentors = [];
  for (let i = 0; i < 11; i++) {
    const slot = { day: DAYS3[i % 7], start: `${String(6 + 2 * Math.floor(i / 7)).padStart(2, '0')}:00`, end: `${String(7 + 2 * Math.floor(i / 7)).padStart(2, '0')}:00` };
    const mentor = await apiPerson(base, { role: 'mentor', department: `Mentors-${tag}-${i}`, site: `Site-${tag}`, display_name: `ESN mentor ${i}` });
    ok(await call(base, 'PUT', '/v1/me/teaching', { token: mentor.token, json: { skills: [{ skill: 'linkedin', level: 5 }] } }), 200, 'teaching');
    const mentee = await apiPerson(base, { role: 'mentee', department: i < 5 ? A : i < 10 ? B : C, display_name: `ESN manager ${i}` });
    ok(await call(base, 'PUT', '/v1/me/learning', { token: mentee.token, json: { goals: [{ skill: 'linkedin', current_level: 0, priority: 1 }] } }), 200, 'learning');
    for (const p of [mentor, mentee]) ok(await call(base, 'PUT', '/v1/me/availability', { token: p.token, json: { slots: [slot] } }), 200, 'availability');
    mentors.push(mentor); mentees.push(mentee);
  }
  const departments = [A, B, C, ...mentors.map((m) => m.employee.department)].sort();
  const round = ok(await call(base, 'POST', '/v1/rounds', { token: hr, json: { name: `ESN ${tag}`, filter: { departments, sites: [] },
    starts_on: isoDay(start), ends_on: isoDay(end) } }), 202, 'round');
  await publishWhenSolved(base, hr, round.id);
  for (const m of mentees) {
    const mine = ok(await call(base, 'GET', '/v1/me/pairs', { token: m.token }), 200, 'pairs').items;
    assert(mine.length === 1, `${m.employee.email} has ${mine.length} pairs`);
  }
  const comparison = [];
  for (let i = 0; i < 7; i++) comparison.push(await apiPerson(base, { department: i < 5 ? A : B, display_name: `ESN comparison ${i}`, manager_email: null }));
  const managers = [...mentees, ...comparison];
  const team = {};
  for (const m of managers) team[m.employee.email] = await apiPerson(base, { department: m.employee.department, manager_email: m.employee.email, display_name: 'ESN report' });
  const s = new Date(start.getTime() + 12 * 3600e3);
  const windows = { before: new Date(s - 30 * day), during: new Date(s.getTime() + 30 * day), after: new Date(s.getTime() + 90 * day) };
  const events = [];
  let n = 0;
  const ev = (actor, kind, when, target) => ({ id: `web:${tag}:${n++}`, actor_email: actor, kind, community: 'General',
    occurred_at: when.toISOString().replace(/\.\d+Z$/, 'Z'), ...(target ? { target_email: target } : {}) });
  const who = [...mentees.map((m) => [m.employee.email, 4]), ...comparison.map((c) => [c.employee.email, 0]),
    ...mentees.map((m) => [team[m.employee.email].employee.email, 2]), ...comparison.map((c) => [team[c.employee.email].employee.email, 0])];
  for (const [email, rise] of who) {
    for (const [win, at] of Object.entries(windows)) {
      for (let i = 0; i < (win === 'before' ? 1 : 1 + rise); i++) events.push(ev(email, 'post', new Date(at.getTime() + i * 60e3)));
    }
  }
  const giver = await apiPerson(base, { department: A, site: 'Lyon', display_name: `ESN giver ${tag}`, manager_email: null });
  const yesterday = new Date(Date.now() - day);
  for (let i = 0; i < 3; i++) events.push(ev(giver.employee.email, 'answer_accepted', new Date(yesterday.getTime() + i * 60e3), mentors[i].employee.email));
  events.push(ev(`nobody-${tag}@example.com`, 'post', yesterday));
  const imp = ok(await call(base, 'POST', '/v1/esn/import', { token: hr, raw: events.map((e) => JSON.stringify(e)).join('\n'), type: 'application/x-ndjson' }), 200, 'import');
  assert(imp.stored === events.length - 1 && imp.unmatched === 1, `import: ${JSON.stringify(imp)}`);
  return { A, B, C, round, mentees, giver };
}

// Numbers as the app formats them (Intl, the app's locale for the language); spaces normalised.
const appLocale = (lang) => (lang === 'fr' ? 'fr-FR' : 'en-GB');
const nf = (lang, n, digits = 0) => new Intl.NumberFormat(appLocale(lang), { maximumFractionDigits: digits }).format(n);
const delta = (lang, n, digits = 2) => new Intl.NumberFormat(appLocale(lang), { maximumFractionDigits: digits, signDisplay: 'exceptZero' }).format(n);
const pct = (lang, n) => new Intl.NumberFormat(appLocale(lang), { style: 'percent', maximumFractionDigits: 0 }).format(n);
const fill = (s, params) => Object.entries(params).reduce((a, [k, v]) => a.replaceAll(`{${k}}`, v), s);
const norm = (s) => s.replace(/\s+/g, ' ').trim();
const cellText = async (scope, cell) => norm(await scope.locator(`[data-cell="${cell}"]`).textContent());

async function signInWithToken(page, base, T, token) {
  await goto(page, base, '/signin');
  await byLabel(page, T.token_label).fill(token);
  await page.getByRole('button', { name: T.signin, exact: true }).click();
}

async function leadingByExample(browser, base, hrToken, company, lang) {
  const T = dictionaries[lang];
  const locale = lang === 'fr' ? 'fr-FR' : 'en-US';
  // tokens of their own, revoked from the outside at the end
  const hrTok = ok(await call(base, 'POST', '/v1/tokens', { token: hrToken, json: {} }), 201, 'HR token').token;
  const manager = company.mentees[0];
  const mgrTok = ok(await call(base, 'POST', '/v1/tokens', { token: manager.token, json: {} }), 201, 'manager token').token;
  const hr = await newPage(browser, locale);
  const byDept = ok(await call(base, 'GET', '/v1/esn/impact?by=department', { token: hrToken }), 200, 'impact');
  const byRound = ok(await call(base, 'GET', '/v1/esn/impact?by=round', { token: hrToken }), 200, 'impact');
  const rowOf = (imp, pred) => { const r = imp.rows.filter(pred); assert(r.length === 1, JSON.stringify(imp)); return r[0]; };
  const a = rowOf(byDept, (r) => r.group === company.A);
  const b = rowOf(byDept, (r) => r.group === company.B);
  const rd = rowOf(byRound, (r) => r.round_id === company.round.id);

  await check(`${lang} HR leading by example: the API's figures of the set-up (did_managers during 4)`, async () => {
    assert(a.did_managers.during.events_per_person === 4 && a.did_teams.during.events_per_person === 2, JSON.stringify(a));
    assert(b.comparison_managers.before.suppressed && b.did_managers.during === null, JSON.stringify(b));
    assert(rd.did_managers.during.events_per_person === 4, JSON.stringify(rd));
  });
  await check(`${lang} HR leading by example: the page shows the API's figures by department`, async () => {
    await signInWithToken(hr, base, T, hrTok);
    await hr.getByRole('heading', { name: T.hr_title }).waitFor();
    await hr.getByRole('link', { name: T.nav_impact }).click();
    await hr.getByRole('heading', { name: T.impact_title }).waitFor();
    const g = hr.locator(`[data-testid="impact-group"][data-group="${company.A}"]`);
    await g.waitFor();
    assert(norm(await g.getByTestId('mentored').textContent()) === fill(T.impact_mentored, { n: nf(lang, 5) }), 'mentored managers');
    for (const side of ['managers', 'teams', 'comparison_managers', 'comparison_teams']) {
      for (const win of ['before', 'during', 'after']) {
        const f = a[side][win];
        const want = { epp: nf(lang, f.events_per_person, 2), rate: pct(lang, f.active_rate), people: nf(lang, f.people) };
        for (const [k, v] of Object.entries(want)) {
          const got = await cellText(g, `${side}.${win}.${k}`);
          assert(got === norm(v), `${side}.${win}.${k}: "${got}" != "${norm(v)}"`);
        }
      }
    }
    for (const side of ['managers', 'teams']) {
      for (const win of ['during', 'after']) {
        const d = a[`did_${side}`][win];
        const want = { epp: delta(lang, d.events_per_person), rate: delta(lang, d.active_rate * 100, 1) };
        for (const [k, v] of Object.entries(want)) {
          const got = await cellText(g, `did_${side}.${win}.${k}`);
          assert(got === norm(v), `did_${side}.${win}.${k}: "${got}" != "${norm(v)}"`);
        }
      }
    }
    assert(await cellText(g, 'did_managers.during.epp') === delta(lang, 4), 'did_managers during is +4');
  });
  await check(`${lang} HR leading by example: a too small comparison group is shown as suppressed, explained`, async () => {
    const g = hr.locator(`[data-testid="impact-group"][data-group="${company.B}"]`);
    const suppressed = norm(fill(T.fig_suppressed, { n: nf(lang, 5) }));
    for (const win of ['before', 'during', 'after']) {
      assert(await cellText(g, `comparison_managers.${win}`) === suppressed, `comparison_managers.${win}`);
    }
    assert(await cellText(g, 'did_managers.during') === norm(T.did_missing), 'did not computed');
    assert(await cellText(g, 'managers.during.epp') === nf(lang, 5), 'the mentored side is shown');
    assert(byDept.left_out >= 1 && !byDept.rows.some((r) => r.group === company.C), `left_out ${byDept.left_out}: the one-pair department`);
    const left = norm(await hr.getByTestId('left-out').textContent());
    assert(left === norm(fill(T.impact_left_out, { n: nf(lang, 5), count: nf(lang, byDept.left_out) })), `left out: ${left}`);
    const privacy = norm(await hr.getByTestId('privacy').textContent());
    assert(privacy === norm(fill(T.impact_privacy, { n: nf(lang, 5) })), `privacy: ${privacy}`);
    // department C (and the programme's one-pair departments) are below 5 mentored managers: not listed
    const groups = await hr.getByTestId('impact-group').evaluateAll((els) => els.map((e) => e.dataset.group));
    assert(groups.every((x) => byDept.rows.some((r) => r.group === x)) && groups.length === byDept.rows.length, `groups ${groups}`);
  });
  await pageChecks(hr, 'hr-impact', lang);
  await check(`${lang} HR leading by example: by round`, async () => {
    await byLabel(hr, T.impact_by).selectOption('round');
    const g = hr.locator(`[data-testid="impact-group"][data-group="${rd.group}"]`);
    await g.waitFor();
    assert(await cellText(g, 'did_managers.during.epp') === delta(lang, 4), `by round: ${await cellText(g, 'did_managers.during.epp')}`);
    assert(rd.comparison_managers.before.people === 7, JSON.stringify(rd.comparison_managers));
    assert(await cellText(g, 'comparison_managers.before.people') === nf(lang, 7), 'round comparison group (7 people)');
    assert(await cellText(g, 'comparison_managers.before.rate') === norm(pct(lang, 1)), 'round comparison active rate');
  });
  await check(`${lang} HR ESN givers: the giver is an ambassador candidate, with why and a way to act`, async () => {
    const amb = ok(await call(base, 'GET', '/v1/esn/ambassadors', { token: hrToken }), 200, 'ambassadors');
    const mine = amb.items.find((x) => x.employee.id === company.giver.employee.id);
    assert(mine && mine.parts.answers === 3 && mine.parts.departments_reached === 3, JSON.stringify(amb));
    await hr.getByRole('link', { name: T.nav_esn }).click();
    const row = hr.locator(`[data-testid="ambassadors"] tr[data-email="${company.giver.employee.email}"]`);
    await row.waitFor();
    assert(await cellText(row, 'score') === norm(nf(lang, mine.score, 1)), `score ${await cellText(row, 'score')}`);
    const why = await cellText(row, 'why');
    assert(why.startsWith(norm(fill(T.part_line, { part: T.part_answers, n: nf(lang, 3) }))), `why: ${why}`);
    const href = await row.getByRole('link', { name: fill(T.amb_invite, { name: company.giver.employee.display_name }) }).getAttribute('href');
    assert(href.startsWith(`mailto:${company.giver.employee.email}?subject=`), href);
    const st = ok(await call(base, 'GET', '/v1/esn/status', { token: hrToken }), 200, 'status');
    const ing = hr.getByTestId('ingestion');
    for (const k of ['events', 'external_ids', 'unmatched_events', 'unmatched_actors']) {
      assert(await cellText(ing, k) === norm(nf(lang, st[k])), `${k}: ${await cellText(ing, k)} != ${st[k]}`);
    }
    assert(st.unmatched_actors >= 1, 'the unknown actor is counted');
    for (const k of ['last_event_at', 'last_received_at']) {
      const shown = await cellText(ing, k);
      assert(st[k] && shown !== norm(T.ingest_never) && shown.includes(st[k].slice(0, 4)), `${k}: ${shown} (${st[k]})`);
    }
  });
  await pageChecks(hr, 'hr-esn', lang);

  const emp = await newPage(browser, locale);
  await check(`${lang} employee: a mentored manager's own ESN figures before/during/after`, async () => {
    await signInWithToken(emp, base, T, mgrTok);
    await emp.getByRole('heading', { name: T.profile_title }).waitFor();
    await emp.getByRole('link', { name: T.nav_my_esn }).click();
    await emp.getByRole('heading', { name: T.my_esn_title }).waitFor();
    const me = ok(await call(base, 'GET', '/v1/me/esn', { token: manager.token }), 200, 'me/esn');
    const p = me.as_manager[0];
    assert(p.before.events === 1 && p.during.events === 5 && p.after.events === 5, JSON.stringify(me));
    const table = emp.getByTestId(`my-pair-${p.pair_id}`);
    for (const w of ['before', 'during', 'after']) {
      const got = norm(await table.locator(`[data-win="${w}"]`).textContent());
      assert(got === norm(fill(T.my_events, { n: nf(lang, p[w].events) })), `${w}: ${got}`);
    }
  });
  await pageChecks(emp, 'my-esn', lang);
  await check(`${lang} employee never mentored: the giving score, and what applies explained`, async () => {
    const g = await newPage(browser, locale);
    const tok = ok(await call(base, 'POST', '/v1/tokens', { token: company.giver.token, json: {} }), 201, 'giver token').token;
    await signInWithToken(g, base, T, tok);
    await g.getByRole('heading', { name: T.profile_title }).waitFor();
    await goto(g, base, '/esn');
    const me = ok(await call(base, 'GET', '/v1/me/esn', { token: company.giver.token }), 200, 'me/esn');
    assert(norm(await g.getByTestId('my-giving').textContent()) === norm(fill(T.my_giving, { score: nf(lang, me.giving.score, 1) })), 'giving');
    assert(norm(await g.getByTestId('my-not-mentored').textContent()) === norm(T.my_not_mentored), 'not mentored');
    await g.context().close();
  });
  await check(`${lang} a token revoked while the page is open: the next action goes back to sign-in, with a message`, async () => {
    ok(await call(base, 'DELETE', '/v1/tokens/current', { token: mgrTok }), 204, 'revoke');
    await emp.getByRole('link', { name: T.nav_achievements }).click();
    await emp.getByTestId('expired').waitFor({ timeout: 10000 });
    assert(norm(await emp.getByTestId('expired').textContent()) === norm(T.session_expired), 'message');
    assert(new URL(emp.url()).pathname === '/signin', `at ${emp.url()}`);
    await emp.getByRole('heading', { name: T.signin_title }).waitFor();
    assert(await emp.evaluate(() => localStorage.getItem('tandem.token')) === null, 'the dead token is forgotten');
  });
  await check(`${lang} HR: a revoked token on the impact page goes back to sign-in, with a message`, async () => {
    await goto(hr, base, '/hr/impact');
    await hr.getByRole('heading', { name: T.impact_title }).waitFor();
    ok(await call(base, 'DELETE', '/v1/tokens/current', { token: hrTok }), 204, 'revoke');
    await byLabel(hr, T.impact_by).selectOption('round');
    await hr.getByTestId('expired').waitFor({ timeout: 10000 });
    assert(new URL(hr.url()).pathname === '/signin', `at ${hr.url()}`);
    const shown = pageProblems.get(hr).splice(0).filter((m) => !/401/.test(m)); // the refused call's console line aside
    assert(shown.length === 0, shown.join('; '));
  });
  await emp.context().close();
  await hr.context().close();
}

// ---- Single sign-on in the browser, against the real OpenID Provider of tests/oidc ----------------
const OIDC_DIR = path.join(repo, 'tests/oidc');
const SSO_CLIENT = 'tandem-web';
const SSO_SECRET = 'web-suite-client-secret-not-secret';

// Starts tests/oidc/provider.mjs (npm oidc-provider, installed by scripts/test.sh) and waits for "ready".
async function startProvider(redirectUri, accounts, postLogoutUri) {
  assert(fs.existsSync(path.join(OIDC_DIR, 'node_modules', 'oidc-provider')),
    'tests/oidc/node_modules missing: run `npm ci --ignore-scripts` in tests/oidc (scripts/test.sh does)');
  const port = await freePort();
  const log = fs.createWriteStream(path.join(ARTIFACTS, 'oidc-provider.log'));
  const proc = spawn('node', ['provider.mjs', String(port), redirectUri, SSO_CLIENT, SSO_SECRET, JSON.stringify(accounts), postLogoutUri],
    { cwd: OIDC_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr.pipe(log);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('oidc-provider not ready within 30 s')), 30000);
    let out = '';
    proc.stdout.on('data', (d) => {
      log.write(d);
      out += d;
      if (out.includes('ready')) { clearTimeout(timer); resolve(); }
    });
    proc.on('exit', (c) => { clearTimeout(timer); reject(new Error(`oidc-provider exited with ${c}; see ${ARTIFACTS}/oidc-provider.log`)); });
  });
  return { proc, issuer: `http://127.0.0.1:${port}` };
}

// Stops a child process and waits for it.
async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.on('exit', r));
  proc.kill('SIGTERM');
  await gone;
}

// Clicks the app's SSO button and goes through the provider's devInteractions forms (login with
// any password, then consent) like a user; returns once the browser has left the provider.
// atProvider() runs once the provider's first page is shown.
async function ssoSignIn(page, issuer, T, login, atProvider = async () => {}) {
  await page.getByRole('link', { name: T.signin_sso, exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(issuer), { timeout: 15000 });
  await atProvider();
  for (let step = 0; step < 4 && page.url().startsWith(issuer); step++) {
    const before = page.url();
    const field = page.locator('input[name="login"]');
    if (await field.count()) {
      await field.fill(login);
      await page.locator('input[name="password"]').fill('any password');
    }
    await page.locator('form button[type="submit"]').first().click();
    await page.waitForURL((u) => u.href !== before, { timeout: 15000 });
    await page.waitForLoadState('load');
  }
  assert(!page.url().startsWith(issuer), `still at the provider: ${page.url()}`);
  await page.waitForLoadState('networkidle');
}

// The cookie-session value of the page's context (HttpOnly: read through the browser context).
const sessionCookie = async (page) => (await page.context().cookies()).find((c) => c.name === 'tandem_session')?.value;

async function singleSignOn(browser, sso, lang) {
  const T = dictionaries[lang];
  const locale = lang === 'fr' ? 'fr-FR' : 'en-US';
  const { base, issuer, people } = sso;
  const emp = await newPage(browser, locale);

  await check(`${lang} SSO: the sign-in page offers the company account`, async () => {
    await goto(emp, base, '/');
    await emp.getByRole('heading', { name: T.signin_title }).waitFor({ timeout: 5000 });
    await emp.getByRole('link', { name: T.signin_sso, exact: true }).waitFor({ timeout: 5000 });
    const link = emp.getByRole('link', { name: T.signin_sso, exact: true });
    const looks = await link.evaluate((a) => { const c = getComputedStyle(a); return [c.backgroundColor, c.textDecorationLine]; });
    assert(looks[0] !== 'rgba(0, 0, 0, 0)' && looks[1] === 'none', `the SSO button is drawn as a plain link: ${looks}`);
    // sign-up is closed with single sign-on: no form that could only fail
    assert(await emp.getByRole('heading', { name: T.signup_title }).count() === 0, 'the sign-up form is shown');
  });
  await pageChecks(emp, 'sso-signin', lang);
  // the authorization requests the browser sends to the provider, to read their ui_locales
  const authorizations = [];
  emp.on('request', (r) => { if (r.url().startsWith(issuer + '/auth?')) authorizations.push(new URL(r.url())); });
  await check(`${lang} SSO: the employee signs in at the provider and lands signed in`, async () => {
    await ssoSignIn(emp, issuer, T, 'ada');
    await emp.getByRole('heading', { name: T.profile_title }).waitFor({ timeout: 10000 });
    assert(new URL(emp.url()).pathname === '/profile', `landed on ${emp.url()}`);
    const name = await byLabel(emp, T.display_name).inputValue();
    assert(name === people.ada.name, `name shown: ${name}`);
    assert(await emp.evaluate(() => localStorage.getItem('tandem.token')) === null, 'a token was stored: the session is the cookie');
    assert(await sessionCookie(emp), 'no tandem_session cookie');
  });
  await check(`${lang} SSO: the provider's login page was asked for the app's language (ui_locales)`, async () => {
    const got = authorizations.map((u) => u.searchParams.get('ui_locales'));
    assert(got.length === 1 && got[0] === lang, `ui_locales sent to the provider: ${JSON.stringify(got)}`);
  });
  await check(`${lang} SSO: a profile change through the UI is saved with the session cookie (CSRF header sent)`, async () => {
    const site = `Nantes ${lang} ${Date.now() % 10000}`;
    const csrfSent = [];
    emp.on('request', (r) => { if (r.url().endsWith('/v1/me') && r.method() === 'PATCH') csrfSent.push(r.headers()['x-csrf-token']); });
    await byLabel(emp, T.site).fill(site);
    await emp.getByRole('button', { name: T.save, exact: true }).click();
    await emp.getByText(T.saved).waitFor();
    assert(csrfSent.length === 1 && csrfSent[0], `PATCH /v1/me sent X-CSRF-Token: ${JSON.stringify(csrfSent)}`);
    const me = await (await emp.request.get(base + '/v1/me')).json();
    assert(me.site === site, `stored site: ${me.site}`);
    await emp.reload();
    await emp.getByRole('heading', { name: T.profile_title }).waitFor();
    assert(await byLabel(emp, T.site).inputValue() === site, 'the saved site after a reload');
  });
  await check(`${lang} SSO: availability dragged on the grid is saved with the session cookie`, async () => {
    await emp.getByRole('link', { name: T.nav_availability }).click();
    await emp.getByTestId('avail-grid').waitFor();
    const before = (await (await emp.request.get(base + '/v1/me/availability')).json()).slots.length;
    const day = lang === 'fr' ? 'tue' : 'wed';
    await dragSlot(emp, day, 56, 59); // 14:00-15:00
    await emp.getByText(T.saved).waitFor();
    const slots = (await (await emp.request.get(base + '/v1/me/availability')).json()).slots;
    assert(slots.length === before + 1, `stored slots: ${JSON.stringify(slots)}`);
  });
  await check(`${lang} SSO: no CSP violation or page error in the app`, async () => {
    const seen = pageProblems.get(emp).splice(0).filter((m) => !m.includes(issuer)); // the provider's pages aside
    assert(seen.length === 0, seen.join('; '));
  });
  const old = await sessionCookie(emp);
  await check(`${lang} SSO: signing out ends the session at Tandem and at the provider, back on the sign-in page`, async () => {
    await emp.getByRole('button', { name: T.sign_out, exact: true }).click();
    // the app follows end_session_url: the provider's logout page (oidc-provider asks to confirm)
    await emp.waitForURL((u) => u.href.startsWith(issuer), { timeout: 15000 });
    await emp.locator('button[name="logout"][value="yes"]').click();
    await emp.waitForURL((u) => u.href.startsWith(base + '/signin'), { timeout: 15000 });
    await emp.getByTestId('signed-out').waitFor({ timeout: 10000 });
    const said = await emp.getByTestId('signed-out').textContent();
    assert(said === T.signed_out, `signed-out message: ${said}`);
    await emp.getByRole('heading', { name: T.signin_title }).waitFor();
    assert(new URL(emp.url()).search === '', `the flag stays in the URL: ${emp.url()}`);
  });
  await pageChecks(emp, 'sso-signed-out', lang); // with the message shown
  await check(`${lang} SSO: after signing out a reload stays signed out, without the message, and the old cookie is refused`, async () => {
    await emp.reload();
    await emp.getByRole('heading', { name: T.signin_title }).waitFor({ timeout: 5000 });
    assert(new URL(emp.url()).pathname === '/signin', `after reload: ${emp.url()}`);
    assert(await emp.getByTestId('signed-out').count() === 0, 'the signed-out message is shown again after a reload');
    assert(!(await sessionCookie(emp)), 'the session cookie is still in the browser');
    const me = await fetch(base + '/v1/me', { headers: { Cookie: `tandem_session=${old}` } });
    assert(me.status === 401, `GET /v1/me with the old cookie: ${me.status}`);
  });
  await check(`${lang} SSO: the language switched on the sign-in page is the one the provider is asked for`, async () => {
    const other = lang === 'fr' ? 'en' : 'fr';
    const link = emp.getByRole('link', { name: T.signin_sso, exact: true });
    assert(await link.getAttribute('href') === `/v1/auth/login?ui_locales=${lang}`, `link: ${await link.getAttribute('href')}`);
    await emp.getByRole('button', { name: T.lang_switch_label }).click();
    const switched = emp.getByRole('link', { name: dictionaries[other].signin_sso, exact: true });
    await switched.waitFor({ timeout: 5000 });
    assert(await switched.getAttribute('href') === `/v1/auth/login?ui_locales=${other}`, `link after the switch: ${await switched.getAttribute('href')}`);
    // the app's choice wins over the browser's Accept-Language (the page's locale is lang's)
    await switched.click();
    await emp.waitForURL((u) => u.href.startsWith(issuer), { timeout: 15000 });
    const last = authorizations.at(-1)?.searchParams.get('ui_locales');
    assert(authorizations.length === 2 && last === other, `ui_locales after the switch: ${last}`);
    await goto(emp, base, '/signin');
    await emp.getByRole('button', { name: dictionaries[other].lang_switch_label }).click();
    await link.waitFor({ timeout: 5000 });
  });
  await check(`${lang} SSO: signing in again after signing out needs the provider's login form`, async () => {
    // with the provider's session still alive the browser would go straight back to the profile
    await ssoSignIn(emp, issuer, T, 'ada', async () => {
      await emp.locator('input[name="login"]').waitFor({ timeout: 10000 });
    });
    await emp.getByRole('heading', { name: T.profile_title }).waitFor({ timeout: 10000 });
  });
  await check(`${lang} SSO: signing out after the session was revoked from another device still ends the provider's session`, async () => {
    const other = await newPage(browser, locale); // a second device of the same user
    try {
      await goto(other, base, '/');
      await ssoSignIn(other, issuer, T, 'ada');
      await other.getByRole('heading', { name: T.profile_title }).waitFor({ timeout: 10000 });
      const csrf = (await other.context().cookies()).find((c) => c.name === 'tandem_csrf')?.value;
      const all = await other.request.delete(base + '/v1/tokens/all', { headers: { 'X-CSRF-Token': csrf } });
      assert(all.status() === 204, `sign out everywhere: ${all.status()}`);
    } finally {
      await other.context().close();
    }
    const dead = await sessionCookie(emp);
    assert(dead, 'the first device lost its cookie');
    assert((await fetch(base + '/v1/me', { headers: { Cookie: `tandem_session=${dead}` } })).status === 401, 'the session still lives');
    // the page is still open on the first device: its sign-out goes through the provider all the same
    await emp.getByRole('button', { name: T.sign_out, exact: true }).click();
    await emp.waitForURL((u) => u.href.startsWith(issuer), { timeout: 15000 });
    await emp.locator('button[name="logout"][value="yes"]').click();
    await emp.waitForURL((u) => u.href.startsWith(base + '/signin'), { timeout: 15000 });
    await emp.getByTestId('signed-out').waitFor({ timeout: 10000 });
    assert(!(await sessionCookie(emp)), 'the dead session cookie is still in the browser');
  });
  await check(`${lang} SSO: a page opened after the session was revoked offers to sign out of the company account`, async () => {
    await goto(emp, base, '/');
    await ssoSignIn(emp, issuer, T, 'ada');
    await emp.getByRole('heading', { name: T.profile_title }).waitFor({ timeout: 10000 });
    const csrf = (await emp.context().cookies()).find((c) => c.name === 'tandem_csrf')?.value;
    const all = await emp.request.delete(base + '/v1/tokens/all', { headers: { 'X-CSRF-Token': csrf } });
    assert(all.status() === 204, `sign out everywhere: ${all.status()}`);
    await goto(emp, base, '/'); // a new visit: the app finds the session gone
    await emp.getByRole('heading', { name: T.signin_title }).waitFor({ timeout: 10000 });
    await emp.getByRole('button', { name: T.sso_sign_out_provider, exact: true }).click();
    await emp.waitForURL((u) => u.href.startsWith(issuer), { timeout: 15000 });
    await emp.locator('button[name="logout"][value="yes"]').click();
    await emp.waitForURL((u) => u.href.startsWith(base + '/signin'), { timeout: 15000 });
    await emp.getByTestId('signed-out').waitFor({ timeout: 10000 });
    assert(!(await sessionCookie(emp)), 'the dead session cookie is still in the browser');
    assert(await emp.getByTestId('sso-sign-out').count() === 0, 'the offer stays after signing out');
  });
  await emp.context().close();

  const tab = await newPage(browser, locale);
  await check(`${lang} SSO: a sign-in under way survives the sign-in page opened in another tab`, async () => {
    await goto(tab, base, '/');
    await ssoSignIn(tab, issuer, T, 'ada', async () => {
      const other = await tab.context().newPage(); // same browser: same cookies
      await goto(other, base, '/signin');
      await other.getByRole('link', { name: T.signin_sso, exact: true }).waitFor({ timeout: 5000 });
      await other.close();
    });
    await tab.getByRole('heading', { name: T.profile_title }).waitFor({ timeout: 10000 });
  });
  await tab.context().close();

  const hr = await newPage(browser, locale);
  await check(`${lang} SSO: the HR group lands on the HR console`, async () => {
    await goto(hr, base, '/');
    await ssoSignIn(hr, issuer, T, 'hr');
    await hr.getByRole('heading', { name: T.hr_title }).waitFor({ timeout: 10000 });
    assert(new URL(hr.url()).pathname === '/hr', `landed on ${hr.url()}`);
    await hr.getByRole('link', { name: T.nav_employees }).click();
    await hr.getByText(people.ada.email).first().waitFor({ timeout: 10000 });
  });
  await check(`${lang} SSO: HR's writes through the UI work with the session cookie`, async () => {
    const name = `SSO badge ${lang}`;
    await hr.getByRole('link', { name: T.nav_badges }).click();
    await hr.getByRole('heading', { name: T.badges_title }).waitFor();
    await byLabel(hr, T.badge_slug).fill(`sso_${lang}_${Date.now() % 100000}`);
    await byLabel(hr, T.badge_name).fill(name);
    await byLabel(hr, T.badge_desc).fill('Signed in with the company account');
    await byLabel(hr, T.badge_criteria).fill('Three sessions given');
    await hr.getByRole('button', { name: T.create, exact: true }).click();
    await hr.getByRole('heading', { name, exact: true }).waitFor({ timeout: 10000 });
  });
  await hr.context().close();

  const stranger = await newPage(browser, locale);
  await check(`${lang} SSO: an unknown employee sees a translated error in the app, not JSON`, async () => {
    await goto(stranger, base, '/');
    await ssoSignIn(stranger, issuer, T, 'stranger');
    await stranger.getByTestId('sso-error').waitFor({ timeout: 10000 });
    const ct = await stranger.evaluate(() => document.contentType);
    assert(ct === 'text/html', `the browser shows ${ct}`);
    const text = await stranger.getByRole('alert').first().textContent();
    assert(text === T.sso_err_unknown, `error shown: ${text}`);
    assert(new URL(stranger.url()).pathname === '/signin' && !stranger.url().includes('sso_error'), `URL: ${stranger.url()}`);
    assert(!(await sessionCookie(stranger)), 'a session cookie was set');
  });
  const seen = pageProblems.get(stranger); // the provider's own pages answer for themselves
  seen.splice(0, seen.length, ...seen.filter((m) => !m.includes(issuer)));
  await pageChecks(stranger, 'sso-refused', lang);
  await check(`${lang} SSO: each refusal code is explained once; an unknown one is named, not trusted`, async () => {
    await goto(stranger, base, '/signin?sso_error=sso_provider_unavailable');
    assert(await stranger.getByTestId('sso-error').textContent() === T.sso_err_unavailable, 'provider unavailable');
    await stranger.reload();
    await stranger.getByRole('link', { name: T.signin_sso, exact: true }).waitFor();
    assert(await stranger.getByTestId('sso-error').count() === 0, 'the error is shown again after a reload');
    await goto(stranger, base, '/signin?sso_error=sso_code_refused');
    assert(await stranger.getByTestId('sso-error').textContent() === T.sso_err_other.replace('{code}', 'sso_code_refused'), 'other code');
    await goto(stranger, base, '/signin?sso_error=%3Cb%3Ex%3C%2Fb%3E');
    assert(await stranger.getByTestId('sso-error').textContent() === T.sso_err_other.replace('{code}', '?'), 'garbage code');
  });
  await stranger.context().close();
}

// The SSO world: the provider with an employee, an HR person and a stranger; tandemd with SSO (its
// sign-up closed) and the employee imported by HR beforehand.
async function ssoWorld(world, tag) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const people = {
    ada: { email: `ada-${tag}@example.com`, email_verified: true, name: 'Ada Lovelace' },
    hr: { email: `grace-${tag}@example.com`, email_verified: true, name: 'Grace Hopper', groups: ['staff', 'tandem-hr'] },
    stranger: { email: `stranger-${tag}@example.com`, email_verified: true, name: 'Some Stranger' },
  };
  // tandemd's default post-logout redirect URI, registered at the provider
  const provider = await startProvider(`${base}/v1/auth/callback`, people, `${base}/signin?signed_out=1`);
  Object.assign(world, { provider, base, issuer: provider.issuer, people });
  const secret = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-web-oidc-')), 'secret');
  fs.writeFileSync(secret, SSO_SECRET + '\n', { mode: 0o644 });
  world.secretDir = path.dirname(secret);
  world.srv = await startTandemd({ port, name: 'tandemd-sso', args: (b) => ['--oidc-issuer', provider.issuer,
    '--oidc-client-id', SSO_CLIENT, '--oidc-client-secret-file', secret, '--oidc-redirect-uri', `${b}/v1/auth/callback`,
    '--oidc-hr-claim', 'groups', '--oidc-hr-value', 'tandem-hr'] });
  const hrToken = createHr(world.srv.state);
  const r = await fetch(`${base}/v1/employees/import?mode=partial`, { method: 'POST',
    headers: { Authorization: `Bearer ${hrToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ employees: [{ employee_id: `W-${tag}`, email: people.ada.email, display_name: people.ada.name,
      department: 'Digital', site: 'Lyon', timezone: 'Europe/Paris', languages: ['en', 'fr'] }] }) });
  assert(r.ok, `HR import: ${r.status} ${await r.text()}`);
  const closed = await fetch(`${base}/v1/employees`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: people.stranger.email, display_name: 'X', department: 'X', timezone: 'UTC', languages: ['en'], role: 'mentor' }) });
  assert(closed.status === 403, `sign-up with SSO should be closed: ${closed.status}`);
}

// Compressed JavaScript of the first load (sign-in page), as served: under 200 KB.
async function firstLoadSize(browser, base) {
  const page = await newPage(browser, 'en-US');
  const raw = [];
  page.on('request', (r) => { if (r.resourceType() === 'script') raw.push(r.url()); });
  await goto(page, base, '/');
  let gz = 0;
  for (const u of raw) {
    const res = await fetch(u, { headers: { 'Accept-Encoding': 'gzip' } });
    const buf = Buffer.from(await res.arrayBuffer()); // fetch decodes: the length header is as sent
    gz += res.headers.get('content-encoding') === 'gzip' ? Number(res.headers.get('content-length')) : zlib.gzipSync(buf, { level: 9 }).length;
  }
  console.log(`first load JavaScript: ${raw.length} file(s), ${gz} bytes compressed (limit ${JS_LIMIT})`);
  await page.context().close();
  assert(gz < JS_LIMIT, `${gz} bytes`);
}

// ---- HR's page for one employee (/hr/employees/{id}, GET /v1/employees/{id}/overview) ------------
// A mentor and a manager set up through the API, a round solved and published, one session logged
// by the manager and confirmed by the mentor; returns them with the pair's id.
async function overviewCompany(base, hr) {
  const tag = `${Date.now() % 1000000}`;
  const slot = { day: 'thu', start: '14:00', end: '15:00' };
  const mentor = await apiPerson(base, { role: 'mentor', department: `OvMentors-${tag}`, display_name: `Overview mentor ${tag}`, leaderboard_opt_in: true });
  const manager = await apiPerson(base, { role: 'mentee', department: `OvManagers-${tag}`, display_name: `Overview manager ${tag}` });
  ok(await call(base, 'PUT', '/v1/me/teaching', { token: mentor.token, json: { skills: [{ skill: 'linkedin', level: 5 }] } }), 200, 'teaching');
  ok(await call(base, 'PUT', '/v1/me/learning', { token: manager.token, json: { goals: [{ skill: 'linkedin', current_level: 1, priority: 1 }] } }), 200, 'learning');
  for (const p of [mentor, manager]) ok(await call(base, 'PUT', '/v1/me/availability', { token: p.token, json: { slots: [slot] } }), 200, 'availability');
  const day = 864e5;
  const round = ok(await call(base, 'POST', '/v1/rounds', { token: hr, json: { name: `Overview ${tag}`,
    filter: { departments: [mentor.employee.department, manager.employee.department], sites: [] },
    starts_on: isoDay(new Date(Date.now() - 30 * day)), ends_on: isoDay(new Date(Date.now() + 90 * day)) } }), 202, 'round');
  await publishWhenSolved(base, hr, round.id);
  const pair = ok(await call(base, 'GET', '/v1/me/pairs', { token: manager.token }), 200, 'pairs').items[0];
  const when = new Date(Date.now() - 2 * day).toISOString().replace(/\.\d+Z$/, 'Z');
  const s = ok(await call(base, 'POST', `/v1/pairs/${pair.pair_id}/sessions`, { token: manager.token,
    json: { occurred_at: when, duration_minutes: 90, skills: ['linkedin'], note: 'private', rating: 4 } }), 201, 'session');
  ok(await call(base, 'POST', `/v1/sessions/${s.id}/confirm`, { token: mentor.token }), 200, 'confirm');
  // a leaver, deprovisioned by the identity provider (SCIM): deactivated, not deleted
  const leaver = await apiPerson(base, { role: 'mentor', department: `OvLeavers-${tag}`, display_name: `Overview leaver ${tag}` });
  ok(await call(base, 'PATCH', `/scim/v2/Users/${leaver.employee.id}`, { token: hr, type: 'application/scim+json',
    raw: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }] }) }), 200, 'deactivation');
  return { mentor, manager, leaver, pairId: pair.pair_id, round };
}

async function employeePage(browser, base, hrToken, co, lang) {
  const T = dictionaries[lang];
  const hr = await newPage(browser, lang === 'fr' ? 'fr-FR' : 'en-US');
  const ov = ok(await call(base, 'GET', `/v1/employees/${co.manager.employee.id}/overview`, { token: hrToken }), 200, 'overview');
  await check(`${lang} HR employee page: reached from the directory's row`, async () => {
    assert(ov.pairs.length === 1 && ov.pairs[0].confirmed_sessions === 1 && ov.pairs[0].hours === 1.5, JSON.stringify(ov));
    await signInWithToken(hr, base, T, hrToken);
    await hr.getByRole('heading', { name: T.hr_title }).waitFor();
    await hr.getByRole('link', { name: T.nav_employees }).click();
    await hr.getByRole('heading', { name: T.emp_title }).waitFor();
    await byLabel(hr, T.department).fill(co.manager.employee.department);
    await hr.getByRole('button', { name: T.apply }).click();
    await hr.getByTestId('employees').getByRole('link', { name: co.manager.employee.display_name }).click();
    await hr.getByRole('heading', { level: 1, name: co.manager.employee.display_name }).waitFor();
    assert(new URL(hr.url()).pathname === `/hr/employees/${co.manager.employee.id}`, hr.url());
  });
  await check(`${lang} HR employee page: the pair, its status and sessions as the API gives them`, async () => {
    const table = hr.getByTestId('emp-pairs');
    const caption = norm(await table.locator('caption').textContent());
    assert(caption === norm(fill(T.emp_pairs_caption, { name: co.manager.employee.display_name })), `caption: ${caption}`);
    const row = table.locator(`tr[data-pair="${co.pairId}"]`);
    assert(await cellText(row, 'status') === norm(T.emp_status_active), `status: ${await cellText(row, 'status')}`);
    assert(await cellText(row, 'confirmed') === nf(lang, 1), 'confirmed sessions');
    assert(await cellText(row, 'hours') === norm(nf(lang, 1.5, 2)), `hours: ${await cellText(row, 'hours')}`);
    assert(await cellText(row, 'rating') === norm(nf(lang, 4, 1)), 'average rating');
    assert((await cellText(row, 'partner')).startsWith(co.mentor.employee.display_name), 'partner');
    assert(await cellText(row, 'last') !== norm(T.emp_no_session), 'last confirmed session shown');
    const totals = hr.getByTestId('emp-totals');
    assert(await cellText(totals, 'sessions_confirmed') === nf(lang, ov.totals.sessions_confirmed), 'sessions confirmed');
    assert(await cellText(totals, 'hours_received') === norm(nf(lang, 1.5, 2)), 'hours received');
    assert(await cellText(totals, 'points') === norm(nf(lang, ov.totals.points)) && ov.totals.points > 0, 'points');
    const badges = await cellText(totals, 'badges');
    assert(ov.totals.badges.length > 0 && ov.totals.badges.every((b) => badges.includes(b.name)), `badges: ${badges}`);
    assert(ov.esn === null && await hr.getByTestId('emp-esn-none').isVisible(), 'no ESN figures for someone who gave nothing');
    assert(!(await hr.locator('main').textContent()).includes('private'), 'a session note on the page');
    assert(await hr.getByTestId('emp-left').count() === 0, 'an employee still with the company shown as a leaver');
  });
  await pageChecks(hr, 'hr-employee', lang);
  await check(`${lang} HR employee page: the partner's page, then an unknown employee`, async () => {
    await hr.getByTestId('emp-pairs').getByRole('link', { name: co.mentor.employee.display_name }).click();
    await hr.getByRole('heading', { level: 1, name: co.mentor.employee.display_name }).waitFor();
    const row = hr.getByTestId('emp-pairs').locator(`tr[data-pair="${co.pairId}"]`);
    assert((await cellText(row, 'partner')).startsWith(co.manager.employee.display_name), 'the manager as partner');
    await goto(hr, base, '/hr/employees/999999999');
    await hr.getByRole('heading', { level: 1, name: fill(T.emp_page_title_id, { id: '999999999' }) }).waitFor();
    await hr.getByRole('alert').waitFor();
  });
  await pageChecks(hr, 'hr-employee-unknown', lang);
  await check(`${lang} HR employee page: a leaver says since when`, async () => {
    const left = ok(await call(base, 'GET', `/v1/employees/${co.leaver.employee.id}/overview`, { token: hrToken }), 200,
      'overview').deactivated_at;
    assert(left, 'the leaver has no deactivated_at');
    await goto(hr, base, `/hr/employees/${co.leaver.employee.id}`);
    await hr.getByRole('heading', { level: 1, name: co.leaver.employee.display_name }).waitFor();
    const text = norm(await hr.getByTestId('emp-left').textContent());
    const [head, tail] = T.emp_left.split('{date}').map(norm);
    assert(text.startsWith(head) && text.endsWith(tail) && text.includes(left.slice(0, 4)), `leaver notice: ${text}`);
  });
  await hr.context().close();
}

async function staticHeaders(base) {
  const r = await fetch(base + '/', { headers: { 'Accept-Encoding': 'identity' } });
  const csp = r.headers.get('content-security-policy') || '';
  assert(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), `CSP: ${csp}`);
  assert(r.headers.get('cache-control') === 'no-cache', 'index.html must be revalidated');
  assert(r.headers.get('x-content-type-options') === 'nosniff', 'nosniff');
  const html = await r.text();
  const asset = html.match(/\/assets\/[^"]+\.js/)[0];
  const a = await fetch(base + asset);
  assert(/immutable/.test(a.headers.get('cache-control')), 'hashed asset immutable');
  const etag = a.headers.get('etag');
  const again = await fetch(base + asset, { headers: { 'If-None-Match': etag } });
  assert(again.status === 304, `conditional GET: ${again.status}`);
  const spa = await fetch(base + '/pairs/42');
  assert(spa.status === 200 && (await spa.text()).includes('id="app"'), 'SPA route serves index.html');
  const api404 = await fetch(base + '/v1/no-such-thing');
  assert(api404.status === 404 && (await api404.json()).code === 'not_found', 'API 404 stays JSON');
  const missing = await fetch(base + '/assets/missing.js');
  assert(missing.status === 404, 'a missing asset is 404');
}

// The parts TANDEM_WEB_ONLY may name (while working on one; CI runs everything).
const PARTS = ['sso', 'employee'];

async function main() {
  const only = process.env.TANDEM_WEB_ONLY;
  let srv, browser, sso;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    await check('strings: the English and French dictionaries have the same keys', () => {
      const en = Object.keys(dictionaries.en), fr = new Set(Object.keys(dictionaries.fr));
      const diff = [...en.filter((k) => !fr.has(k)).map((k) => `fr lacks ${k}`), ...[...fr].filter((k) => !(k in dictionaries.en)).map((k) => `en lacks ${k}`)];
      assert(diff.length === 0, diff.join(', '));
    });
    if (only && !PARTS.includes(only)) throw new Error(`TANDEM_WEB_ONLY=${only}: expected one of ${PARTS.join(', ')}`);
    if (!only || only === 'employee') {
      srv = await startTandemd();
      const hrToken = createHr(srv.state);
      if (!only) {
        await check('static serving: CSP, caching, validators, SPA fallback, API 404s', () => staticHeaders(srv.base));
        await check('first load under 200 KB of compressed JavaScript', () => firstLoadSize(browser, srv.base));
        await programme(browser, srv.base, hrToken, 'en');
        await programme(browser, srv.base, hrToken, 'fr');
        let company;
        await check('ESN company set up through the API (pairs, comparison managers, teams, events imported by HR)', async () => {
          company = await esnCompany(srv.base, hrToken);
        });
        if (company) for (const lang of ['en', 'fr']) await leadingByExample(browser, srv.base, hrToken, company, lang);
      }
      let co;
      await check('employee page: a pair set up through the API (round published, a session confirmed)', async () => {
        co = await overviewCompany(srv.base, hrToken);
      });
      if (co) for (const lang of ['en', 'fr']) await employeePage(browser, srv.base, hrToken, co, lang);
    }
    if (!only || only === 'sso') {
      sso = {}; // filled as it starts: whatever started is stopped below
      await ssoWorld(sso, `${Date.now() % 1000000}`);
      await singleSignOn(browser, sso, 'en');
      await singleSignOn(browser, sso, 'fr');
    }
  } catch (e) {
    failed++;
    console.log(`not ok - harness\n  ${e.stack || e}`);
  } finally {
    if (browser) await browser.close();
    if (srv) {
      srv.proc.kill('SIGTERM');
      await new Promise((r) => (srv.proc.exitCode !== null ? r() : srv.proc.on('exit', r)));
      fs.rmSync(srv.state, { recursive: true, force: true });
    }
    if (sso?.srv) {
      await stop(sso.srv.proc);
      fs.rmSync(sso.srv.state, { recursive: true, force: true });
    }
    if (sso?.provider) await stop(sso.provider.proc);
    if (sso?.secretDir) fs.rmSync(sso.secretDir, { recursive: true, force: true });
  }
  console.log(`screenshots: ${ARTIFACTS}`);
  if (failures.length) console.log(`failed: ${failures.join(' | ')}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();

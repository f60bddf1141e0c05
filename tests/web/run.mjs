// Browser tests of the web app: a whole programme through the UI only, in English and in French,
// against the real tandemd (embedded PostgreSQL) serving web/dist, driven by playwright-core in
// Debian's chromium (headless; never a downloaded browser). Every page visited is checked with
// axe-core (no serious or critical violation), for keyboard reachability and for CSP violations;
// screenshots go to $TANDEM_WEB_ARTIFACTS. Ends with "N passed, N failed".
// Environment: TANDEMD (binary), CHROMIUM (default /usr/bin/chromium), TANDEM_WEB_ARTIFACTS.
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
const TANDEMD = process.env.TANDEMD || path.join(repo, 'build/tandemd');
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

// Starts tandemd like tests/api/conftest.py's Tandemd: own port, own state dir, embedded cluster.
async function startTandemd() {
  const port = await freePort();
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-web-test-'));
  fs.chmodSync(state, 0o777);
  const base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(ARTIFACTS, 'tandemd.log'), 'w');
  const proc = spawn(TANDEMD, ['--listen', `127.0.0.1:${port}`, '--state-dir', state, '--web-dir', WEB_DIR,
    '--public-base-url', base, '--threads', '2'], { cwd: state, stdio: ['ignore', log, log] });
  const deadline = Date.now() + 120000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tandemd exited with ${proc.exitCode}; see ${ARTIFACTS}/tandemd.log`);
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
    await dragSlot(mentor, 'mon', 32, 47); // 08:00 -> 11:45 across 09:00-11:00: clamped to 08:00-09:00
    await mentor.waitForLoadState('networkidle');
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
  await check(`${lang} mentor's badge and points shown`, async () => {
    await mentor.getByRole('link', { name: T.nav_achievements }).click();
    await mentor.getByTestId('badges').waitFor();
    const points = Number((await mentor.getByTestId('points').textContent()).replace(/\D/g, ''));
    assert(points > 0, `points ${points}`);
    const img = mentor.getByTestId('badges').locator('img').first();
    assert(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'badge image did not load');
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

async function main() {
  let srv, browser;
  try {
    srv = await startTandemd();
    const hrToken = createHr(srv.state);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    await check('static serving: CSP, caching, validators, SPA fallback, API 404s', () => staticHeaders(srv.base));
    await check('first load under 200 KB of compressed JavaScript', () => firstLoadSize(browser, srv.base));
    await programme(browser, srv.base, hrToken, 'en');
    await programme(browser, srv.base, hrToken, 'fr');
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
  }
  console.log(`screenshots: ${ARTIFACTS}`);
  if (failures.length) console.log(`failed: ${failures.join(' | ')}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();

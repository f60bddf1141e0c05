// The HR console (loaded only for HR): rounds (create, watch solve, review with the why, pin,
// forbid, re-solve and see what changed, publish), employees and one employee's page, dashboard, ESN impact and givers (hresn.jsx),
// badges, webhooks.
import { useState, useEffect, useRef } from 'preact/hooks';
import { t, fmtNumber, fmtPercent, fmtDate, fmtDateTime } from './i18n.js';
import { api, download, localPath } from './api.js';
import { Field, ErrorLine, useAction, useLoad, Loading } from './ui.jsx';
import { Link, navigate } from './router.jsx';
import { BarChart } from './charts.jsx';
import { Impact, EsnGivers } from './hresn.jsx';

export default function Hr({ path }) {
  const m = path.match(/^\/hr\/rounds\/(\d+)$/);
  if (m) return <RoundReview id={Number(m[1])} />;
  const e = path.match(/^\/hr\/employees\/(\d+)$/);
  if (e) return <EmployeePage id={Number(e[1])} />;
  if (path === '/hr/employees') return <Employees />;
  if (path === '/hr/dashboard') return <Dashboard />;
  if (path === '/hr/impact') return <Impact />;
  if (path === '/hr/esn') return <EsnGivers />;
  if (path === '/hr/badges') return <Badges />;
  if (path === '/hr/webhooks') return <Webhooks />;
  return <Rounds />;
}

const statusText = (s) => t('round_status_' + s);

function Rounds() {
  const [rounds, error, reload] = useLoad(() => api('GET', '/v1/rounds'));
  const today = new Date().toISOString().slice(0, 10);
  const later = new Date(Date.now() + 180 * 864e5).toISOString().slice(0, 10);
  const [f, setF] = useState({ name: '', objective: 'max_matched_then_score', skill_gain: 1, cross_department: 4,
    overlap_per_hour: 0.5, overlap_cap_hours: 4, previously_unmatched: 2, session_minutes: 60, starts_on: today, ends_on: later,
    departments: '', max_mentors_per_team: '' });
  const act = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const create = (e) => {
    e.preventDefault();
    act.run(async () => {
      const deps = f.departments.split(',').map((s) => s.trim()).filter(Boolean);
      const body = { name: f.name, objective: f.objective, session_minutes: Number(f.session_minutes),
        starts_on: f.starts_on, ends_on: f.ends_on,
        weights: Object.fromEntries(['skill_gain', 'cross_department', 'overlap_per_hour', 'overlap_cap_hours', 'previously_unmatched'].map((k) => [k, Number(f[k])])) };
      if (deps.length) body.filter = { departments: deps };
      if (f.max_mentors_per_team) body.constraints = { max_mentors_per_team: Number(f.max_mentors_per_team) };
      const r = await api('POST', '/v1/rounds', body);
      navigate(`/hr/rounds/${r.id}`);
    });
  };
  return (
    <>
      <h1>{t('hr_title')}</h1>
      <section aria-labelledby="rounds-h">
        <h2 id="rounds-h">{t('rounds')}</h2>
        <ErrorLine error={error} />
        {!rounds ? <Loading /> : (
          <table>
            <thead><tr><th scope="col">{t('id')}</th><th scope="col">{t('round_name')}</th><th scope="col">{t('status')}</th><th scope="col">{t('starts_on')}</th></tr></thead>
            <tbody>{(rounds.items || rounds).map((r) => <tr key={r.id}><td>{r.id}</td><td><Link href={`/hr/rounds/${r.id}`}>{r.name}</Link></td><td>{statusText(r.status)}</td><td>{r.starts_on || ''}</td></tr>)}</tbody>
          </table>)}
      </section>
      <form onSubmit={create} aria-labelledby="new-h" class="card">
        <h2 id="new-h">{t('new_round')}</h2>
        <Field label={t('round_name')} required value={f.name} onInput={set('name')} />
        <Field label={t('objective')}>{(id) => (
          <select id={id} value={f.objective} onChange={set('objective')}>
            <option value="max_matched_then_score">{t('objective_max_matched_then_score')}</option>
            <option value="max_score">{t('objective_max_score')}</option>
          </select>)}</Field>
        <fieldset class="inline"><legend>{t('weights')}</legend>
          {['skill_gain', 'cross_department', 'overlap_per_hour', 'overlap_cap_hours', 'previously_unmatched'].map((k) =>
            <Field key={k} label={t('w_' + k)} type="number" min="0" step="0.1" value={f[k]} onInput={set(k)} />)}
        </fieldset>
        <div class="inline">
          <Field label={t('session_minutes')} type="number" min="15" step="15" value={f.session_minutes} onInput={set('session_minutes')} />
          <Field label={t('starts_on')} type="date" value={f.starts_on} onInput={set('starts_on')} />
          <Field label={t('ends_on')} type="date" value={f.ends_on} onInput={set('ends_on')} />
        </div>
        <Field label={t('filter_departments')} value={f.departments} onInput={set('departments')} />
        <Field label={t('max_mentors_per_team')} type="number" min="1" value={f.max_mentors_per_team} onInput={set('max_mentors_per_team')} />
        <ErrorLine error={act.error} />
        <button type="submit" disabled={act.busy}>{t('create_solve')}</button>
      </form>
      <button type="button" onClick={reload} class="link">↻</button>
    </>
  );
}

const key = (p) => `${p.mentor.id}-${p.mentee.id}`;

function RoundReview({ id }) {
  const [round, setRound] = useState(null);
  const [error, setError] = useState(null);
  const [changes, setChanges] = useState(null);
  const prev = useRef(null);
  const act = useAction();
  const [ids, setIds] = useState({ mentor_id: '', mentee_id: '' });
  const load = () => api('GET', `/v1/rounds/${id}`).then((r) => {
    setRound(r); setError(null);
    if (r.status === 'solved' && prev.current && prev.current.status !== 'solved') {
      const before = new Set(prev.current.pairs.map(key)), after = new Set(r.pairs.map(key));
      if (prev.current.pairs.length || prev.current.was) setChanges({ added: [...after].filter((k) => !before.has(k)).length, removed: [...before].filter((k) => !after.has(k)).length });
    }
    if (r.status !== 'solving' && r.status !== 'draft') prev.current = { ...r };
    else if (prev.current) prev.current.status = r.status;
  }, setError);
  useEffect(() => { load(); }, [id]);
  useEffect(() => {
    if (!round || (round.status !== 'solving')) return undefined;
    const timer = setTimeout(load, 500); // watch it solve
    return () => clearTimeout(timer);
  }, [round]);
  if (error) return <ErrorLine error={error} />;
  if (!round) return <Loading />;
  const pinned = (mentor, mentee) => round.pins.some((x) => x.mentor_id === mentor && x.mentee_id === mentee);
  const putList = (kind, list) => act.run(async () => {
    await api('PUT', `/v1/rounds/${id}/${kind}`, { [kind]: list });
    await load();
  });
  const togglePin = (p) => putList('pins', pinned(p.mentor.id, p.mentee.id)
    ? round.pins.filter((x) => !(x.mentor_id === p.mentor.id && x.mentee_id === p.mentee.id))
    : [...round.pins, { mentor_id: p.mentor.id, mentee_id: p.mentee.id }]);
  const forbid = (mentor_id, mentee_id) => putList('forbidden', [...round.forbidden, { mentor_id, mentee_id }]);
  const solve = () => act.run(async () => { prev.current = { ...(prev.current || round), was: true }; const r = await api('POST', `/v1/rounds/${id}/solve`, { keep_previous: true }); setRound({ ...round, ...r }); setTimeout(load, 300); });
  const publish = () => { if (confirm(t('publish_confirm'))) act.run(async () => { await api('POST', `/v1/rounds/${id}/publish`); await load(); }); };
  const res = round.result;
  const editable = round.status === 'solved' || round.status === 'failed' || round.status === 'draft';
  return (
    <>
      <h1>{t('review_title', { name: round.name })}</h1>
      <p role="status" data-testid="round-status">{statusText(round.status)}{res ? ` · ${t('matched', { m: res.matched, n: res.mentees })} · ${t('solve_time', { ms: fmtNumber(res.solve_ms), opt: res.optimality || res.solver_status })}` : ''}{round.error ? ` · ${round.error}` : ''}</p>
      {changes && <p data-testid="changes">{t('changes', changes)}</p>}
      <div class="toolbar">
        <button type="button" onClick={solve} disabled={act.busy || !editable}>{t('resolve')}</button>
        <button type="button" onClick={publish} disabled={act.busy || round.status !== 'solved'}>{t('publish')}</button>
      </div>
      <ErrorLine error={act.error} />
      {round.warnings?.length > 0 && <section><h2>{t('warnings')}</h2><ul>{round.warnings.map((w, i) => <li key={i}>{w.message || JSON.stringify(w)}</li>)}</ul></section>}
      <section aria-labelledby="pairs-h">
        <h2 id="pairs-h">{t('pairs')}</h2>
        <div class="scroll">
          <table data-testid="round-pairs">
            <thead><tr><th scope="col">{t('mentor')}</th><th scope="col">{t('mentee')}</th><th scope="col">{t('score')}</th><th scope="col">{t('why')}</th><th scope="col">{t('skills_to_work')}</th><th scope="col">{t('proposed_slot')}</th><th scope="col"><span class="sr">{t('pin')}</span></th></tr></thead>
            <tbody>{round.pairs.map((p) => (
              <tr key={key(p)}>
                <td>{p.mentor.display_name} <small>#{p.mentor.id} · {p.mentor.department}</small></td>
                <td>{p.mentee.display_name} <small>#{p.mentee.id} · {p.mentee.department}</small></td>
                <td>{fmtNumber(p.score, 2)}{p.pinned && <> · <strong>{t('pinned')}</strong></>}{p.kept && <> · {t('kept')}</>}</td>
                <td>{['skill_gain', 'cross_department', 'overlap', 'previously_unmatched'].map((k) => t('b_' + k, { v: fmtNumber(p.breakdown[k], 2) })).join(' + ')}</td>
                <td>{p.skills.join(', ')}</td>
                <td>{p.proposed_slot ? `${p.proposed_slot.mentee_local.day} ${p.proposed_slot.mentee_local.start}` : '—'}</td>
                <td class="row-actions">
                  <button type="button" disabled={!editable || act.busy} onClick={() => togglePin(p)}>{pinned(p.mentor.id, p.mentee.id) ? t('unpin') : t('pin')}<span class="sr"> {p.mentor.display_name} / {p.mentee.display_name}</span></button>
                  <button type="button" disabled={!editable || act.busy} onClick={() => forbid(p.mentor.id, p.mentee.id)}>{t('forbid')}<span class="sr"> {p.mentor.display_name} / {p.mentee.display_name}</span></button>
                </td>
              </tr>))}</tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="unm-h">
        <h2 id="unm-h">{t('unmatched')}</h2>
        {round.unmatched.length === 0 ? <p>{t('none')}</p> : (
          <ul data-testid="unmatched">{round.unmatched.map((u) => (
            <li key={u.mentee.id}><strong>{u.mentee.display_name}</strong> #{u.mentee.id} — {t('reason_' + u.reason)}:{' '}
              {Object.entries(u.rule_counts).filter(([, n]) => n > 0).map(([k, n]) => `${fmtNumber(n)} ${t('rc_' + k)}`).join(', ')}</li>))}</ul>)}
      </section>
      <section aria-labelledby="pins-h">
        <h2 id="pins-h">{t('pins')} / {t('forbidden')}</h2>
        <p>{t('pins')}: {round.pins.map((x) => `#${x.mentor_id}→#${x.mentee_id}`).join(', ') || '—'}</p>
        <p>{t('forbidden')}: {round.forbidden.map((x) => `#${x.mentor_id}→#${x.mentee_id}`).join(', ') || '—'}
          {round.forbidden.length > 0 && editable && <> <button type="button" onClick={() => putList('forbidden', [])}>{t('remove')}</button></>}</p>
        <form class="inline" onSubmit={(e) => e.preventDefault()} aria-label={t('add_pin_form')}>
          <Field label={t('mentor_id')} type="number" min="1" value={ids.mentor_id} onInput={(e) => setIds({ ...ids, mentor_id: e.currentTarget.value })} />
          <Field label={t('mentee_id')} type="number" min="1" value={ids.mentee_id} onInput={(e) => setIds({ ...ids, mentee_id: e.currentTarget.value })} />
          <button type="button" disabled={!editable} onClick={() => putList('pins', [...round.pins, { mentor_id: Number(ids.mentor_id), mentee_id: Number(ids.mentee_id) }])}>{t('pin')}</button>
          <button type="button" disabled={!editable} onClick={() => forbid(Number(ids.mentor_id), Number(ids.mentee_id))}>{t('forbid')}</button>
        </form>
      </section>
    </>
  );
}

function Employees() {
  const [q, setQ] = useState({ department: '', site: '', role: '', skill: '' });
  const [applied, setApplied] = useState(q);
  const [extra, setExtra] = useState([]);
  const qs = (c) => new URLSearchParams(Object.entries({ ...applied, limit: '50', ...(c ? { cursor: c } : {}) }).filter(([, v]) => v)).toString();
  const [page, error] = useLoad(() => { setExtra([]); return api('GET', `/v1/employees?${qs()}`); }, [applied]);
  const [next, setNext] = useState(null);
  useEffect(() => setNext(page?.next_cursor ?? null), [page]);
  const more = async () => { const p = await api('GET', `/v1/employees?${qs(next)}`); setExtra([...extra, ...p.items]); setNext(p.next_cursor); };
  const set = (k) => (e) => setQ({ ...q, [k]: e.currentTarget.value });
  const rows = page ? [...page.items, ...extra] : [];
  return (
    <>
      <h1>{t('emp_title')}</h1>
      <form class="inline" onSubmit={(e) => { e.preventDefault(); setApplied(q); }} aria-label={t('filters')}>
        <Field label={t('department')} value={q.department} onInput={set('department')} />
        <Field label={t('site')} value={q.site} onInput={set('site')} />
        <Field label={t('role')}>{(id) => (
          <select id={id} value={q.role} onChange={set('role')}>
            <option value="">{t('any')}</option><option value="mentor">{t('role_mentor')}</option><option value="mentee">{t('role_mentee')}</option><option value="both">{t('role_both')}</option>
          </select>)}</Field>
        <Field label={t('skill')} value={q.skill} onInput={set('skill')} />
        <button type="submit">{t('apply')}</button>
      </form>
      <ErrorLine error={error} />
      {!page ? <Loading /> : (
        <div class="scroll"><table data-testid="employees">
          <thead><tr><th scope="col">{t('id')}</th><th scope="col">{t('display_name')}</th><th scope="col">{t('email')}</th><th scope="col">{t('department')}</th><th scope="col">{t('site')}</th><th scope="col">{t('role')}</th><th scope="col">{t('consent_title')}</th></tr></thead>
          <tbody>{rows.map((e) => <tr key={e.id}><td>{e.id}</td><td><Link href={`/hr/employees/${e.id}`}>{e.display_name}</Link></td><td>{e.email}</td><td>{e.department}</td><td>{e.site}</td><td>{t('role_' + e.role)}</td><td>{e.leaderboard_opt_in ? t('yes') : t('no')}</td></tr>)}</tbody>
        </table></div>)}
      {next && <button type="button" onClick={more}>{t('more')}</button>}
    </>
  );
}

// One employee for HR (GET /v1/employees/{id}/overview): profile, pairs with their status and
// confirmed sessions, totals, and the giving score where HR already sees it (ambassador candidates).
function EmployeePage({ id }) {
  const [ov, error] = useLoad(() => api('GET', `/v1/employees/${id}/overview`), [id]);
  if (error) return (<><h1>{t('emp_page_title_id', { id })}</h1><ErrorLine error={error} /><p><Link href="/hr/employees">{t('emp_back')}</Link></p></>);
  if (!ov) return <Loading />;
  const e = ov.employee, tot = ov.totals;
  const dash = '—';
  return (
    <>
      <h1>{e.display_name}</h1>
      <p><Link href="/hr/employees">{t('emp_back')}</Link></p>
      {ov.deactivated_at && <p class="explain" data-testid="emp-left">{t('emp_left', { date: fmtDate(ov.deactivated_at) })}</p>}
      <section aria-labelledby="ep-profile-h">
        <h2 id="ep-profile-h">{t('emp_profile')}</h2>
        <dl class="person" data-testid="emp-profile">
          <dt>{t('email')}</dt><dd>{e.email}</dd>
          <dt>{t('department')}</dt><dd>{e.department}</dd>
          <dt>{t('site')}</dt><dd>{e.site || dash}</dd>
          <dt>{t('job_title')}</dt><dd>{e.job_title || dash}</dd>
          <dt>{t('emp_role')}</dt><dd>{t('role_' + e.role)}</dd>
          <dt>{t('timezone')}</dt><dd>{e.timezone}</dd>
          <dt>{t('emp_languages')}</dt><dd>{e.languages.join(', ')}</dd>
          <dt>{t('emp_manager')}</dt><dd>{e.manager_email || dash}</dd>
          <dt>{t('consent_title')}</dt><dd>{e.leaderboard_opt_in ? t('emp_consent_yes') : t('emp_consent_no')}</dd>
          <dt>{t('emp_teaches')}</dt><dd>{e.teaching.map((x) => `${x.skill} (${fmtNumber(x.level)})`).join(', ') || dash}</dd>
          <dt>{t('emp_learns')}</dt><dd>{e.learning.map((x) => `${x.skill} (${fmtNumber(x.current_level)})`).join(', ') || dash}</dd>
        </dl>
      </section>
      <section aria-labelledby="ep-totals-h">
        <h2 id="ep-totals-h">{t('emp_totals')}</h2>
        <dl class="stats" data-testid="emp-totals">
          <dt>{t('emp_sessions_confirmed')}</dt><dd data-cell="sessions_confirmed">{fmtNumber(tot.sessions_confirmed)}</dd>
          <dt>{t('hours_given')}</dt><dd data-cell="hours_given">{fmtNumber(tot.hours_given, 2)}</dd>
          <dt>{t('hours_received')}</dt><dd data-cell="hours_received">{fmtNumber(tot.hours_received, 2)}</dd>
          <dt>{t('emp_pairs_completed')}</dt><dd data-cell="pairs_completed">{fmtNumber(tot.pairs_completed)}</dd>
          <dt>{t('points')}</dt><dd data-cell="points">{fmtNumber(tot.points)}</dd>
          <dt>{t('emp_level')}</dt><dd data-cell="level">{t('level_name', { n: fmtNumber(tot.level.level), name: tot.level.name })}</dd>
          <dt>{t('badges')}</dt><dd data-cell="badges">{tot.badges.length === 0 ? t('none') : tot.badges.map((b) =>
            `${b.name} (${fmtDate(b.awarded_at)}${b.revoked ? ', ' + t('revoked') : ''})`).join(', ')}</dd>
        </dl>
      </section>
      <section aria-labelledby="ep-pairs-h">
        <h2 id="ep-pairs-h">{t('emp_pairs')}</h2>
        <p><small>{t('emp_stalled_help', { days: fmtNumber(ov.stall_days) })}</small></p>
        {ov.pairs.length === 0 ? <p>{t('emp_no_pairs')}</p> : (
          <div class="scroll"><table data-testid="emp-pairs">
            <caption>{t('emp_pairs_caption', { name: e.display_name })}</caption>
            <thead><tr><th scope="col">{t('emp_round')}</th><th scope="col">{t('emp_side')}</th><th scope="col">{t('emp_partner')}</th>
              <th scope="col">{t('status')}</th><th scope="col">{t('emp_dates')}</th><th scope="col">{t('emp_confirmed')}</th>
              <th scope="col">{t('emp_hours')}</th><th scope="col">{t('emp_last_session')}</th><th scope="col">{t('avg_rating')}</th></tr></thead>
            <tbody>{ov.pairs.map((p) => (
              <tr key={p.pair_id} data-pair={p.pair_id}>
                <td>{p.round_name}</td>
                <td>{t('emp_side_' + p.role)}</td>
                <td data-cell="partner">{p.partner ? <Link href={`/hr/employees/${p.partner.id}`}>{p.partner.display_name}</Link> : t('emp_partner_erased')}
                  {p.partner && <small> · {p.partner.department}</small>}</td>
                <td data-cell="status">{t('emp_status_' + p.status)}{p.completed && <> · {t('completed')}</>}</td>
                <td>{fmtDate(p.starts_on)} – {fmtDate(p.ends_on)}{p.ended_at && <><br /><small>{t('emp_ended_on', { date: fmtDate(p.ended_at) })}</small></>}</td>
                <td class="num" data-cell="confirmed">{fmtNumber(p.confirmed_sessions)}</td>
                <td class="num" data-cell="hours">{fmtNumber(p.hours, 2)}</td>
                <td data-cell="last">{p.last_session_at ? fmtDateTime(p.last_session_at) : t('emp_no_session')}</td>
                <td class="num" data-cell="rating">{p.average_rating == null ? dash : fmtNumber(p.average_rating, 1)}</td>
              </tr>))}</tbody>
          </table></div>)}
      </section>
      <section aria-labelledby="ep-esn-h">
        <h2 id="ep-esn-h">{t('emp_esn')}</h2>
        {ov.esn ? (
          <dl class="stats" data-testid="emp-esn">
            <dt>{t('amb_score')}</dt><dd data-cell="esn_score">{fmtNumber(ov.esn.score, 1)}</dd>
            <dt>{t('amb_why')}</dt><dd data-cell="esn_why">{Object.entries(ov.esn.parts).filter(([, n]) => n > 0)
              .map(([k, n]) => t('part_line', { part: t('part_' + k), n: fmtNumber(n) })).join(', ')}</dd>
          </dl>) : <p data-testid="emp-esn-none">{t('emp_esn_none')}</p>}
        <p><small>{t('emp_esn_privacy', { days: fmtNumber(ov.esn ? ov.esn.days : 90) })}</small></p>
      </section>
    </>
  );
}

function Dashboard() {
  const [period, setPeriod] = useState('all');
  const [stats, error] = useLoad(() => api('GET', `/v1/stats?period=${period}`), [period]);
  const [byPeriod] = useLoad(() => Promise.all(['week', 'month', 'quarter', 'all'].map((p) => api('GET', `/v1/stats?period=${p}`))), []);
  if (error) return <ErrorLine error={error} />;
  if (!stats || !byPeriod) return <Loading />;
  const depts = [...new Set(stats.rows.map((r) => r.department))];
  const sum = (d, k) => stats.rows.filter((r) => r.department === d).reduce((a, r) => a + (r[k] || 0), 0);
  const part = depts.map((d) => { const s = sum(d, 'managers_signed_up'); return s ? sum(d, 'managers_matched') / s : 0; });
  return (
    <>
      <h1>{t('dash_title')}</h1>
      <div class="inline">
        <Field label={t('period')}>{(id) => (
          <select id={id} value={period} onChange={(e) => setPeriod(e.currentTarget.value)}>
            {['week', 'month', 'quarter', 'all'].map((p) => <option value={p}>{t('period_' + p)}</option>)}
          </select>)}</Field>
        <button type="button" onClick={() => download(`/v1/stats?period=${period}&format=csv`, `tandem-stats-${period}.csv`)}>{t('export_csv')}</button>
      </div>
      <div class="charts">
        <BarChart title={t('participation')} labels={depts} values={part} format={fmtPercent} />
        <BarChart title={t('hours_by_dept')} labels={depts} values={depts.map((d) => sum(d, 'hours_given'))} />
        <BarChart title={t('sessions_by_period')} labels={['week', 'month', 'quarter', 'all'].map((p) => t('period_' + p))}
          values={byPeriod.map((s) => s.rows.reduce((a, r) => a + r.sessions_given, 0))} format={(v) => fmtNumber(v)} />
        <BarChart title={t('stalled')} labels={depts} values={depts.map((d) => sum(d, 'stalled_pairs'))} format={(v) => fmtNumber(v)} />
      </div>
      <div class="scroll"><table data-testid="stats">
        <thead><tr><th scope="col">{t('department')}</th><th scope="col">{t('site')}</th><th scope="col">{t('participation')}</th><th scope="col">{t('active_pairs')}</th><th scope="col">{t('stalled')}</th><th scope="col">{t('sessions_given')}</th><th scope="col">{t('hours_given')}</th><th scope="col">{t('avg_rating')}</th></tr></thead>
        <tbody>{stats.rows.map((r) => <tr key={r.department + r.site}><td>{r.department}</td><td>{r.site}</td><td>{r.participation_rate == null ? '—' : fmtPercent(r.participation_rate)}</td><td>{r.active_pairs}</td><td>{r.stalled_pairs}</td><td>{r.sessions_given}</td><td>{fmtNumber(r.hours_given, 1)}</td><td>{r.average_rating == null ? '—' : fmtNumber(r.average_rating, 1)}</td></tr>)}</tbody>
      </table></div>
    </>
  );
}

function Badges() {
  const [list, error, reload] = useLoad(() => api('GET', '/v1/badges'));
  const [f, setF] = useState({ slug: '', name: '', description: '', criteria_narrative: '', role: 'mentor', min: 3, color: '#1f7a4d' });
  const act = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const create = (e) => {
    e.preventDefault();
    act.run(async () => {
      await api('POST', '/v1/badges', { slug: f.slug, name: f.name, description: f.description, criteria_narrative: f.criteria_narrative,
        role: f.role, color: f.color, criteria: { all: [{ counter: f.role === 'mentee' ? 'sessions_received' : 'sessions_given', min: Number(f.min) }] } });
      reload();
    });
  };
  return (
    <>
      <h1>{t('badges_title')}</h1>
      <ErrorLine error={error} />
      {list && <ul class="badges">{(list.items || list).map((b) => (
        <li key={b.slug} class="card"><img src={localPath(`/ob/badges/${b.slug}/image.svg`)} alt="" width="56" height="56" />
          <div><h2>{b.name}</h2><p>{b.description}</p><p><em>{b.criteria_narrative}</em></p></div></li>))}</ul>}
      <form onSubmit={create} class="card" aria-labelledby="nb-h">
        <h2 id="nb-h">{t('create')}</h2>
        <Field label={t('badge_slug')} required pattern="[a-z0-9_]+" value={f.slug} onInput={set('slug')} />
        <Field label={t('badge_name')} required value={f.name} onInput={set('name')} />
        <Field label={t('badge_desc')} required value={f.description} onInput={set('description')} />
        <Field label={t('badge_criteria')} required value={f.criteria_narrative} onInput={set('criteria_narrative')} />
        <Field label={t('badge_role')}>{(id) => (
          <select id={id} value={f.role} onChange={set('role')}>
            {['mentor', 'mentee', 'any'].map((r) => <option value={r}>{t('badge_role_' + r)}</option>)}
          </select>)}</Field>
        <Field label={t('badge_min')} type="number" min="1" value={f.min} onInput={set('min')} />
        <Field label={t('badge_color')} type="color" value={f.color} onInput={set('color')} />
        <ErrorLine error={act.error} />
        <button type="submit" disabled={act.busy}>{t('create')}</button>
      </form>
    </>
  );
}

function Webhooks() {
  const [list, error, reload] = useLoad(() => api('GET', '/v1/webhooks'));
  const [f, setF] = useState({ event_type: 'badge_earned', url: '', secret: '' });
  const act = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  return (
    <>
      <h1>{t('wh_title')}</h1>
      <ErrorLine error={error || act.error} />
      {list && (
        <table>
          <thead><tr><th scope="col">{t('wh_event')}</th><th scope="col">{t('wh_url')}</th><th scope="col">{t('wh_deliveries')}</th><th scope="col">{t('date')}</th><th scope="col"><span class="sr">{t('delete')}</span></th></tr></thead>
          <tbody>{(list.items || list).map((w) => (
            <tr key={w.id}><td>{w.event_type}</td><td>{w.url}</td><td>{w.deliveries.delivered} / {w.deliveries.pending} / {w.deliveries.failed}</td><td>{fmtDateTime(w.created_at)}</td>
              <td><button type="button" onClick={() => act.run(async () => { await api('DELETE', `/v1/webhooks/${w.id}`); reload(); })}>{t('delete')}<span class="sr"> {w.url}</span></button></td></tr>))}</tbody>
        </table>)}
      <form class="card" aria-labelledby="nw-h" onSubmit={(e) => { e.preventDefault(); act.run(async () => { await api('POST', '/v1/webhooks', f); reload(); }); }}>
        <h2 id="nw-h">{t('create')}</h2>
        <Field label={t('wh_event')}>{(id) => (
          <select id={id} value={f.event_type} onChange={set('event_type')}>
            {['badge_earned', 'pair_completed', 'pair_stalled', 'session_confirmed'].map((x) => <option value={x}>{x}</option>)}
          </select>)}</Field>
        <Field label={t('wh_url')} type="url" required value={f.url} onInput={set('url')} />
        <Field label={t('wh_secret')} required minLength={16} value={f.secret} onInput={set('secret')} />
        <button type="submit" disabled={act.busy}>{t('create')}</button>
      </form>
    </>
  );
}

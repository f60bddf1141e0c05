// Points, level and badges (with Open Badges and LinkedIn links), the ledger, and the leaderboards.
import { useState } from 'preact/hooks';
import { t, fmtNumber, fmtDate, fmtDateTime, fmtPercent } from './i18n.js';
import { api, localPath } from './api.js';
import { ErrorLine, useLoad, Loading, Field } from './ui.jsx';
import { Link } from './router.jsx';

export function Achievements() {
  const [a, error] = useLoad(() => api('GET', '/v1/me/achievements'));
  const [ledger] = useLoad(() => api('GET', '/v1/me/ledger'));
  if (error) return <ErrorLine error={error} />;
  if (!a || !ledger) return <Loading />;
  const next = a.next_level;
  const span = next ? next.min_points - a.level.min_points : 1;
  const done = next ? (a.points - a.level.min_points) / span : 1;
  return (
    <>
      <h1>{t('ach_title')}</h1>
      <section class="card" aria-labelledby="lvl-h">
        <h2 id="lvl-h">{t('level_name', { n: a.level.level, name: a.level.name })}</h2>
        <p><strong data-testid="points">{fmtNumber(a.points)}</strong> {t('points')}</p>
        <progress max="1" value={done} aria-label={next ? t('next_level', { n: fmtNumber(next.min_points - a.points), name: next.name }) : t('top_level')} />
        <p>{next ? t('next_level', { n: fmtNumber(next.min_points - a.points), name: next.name }) : t('top_level')}</p>
        <p>{t('hours_given')}: {fmtNumber(a.hours_given, 1)} · {t('hours_received')}: {fmtNumber(a.hours_received, 1)}</p>
      </section>
      <section aria-labelledby="badges-h">
        <h2 id="badges-h">{t('badges')}</h2>
        {a.badges.length === 0 ? <p>{t('none')}</p> : (
          <ul class="badges" data-testid="badges">
            {a.badges.map((b) => (
              <li key={b.award_id} class="card">
                <img src={localPath(b.image_url)} alt="" width="72" height="72" />
                <div>
                  <h3>{b.name}{b.revoked && ` (${t('revoked')})`}</h3>
                  <p>{b.description}</p>
                  <p>{t('awarded_on', { date: fmtDate(b.awarded_at) })}</p>
                  <p><a href={localPath(b.assertion_url)}>{t('open_badge')}<span class="sr"> {b.name}</span></a> · <a href={b.add_to_profile_url} rel="noopener noreferrer" target="_blank">{t('add_linkedin')}<span class="sr"> {b.name}</span></a></p>
                </div>
              </li>))}
          </ul>)}
        <h2>{t('next_badges')}</h2>
        <ul>{a.next_badges.map((b) => (
          <li key={b.badge}>{b.name}: {b.criteria} <progress max="1" value={b.progress} aria-label={`${b.name} ${fmtPercent(b.progress)}`} /> {fmtPercent(b.progress)}</li>))}</ul>
      </section>
      <section aria-labelledby="ledger-h">
        <h2 id="ledger-h">{t('ledger')}</h2>
        <table>
          <thead><tr><th scope="col">{t('date')}</th><th scope="col">{t('rule')}</th><th scope="col">{t('points')}</th><th scope="col">{t('reason')}</th></tr></thead>
          <tbody>{ledger.items.map((l) => (
            <tr key={l.id}><td>{fmtDateTime(l.created_at)}</td><td>{l.rule}</td><td>{fmtNumber(l.points)}{l.capped_from != null ? ` (${t('capped', { n: l.capped_from })})` : ''}</td><td>{l.reason}</td></tr>))}</tbody>
          <tfoot><tr><th scope="row" colSpan={2}>Σ</th><td>{fmtNumber(ledger.total)}</td><td /></tr></tfoot>
        </table>
      </section>
    </>
  );
}

export function Leaderboards() {
  const [q, setQ] = useState({ board: 'mentors', period: 'week', scope: 'company' });
  const [lb, error] = useLoad(() => api('GET', `/v1/leaderboards?board=${q.board}&period=${q.period}${q.board === 'departments' ? '' : `&scope=${q.scope}`}`), [q.board, q.period, q.scope]);
  const sel = (k, opts, label) => (
    <Field label={label}>{(id) => (
      <select id={id} value={q[k]} onChange={(e) => setQ({ ...q, [k]: e.currentTarget.value })}>
        {opts.map(([v, key]) => <option value={v}>{t(key)}</option>)}
      </select>)}</Field>);
  return (
    <>
      <h1>{t('lb_title')}</h1>
      <p class="explain">{t('lb_consent')} <Link href="/profile">{t('consent_label')}</Link></p>
      <div class="inline">
        {sel('board', [['mentors', 'lb_mentors'], ['managers', 'lb_managers'], ['departments', 'lb_departments']], t('lb_title'))}
        {sel('period', [['week', 'period_week'], ['month', 'period_month'], ['quarter', 'period_quarter'], ['all', 'period_all']], t('period'))}
        {q.board !== 'departments' && sel('scope', [['company', 'scope_company'], ['department', 'scope_department'], ['site', 'scope_site']], t('scope'))}
      </div>
      <ErrorLine error={error} />
      {!lb ? <Loading /> : lb.board === 'departments' ? (
        <table data-testid="leaderboard">
          <thead><tr><th scope="col">{t('rank')}</th><th scope="col">{t('department')}</th><th scope="col">{t('headcount')}</th><th scope="col">{t('hours_given')}</th><th scope="col">{t('hours_per_head')}</th></tr></thead>
          <tbody>{lb.entries.map((e) => <tr key={e.department}><td>{e.rank}</td><td>{e.department}</td><td>{e.headcount}</td><td>{fmtNumber(e.hours_given, 1)}</td><td>{fmtNumber(e.hours_per_head, 2)}</td></tr>)}</tbody>
        </table>) : (
        <>
          {lb.me ? (
            <div class="card" data-testid="my-rank">
              <p>{t('my_rank', { points: fmtNumber(lb.me.points), rank: lb.me.rank })}</p>
              {!lb.me.on_board && <p>{t('not_on_board')}</p>}
              {lb.me.neighbours.length > 0 && <><h2>{t('neighbours')}</h2>
                <ol>{lb.me.neighbours.map((n) => <li key={n.rank + n.display_name} value={n.rank}>{n.display_name} — {fmtNumber(n.points)}</li>)}</ol></>}
            </div>) : <p>{t('no_points')}</p>}
          <table data-testid="leaderboard">
            <thead><tr><th scope="col">{t('rank')}</th><th scope="col">{t('name')}</th><th scope="col">{t('department')}</th><th scope="col">{t('points')}</th></tr></thead>
            <tbody>{lb.entries.map((e) => <tr key={e.employee_id}><td>{e.rank}</td><td>{e.display_name}</td><td>{e.department}</td><td>{fmtNumber(e.points)}</td></tr>)}</tbody>
          </table>
        </>)}
    </>
  );
}

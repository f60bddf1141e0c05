// HR, the ESN: leading by example (GET /v1/esn/impact: mentored managers, their teams and the
// comparison group before/during/after, and the difference in differences, explained), the
// ambassador candidates (GET /v1/esn/ambassadors, why in words from the weights) and ingestion.
import { useState } from 'preact/hooks';
import { t, getLang, fmtNumber, fmtPercent, fmtDateTime } from './i18n.js';
import { api } from './api.js';
import { Field, ErrorLine, useLoad, Loading } from './ui.jsx';
import { BarChart } from './charts.jsx';

const SIDES = ['managers', 'teams', 'comparison_managers', 'comparison_teams'];
const WINDOWS = ['before', 'during', 'after'];
const locale = () => (getLang() === 'fr' ? 'fr-FR' : 'en-GB');
// A change, signed (+4, −0.5, 0), through Intl for the current language.
const fmtDelta = (n, digits = 2) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, signDisplay: 'exceptZero' }).format(n);

// A window's note instead of numbers: suppressed, not over yet, or nobody; null when there are numbers.
function figureNote(fig, win, min) {
  if (fig === undefined || fig === null) return win === 'after' ? t('fig_after_pending') : t('fig_no_one');
  if (fig.suppressed) return t('fig_suppressed', { n: fmtNumber(min) });
  return null;
}

// Why a difference in differences is missing: not over yet, or a figure it needs is suppressed.
const didNote = (win, side, row) => (win === 'after' && row[side] && row[side].after === undefined ? t('did_pending') : t('did_missing'));

const groupName = (r) => (r.round_id != null ? t('impact_group_round', { name: r.group }) : r.group);

function ImpactGroup({ row, min, idx }) {
  const h = `imp-${idx}`;
  return (
    <section class="card" aria-labelledby={h} data-testid="impact-group" data-group={row.group}>
      <h2 id={h}>{groupName(row)}</h2>
      <p data-testid="mentored">{t('impact_mentored', { n: fmtNumber(row.mentored_managers) })}</p>
      <div class="scroll">
        <table data-testid="figures" class="figures">
          <caption class="sr">{groupName(row)}</caption>
          <thead><tr><th scope="col">{t('col_window')}</th><th scope="col">{t('col_epp')}</th>
            <th scope="col">{t('col_active')}</th><th scope="col">{t('col_people')}</th></tr></thead>
          {SIDES.map((s) => (
            <tbody key={s}><tr><th scope="rowgroup" colSpan={4} class="side">{t('side_' + s)}</th></tr>{WINDOWS.map((w) => {
              const fig = row[s] ? row[s][w] : undefined;
              const note = row[s] ? figureNote(fig, w, min) : t('fig_no_one');
              const c = `${s}.${w}`;
              return (
                <tr key={w}>
                  <th scope="row">{t('win_' + w)}</th>
                  {note ? <td colSpan={3} data-cell={c}>{note}</td> : (
                    <>
                      <td class="num" data-cell={`${c}.epp`}>{fmtNumber(fig.events_per_person, 2)}</td>
                      <td class="num" data-cell={`${c}.rate`}>{fmtPercent(fig.active_rate)}</td>
                      <td class="num" data-cell={`${c}.people`}>{fmtNumber(fig.people)}</td>
                    </>)}
                </tr>);
            })}</tbody>))}
        </table>
      </div>
      <h3>{t('did_title')}</h3>
      <div class="scroll">
        <table data-testid="did" class="figures">
          <thead><tr><th scope="col">{t('col_window')}</th><th scope="col">{t('col_epp')}</th>
            <th scope="col">{t('col_active_points')}</th></tr></thead>
          {['managers', 'teams'].map((s) => (
            <tbody key={s}><tr><th scope="rowgroup" colSpan={3} class="side">{t('did_side_' + s)}</th></tr>{['during', 'after'].map((w) => {
              const d = row['did_' + s]?.[w];
              const c = `did_${s}.${w}`;
              return (
                <tr key={w}>
                  <th scope="row">{t('win_' + w)}</th>
                  {d ? (
                    <>
                      <td class="num" data-cell={`${c}.epp`}>{fmtDelta(d.events_per_person)}</td>
                      <td class="num" data-cell={`${c}.rate`}>{fmtDelta(d.active_rate * 100, 1)}</td>
                    </>) : <td colSpan={2} data-cell={c}>{didNote(w, s, row)}</td>}
                </tr>);
            })}</tbody>))}
        </table>
      </div>
    </section>
  );
}

export function Impact() {
  const [by, setBy] = useState('department');
  const [imp, error] = useLoad(() => api('GET', `/v1/esn/impact?by=${by}`), [by]);
  const min = imp?.min_group ?? 5;
  const charted = imp ? imp.rows.filter((r) => r.did_managers?.during) : [];
  return (
    <>
      <h1>{t('impact_title')}</h1>
      <p>{t('impact_intro')}</p>
      <ul class="explain" data-testid="impact-help">
        <li>{t('impact_windows')}</li>
        <li>{t('impact_team')}</li>
        <li>{t('impact_comparison')}</li>
        <li>{t('impact_measures')}</li>
        <li>{t('impact_did_help')}</li>
        <li data-testid="privacy">{t('impact_privacy', { n: fmtNumber(min) })}</li>
      </ul>
      <div class="inline">
        <Field label={t('impact_by')}>{(id) => (
          <select id={id} value={by} onChange={(e) => setBy(e.currentTarget.value)}>
            <option value="department">{t('impact_by_department')}</option>
            <option value="round">{t('impact_by_round')}</option>
          </select>)}</Field>
      </div>
      <ErrorLine error={error} />
      {imp && imp.left_out > 0 && <p data-testid="left-out">{t('impact_left_out', { n: fmtNumber(min), count: fmtNumber(imp.left_out) })}</p>}
      {!imp ? <Loading /> : imp.rows.length === 0 ? <p data-testid="impact-none">{t('impact_none', { n: fmtNumber(min) })}</p> : (
        <>
          {charted.length > 0 && (
            <BarChart title={t('impact_chart')} labels={charted.map(groupName)} values={charted.map((r) => r.did_managers.during.events_per_person)}
              format={(v) => fmtDelta(v)} />)}
          {imp.rows.map((r, i) => <ImpactGroup key={`${by}-${r.round_id ?? r.group}`} row={r} min={min} idx={i} />)}
        </>)}
    </>
  );
}

// The parts that weigh, biggest first, in words ("answers accepted: 3, other departments reached: 2").
const why = (parts, weights) => Object.entries(parts)
  .filter(([k, n]) => n > 0 && (weights[k] || 0) > 0)
  .sort(([a, x], [b, y]) => y * weights[b] - x * weights[a] || (a < b ? -1 : 1))
  .map(([k, n]) => t('part_line', { part: t('part_' + k), n: fmtNumber(n) })).join(', ');

export function EsnGivers() {
  const [amb, error] = useLoad(() => api('GET', '/v1/esn/ambassadors'));
  const [w, werror] = useLoad(() => api('GET', '/v1/esn/weights'));
  const [st, serror] = useLoad(() => api('GET', '/v1/esn/status'));
  const weights = w?.weights;
  return (
    <>
      <h1>{t('esn_title')}</h1>
      <section aria-labelledby="amb-h">
        <h2 id="amb-h">{t('amb_title')}</h2>
        <ErrorLine error={error || werror} />
        {!amb || !weights ? <Loading /> : (
          <>
            <p>{t('amb_intro', { days: fmtNumber(amb.days) })}</p>
            <p><small>{t('amb_score_help', { weights: Object.entries(weights).filter(([, x]) => x > 0)
              .map(([k, x]) => t('weight_line', { part: t('part_' + k), w: fmtNumber(x, 2) })).join(', ') })}</small></p>
            {amb.items.length === 0 ? <p>{t('amb_none')}</p> : (
              <div class="scroll"><table data-testid="ambassadors">
                <thead><tr><th scope="col">{t('name')}</th><th scope="col">{t('department')}</th><th scope="col">{t('amb_role')}</th>
                  <th scope="col">{t('amb_score')}</th><th scope="col">{t('amb_why')}</th><th scope="col">{t('amb_action')}</th></tr></thead>
                <tbody>{amb.items.map((a) => (
                  <tr key={a.employee.id} data-email={a.employee.email}>
                    <td>{a.employee.display_name}</td><td>{a.employee.department}</td><td>{t('role_' + a.role)}</td>
                    <td data-cell="score">{fmtNumber(a.score, 1)}</td><td data-cell="why">{why(a.parts, weights)}</td>
                    <td><a href={`mailto:${a.employee.email}?subject=${encodeURIComponent(t('amb_subject'))}`}>{t('amb_invite', { name: a.employee.display_name })}</a></td>
                  </tr>))}</tbody>
              </table></div>)}
          </>)}
      </section>
      <section aria-labelledby="ing-h">
        <h2 id="ing-h">{t('ingest_title')}</h2>
        <p>{t('ingest_help')}</p>
        <ErrorLine error={serror} />
        {!st ? <Loading /> : (
          <dl class="stats" data-testid="ingestion">
            <dt>{t('ingest_events')}</dt><dd data-cell="events">{fmtNumber(st.events)}</dd>
            <dt>{t('ingest_ids')}</dt><dd data-cell="external_ids">{fmtNumber(st.external_ids)}</dd>
            <dt>{t('ingest_communities')}</dt><dd data-cell="communities">{fmtNumber(st.communities)}</dd>
            <dt>{t('ingest_unmatched_events')}</dt><dd data-cell="unmatched_events">{fmtNumber(st.unmatched_events)}</dd>
            <dt>{t('ingest_unmatched_actors')}</dt><dd data-cell="unmatched_actors">{fmtNumber(st.unmatched_actors)}</dd>
            <dt>{t('ingest_last')}</dt><dd data-cell="last_event_at">{st.last_event_at ? fmtDateTime(st.last_event_at) : t('ingest_never')}</dd>
            <dt>{t('ingest_received')}</dt><dd data-cell="last_received_at">{st.last_received_at ? fmtDateTime(st.last_received_at) : t('ingest_never')}</dd>
          </dl>)}
      </section>
    </>
  );
}

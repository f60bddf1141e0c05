// The employee's pairs: the list, and one pair's page (partner, shared times in both clocks,
// proposed meeting and its invitation, sessions to log / confirm / dispute, history, ending).
import { useState } from 'preact/hooks';
import { t, dayName, fmtClock, fmtDate, fmtDateTime } from './i18n.js';
import { api, download } from './api.js';
import { Field, ErrorLine, useAction, useLoad, Loading } from './ui.jsx';
import { Link } from './router.jsx';

const win = (w) => `${dayName(w.day)} ${fmtClock(w.start)}–${w.end_day && w.end_day !== w.day ? dayName(w.end_day) + ' ' : ''}${fmtClock(w.end)}`;

export function Pairs() {
  const [data, error] = useLoad(() => api('GET', '/v1/me/pairs'));
  if (error) return <ErrorLine error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <h1>{t('pairs_title')}</h1>
      {data.items.length === 0 ? <p>{t('no_pairs')}</p> : (
        <ul class="cards">
          {data.items.map((p) => (
            <li key={p.pair_id} class="card">
              <h2><Link href={`/pairs/${p.pair_id}`}>{t('pair_title', { name: p.partner?.display_name ?? '—' })}</Link></h2>
              <p>{t(p.role === 'mentor' ? 'role_in_pair_mentor' : 'role_in_pair_mentee')} {p.partner?.display_name} · {p.round_name}</p>
              <p>{p.status === 'active' ? t('active') : p.completed ? t('completed') : t('ended')}</p>
            </li>))}
        </ul>)}
    </>
  );
}

function PersonCard({ p }) {
  if (!p) return <p>—</p>;
  return (
    <dl class="person">
      <dt>{t('display_name')}</dt><dd>{p.display_name}</dd>
      <dt>{t('email')}</dt><dd><a href={`mailto:${p.email}`}>{p.email}</a></dd>
      <dt>{t('department')}</dt><dd>{p.department}{p.site ? ` · ${p.site}` : ''}</dd>
      {p.job_title && <><dt>{t('job_title')}</dt><dd>{p.job_title}</dd></>}
      <dt>{t('timezone')}</dt><dd>{p.timezone}</dd>
      <dt>{t('languages')}</dt><dd>{p.languages.join(', ')}</dd>
    </dl>
  );
}

const localNow = () => { const d = new Date(Date.now() - 60000); d.setSeconds(0, 0); return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); };

export function PairPage({ id }) {
  const [mine] = useLoad(() => api('GET', '/v1/me/pairs'), [id]);
  const [pair, pairErr, reloadPair] = useLoad(() => api('GET', `/v1/pairs/${id}`), [id]);
  const [sessions, , reloadSessions] = useLoad(() => api('GET', `/v1/pairs/${id}/sessions`), [id]);
  const [form, setForm] = useState({ occurred_at: localNow(), duration_minutes: 60, skills: [], rating: 5, note: '' });
  const [disputing, setDisputing] = useState(null);
  const [reason, setReason] = useState('');
  const [end, setEnd] = useState({ feedback: '', rating: 5 });
  const [newEnd, setNewEnd] = useState('');
  const act = useAction();
  if (pairErr) return <ErrorLine error={pairErr} />;
  const p = mine?.items.find((x) => x.pair_id === id);
  if (!pair || !sessions || !mine) return <Loading />;
  const role = p?.role;
  const partner = role === 'mentor' ? pair.mentee : pair.mentor;
  const myLocal = role === 'mentor' ? 'mentor_local' : 'mentee_local';
  const theirLocal = role === 'mentor' ? 'mentee_local' : 'mentor_local';
  const reload = () => { reloadPair(); reloadSessions(); };
  const logSession = (e) => {
    e.preventDefault();
    act.run(async () => {
      await api('POST', `/v1/pairs/${id}/sessions`, { occurred_at: new Date(form.occurred_at).toISOString(),
        duration_minutes: Number(form.duration_minutes), skills: form.skills.length ? form.skills : pair.skills.slice(0, 1),
        rating: Number(form.rating), ...(form.note ? { note: form.note } : {}) }, { 'Idempotency-Key': `ui-${id}-${form.occurred_at}` });
      reload();
    });
  };
  const decide = (sid, what) => act.run(async () => {
    await api('POST', `/v1/sessions/${sid}/${what}`, what === 'dispute' ? { reason } : undefined);
    setDisputing(null); setReason(''); reload();
  });
  const moveEnd = (e) => { e.preventDefault(); act.run(async () => { await api('PATCH', `/v1/pairs/${id}`, { ends_on: newEnd || pair.ends_on }); setNewEnd(''); reload(); }); };
  const endPair = (e) => { e.preventDefault(); act.run(async () => { await api('POST', `/v1/pairs/${id}/end`, { feedback: end.feedback || undefined, rating: Number(end.rating) }); reload(); }); };
  return (
    <>
      <h1>{t('pair_title', { name: partner?.display_name ?? '—' })}</h1>
      <p>{t(role === 'mentor' ? 'role_in_pair_mentor' : 'role_in_pair_mentee')} {partner?.display_name} ·{' '}
        {t('starts_on')} {fmtDate(pair.starts_on)} · {t('ends_on')} {fmtDate(pair.ends_on)} · {t('status')}: {pair.status === 'active' ? t('active') : pair.completed ? t('completed') : t('ended')}</p>
      <div class="columns">
        <section aria-labelledby="partner-h" class="card">
          <h2 id="partner-h">{t('partner')}</h2>
          <PersonCard p={partner} />
          <h3>{t('skills_to_work')}</h3>
          <ul>{pair.skills.map((s) => <li key={s}>{s}</li>)}</ul>
        </section>
        <section aria-labelledby="slots-h" class="card">
          <h2 id="slots-h">{t('proposed_slot')}</h2>
          {p?.proposed_slot ? (
            <>
              <p data-testid="proposed"><strong>{t('your_time')}:</strong> {win(p.proposed_slot[myLocal])}<br />
                <strong>{t('partner_time', { name: partner?.display_name })}:</strong> {win(p.proposed_slot[theirLocal])}</p>
              {!p.proposed_slot.every_week && <p>{t('every_week_no')}</p>}
              <button type="button" onClick={() => download(`/v1/me/pairs/${id}/invite.ics`, `tandem-pair-${id}.ics`)}>{t('download_invite')}</button>
            </>) : <p>{t('no_slot')}</p>}
          <h3>{t('shared_slots')}</h3>
          <table>
            <thead><tr><th scope="col">{t('your_time')}</th><th scope="col">{t('partner_time', { name: partner?.display_name })}</th></tr></thead>
            <tbody>{(p?.slots || []).map((s, i) => <tr key={i}><td>{win(s[myLocal])}</td><td>{win(s[theirLocal])}</td></tr>)}</tbody>
          </table>
        </section>
      </div>
      <section aria-labelledby="sessions-h">
        <h2 id="sessions-h">{t('sessions_title')}</h2>
        <p class="explain">{t('session_explain')}</p>
        {sessions.items.length === 0 ? <p>{t('none')}</p> : (
          <table data-testid="sessions">
            <thead><tr><th scope="col">{t('date')}</th><th scope="col">{t('duration')}</th><th scope="col">{t('skills_to_work')}</th><th scope="col">{t('rating')}</th><th scope="col">{t('status')}</th><th scope="col">{t('note')}</th></tr></thead>
            <tbody>{sessions.items.map((s) => (
              <tr key={s.id}>
                <td>{fmtDateTime(s.occurred_at)}</td><td>{s.duration_minutes}</td><td>{s.skills.join(', ')}</td><td>{s.rating}</td>
                <td>{t('status_' + s.status)}{s.dispute_reason ? ` — ${s.dispute_reason}` : ''}
                  {role === 'mentor' && s.status === 'pending' && (
                    <span class="row-actions">
                      <button type="button" onClick={() => decide(s.id, 'confirm')}>{t('confirm')}</button>
                      <button type="button" onClick={() => setDisputing(s.id)}>{t('dispute')}</button>
                    </span>)}
                  {disputing === s.id && (
                    <form onSubmit={(e) => { e.preventDefault(); decide(s.id, 'dispute'); }}>
                      <Field label={t('dispute_reason')} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
                      <button type="submit">{t('send_dispute')}</button>
                    </form>)}
                </td>
                <td>{s.note || ''}</td>
              </tr>))}</tbody>
          </table>)}
        {role === 'mentee' && pair.status === 'active' && (
          <form onSubmit={logSession} aria-labelledby="log-h" class="card">
            <h3 id="log-h">{t('log_session')}</h3>
            <Field label={t('occurred_at')} type="datetime-local" required value={form.occurred_at} onInput={(e) => setForm({ ...form, occurred_at: e.currentTarget.value })} />
            <Field label={t('duration')} type="number" min="15" max="480" step="15" required value={form.duration_minutes} onInput={(e) => setForm({ ...form, duration_minutes: e.currentTarget.value })} />
            <fieldset><legend>{t('skills_to_work')}</legend>
              {pair.skills.map((s) => <label key={s}><input type="checkbox" checked={form.skills.includes(s)}
                onChange={(e) => setForm({ ...form, skills: e.currentTarget.checked ? [...form.skills, s] : form.skills.filter((x) => x !== s) })} /> {s}</label>)}
            </fieldset>
            <Field label={t('rating')} type="number" min="1" max="5" required value={form.rating} onInput={(e) => setForm({ ...form, rating: e.currentTarget.value })} />
            <Field label={t('note')}>{(id) => <textarea id={id} value={form.note} onInput={(e) => setForm({ ...form, note: e.currentTarget.value })} />}</Field>
            <button type="submit" disabled={act.busy}>{t('log')}</button>
          </form>)}
        <ErrorLine error={act.error} />
      </section>
      <section aria-labelledby="history-h">
        <h2 id="history-h">{t('history')}</h2>
        <p>{t('sessions_title')}: {pair.confirmed_sessions} ({t('status_confirmed')})</p>
        {pair.feedback.length > 0 && <ul>{pair.feedback.map((f, i) => <li key={i}><strong>{t('feedback_from_' + f.side)}</strong>: {f.feedback} {f.rating ? `(${f.rating}/5)` : ''}</li>)}</ul>}
        {pair.ended_at && <p>{t('ended')}: {fmtDateTime(pair.ended_at)}</p>}
      </section>
      {pair.status === 'active' && (
        <section aria-labelledby="end-date-h">
          <h2 id="end-date-h">{t('end_date_title')}</h2>
          <p class="explain">{t('end_date_help')}</p>
          {pair.ends_on_changed_at && <p data-testid="end-date-changed">{t('end_date_changed', { who: t('changed_by_' + pair.ends_on_changed_by), date: fmtDateTime(pair.ends_on_changed_at) })}</p>}
          <form onSubmit={moveEnd}>
            <Field label={t('new_end_date')} type="date" required value={newEnd || pair.ends_on} onInput={(e) => setNewEnd(e.currentTarget.value)} />
            <button type="submit" disabled={act.busy}>{t('save_end_date')}</button>
          </form>
        </section>)}
      <section aria-labelledby="end-h">
        <h2 id="end-h">{t('end_title')}</h2>
        <p class="explain">{t('end_help')}</p>
        <form onSubmit={endPair}>
          <Field label={t('feedback')}>{(id) => <textarea id={id} value={end.feedback} onInput={(e) => setEnd({ ...end, feedback: e.currentTarget.value })} />}</Field>
          <Field label={t('rating')} type="number" min="1" max="5" value={end.rating} onInput={(e) => setEnd({ ...end, rating: e.currentTarget.value })} />
          <button type="submit" disabled={act.busy}>{pair.status === 'active' ? t('end') : t('save')}</button>
        </form>
      </section>
    </>
  );
}

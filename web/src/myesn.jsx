// An employee's own ESN figures (GET /v1/me/esn): activity and giving score over the last 90 days,
// and, as a mentored manager, their activity before, during and after each pair, explained.
import { t, fmtNumber, fmtDate } from './i18n.js';
import { api } from './api.js';
import { ErrorLine, useLoad, Loading } from './ui.jsx';

// Own posts and shares are in the activity table; the giving parts list what went to others.
const OWN = ['posts', 'shares'];
const KINDS = ['post', 'comment', 'reaction_given', 'answer_accepted', 'share', 'community_created', 'community_animated'];

export function MyEsn() {
  const [me, error] = useLoad(() => api('GET', '/v1/me/esn'));
  if (error) return <ErrorLine error={error} />;
  if (!me) return <Loading />;
  const a = me.activity;
  return (
    <>
      <h1>{t('my_esn_title')}</h1>
      <p class="explain">{t('my_esn_privacy')}</p>
      <section aria-labelledby="act-h">
        <h2 id="act-h">{t('my_activity', { days: fmtNumber(me.days) })}</h2>
        <p data-testid="my-events">{t('my_events', { n: fmtNumber(a.events) })}</p>
        <table>
          <tbody>{KINDS.map((k) => <tr key={k}><th scope="row">{t('kind_' + k)}</th><td>{fmtNumber(a.by_kind?.[k] || 0)}</td></tr>)}</tbody>
        </table>
      </section>
      <section aria-labelledby="giv-h">
        <h2 id="giv-h" data-testid="my-giving">{t('my_giving', { score: fmtNumber(me.giving.score, 1) })}</h2>
        <p>{t('my_giving_help')}</p>
        <ul>{Object.entries(me.giving.parts).filter(([k, n]) => n > 0 && !OWN.includes(k)).map(([k, n]) =>
          <li key={k}>{t('part_line', { part: t('part_' + k), n: fmtNumber(n) })}</li>)}</ul>
      </section>
      <section aria-labelledby="mgr-h">
        <h2 id="mgr-h">{t('my_as_manager')}</h2>
        {me.as_manager.length === 0 ? <p data-testid="my-not-mentored">{t('my_not_mentored')}</p> : (
          <>
            <p>{t('my_windows_help')}</p>
            {me.as_manager.map((p) => (
              <div key={p.pair_id} class="scroll">
                <table data-testid={`my-pair-${p.pair_id}`}>
                  <caption>{t('my_pair_line', { id: p.pair_id, date: fmtDate(p.starts_on), days: fmtNumber(p.window_days) })}</caption>
                  <thead><tr><th scope="col">{t('win_before')}</th><th scope="col">{t('win_during')}</th><th scope="col">{t('win_after')}</th></tr></thead>
                  <tbody><tr>
                    <td data-win="before">{t('my_events', { n: fmtNumber(p.before.events) })}</td>
                    <td data-win="during">{t('my_events', { n: fmtNumber(p.during.events) })}</td>
                    <td data-win="after">{p.after ? t('my_events', { n: fmtNumber(p.after.events) }) : t('fig_after_pending')}</td>
                  </tr></tbody>
                </table>
              </div>))}
          </>)}
      </section>
    </>
  );
}

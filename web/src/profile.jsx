// The employee's profile (fields, skills taught and wanted, leaderboard consent) and the weekly
// availability grid.
import { useState, useRef, useEffect } from 'preact/hooks';
import { t, dayName, fmtClock, fmtNumber } from './i18n.js';
import { api, auth, download } from './api.js';
import { Field, ErrorLine, useAction, useLoad, Loading } from './ui.jsx';
import { navigate } from './router.jsx';

const skillName = (skills, slug) => skills?.find((s) => s.slug === slug)?.name || slug;

// One editable list of skills (teaching or learning) with its level words.
function SkillList({ kind, items, setItems, skills }) {
  const isTeach = kind === 'teaching';
  const levels = isTeach ? [1, 2, 3, 4, 5] : [0, 1, 2, 3, 4, 5];
  const free = skills.filter((s) => !items.some((i) => i.skill === s.slug));
  const upd = (idx, k, v) => setItems(items.map((it, j) => (j === idx ? { ...it, [k]: Number(v) } : it)));
  const add = (slug) => slug && setItems([...items, isTeach ? { skill: slug, level: 3 } : { skill: slug, current_level: 0, priority: 2 }]);
  return (
    <>
      <ul class="skills">
        {items.map((it, idx) => (
          <li key={it.skill}>
            <strong>{skillName(skills, it.skill)}</strong>
            <label>{isTeach ? t('level') : t('current_level')}{' '}
              <select value={isTeach ? it.level : it.current_level} onChange={(e) => upd(idx, isTeach ? 'level' : 'current_level', e.currentTarget.value)}>
                {levels.map((l) => <option value={l}>{t((isTeach ? 'teach_level_' : 'learn_level_') + l)}</option>)}
              </select>
            </label>
            {!isTeach && (
              <label>{t('priority')}{' '}
                <select value={it.priority} onChange={(e) => upd(idx, 'priority', e.currentTarget.value)}>
                  {[1, 2, 3].map((p) => <option value={p}>{t('priority_' + p)}</option>)}
                </select>
              </label>)}
            <button type="button" onClick={() => setItems(items.filter((_, j) => j !== idx))}>{t('remove')} <span class="sr">{skillName(skills, it.skill)}</span></button>
          </li>))}
      </ul>
      <Field label={t('add_skill')}>{(id) => (
        <select id={id} value="" onChange={(e) => add(e.currentTarget.value)} data-testid={`add-${kind}`}>
          <option value="">—</option>
          {free.map((s) => <option value={s.slug}>{s.name}</option>)}
        </select>)}</Field>
    </>
  );
}

export function Profile({ me, onChange }) {
  const [skills] = useLoad(() => api('GET', '/v1/skills').then((r) => r.items || r.skills || r), []);
  const [f, setF] = useState({ display_name: me.display_name, department: me.department, site: me.site || '',
    job_title: me.job_title || '', timezone: me.timezone, languages: me.languages.join(', '),
    role: me.role, mentor_capacity: me.mentor_capacity, leaderboard_opt_in: me.leaderboard_opt_in });
  const [teaching, setTeaching] = useState(me.teaching);
  const [learning, setLearning] = useState(me.learning);
  const act = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const save = (e) => {
    e.preventDefault();
    act.run(async () => {
      await api('PATCH', '/v1/me', { ...f, mentor_capacity: Number(f.mentor_capacity),
        languages: f.languages.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) });
      if (f.role !== 'mentee') await api('PUT', '/v1/me/teaching', { skills: teaching });
      if (f.role !== 'mentor') await api('PUT', '/v1/me/learning', { goals: learning });
      onChange();
    });
  };
  const erase = () => {
    if (!confirm(t('erase_confirm'))) return;
    act.run(async () => { await api('DELETE', '/v1/me'); auth.clear(); location.assign('/signin'); });
  };
  if (!skills) return <Loading />;
  return (
    <form onSubmit={save}>
      <h1>{t('profile_title')}</h1>
      <div class="columns">
        <section aria-labelledby="who-h">
          <h2 id="who-h">{me.email}</h2>
          <Field label={t('display_name')} required value={f.display_name} onInput={set('display_name')} />
          <Field label={t('department')} required value={f.department} onInput={set('department')} />
          <Field label={t('site')} value={f.site} onInput={set('site')} />
          <Field label={t('job_title')} value={f.job_title} onInput={set('job_title')} />
          <Field label={t('timezone')} required value={f.timezone} onInput={set('timezone')} />
          <Field label={t('languages')} help={t('languages_help')} value={f.languages} onInput={set('languages')} />
          <Field label={t('role')}>{(id) => (
            <select id={id} value={f.role} onChange={set('role')}>
              <option value="mentor">{t('role_mentor')}</option>
              <option value="mentee">{t('role_mentee')}</option>
              <option value="both">{t('role_both')}</option>
            </select>)}</Field>
          {f.role !== 'mentee' && <Field label={t('mentor_capacity')} type="number" min="1" max="3" value={f.mentor_capacity} onInput={set('mentor_capacity')} />}
          <fieldset>
            <legend>{t('consent_title')}</legend>
            <label><input type="checkbox" name="consent" checked={f.leaderboard_opt_in} onChange={set('leaderboard_opt_in')} aria-describedby="consent-help" /> {t('consent_label')}</label>
            <small id="consent-help">{t('consent_help')}</small>
          </fieldset>
        </section>
        <div>
          <p class="explain">{t('levels_explained')}</p>
          {f.role !== 'mentee' && <section aria-labelledby="teach-h"><h2 id="teach-h">{t('teaching_title')}</h2>
            <SkillList kind="teaching" items={teaching} setItems={setTeaching} skills={skills} /></section>}
          {f.role !== 'mentor' && <section aria-labelledby="learn-h"><h2 id="learn-h">{t('learning_title')}</h2>
            <SkillList kind="learning" items={learning} setItems={setLearning} skills={skills} /></section>}
        </div>
      </div>
      <ErrorLine error={act.error} />
      {act.done && <p role="status">{t('saved')}</p>}
      <button type="submit" disabled={act.busy}>{t('save')}</button>
      <section aria-labelledby="data-h">
        <h2 id="data-h">{t('erase_title')}</h2>
        <button type="button" onClick={() => download('/v1/me/export', 'tandem-export.json')}>{t('export')}</button>{' '}
        <button type="button" class="danger" onClick={erase}>{t('erase')}</button>
      </section>
    </form>
  );
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const toQ = (hhmm) => { const [h, m] = hhmm.split(':').map(Number); return h * 4 + m / 15; };
const toHHMM = (q) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;

// Whether [s, e) on day overlaps one of slots (touching is fine).
const overlaps = (slots, day, s, e) => slots.some((x) => x.day === day && toQ(x.start) < e && s < toQ(x.end));

export function Availability({ me }) {
  const [slots, setSlots] = useState(null);
  const [night, setNight] = useState(false);
  const [drag, setDrag] = useState(null); // {day, from, to} in quarter hours
  const [form, setForm] = useState({ day: 'mon', start: '09:00', end: '10:00' });
  const [formErr, setFormErr] = useState(null);
  const act = useAction();
  const gridRef = useRef(null);
  useEffect(() => { api('GET', '/v1/me/availability').then((r) => setSlots(r.slots)); }, []);

  const first = night ? 0 : 24; // 06:00
  const last = night ? 96 : 88; // 22:00
  const save = (next) => { setSlots(next); act.run(() => api('PUT', '/v1/me/availability', { slots: next }).then((r) => setSlots(r.slots))); };
  // The dragged range, clamped so it never runs into an existing slot.
  const clamp = (d) => {
    let lo = Math.min(d.from, d.to), hi = Math.max(d.from, d.to) + 1;
    for (const x of slots.filter((x) => x.day === d.day)) {
      const s = toQ(x.start), e = toQ(x.end);
      if (d.from >= s && d.from < e) return null;
      if (e <= d.from && e > lo) lo = e;
      if (s > d.from && s < hi) hi = s;
    }
    return { day: d.day, lo, hi };
  };
  const cellAt = (x, y) => document.elementFromPoint(x, y)?.closest?.('[data-q]');
  const down = (e) => {
    const c = e.target.closest('[data-q]');
    if (!c || e.button !== 0) return;
    e.preventDefault();
    setDrag({ day: c.dataset.day, from: Number(c.dataset.q), to: Number(c.dataset.q) });
  };
  useEffect(() => {
    if (!drag) return undefined;
    const move = (e) => { const c = cellAt(e.clientX, e.clientY); if (c && c.dataset.day === drag.day) setDrag({ ...drag, to: Number(c.dataset.q) }); };
    const up = () => {
      const r = clamp(drag);
      setDrag(null);
      if (r && r.hi > r.lo) save([...slots, { day: r.day, start: toHHMM(r.lo), end: toHHMM(r.hi) }]);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    return () => { window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up); };
  }, [drag, slots]);

  if (!slots) return <Loading />;
  const pending = drag && clamp(drag);
  const removeSlot = (x) => save(slots.filter((y) => y !== x));
  const addForm = (e) => {
    e.preventDefault();
    const s = toQ(form.start), en = form.end === '24:00' ? 96 : toQ(form.end);
    if (en <= s) return setFormErr(t('slot_order'));
    if (overlaps(slots, form.day, s, en)) return setFormErr(t('slot_overlap'));
    setFormErr(null);
    save([...slots, { day: form.day, start: form.start, end: toHHMM(en) === '24:00' ? '24:00' : form.end }]);
  };
  const times = []; for (let q = 0; q <= 96; q++) times.push(toHHMM(q));
  const rows = []; for (let q = first; q < last; q++) rows.push(q);
  const total = slots.reduce((a, x) => a + (toQ(x.end) - toQ(x.start)) / 4, 0);
  return (
    <>
      <h1>{t('avail_title')}</h1>
      <p>{t('avail_help', { tz: me.timezone })}</p>
      <label><input type="checkbox" checked={night} onChange={(e) => setNight(e.currentTarget.checked)} /> {t('show_night')}</label>
      <div class="grid-wrap">
        <div class="grid" ref={gridRef} onPointerDown={down} aria-hidden="true" data-testid="avail-grid">
          <div class="gh" />
          {DAYS.map((d) => <div class="gh" key={d}>{dayName(d).slice(0, 3)}</div>)}
          {rows.map((q) => (
            <>
              <div class="gt">{q % 4 === 0 ? fmtClock(toHHMM(q)) : ''}</div>
              {DAYS.map((d) => {
                const slot = slots.find((x) => x.day === d && toQ(x.start) <= q && q < toQ(x.end));
                const sel = pending && pending.day === d && q >= pending.lo && q < pending.hi;
                return <div key={d} data-day={d} data-q={slot ? undefined : q} class={`gc${q % 4 === 0 ? ' hr' : ''}${slot ? ' on' : ''}${sel ? ' sel' : ''}`}
                  onClick={slot ? () => removeSlot(slot) : undefined} />;
              })}
            </>))}
        </div>
      </div>
      <section aria-labelledby="slots-h">
        <h2 id="slots-h">{t('slots_list')}</h2>
        <p>{t('hours_total', { h: fmtNumber(total, 2) })}</p>
        <ul data-testid="slots">
          {slots.map((x) => (
            <li key={x.day + x.start}>{dayName(x.day)} {fmtClock(x.start)}–{fmtClock(x.end)}{' '}
              <button type="button" aria-label={t('remove_slot', { day: dayName(x.day), start: x.start, end: x.end })} onClick={() => removeSlot(x)}>{t('remove')}</button></li>))}
        </ul>
        <form onSubmit={addForm} class="inline">
          <Field label={t('day')}>{(id) => <select id={id} value={form.day} onChange={(e) => setForm({ ...form, day: e.currentTarget.value })}>{DAYS.map((d) => <option value={d}>{dayName(d)}</option>)}</select>}</Field>
          <Field label={t('start')}>{(id) => <select id={id} value={form.start} onChange={(e) => setForm({ ...form, start: e.currentTarget.value })}>{times.slice(0, 96).map((x) => <option value={x}>{x}</option>)}</select>}</Field>
          <Field label={t('end')}>{(id) => <select id={id} value={form.end} onChange={(e) => setForm({ ...form, end: e.currentTarget.value })}>{times.slice(1).map((x) => <option value={x}>{x}</option>)}</select>}</Field>
          <button type="submit">{t('add_slot')}</button>
        </form>
        {formErr && <p class="error" role="alert">{formErr}</p>}
        <ErrorLine error={act.error} />
        {act.done && <p role="status">{t('saved')}</p>}
      </section>
    </>
  );
}

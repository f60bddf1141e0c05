// Small shared pieces: a data-loading hook, an error line, labelled fields.
import { useEffect, useState, useCallback } from 'preact/hooks';
import { t } from './i18n.js';

// Loads fn() on mount and whenever deps change; returns [data, error, reload].
export function useLoad(fn, deps = []) {
  const [state, setState] = useState({ data: null, error: null });
  const load = useCallback(() => {
    fn().then((data) => setState({ data, error: null }), (error) => setState({ data: null, error }));
  }, deps);
  useEffect(load, [load]);
  return [state.data, state.error, load];
}

export const ErrorLine = ({ error }) =>
  error ? <p class="error" role="alert">{t('error', { msg: error.message + (error.field ? ` (${error.field})` : '') })}</p> : null;

export const Loading = () => <p aria-live="polite">{t('loading')}</p>;

let seq = 0;
// A label + input pair with a stable id; extra props go to the input.
export function Field({ label, help, children, ...props }) {
  const [id] = useState(() => `f${++seq}`);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children ? children(id) : <input id={id} aria-describedby={help ? id + 'h' : undefined} {...props} />}
      {help && <small id={id + 'h'}>{help}</small>}
    </div>
  );
}

// Runs an async action, tracking busy and error state for a form.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  const run = async (fn) => {
    setBusy(true); setError(null); setDone(false);
    try { const r = await fn(); setDone(true); return r; } catch (e) { setError(e); return undefined; } finally { setBusy(false); }
  };
  return { busy, error, done, run };
}

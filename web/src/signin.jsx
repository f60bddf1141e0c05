// Sign in with the company account (single sign-on), sign up (creates an employee, returns a token;
// hidden when sign-up is closed) or sign in with a token (employee or HR).
import { useEffect, useState } from 'preact/hooks';
import { t, getLang } from './i18n.js';
import { api, auth, signInMethods, whoami, hasSession, signOut } from './api.js';
import { Field, ErrorLine, useAction } from './ui.jsx';

// The error code tandemd's sign-in routes send a browser back with (/signin?sso_error=...), in words.
const ssoMessages = {
  sso_unknown_employee: 'sso_err_unknown', sso_denied: 'sso_err_denied', sso_state_invalid: 'sso_err_expired',
  invalid_parameter: 'sso_err_expired', sso_no_email: 'sso_err_email', sso_email_unverified: 'sso_err_email',
  sso_provider_unavailable: 'sso_err_unavailable', sso_deactivated: 'sso_err_deactivated',
};
const ssoMessage = (code) => (ssoMessages[code] ? t(ssoMessages[code])
  : t('sso_err_other', { code: /^[a-z_]{1,40}$/.test(code) ? code : '?' }));

export function SignIn({ onSignedIn, expired }) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const [f, setF] = useState({ email: '', display_name: '', department: '', site: '', job_title: '',
    timezone: tz, languages: navigator.language?.slice(0, 2) === 'fr' ? 'fr, en' : 'en', manager_email: '',
    role: 'mentor', mentor_capacity: 1, leaderboard_opt_in: false });
  const [token, setToken] = useState('');
  const [issued, setIssued] = useState(null);
  const [methods, setMethods] = useState({ sso: false, signup: true });
  useEffect(() => { signInMethods().then(setMethods); }, []);
  const [ssoError] = useState(() => new URLSearchParams(location.search).get('sso_error'));
  // back from the identity provider's logout page (its post_logout_redirect_uri)
  const [signedOut] = useState(() => new URLSearchParams(location.search).get('signed_out') === '1');
  // shown once: a reload or a bookmark of the page does not repeat it
  useEffect(() => { if (ssoError || signedOut) history.replaceState(null, '', location.pathname); }, []);
  // the session cookie is still here but the server no longer knows it (revoked from another
  // device, expired): the company account may still be signed in at the provider, so offer to end it
  const [dead, setDead] = useState(() => !auth.token() && hasSession());
  const endProvider = async () => { const to = await signOut(); setDead(false); if (to) location.assign(to); };
  const up = useAction(), inn = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });

  const signUp = (e) => {
    e.preventDefault();
    up.run(async () => {
      const body = { ...f, languages: f.languages.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean),
        mentor_capacity: Number(f.mentor_capacity) };
      for (const k of ['site', 'job_title', 'manager_email']) if (!body[k]) delete body[k];
      const r = await api('POST', '/v1/employees', body);
      auth.set(r.token);
      setIssued(r.token);
    });
  };
  const signIn = (e) => {
    e.preventDefault();
    inn.run(async () => {
      auth.set(token.trim());
      if (!(await whoami())) { auth.clear(); throw new Error(t('bad_token')); }
      onSignedIn();
    });
  };
  if (issued) {
    return (
      <section>
        <h1>{t('signin_title')}</h1>
        <p>{t('your_token')}</p>
        <p><code class="token" data-testid="issued-token">{issued}</code></p>
        <button type="button" onClick={onSignedIn}>{t('signin')}</button>
      </section>
    );
  }
  return (
    <>
      <h1>{t('signin_title')}</h1>
      <p>{t('tagline')}</p>
      {expired && <p class="error" role="alert" data-testid="expired">{t('session_expired')}</p>}
      {ssoError && <p class="error" role="alert" data-testid="sso-error">{ssoMessage(ssoError)}</p>}
      {signedOut && !ssoError && <p role="status" data-testid="signed-out">{t('signed_out')}</p>}
      {/* the provider's login page in the app's language (tandemd passes it on as ui_locales) */}
      {methods.sso && <p><a class="button" href={`/v1/auth/login?ui_locales=${getLang()}`} data-testid="sso">{t('signin_sso')}</a></p>}
      {methods.sso && dead && <p>{t('sso_dead_session')}{' '}
        <button type="button" data-testid="sso-sign-out" onClick={endProvider}>{t('sso_sign_out_provider')}</button></p>}
      <div class="columns">
        {methods.signup && <section aria-labelledby="signup-h">
          <h2 id="signup-h">{t('signup_title')}</h2>
          <p>{t('signup_intro')}</p>
          <form onSubmit={signUp}>
            <Field label={t('email')} type="email" required autocomplete="email" value={f.email} onInput={set('email')} />
            <Field label={t('display_name')} required autocomplete="name" value={f.display_name} onInput={set('display_name')} />
            <Field label={t('department')} required value={f.department} onInput={set('department')} />
            <Field label={t('site')} value={f.site} onInput={set('site')} />
            <Field label={t('job_title')} value={f.job_title} onInput={set('job_title')} />
            <Field label={t('timezone')} required value={f.timezone} onInput={set('timezone')} />
            <Field label={t('languages')} help={t('languages_help')} required value={f.languages} onInput={set('languages')} />
            <Field label={t('manager_email')} type="email" value={f.manager_email} onInput={set('manager_email')} />
            <Field label={t('role')}>{(id) => (
              <select id={id} value={f.role} onChange={set('role')}>
                <option value="mentor">{t('role_mentor')}</option>
                <option value="mentee">{t('role_mentee')}</option>
                <option value="both">{t('role_both')}</option>
              </select>)}</Field>
            {f.role !== 'mentee' && <Field label={t('mentor_capacity')} type="number" min="1" max="3" value={f.mentor_capacity} onInput={set('mentor_capacity')} />}
            <fieldset>
              <legend>{t('consent_title')}</legend>
              <label><input type="checkbox" checked={f.leaderboard_opt_in} onChange={set('leaderboard_opt_in')} aria-describedby="consent-help" /> {t('consent_label')}</label>
              <small id="consent-help">{t('consent_help')}</small>
            </fieldset>
            <ErrorLine error={up.error} />
            <button type="submit" disabled={up.busy}>{t('signup')}</button>
          </form>
        </section>}
        <section aria-labelledby="token-h">
          <h2 id="token-h">{t('token_title')}</h2>
          <form onSubmit={signIn}>
            <Field label={t('token_label')} help={t('token_help')} required autocomplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
            <ErrorLine error={inn.error} />
            <button type="submit" disabled={inn.busy}>{t('signin')}</button>
          </form>
        </section>
      </div>
    </>
  );
}

// Same-origin calls to Tandem's JSON API. Who the caller is lives in one place (auth): a bearer
// token kept in localStorage, or else the single sign-on session cookie (HttpOnly, sent with
// credentials: 'same-origin'), whose writes carry the CSRF value of the tandem_csrf cookie.
const KEY = 'tandem.token';

export const auth = {
  token: () => localStorage.getItem(KEY),
  set: (tok) => localStorage.setItem(KEY, tok),
  clear: () => localStorage.removeItem(KEY),
};

// The CSRF value tandemd sets beside a single sign-on session (readable by the page on purpose).
const csrf = () => document.cookie.split('; ').find((c) => c.startsWith('tandem_csrf='))?.slice(12) || '';

// True when the session cookie is there (the HttpOnly one is invisible; its CSRF twin is not).
export const hasSession = () => csrf() !== '';

// How people sign in here: {sso, signup} from /v1/auth/methods (which starts nothing, unlike a
// probe of /v1/auth/login that would overwrite the cookie of a sign-in under way in another tab).
export async function signInMethods() {
  try {
    const m = await api('GET', '/v1/auth/methods');
    return { sso: m.sso === true, signup: m.signup !== false };
  } catch {
    return { sso: false, signup: true };
  }
}

// Who is told when a call answers 401 (the token or session expired or was revoked while a page
// was open): the app's shell, which goes back to the sign-in page with a message. Not while signing out.
let onUnauthorized = null;
let leaving = false;
export const setUnauthorizedHandler = (fn) => { onUnauthorized = fn; };
const unauthorized = (status) => { if (status === 401 && !leaving && onUnauthorized) onUnauthorized(); };

// Signs out: revokes the single sign-on session (if any) and forgets the token. Resolves to the
// identity provider's logout URL when the session came from it and it has one (end_session_url:
// the caller navigates there so the provider's session ends too), else null.
export async function signOut() {
  leaving = true;
  let to = null;
  try {
    if (!auth.token() && hasSession()) {
      try {
        const r = await api('POST', '/v1/auth/logout');
        if (/^https?:\/\//.test(r?.end_session_url || '')) to = r.end_session_url;
      } catch { /* already gone */ }
    }
    auth.clear();
  } finally {
    leaving = false;
  }
  return to;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.field = body?.field;
  }
}

// Calls the API; resolves to parsed JSON (or text for non-JSON, null for 204); rejects with ApiError.
export async function api(method, path, body, headers = {}) {
  const h = { ...headers };
  const tok = auth.token();
  if (tok) h.Authorization = `Bearer ${tok}`;
  else if (method !== 'GET' && method !== 'HEAD' && csrf()) h['X-CSRF-Token'] = csrf();
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers: h, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    unauthorized(res.status);
    throw new ApiError(res.status, typeof data === 'object' ? data : null);
  }
  return data;
}

// Fetches an authenticated file and hands it to the browser as a download.
export async function download(path, filename) {
  const tok = auth.token();
  const res = await fetch(path, { headers: tok ? { Authorization: `Bearer ${tok}` } : {}, credentials: 'same-origin' });
  if (!res.ok) { unauthorized(res.status); throw new ApiError(res.status, null); }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Who holds the token: {kind: 'employee', me} or {kind: 'hr'}; null when signed out or invalid.
export async function whoami() {
  if (!auth.token() && !hasSession()) return null;
  try {
    return { kind: 'employee', me: await api('GET', '/v1/me') };
  } catch (e) {
    if (e.status !== 403) return null;
  }
  try {
    await api('GET', '/v1/rounds');
    return { kind: 'hr' };
  } catch {
    return null;
  }
}

// Same-origin path of an absolute link the API built with --public-base-url (images, badges).
export const localPath = (url) => {
  try { const u = new URL(url, location.href); return u.pathname + u.search; } catch { return url; }
};

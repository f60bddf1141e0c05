// The app's shell: who is signed in, the language switch, navigation and the routes.
import { render } from 'preact';
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t, getLang, setLang, onLang } from './i18n.js';
import { auth, signOut as endSession, whoami, setUnauthorizedHandler } from './api.js';
import { usePath, navigate, Link } from './router.jsx';
import { Loading } from './ui.jsx';
import { SignIn } from './signin.jsx';
import { Profile, Availability } from './profile.jsx';
import { Pairs, PairPage } from './pairs.jsx';
import { Achievements, Leaderboards } from './achievements.jsx';
import { MyEsn } from './myesn.jsx';
import './style.css';

const Hr = lazy(() => import('./hr.jsx')); // HR console and its charts: loaded only for HR

const employeeNav = [
  ['/profile', 'nav_profile'], ['/availability', 'nav_availability'], ['/pairs', 'nav_pairs'],
  ['/achievements', 'nav_achievements'], ['/leaderboards', 'nav_leaderboards'], ['/esn', 'nav_my_esn'],
];
const hrNav = [
  ['/hr', 'nav_hr'], ['/hr/employees', 'nav_employees'], ['/hr/dashboard', 'nav_dashboard'],
  ['/hr/impact', 'nav_impact'], ['/hr/esn', 'nav_esn'], ['/hr/badges', 'nav_badges'], ['/hr/webhooks', 'nav_webhooks'],
];

function App() {
  const path = usePath();
  const [, setL] = useState(getLang());
  const [who, setWho] = useState(undefined); // undefined: checking; null: signed out
  const [expired, setExpired] = useState(false); // signed out by a 401 while a page was open
  const signedIn = useRef(false);
  signedIn.current = !!who;
  useEffect(() => onLang(setL), []);
  // Any call answering 401 while signed in: the token or session is gone; back to the sign-in page.
  useEffect(() => setUnauthorizedHandler(() => {
    if (!signedIn.current) return; // a sign-in attempt with a bad token says so itself
    signedIn.current = false;
    auth.clear();
    setExpired(true);
    setWho(null);
    navigate('/signin');
  }), []);
  const refresh = () => whoami().then((w) => { if (w) setExpired(false); setWho(w); });
  useEffect(() => { refresh(); }, []);
  useEffect(() => {
    document.title = `Tandem`;
    const main = document.getElementById('main');
    if (main) main.focus({ preventScroll: true });
  }, [path]);

  if (who === undefined) return <Loading />;
  if (who === null && path !== '/signin') { navigate('/signin'); return null; }
  if (who && (path === '/' || path === '/signin')) { navigate(who.kind === 'hr' ? '/hr' : '/profile'); return null; }

  // a session from the company's identity provider ends there too: a top-level navigation to its
  // logout page, which sends the browser back to /signin?signed_out=1
  const signOut = async () => {
    const provider = await endSession();
    setWho(null);
    if (provider) location.assign(provider);
    else navigate('/signin');
  };
  const nav = who ? (who.kind === 'hr' ? hrNav : employeeNav) : [];
  let page;
  if (!who) page = <SignIn onSignedIn={refresh} expired={expired} />;
  else if (who.kind === 'hr' && path.startsWith('/hr')) page = <Suspense fallback={<Loading />}><Hr path={path} /></Suspense>;
  else if (who.kind === 'employee') {
    const m = path.match(/^\/pairs\/(\d+)$/);
    if (m) page = <PairPage id={Number(m[1])} me={who.me} />;
    else if (path === '/availability') page = <Availability me={who.me} />;
    else if (path === '/pairs') page = <Pairs />;
    else if (path === '/achievements') page = <Achievements />;
    else if (path === '/leaderboards') page = <Leaderboards me={who.me} />;
    else if (path === '/esn') page = <MyEsn />;
    else page = <Profile me={who.me} onChange={refresh} />;
  } else { navigate('/hr'); return null; }

  const other = getLang() === 'fr' ? 'en' : 'fr';
  return (
    <>
      <a class="skip" href="#main">{t('skip')}</a>
      <header>
        <span class="brand" aria-hidden="true">◐◑</span> <strong>{t('app')}</strong>
        {who && (
          <nav aria-label={t('nav')}>
            <ul>{nav.map(([href, key]) => <li key={href}><Link href={href}>{t(key)}</Link></li>)}</ul>
          </nav>
        )}
        <span class="actions">
          <button type="button" lang={other} aria-label={t('lang_switch_label')} onClick={() => setLang(other)}>{t('lang_switch')}</button>
          {who && <button type="button" onClick={signOut}>{t('sign_out')}</button>}
        </span>
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app'));

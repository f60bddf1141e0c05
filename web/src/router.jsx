// The browser history as a tiny store: current path, navigate(), and a hook re-rendering on change.
import { useEffect, useState } from 'preact/hooks';

const subs = new Set();
export function navigate(path) {
  if (path !== location.pathname) history.pushState(null, '', path);
  subs.forEach((f) => f(location.pathname));
  window.scrollTo(0, 0);
}
window.addEventListener('popstate', () => subs.forEach((f) => f(location.pathname)));

export function usePath() {
  const [p, setP] = useState(location.pathname);
  useEffect(() => { subs.add(setP); return () => subs.delete(setP); }, []);
  return p;
}

// A link that navigates inside the app without reloading.
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(href);
  };
  const current = location.pathname === href ? 'page' : undefined;
  return <a href={href} onClick={onClick} aria-current={current} {...rest}>{children}</a>;
}

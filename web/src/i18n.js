// The current language, translation of the strings (strings.js) and Intl formatting.
// The language comes from the browser (navigator.languages) until the user picks one.
import { dictionaries } from './strings.js';

function initialLang() {
  const saved = localStorage.getItem('tandem.lang');
  if (saved === 'en' || saved === 'fr') return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const code = l.slice(0, 2).toLowerCase();
    if (code === 'fr' || code === 'en') return code;
  }
  return 'en';
}

let lang = initialLang();
const listeners = new Set();

export function getLang() { return lang; }
export function setLang(l) {
  lang = l;
  localStorage.setItem('tandem.lang', l);
  document.documentElement.lang = l;
  listeners.forEach((f) => f(l));
}
export function onLang(f) { listeners.add(f); return () => listeners.delete(f); }
document.documentElement.lang = lang;

// Translates key with {name} parameters; a missing key shows itself (caught by the tests).
export function t(key, params) {
  let s = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  if (params) for (const k in params) s = s.replaceAll(`{${k}}`, params[k]);
  return s;
}

const locale = () => (lang === 'fr' ? 'fr-FR' : 'en-GB');
export const fmtNumber = (n, digits = 0) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
export const fmtPercent = (n) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(n);
export const fmtDate = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
export const fmtDateTime = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
// "HH:MM" of the API shown in the locale's clock (24 h in both, but through Intl).
export const fmtClock = (hhmm) => {
  if (hhmm === '24:00') return lang === 'fr' ? '24:00' : '24:00';
  const [h, m] = hhmm.split(':').map(Number);
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' })
    .format(new Date(Date.UTC(2024, 0, 1, h, m)));
};
export const dayName = (d) => t('day_' + d);

// i18n.js - the page language: from ?lang= in the URL, else the server's
// choice from Accept-Language (/api/v1/portal/config), else the browser's.
// The choice is always written back into the URL so links and reloads keep it.
export const LANGS = ['nl', 'fr', 'en', 'de'];
const LOCALES = { nl: 'nl-BE', fr: 'fr-BE', en: 'en-GB', de: 'de-BE' };

let current = 'en';
let dict = {};
let fallback = {};

async function serverLang() {
  try {
    const r = await fetch('/api/v1/portal/config', { headers: { Accept: 'application/json' } });
    if (r.ok) return (await r.json()).lang;
  } catch (e) { /* offline or no portal API: fall through */ }
  return null;
}

async function loadDict(l) {
  const r = await fetch(`/js/i18n/${l}.json`);
  if (!r.ok) throw new Error(`no dictionary for ${l}`);
  return r.json();
}

export async function loadLang() {
  const url = new URL(location.href);
  let l = url.searchParams.get('lang');
  if (!LANGS.includes(l)) {
    l = await serverLang();
    if (!LANGS.includes(l)) l = (navigator.language || 'en').slice(0, 2);
    if (!LANGS.includes(l)) l = 'en';
    url.searchParams.set('lang', l);
    history.replaceState(history.state, '', url);
  }
  current = l;
  document.documentElement.lang = l;
  fallback = await loadDict('en');
  dict = l === 'en' ? fallback : await loadDict(l);
  return l;
}

export function lang() { return current; }
export function locale() { return LOCALES[current] || 'en-GB'; }

export function t(key, vars) {
  let s = dict[key] ?? fallback[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
  return s;
}

// A code from a codelist (procedure types, statuses, ...): its translation or the code itself.
export function tCode(group, code) {
  if (code === null || code === undefined || code === '') return t('common.unknown');
  const k = `${group}.${code}`;
  return dict[k] ?? fallback[k] ?? String(code);
}

export function applyI18n(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

// A same-site link that keeps the language.
export function href(path, params = {}) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  u.searchParams.set('lang', current);
  return u.pathname + u.search + u.hash;
}

export function fmtMoney(amount, currency = 'EUR') {
  if (typeof amount !== 'number' || !isFinite(amount)) return t('common.unknown');
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency: currency || 'EUR', maximumFractionDigits: 0 }).format(amount);
  } catch (e) {
    return `${new Intl.NumberFormat(locale()).format(amount)} ${currency}`;
  }
}

export function fmtNumber(n, digits = 0) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
}

export function fmtPercent(x) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

export function fmtDate(s) {
  if (!s) return t('common.unknown');
  const d = new Date(s);
  if (isNaN(d)) return String(s);
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
}

// common.js - what every page does first: language, translated static text,
// the language switcher (which rewrites ?lang= and reloads), links that keep
// the language, and small DOM helpers that build nodes, never markup strings.
import { loadLang, applyI18n, lang, t, href } from './i18n.js';

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

function setupLangSwitch() {
  const sel = document.getElementById('lang-select');
  if (!sel) return;
  sel.value = lang();
  sel.addEventListener('change', () => {
    const u = new URL(location.href);
    u.searchParams.set('lang', sel.value);
    location.assign(u);
  });
}

function keepLangInLinks() {
  for (const a of document.querySelectorAll('a[data-keep-lang]')) {
    const u = new URL(a.getAttribute('href'), location.origin);
    const params = Object.fromEntries(u.searchParams);
    a.setAttribute('href', href(u.pathname, params));
  }
  const here = location.pathname === '/index.html' ? '/' : location.pathname;
  for (const a of document.querySelectorAll('header.site nav a')) {
    if (new URL(a.href).pathname === here) a.setAttribute('aria-current', 'page');
  }
}

export async function initPage(titleKey) {
  await loadLang();
  applyI18n(document);
  setupLangSwitch();
  keepLangInLinks();
  if (titleKey) document.title = `${t(titleKey)} — Belfry`;
}

export function showError(node, err) {
  clear(node).append(el('p', { class: 'error', role: 'alert', text: `${t('common.error')}: ${err.message || err}` }));
}

// search.js - the search page: the form mirrors the URL (so every search
// can be bookmarked and shared), results come from /api/v1/search.
import { initPage, el, clear, showError } from './common.js';
import { t, tCode, href, fmtNumber } from './i18n.js';
import { getJSON, enc } from './api.js';
import { resultItem, pager } from './render.js';
import { PROCEDURES, CAPABILITIES, STAGES, SORTS } from './codes.js';

const FIELDS = ['q', 'buyer', 'supplier', 'procedure', 'capability', 'cpv', 'status', 'min', 'max', 'from', 'to', 'year', 'sort'];
const form = document.getElementById('search-form');

function fillSelect(id, group, codes, anyKey = 'search.any') {
  const s = document.getElementById(id);
  s.append(el('option', { value: '', text: t(anyKey) }));
  for (const c of codes) s.append(el('option', { value: c, text: tCode(group, c) }));
}

function paramsFromForm() {
  const p = new URLSearchParams();
  for (const f of FIELDS) {
    const v = form.elements[f === 'q' ? 'q' : f]?.value?.trim();
    if (v) p.set(f, v);
  }
  if (form.elements.noncompetitive.checked) p.set('noncompetitive', '1');
  if (p.get('sort') === 'relevance') p.delete('sort');
  return p;
}

function formFromURL() {
  const u = new URL(location.href);
  for (const f of FIELDS) if (form.elements[f]) form.elements[f].value = u.searchParams.get(f) || '';
  if (!form.elements.sort.value) form.elements.sort.value = 'relevance';
  form.elements.noncompetitive.checked = u.searchParams.get('noncompetitive') === '1';
  return Number(u.searchParams.get('page') || '1') || 1;
}

async function run(page) {
  const status = document.getElementById('result-status');
  const list = clear(document.getElementById('results'));
  const p = paramsFromForm();
  if (page > 1) p.set('page', String(page));
  status.textContent = t('common.loading');
  try {
    const r = await getJSON(`/api/v1/search?${p}`);
    status.textContent = !r.exact ? t('search.countCapped', { n: fmtNumber(r.total) })
      : r.total === 0 ? t('search.countNone')
        : r.total === 1 ? t('search.countOne') : t('search.count', { n: fmtNumber(r.total) });
    for (const item of r.results) list.append(resultItem(item));
    pager(document.getElementById('pages'), r.page, r.perPage, r.total, (n) => {
      const q = paramsFromForm();
      q.set('page', String(n));
      return href('/', Object.fromEntries(q));
    });
  } catch (e) {
    status.textContent = '';
    showError(list, e);
  }
}

function pushURL(p) {
  history.pushState(null, '', href('/', Object.fromEntries(p)));
}

let orgTimer = null;
function orgPicker(inputId, listId, role) {
  const input = document.getElementById(inputId);
  const list = document.getElementById(listId);
  input.addEventListener('input', () => {
    clearTimeout(orgTimer);
    const q = input.value.trim();
    if (q.length < 2) return;
    orgTimer = setTimeout(async () => {
      try {
        const r = await getJSON(`/api/v1/organisations?q=${enc(q)}&role=${role}`);
        clear(list);
        for (const o of r.organisations) list.append(el('option', { value: o.id, label: o.name || o.id }));
      } catch (e) { /* suggestions are optional */ }
    }, 250);
  });
}

async function main() {
  await initPage('search.doc');
  fillSelect('f-procedure', 'procedure', PROCEDURES);
  fillSelect('f-capability', 'capability', CAPABILITIES);
  fillSelect('f-status', 'status', STAGES);
  const sort = document.getElementById('sort');
  for (const s of SORTS) sort.append(el('option', { value: s, text: t(`search.sort.${s}`) }));
  try {
    const cfg = await getJSON('/api/v1/portal/config');
    document.getElementById('redflags-box').hidden = !cfg.redFlags;
  } catch (e) { /* no red flags without config */ }
  orgPicker('f-buyer', 'buyer-list', 'buyer');
  orgPicker('f-supplier', 'supplier-list', 'supplier');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    pushURL(paramsFromForm());
    run(1);
  });
  sort.addEventListener('change', () => form.requestSubmit());
  document.getElementById('reset').addEventListener('click', () => {
    for (const f of FIELDS) if (f !== 'q' && f !== 'sort' && form.elements[f]) form.elements[f].value = '';
    form.elements.noncompetitive.checked = false;
    form.requestSubmit();
  });
  window.addEventListener('popstate', () => run(formFromURL()));
  run(formFromURL());
}

main();

// workspace.js - the officer workspace: sign in with a bearer token (kept in
// sessionStorage, sent as Authorization: Bearer), list the officer's
// procedures with what is due next, start a procedure and publish its
// contract notice. Forms show the legal deadline computed from the rules
// table (GET /api/v1/rules) as soon as dates are entered, and the server's
// dry run (POST .../validate?step=) puts every problem next to its field
// before anything is published.
import { initPage, el, clear } from './common.js';
import { t, tCode, href, fmtDate } from './i18n.js';
import { getJSON, sendJSON, token, setToken, enc, ApiError } from './api.js';
import { PROCEDURES, CAPABILITIES, CLASSIFICATIONS, GROUNDS, CATEGORIES } from './codes.js';
import { stepSchemas, renderStep, stepBody, deadlinesText } from './stepform.js';

let limits = null;       // timeLimitsDays of the rules in force
let current = null;      // ocid whose contract notice is being prepared

const $ = (id) => document.getElementById(id);

function options(sel, codes, label) {
  clear(sel);
  for (const c of codes) sel.append(el('option', { value: c, text: label(c) }));
}

// ---- inline errors ----------------------------------------------------------

function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  const s = form.querySelector('[role="alert"]');
  if (s) s.textContent = '';
}

// issues: [{field: "/requestsDeadline", rule, message}]; returns how many were shown.
function showIssues(form, issues) {
  const summary = form.querySelector('[role="alert"]');
  const general = [];
  for (const is of issues) {
    const name = String(is.field || '').replace(/^\//, '').split('/')[0];
    const input = name && form.elements[name];
    const text = is.rule ? `${is.message} (${t('ws.rule', { rule: is.rule })})` : is.message;
    const errEl = input && $(input.getAttribute('aria-describedby')?.split(' ').find((x) => x.endsWith('-err')) || '');
    if (input && errEl) {
      if (!errEl.textContent.includes(text)) errEl.textContent = errEl.textContent ? `${errEl.textContent} ${text}` : text;
      input.setAttribute('aria-invalid', 'true');
    } else {
      general.push(text);
    }
  }
  if (summary && issues.length) summary.textContent = [t('ws.errors', { n: issues.length }), ...general].join(' ');
  return issues.length;
}

function issuesOf(body) {
  if (!body) return [];
  return body.issues || body.errors || (body.error && (body.error.issues || body.error.errors)) || [];
}

function issuesFromError(e) {
  const list = issuesOf({ error: e.detail });
  if (list.length) return list;
  return [{ field: e.detail && e.detail.field, rule: e.detail && e.detail.rule, message: e.message }];
}

// ---- sign in ------------------------------------------------------------------

async function whoami() {
  const me = await getJSON('/api/v1/me', { auth: true });
  if (me.role !== 'officer') throw new ApiError(403, t('ws.notOfficer'));
  return me;
}

async function showSession(me) {
  $('signin').hidden = true;
  $('session').hidden = false;
  $('who').textContent = t('ws.signedIn', { role: tCode('ws.role', me.role), buyer: me.buyer || '?' });
  await listMine();
}

async function signIn(ev) {
  ev.preventDefault();
  const input = $('token');
  $('token-error').textContent = '';
  input.removeAttribute('aria-invalid');
  setToken(input.value.trim());
  try {
    const me = await whoami();
    input.value = '';
    await showSession(me);
  } catch (e) {
    setToken(null);
    input.setAttribute('aria-invalid', 'true');
    $('token-error').textContent = t('ws.badToken', { reason: e.message });
  }
}

function signOut() {
  setToken(null);
  location.assign(href('/workspace.html'));
}

// ---- my procedures --------------------------------------------------------------

async function listMine() {
  const box = clear($('mine'));
  let r;
  try {
    r = await getJSON('/api/v1/procedures', { auth: true });
  } catch (e) {
    box.append(el('p', { class: 'error', text: e.message }));
    return;
  }
  const items = Array.isArray(r) ? r : (r.procedures || r.results || []);
  if (!items.length) {
    box.append(el('p', { text: t('ws.noProcedures') }));
    return;
  }
  box.append(el('table', {},
    el('caption', { text: t('ws.mine') }),
    el('thead', {}, el('tr', {}, [t('proc.title'), t('ws.state'), t('ws.next'), t('ws.due'), ''].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, items.map((p) => {
      const due = p.nextDue || {};
      const canNotice = due.step === 'tender';
      return el('tr', {},
        el('th', { scope: 'row' }, el('a', { href: href('/procedure.html', { ocid: p.ocid }), text: p.title || p.ocid })),
        el('td', { text: tCode('ws.state', p.state) }),
        el('td', { text: due.step ? tCode('ws.step', due.step) : '—' }),
        el('td', { text: due.date ? fmtDate(due.date) : '—' }),
        el('td', {},
          canNotice ? el('button', { type: 'button', class: 'secondary', onclick: () => openNotice(p.ocid), text: t('ws.notice') }) : '',
          ' ',
          due.step ? el('button', { type: 'button', class: 'secondary', onclick: () => openStep(p.ocid), text: t('ws.advance') }) : ''));
    }))));
}

// ---- create ----------------------------------------------------------------------

function createBody(form) {
  const f = form.elements;
  const b = {
    title: f.title.value.trim(),
    procedure: f.procedure.value,
    mainProcurementCategory: f.mainProcurementCategory.value,
    capabilityArea: f.capabilityArea.value,
  };
  if (f.description.value.trim()) b.description = f.description.value.trim();
  if (f.estimatedValue.value !== '') b.estimatedValue = { amount: Number(f.estimatedValue.value), currency: 'EUR' };
  if (f.securityClassification.value) b.securityClassification = f.securityClassification.value;
  if (f.cpv.value.trim()) b.cpv = f.cpv.value.trim();
  if (b.procedure === 'negotiatedWithoutPublication') b.article28Ground = f.article28Ground.value;
  return b;
}

// Checks the browser can do before asking the server.
function localCreateIssues(b) {
  const is = [];
  if (!b.title) is.push({ field: '/title', message: t('ws.required', { field: t('ws.f.title') }) });
  if (!b.estimatedValue || !(b.estimatedValue.amount >= 0)) is.push({ field: '/estimatedValue', message: t('ws.required', { field: t('ws.f.value') }) });
  return is;
}

async function create(ev) {
  ev.preventDefault();
  const form = $('create-form');
  clearErrors(form);
  $('create-result').textContent = '';
  const b = createBody(form);
  if (showIssues(form, localCreateIssues(b))) return;
  try {
    const dry = await sendJSON('POST', '/api/v1/procedures/validate', b);
    if (showIssues(form, issuesOf(dry))) return;
  } catch (e) {
    showIssues(form, issuesFromError(e));
    return;
  }
  try {
    const r = await sendJSON('POST', '/api/v1/procedures', b);
    const ocid = r.ocid || (r.procedure && r.procedure.ocid);
    $('create-result').textContent = t('ws.published', { ocid });
    form.reset();
    await listMine();
    if (ocid && b.procedure !== 'negotiatedWithoutPublication') openNotice(ocid);
  } catch (e) {
    showIssues(form, issuesFromError(e));
  }
}

// ---- contract notice (step "tender") --------------------------------------------

function today() { return new Date().toISOString().slice(0, 10); }

function days(a, b) { return Math.round((Date.parse(b) - Date.parse(a)) / 86400000); }

function addDays(d, n) { return new Date(Date.parse(d) + n * 86400000).toISOString().slice(0, 10); }

function minRequestsDays(electronic, urgent) {
  const l = limits || { requests: 37, requestsElectronicReduction: 7, requestsUrgent: 15, requestsUrgentElectronic: 10 };
  if (urgent) return electronic ? l.requestsUrgentElectronic : l.requestsUrgent;
  return l.requests - (electronic ? l.requestsElectronicReduction : 0);
}

function noticeBody(form) {
  const f = form.elements;
  // A notice sent today is dated now (a bare date would be midnight, before
  // the procedure's own planning release); other days as chosen.
  const b = { requestsDeadline: f.requestsDeadline.value, electronicNotice: f.electronicNotice.checked };
  if (f.date.value && f.date.value !== today()) b.date = f.date.value;
  if (f.accelerated.checked) {
    b.accelerated = true;
    b.urgencyJustification = f.urgencyJustification.value.trim();
  }
  return b;
}

// The earliest legal deadline, shown as soon as the notice date is known,
// and an inline error if the chosen deadline is earlier.
function localNoticeIssues(form) {
  const b = { ...noticeBody(form), date: form.elements.date.value };
  const out = $('n-deadline-computed');
  out.textContent = '';
  if (!b.date) return [];
  const min = minRequestsDays(b.electronicNotice, !!b.accelerated);
  const earliest = addDays(b.date, min);
  out.textContent = t('ws.computed', { date: fmtDate(earliest), days: min });
  if (b.requestsDeadline && days(b.date, b.requestsDeadline) < min) {
    return [{ field: '/requestsDeadline', rule: 'dir2009-81/art33-min-time-requests',
      message: t('ws.localEarly', { days: days(b.date, b.requestsDeadline), min, date: fmtDate(earliest) }) }];
  }
  return [];
}

async function serverCheck(form, step) {
  const r = await sendJSON('POST', `/api/v1/procedures/${enc(current)}/validate?step=${step}`, noticeBody(form));
  const dl = r.deadlines || {};
  if (dl.requestsDeadlineEarliest) {
    const b = { date: form.elements.date.value };
    $('n-deadline-computed').textContent = t('ws.computed', { date: fmtDate(dl.requestsDeadlineEarliest), days: b.date ? days(b.date, dl.requestsDeadlineEarliest) : '?' });
  }
  return issuesOf(r);
}

// Local rules first (instant), then the server's dry run (authoritative).
let noticeSeq = 0;

async function checkNotice(form) {
  const seq = ++noticeSeq;
  const local = localNoticeIssues(form);
  let remote = [];
  try {
    remote = await serverCheck(form, 'tender');
  } catch (e) {
    remote = issuesFromError(e);
  }
  const seen = new Set(remote.map((i) => `${i.field}|${i.rule}`));
  const all = [...remote, ...local.filter((i) => !seen.has(`${i.field}|${i.rule}`))];
  if (seq === noticeSeq) { // only the latest check speaks
    clearErrors(form);
    showIssues(form, all);
  }
  return all;
}

function openNotice(ocid) {
  current = ocid;
  const form = $('notice-form');
  clearErrors(form);
  form.reset();
  $('notice-result').textContent = '';
  $('notice-ocid').textContent = ocid;
  form.elements.date.value = today();
  $('notice').hidden = false;
  localNoticeIssues(form);
  form.elements.requestsDeadline.focus();
}

async function publishNotice(ev) {
  ev.preventDefault();
  const form = $('notice-form');
  const issues = await checkNotice(form);
  if (issues.length) return;
  try {
    await sendJSON('POST', `/api/v1/procedures/${enc(current)}/tender`, noticeBody(form));
    $('notice-result').textContent = t('ws.published', { ocid: current });
    await listMine();
  } catch (e) {
    showIssues(form, issuesFromError(e));
  }
}

// ---- any other step, from the step field tables ------------------------------

let stepOcid = null;
let stepFields = {};

let stepSeq = 0;

async function stepCheck(form) {
  const seq = ++stepSeq;
  const step = $('s-step').value;
  const { body, issues } = stepBody(form, stepFields);
  if (issues.length) {
    clearErrors(form);
    showIssues(form, issues);
    return issues;
  }
  let remote = [];
  try {
    const r = await sendJSON('POST', `/api/v1/procedures/${enc(stepOcid)}/validate?step=${enc(step)}`, body);
    remote = issuesOf(r);
    $('s-deadlines').textContent = deadlinesText(r.deadlines);
  } catch (e) {
    remote = issuesFromError(e);
    if (e.detail && e.detail.deadlines) $('s-deadlines').textContent = deadlinesText(e.detail.deadlines);
  }
  if (seq === stepSeq) {
    clearErrors(form);
    showIssues(form, remote);
  }
  return remote;
}

async function chooseStep() {
  const schemas = await stepSchemas(getJSON);
  stepFields = schemas[$('s-step').value] || {};
  const form = $('step-form');
  clearErrors(form);
  $('step-result').textContent = '';
  renderStep($('step-fields'), stepFields);
  for (const c of form.querySelectorAll('input, select, textarea')) c.addEventListener('change', () => stepCheck(form));
}

async function openStep(ocid) {
  stepOcid = ocid;
  const p = await getJSON(`/api/v1/procedures/${enc(ocid)}`, { auth: true });
  const sel = $('s-step');
  options(sel, p.allowedSteps || [], (s) => tCode('ws.step', s));
  $('step-ocid').textContent = `${p.title || ocid} (${tCode('ws.state', p.state)})`;
  $('s-deadlines').textContent = deadlinesText(p.deadlines);
  $('step').hidden = false;
  if (p.nextDue && p.nextDue.step && (p.allowedSteps || []).includes(p.nextDue.step)) sel.value = p.nextDue.step;
  if (!(p.allowedSteps || []).length) $('step-result').textContent = t('ws.noStep');
  await chooseStep();
  sel.focus();
}

async function publishStep(ev) {
  ev.preventDefault();
  const form = $('step-form');
  if ((await stepCheck(form)).length) return;
  const step = $('s-step').value;
  try {
    await sendJSON('POST', `/api/v1/procedures/${enc(stepOcid)}/${enc(step)}`, stepBody(form, stepFields).body);
    $('step-result').textContent = t('ws.published', { ocid: stepOcid });
    await listMine();
    await openStep(stepOcid);
    $('step-result').textContent = t('ws.published', { ocid: stepOcid });
  } catch (e) {
    showIssues(form, issuesFromError(e));
  }
}

async function loadRules() {
  try {
    const r = await getJSON('/api/v1/rules');
    const sets = Array.isArray(r) ? r : (r.ruleSets || r.rules_sets || [r]);
    const last = sets[sets.length - 1] || {};
    limits = last.timeLimitsDays || null;
  } catch (e) { limits = null; }
}

async function main() {
  await initPage('ws.doc');
  options($('c-procedure'), PROCEDURES.slice(0, 4), (c) => tCode('procedure', c));
  options($('c-ground'), GROUNDS, (c) => c);
  options($('c-category'), CATEGORIES, (c) => t(`ws.category.${c}`));
  options($('c-capability'), CAPABILITIES, (c) => tCode('capability', c));
  options($('c-classification'), ['', ...CLASSIFICATIONS], (c) => (c ? tCode('classification', c) : t('common.none')));
  $('c-procedure').addEventListener('change', () => { $('c-ground-box').hidden = $('c-procedure').value !== 'negotiatedWithoutPublication'; });
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  $('create-form').addEventListener('submit', create);
  const nf = $('notice-form');
  nf.addEventListener('submit', publishNotice);
  $('n-check').addEventListener('click', () => checkNotice(nf));
  $('n-urgent').addEventListener('change', () => { $('n-why-box').hidden = !$('n-urgent').checked; });
  for (const name of ['date', 'requestsDeadline', 'electronicNotice', 'accelerated']) {
    nf.elements[name].addEventListener('change', () => checkNotice(nf));
  }
  $('s-step').addEventListener('change', chooseStep);
  $('step-form').addEventListener('submit', publishStep);
  $('s-check').addEventListener('click', () => stepCheck($('step-form')));
  loadRules();
  if (token()) {
    try {
      await showSession(await whoami());
    } catch (e) {
      setToken(null);
    }
  }
}

main();

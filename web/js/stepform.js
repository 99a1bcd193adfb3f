// stepform.js - a form for any lifecycle step, built from the step's field
// table (GET /api/v1/procedure-steps): one labelled control per field by
// kind (text, date, yes/no, EUR amount, choice; lists as JSON with an
// example), each with its own inline error slot. The server's dry run
// (POST .../validate?step=) fills the errors and the computed deadlines.
import { el, clear } from './common.js';
import { t, fmtDate } from './i18n.js';

let schemaCache = null;

export async function stepSchemas(getJSON) {
  if (!schemaCache) schemaCache = (await getJSON('/api/v1/procedure-steps')).steps || {};
  return schemaCache;
}

function example(items) {
  const o = {};
  for (const [k, f] of Object.entries(items || {})) {
    if (!f.required) continue;
    o[k] = f.kind === 'amount' ? { amount: 0, currency: 'EUR' } : f.kind === 'date' ? 'YYYY-MM-DD'
      : f.kind === 'organisation' ? { id: '', name: '' } : f.kind === 'enum' ? f.values[0] : '';
  }
  return JSON.stringify([o]);
}

function control(name, f) {
  const id = `s-f-${name}`;
  const desc = `${id}-help ${id}-err`;
  const common = { id, name, 'aria-describedby': desc, required: f.required || null };
  switch (f.kind) {
    case 'date': return el('input', { ...common, type: 'date' });
    case 'boolean': return el('input', { ...common, type: 'checkbox', required: null });
    case 'amount': return el('input', { ...common, type: 'number', min: '0', step: 'any' });
    case 'enum': return el('select', common, el('option', { value: '', text: '—' }), f.values.map((v) => el('option', { value: v, text: v })));
    case 'text': return el('textarea', { ...common, rows: '2', maxlength: '10000' });
    case 'string': return el('input', { ...common, maxlength: String(f.maxLength || 300) });
    default: return el('textarea', { ...common, rows: '3', 'data-json': '1', placeholder: f.kind === 'list' ? example(f.items) : f.kind === 'list of strings' ? '["/tender/value"]' : '{}' });
  }
}

// Renders the fields of one step into box.
export function renderStep(box, fields) {
  clear(box);
  for (const [name, f] of Object.entries(fields)) {
    const c = control(name, f);
    const label = el('label', { for: c.id, text: `${name}${f.required ? ' *' : ''}` });
    const help = el('p', { id: `${c.id}-help`, class: 'hint', text: f.help || '' });
    const err = el('p', { id: `${c.id}-err`, class: 'field-error' });
    box.append(f.kind === 'boolean'
      ? el('div', { class: 'field' }, el('div', { class: 'field inline' }, c, label), help, err)
      : el('div', { class: 'field' }, label, c, help, err));
  }
}

// The request body from the form; JSON fields that do not parse become issues.
export function stepBody(form, fields) {
  const body = {};
  const issues = [];
  for (const [name, f] of Object.entries(fields)) {
    const c = form.elements[name];
    if (!c) continue;
    if (f.kind === 'boolean') {
      if (c.checked) body[name] = true;
      continue;
    }
    const v = c.value.trim();
    if (v === '') continue;
    if (f.kind === 'amount') body[name] = { amount: Number(v), currency: 'EUR' };
    else if (c.dataset.json) {
      try { body[name] = JSON.parse(v); } catch (e) { issues.push({ field: `/${name}`, message: `JSON: ${e.message}` }); }
    } else body[name] = v;
  }
  return { body, issues };
}

// "requestsDeadlineEarliest: 28 Dec 2026, ..." for the deadlines a dry run computed.
export function deadlinesText(dl) {
  const parts = [];
  for (const [k, v] of Object.entries(dl || {})) {
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) parts.push(`${k}: ${fmtDate(v)}`);
  }
  return parts.length ? `${t('ws.deadlines')}: ${parts.join(' · ')}` : '';
}

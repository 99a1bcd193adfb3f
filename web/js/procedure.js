// procedure.js - one procedure: its releases in time order, each fetched and
// verified against the log in this browser (verify.js), and the compiled
// view (parties, awards, contracts, amendments, payments, documents) with
// withheld fields shown as withheld, never as a value. Contact points and
// addresses of parties are not shown (personal data).
import { initPage, el, clear, showError } from './common.js';
import { t, tCode, href, fmtDate } from './i18n.js';
import { getJSON, enc } from './api.js';
import { verifyRelease, browserIO } from './verify.js';
import { money, show, orgLink, table, isWithheld, withheldBadge } from './render.js';

const arr = (v) => (Array.isArray(v) ? v : []);

function section(id, titleKey, ...children) {
  const h = el('h3', { id: `h-${id}`, text: t(titleKey) });
  return el('section', { 'aria-labelledby': `h-${id}` }, h, ...children);
}

function facts(c) {
  const tender = c.tender || {};
  const d = tender.defence || {};
  const cpvs = [...new Set(arr(tender.items).map((i) => i.classification && i.classification.id).filter(Boolean))];
  const rows = [
    ['proc.ocid', c.ocid],
    ['proc.buyer', c.buyer ? orgLink(c.buyer.id, c.buyer.name) : t('common.unknown')],
    ['proc.procedure', d.procedure ? tCode('procedure', d.procedure) : tCode('procedure', tender.procurementMethod)],
    d.negotiatedWithoutPublicationGround ? ['proc.ground', show(d.negotiatedWithoutPublicationGround)] : null,
    ['proc.capability', d.capabilityArea ? show(d.capabilityArea, (x) => tCode('capability', x)) : t('common.unknown')],
    d.securityClassification ? ['proc.classification', show(d.securityClassification)] : null,
    ['proc.status', show(tender.status, (x) => tCode('ocds.status', x))],
    ['proc.value', money(tender.value)],
    tender.tenderPeriod ? ['proc.tenderPeriod', `${fmtDate(tender.tenderPeriod.startDate)} – ${fmtDate(tender.tenderPeriod.endDate)}`] : null,
    tender.numberOfTenderers !== undefined ? ['proc.tenderers', show(tender.numberOfTenderers)] : null,
    cpvs.length ? ['proc.cpv', cpvs.join(', ')] : null,
  ].filter(Boolean);
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of rows) dl.append(el('dt', { text: t(k) }), el('dd', {}, v));
  return el('section', { 'aria-labelledby': 'h-facts' }, el('h2', { id: 'h-facts', text: t('proc.facts') }), dl,
    tender.description ? el('p', {}, show(tender.description)) : null);
}

function partiesTable(c) {
  const rows = arr(c.parties).map((p) => [
    orgLink(p.id, p.name),
    arr(p.roles).map((r) => tCode('role', r)).join(', '),
    p.identifier ? `${p.identifier.scheme || ''} ${show(p.identifier.id)}`.trim() : (p.id || ''),
  ]);
  return rows.length ? table(t('proc.parties'), [t('proc.partyName'), t('proc.partyRoles'), t('proc.partyId')], rows) : null;
}

function awardsTable(c) {
  const rows = arr(c.awards).map((a) => [
    show(a.title || a.id), show(a.date, fmtDate), show(a.status, (x) => tCode('ocds.status', x)),
    el('span', {}, ...arr(a.suppliers).flatMap((s, i) => [i ? ', ' : '', orgLink(s.id, s.name)])),
    money(a.value),
  ]);
  return rows.length ? table(t('proc.awards'), [t('proc.title'), t('proc.date'), t('proc.status2'), t('proc.suppliers'), t('proc.amount')], rows, new Set([4])) : null;
}

function contractsTable(c) {
  const rows = arr(c.contracts).map((k) => [show(k.title || k.id), show(k.dateSigned, fmtDate), show(k.status, (x) => tCode('ocds.status', x)), money(k.value)]);
  return rows.length ? table(t('proc.contracts'), [t('proc.title'), t('proc.date'), t('proc.status2'), t('proc.amount')], rows, new Set([3])) : null;
}

function amendmentsTable(c) {
  const all = [...arr(c.tender && c.tender.amendments), ...arr(c.awards).flatMap((a) => arr(a.amendments)),
    ...arr(c.contracts).flatMap((k) => arr(k.amendments))];
  const rows = all.map((a) => [show(a.date, fmtDate), show(a.rationale), show(a.description)]);
  return rows.length ? table(t('proc.amendments'), [t('proc.date'), t('proc.rationale'), t('proc.description')], rows) : null;
}

function paymentsTable(c) {
  const rows = arr(c.contracts).flatMap((k) => arr(k.implementation && k.implementation.transactions)).map((x) => [
    show(x.date, fmtDate), money(x.value || x.amount),
    x.payer ? orgLink(x.payer.id, x.payer.name) : t('common.unknown'),
    x.payee ? orgLink(x.payee.id, x.payee.name) : t('common.unknown'),
  ]);
  return rows.length ? table(t('proc.payments'), [t('proc.date'), t('proc.amount'), t('proc.payer'), t('proc.payee')], rows, new Set([1])) : null;
}

function milestonesTable(c) {
  const all = [...arr(c.tender && c.tender.milestones), ...arr(c.contracts).flatMap((k) => arr(k.implementation && k.implementation.milestones))];
  const rows = all.map((m) => [show(m.title || m.id), show(m.type), show(m.dueDate || m.dateMet, fmtDate), show(m.status, (x) => tCode('ocds.status', x))]);
  return rows.length ? table(t('proc.milestones'), [t('proc.title'), t('proc.type'), t('proc.date'), t('proc.status2')], rows) : null;
}

function safeURL(u) {
  try {
    const x = new URL(u);
    return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null;
  } catch (e) { return null; }
}

function documentsList(c) {
  const docs = [...arr(c.planning && c.planning.documents), ...arr(c.tender && c.tender.documents),
    ...arr(c.awards).flatMap((a) => arr(a.documents)), ...arr(c.contracts).flatMap((k) => arr(k.documents))];
  if (!docs.length) return null;
  return section('documents', 'proc.documents', el('ul', {}, docs.map((d) => {
    const url = typeof d.url === 'string' ? safeURL(d.url) : null;
    const label = typeof d.title === 'string' ? d.title : (d.id || '?');
    return el('li', {}, url ? el('a', { href: url, rel: 'noopener noreferrer', text: label }) : show(d.title || d.id),
      d.documentType ? ` (${d.documentType})` : '', d.datePublished ? ` — ${fmtDate(d.datePublished)}` : '');
  })));
}

// Every withheld marker in the compiled release with its JSON pointer.
function withheldFields(v, path = '', out = []) {
  if (isWithheld(v)) out.push({ path: path || '/', m: v });
  else if (Array.isArray(v)) v.forEach((x, i) => withheldFields(x, `${path}/${i}`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) withheldFields(x, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  return out;
}

function withheldSection(c) {
  const w = withheldFields(c);
  if (!w.length) return null;
  return section('withheld', 'proc.withheld', el('p', { text: t('proc.withheldExplain') }),
    table(t('proc.withheld'), [t('proc.path'), t('proc.reason'), t('proc.disclosure')],
      w.map(({ path, m }) => [el('code', { text: path }), show(m.reason), el('span', {}, withheldBadge(m))])));
}

function timeline(rels) {
  return el('section', { 'aria-labelledby': 'h-timeline' },
    el('h2', { id: 'h-timeline', text: t('proc.timeline') }),
    el('ol', { class: 'timeline' }, rels.map((r, i) => el('li', { id: `rel-${i}` },
      el('strong', { text: arr(r.meta.tag).map((x) => tCode('tag', x)).join(', ') }), ' — ', fmtDate(r.meta.date),
      el('div', { class: 'meta' },
        el('span', { text: r.meta.id }),
        el('span', { text: t('proc.logIndex', { i: r.meta.logIndex }) }),
        el('a', { href: `/log/proof/${r.meta.logIndex}`, download: `release-${r.meta.logIndex}.tlog-proof`, text: t('proc.receipt') }),
        el('span', { class: 'rel-verdict', 'data-state': 'pending', text: t('proc.relPending') })),
      el('details', {}, el('summary', { text: t('proc.showRelease') }), el('pre', { tabindex: '0', text: JSON.stringify(r.release, null, 2) }))))));
}

function compiledView(c) {
  const parts = [partiesTable(c), awardsTable(c), contractsTable(c), amendmentsTable(c), paymentsTable(c), milestonesTable(c)]
    .filter(Boolean);
  return el('section', { 'aria-labelledby': 'h-compiled' },
    el('h2', { id: 'h-compiled', text: t('proc.compiled') }),
    withheldSection(c), ...parts, documentsList(c),
    parts.length ? null : el('p', { text: t('proc.noData') }));
}

async function verifyAll(rels) {
  const panel = document.getElementById('verify-panel');
  const verdict = document.getElementById('verdict');
  const checks = clear(document.getElementById('verify-checks'));
  const ctx = {};
  let firstFailure = null;
  panel.hidden = false;
  for (let i = 0; i < rels.length; i++) {
    const r = await verifyRelease(browserIO, ctx, rels[i].release, rels[i].meta.logIndex);
    const span = document.querySelector(`#rel-${i} .rel-verdict`);
    span.dataset.state = r.ok ? 'ok' : 'bad';
    span.className = `rel-verdict ${r.ok ? 'ok' : 'bad'}`;
    span.textContent = r.ok ? t('proc.relVerified') : t('proc.relFailed', { reason: `${t(`check.${r.failed}`)}: ${r.reason}` });
    if (!r.ok && !firstFailure) firstFailure = { id: rels[i].meta.id, ...r };
  }
  if (ctx.key) document.getElementById('verify-key').textContent = `${ctx.key.name} (${ctx.origin})`;
  if (firstFailure) {
    panel.className = 'panel verify bad';
    panel.dataset.verified = 'false';
    verdict.textContent = t('proc.notVerifiedReason', { id: firstFailure.id, check: t(`check.${firstFailure.failed}`), reason: firstFailure.reason });
    for (const c of firstFailure.checks) checks.append(el('li', { class: c.ok ? 'check-ok' : 'check-bad', text: `${c.ok ? '✓' : '✗'} ${t(`check.${c.id}`)}${c.detail ? `: ${c.detail}` : ''}` }));
  } else {
    panel.className = 'panel verify ok';
    panel.dataset.verified = 'true';
    verdict.textContent = t('proc.verified', { n: rels.length });
    for (const id of ['key', 'checkpoint', 'receipt', 'entry', 'digest', 'inclusion']) checks.append(el('li', { class: 'check-ok', text: `✓ ${t(`check.${id}`)}` }));
  }
}

async function main() {
  await initPage('proc.doc');
  const status = document.getElementById('load-status');
  const content = document.getElementById('content');
  const ocid = new URL(location.href).searchParams.get('ocid');
  if (!ocid) {
    content.append(el('p', {}, t('proc.missingOcid'), ' ', el('a', { href: href('/'), text: t('nav.search') })));
    return;
  }
  status.textContent = t('common.loading');
  let rec;
  let rels;
  try {
    rec = await getJSON(`/api/v1/records/${enc(ocid)}`);
    rels = await Promise.all(arr(rec.releases).map(async (m) => ({ meta: m, release: await getJSON(`/api/v1/releases/${enc(ocid)}/${enc(m.id)}`) })));
  } catch (e) {
    status.textContent = '';
    if (e.status === 404) content.append(el('p', { class: 'error', text: t('proc.notFound') }));
    else showError(content, e);
    return;
  }
  status.textContent = '';
  const c = rec.compiledRelease || {};
  const title = (c.tender && typeof c.tender.title === 'string' && c.tender.title) || ocid;
  document.getElementById('title').textContent = title;
  document.title = `${title} — Belfry`;
  content.append(facts(c), timeline(rels), compiledView(c));
  await verifyAll(rels);
}

main();

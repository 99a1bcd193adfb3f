// render.js - small renderers shared by the pages: a procedure summary card,
// values (withheld markers shown as withheld with reason and date, never a
// value), organisation links, tables and pagination.
import { t, tCode, href, fmtMoney, fmtDate, fmtNumber } from './i18n.js';
import { el } from './common.js';

export function isWithheld(v) {
  return v !== null && typeof v === 'object' && v.withheld === true;
}

export function withheldBadge(m) {
  return el('span', { class: 'withheld', text: t('common.withheldUntil', { reason: m.reason || '?', date: m.disclosureDate ? fmtDate(m.disclosureDate) : '?' }) });
}

// A value object {amount, currency} or a withheld marker (at any level).
export function money(v) {
  if (v === undefined || v === null) return t('common.unknown');
  if (isWithheld(v)) return withheldBadge(v);
  if (isWithheld(v.amount)) return withheldBadge(v.amount);
  return fmtMoney(v.amount, v.currency || 'EUR');
}

// Any scalar or marker as display text/node.
export function show(v, fmt) {
  if (v === undefined || v === null || v === '') return t('common.unknown');
  if (isWithheld(v)) return withheldBadge(v);
  return fmt ? fmt(v) : String(v);
}

export function orgLink(id, name) {
  if (!id) return document.createTextNode(name || t('common.unknown'));
  return el('a', { href: href('/organisation.html', { id }), text: name || id });
}

export function procLink(ocid, title) {
  return el('a', { href: href('/procedure.html', { ocid }), text: title || ocid });
}

export function resultItem(r) {
  const meta = el('div', { class: 'meta' },
    el('span', {}, `${t('search.buyerLabel')}: `, r.buyer ? orgLink(r.buyer.id, r.buyer.name) : t('common.unknown')),
    r.suppliers && r.suppliers.length
      ? el('span', {}, `${t('search.suppliersLabel')}: `, ...r.suppliers.slice(0, 5).flatMap((s, i) => [i ? ', ' : '', orgLink(s.id, s.name)]))
      : null,
    el('span', {}, `${t('search.valueLabel')}: `, r.value ? `${fmtMoney(r.value.amount, r.value.currency)} (${tCode('kind', r.value.kind)})` : t('common.unknown')),
    el('span', {}, `${t('search.updated')}: ${fmtDate(r.date)}`));
  const badges = el('div', { class: 'meta' },
    el('span', { class: 'badge', text: tCode('status', r.status) }),
    r.procedure ? el('span', { class: 'badge', text: tCode('procedure', r.procedure) }) : null,
    r.capability ? el('span', { class: 'badge', text: tCode('capability', r.capability) }) : null,
    r.cpv ? el('span', { class: 'badge', text: `CPV ${r.cpv}` }) : null,
    r.nonCompetitive ? el('span', { class: 'badge nc', text: t('search.nc') }) : null,
    typeof r.tenderers === 'number' ? el('span', { class: 'badge', text: t('search.tenderers', { n: r.tenderers }) }) : null,
    r.withheld ? el('span', { class: 'withheld', text: t('search.withheldCount', { n: r.withheld }) }) : null);
  return el('li', {},
    el('h3', {}, procLink(r.ocid, r.title)),
    r.description ? el('p', { text: r.description }) : null,
    meta, badges);
}

// rows: array of arrays of cells (text or nodes); numeric: set of column indexes.
export function table(caption, headers, rows, numeric = new Set()) {
  return el('table', {},
    el('caption', { text: caption }),
    el('thead', {}, el('tr', {}, headers.map((h, i) => el('th', { scope: 'col', class: numeric.has(i) ? 'num' : null, text: h })))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) => (i === 0
      ? el('th', { scope: 'row' }, c)
      : el('td', { class: numeric.has(i) ? 'num' : null }, c)))))));
}

// Page links: onPage(n) is called, links carry ?page= for bookmarking.
export function pager(nav, page, perPage, total, linkFor) {
  while (nav.firstChild) nav.removeChild(nav.firstChild);
  const last = Math.max(1, Math.ceil(total / perPage));
  if (last <= 1) return;
  const items = [];
  if (page > 1) items.push(el('a', { href: linkFor(page - 1), rel: 'prev', text: t('common.previous') }));
  const from = Math.max(1, page - 2);
  const to = Math.min(last, page + 2);
  for (let p = from; p <= to; p++) {
    items.push(p === page
      ? el('span', { 'aria-current': 'page', text: fmtNumber(p) })
      : el('a', { href: linkFor(p), 'aria-label': t('common.page', { n: p }), text: fmtNumber(p) }));
  }
  if (page < last) items.push(el('a', { href: linkFor(page + 1), rel: 'next', text: t('common.next') }));
  nav.append(el('ul', {}, items.map((i) => el('li', {}, i))));
}

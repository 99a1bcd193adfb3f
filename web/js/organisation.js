// organisation.js - a buyer or supplier: totals per role and its procedures.
import { initPage, el, showError } from './common.js';
import { t, href, fmtMoney, fmtNumber } from './i18n.js';
import { getJSON, enc } from './api.js';
import { resultItem, table, pager } from './render.js';

async function main() {
  await initPage('org.doc');
  const u = new URL(location.href);
  const id = u.searchParams.get('id');
  const page = Number(u.searchParams.get('page') || '1') || 1;
  const status = document.getElementById('load-status');
  const content = document.getElementById('content');
  if (!id) {
    content.append(el('p', { class: 'error', text: t('org.notFound') }));
    return;
  }
  status.textContent = t('common.loading');
  try {
    const o = await getJSON(`/api/v1/organisations/${enc(id)}?page=${page}`);
    status.textContent = '';
    document.getElementById('title').textContent = o.name;
    document.title = `${o.name} — Belfry`;
    content.append(
      el('p', {}, el('code', { text: o.id })),
      el('section', { 'aria-labelledby': 'h-totals' }, el('h2', { id: 'h-totals', text: t('org.totals') }),
        table(t('org.totals'), [t('org.roles'), t('org.count'), t('org.awarded'), t('org.nc')],
          o.roles.map((r) => [t(`org.role.${r.key}`), fmtNumber(r.count), fmtMoney(r.awarded, 'EUR'), fmtNumber(r.nonCompetitive)]),
          new Set([1, 2, 3]))),
      el('section', { 'aria-labelledby': 'h-procs' }, el('h2', { id: 'h-procs', text: `${t('org.procedures')} (${fmtNumber(o.total)})` }),
        el('ol', { class: 'results' }, o.procedures.map(resultItem))));
    pager(document.getElementById('pages'), o.page, o.perPage, o.total, (n) => href('/organisation.html', { id, page: n }));
  } catch (e) {
    status.textContent = '';
    if (e.status === 404) content.append(el('p', { class: 'error', text: t('org.notFound') }));
    else showError(content, e);
  }
}

main();

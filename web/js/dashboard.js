// dashboard.js - spending per year, capability area and procedure type with
// charts (Chart.js from /vendor/, optional) and the same figures as tables,
// which are always shown: the tables are the accessible alternative.
import { initPage, el, clear, showError } from './common.js';
import { t, tCode, fmtMoney, fmtNumber, fmtPercent, locale } from './i18n.js';
import { getJSON } from './api.js';
import { table } from './render.js';

const charts = {};

function labelOf(group, key) {
  if (group === 'year') return key === '0' ? t('common.unknown') : key;
  return tCode(group, key);
}

function statTable(caption, group, rows) {
  return table(caption, [t('dash.key'), t('dash.count'), t('dash.awarded'), t('dash.estimated'), t('dash.nc'), t('dash.withheld')],
    rows.map((r) => [labelOf(group, r.key), fmtNumber(r.count), fmtMoney(r.awarded, 'EUR'), fmtMoney(r.estimated, 'EUR'),
      `${fmtNumber(r.nonCompetitive)} (${fmtPercent(r.nonCompetitiveShare)})`, fmtNumber(r.withheld)]),
    new Set([1, 2, 3, 4, 5]));
}

function chart(id, labels, data, label) {
  if (!window.Chart) return;
  if (charts[id]) charts[id].destroy();
  charts[id] = new window.Chart(document.getElementById(id), {
    type: 'bar',
    data: { labels, datasets: [{ label, data, backgroundColor: '#0b4f8a' }] },
    options: { locale: locale(), responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } },
  });
}

function kpi(label, value) {
  return el('div', { class: 'kpi' }, el('span', { class: 'v', text: value }), el('span', { text: label }));
}

async function load(year) {
  const status = document.getElementById('load-status');
  status.textContent = t('common.loading');
  try {
    const s = await getJSON(`/api/v1/stats${year ? `?year=${year}` : ''}`);
    status.textContent = '';
    const tot = s.totals;
    clear(document.getElementById('kpis')).append(
      kpi(t('dash.total'), fmtMoney(tot.awarded, 'EUR')),
      kpi(t('dash.procedures'), fmtNumber(tot.count)),
      kpi(t('dash.ncShare'), fmtPercent(tot.nonCompetitiveShare)),
      kpi(t('dash.ncValueShare'), fmtPercent(tot.awarded ? tot.awardedNonCompetitive / tot.awarded : 0)));
    clear(document.getElementById('table-year')).append(statTable(t('dash.byYear'), 'year', s.byYear));
    clear(document.getElementById('table-capability')).append(statTable(t('dash.byCapability'), 'capability', s.byCapability));
    clear(document.getElementById('table-procedure')).append(statTable(t('dash.byProcedure'), 'procedure', s.byProcedure));
    clear(document.getElementById('table-status')).append(statTable(t('dash.byStatus'), 'status', s.byStatus));
    chart('chart-year', s.byYear.map((r) => labelOf('year', r.key)), s.byYear.map((r) => r.awarded), t('dash.awarded'));
    chart('chart-capability', s.byCapability.map((r) => labelOf('capability', r.key)), s.byCapability.map((r) => r.awarded), t('dash.awarded'));
    chart('chart-procedure', s.byProcedure.map((r) => labelOf('procedure', r.key)), s.byProcedure.map((r) => r.count), t('dash.count'));
    return s;
  } catch (e) {
    status.textContent = '';
    showError(document.getElementById('kpis'), e);
    return null;
  }
}

async function main() {
  await initPage('dash.doc');
  for (const c of document.querySelectorAll('.chart-box')) c.hidden = !window.Chart;
  const sel = document.getElementById('d-year');
  const u = new URL(location.href);
  const s = await load(u.searchParams.get('year') || '');
  sel.append(el('option', { value: '', text: t('dash.allYears') }));
  for (const r of (s ? s.byYear : [])) if (r.key !== '0') sel.append(el('option', { value: r.key, text: r.key }));
  sel.value = u.searchParams.get('year') || '';
  sel.addEventListener('change', () => {
    const x = new URL(location.href);
    if (sel.value) x.searchParams.set('year', sel.value); else x.searchParams.delete('year');
    history.replaceState(null, '', x);
    load(sel.value);
  });
}

main();

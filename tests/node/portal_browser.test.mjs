// portal_browser.test.mjs - the public portal and the officer workspace in
// Debian's chromium (playwright-core, never a downloaded browser) against a
// real `belfry serve` with imported releases: search, open a procedure and
// see it verified in the browser; a tampered release shows as not verified
// with the failed check; languages (URL and Accept-Language); the officer
// stopped inline by a deadline rule; withheld values never shown. Saves
// screenshots under tests/out/screenshots/.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { start, newPage, missing, SHOTS } from './portal_fixture.mjs';

const why = missing();
const nl = JSON.parse(fs.readFileSync('web/js/i18n/nl.json', 'utf8'));
const fr = JSON.parse(fs.readFileSync('web/js/i18n/fr.json', 'utf8'));
const de = JSON.parse(fs.readFileSync('web/js/i18n/de.json', 'utf8'));

describe('portal in chromium', { skip: why || false }, () => {
  let env;
  before(async () => { env = await start(); });
  after(async () => { if (env) await env.stop(); });

  test('search, open a procedure, see it verified', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/?lang=en`);
    await page.fill('#q', 'reconnaissance drones');
    await page.press('#q', 'Enter');
    await page.waitForSelector('#results li');
    assert.match(await page.textContent('#result-status'), /1 procedure found/);
    assert.match(page.url(), /q=reconnaissance\+drones/, 'the search is in the URL');
    await page.screenshot({ path: `${SHOTS}/search.png`, fullPage: true });
    await page.click('#results li h3 a');
    await page.waitForSelector('#verify-panel[data-verified]', { timeout: 30000 });
    assert.equal(await page.getAttribute('#verify-panel', 'data-verified'), 'true', await page.textContent('#verdict'));
    assert.match(await page.textContent('#verdict'), /^Verified: all 3 releases/);
    assert.equal(await page.locator('.rel-verdict[data-state="ok"]').count(), 3);
    assert.match(await page.textContent('#content'), /FN Herstal SA/, 'the supplier is shown');
    assert.deepEqual(page.errors, []);
    await page.screenshot({ path: `${SHOTS}/procedure-verified.png`, fullPage: true });
    await page.close();
  });

  test('filters: buyer, capability, non-competitive, value sort', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/?lang=en&noncompetitive=1`);
    await page.waitForSelector('#results li');
    const n = await page.locator('#results > li').count();
    assert.equal(n, env.releases.filter((r) => r.id.endsWith('-01') && r.tender.defence.procedure === 'negotiatedWithoutPublication').length);
    assert.equal(await page.isChecked('#f-nc'), true, 'the form shows the URL state');
    await page.goto(`${env.base}/?lang=en&capability=dronesUav`);
    await page.waitForSelector('#results li');
    assert.equal(await page.locator('#results > li').count(),
      env.releases.filter((r) => r.id.endsWith('-01') && r.tender.defence.capabilityArea === 'dronesUav').length);
    await page.close();
  });

  test('a tampered release shows as not verified, with the failed check', async () => {
    const page = await newPage(env);
    await page.route('**/api/v1/releases/**', async (route) => {
      const res = await route.fetch();
      const rel = await res.json();
      if (rel.awards) rel.awards[0].value.amount += 1000000; // a quiet change of the awarded value
      await route.fulfill({ response: res, json: rel });
    });
    await page.goto(`${env.base}/procedure.html?lang=en&ocid=ocds-b5fd17-bfy-1001`);
    await page.waitForSelector('#verify-panel[data-verified]', { timeout: 30000 });
    assert.equal(await page.getAttribute('#verify-panel', 'data-verified'), 'false');
    const verdict = await page.textContent('#verdict');
    assert.match(verdict, /^Not verified: release ocds-b5fd17-bfy-1001-02 failed the check “release digest”/);
    assert.equal(await page.locator('.rel-verdict[data-state="bad"]').count(), 1);
    assert.equal(await page.locator('.rel-verdict[data-state="ok"]').count(), 2, 'untouched releases still verify');
    await page.screenshot({ path: `${SHOTS}/procedure-tampered.png`, fullPage: true });
    await page.close();
  });

  test('a forged checkpoint signature is refused', async () => {
    const page = await newPage(env);
    await page.route('**/log/checkpoint', async (route) => {
      const res = await route.fetch();
      const text = (await res.text()).replace(/\n(\d+)\n/, (m, n) => `\n${Number(n) + 1}\n`);
      await route.fulfill({ response: res, body: text });
    });
    await page.goto(`${env.base}/procedure.html?lang=en&ocid=ocds-b5fd17-bfy-1002`);
    await page.waitForSelector('#verify-panel[data-verified]', { timeout: 30000 });
    assert.equal(await page.getAttribute('#verify-panel', 'data-verified'), 'false');
    assert.match(await page.textContent('#verdict'), /signed checkpoint.*signature does not verify/);
    await page.close();
  });

  test('withheld values are shown as withheld with reason and date, never as a value', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/procedure.html?lang=en&ocid=ocds-b5fd17-bfy-1002`);
    await page.waitForSelector('#verify-panel[data-verified="true"]', { timeout: 30000 });
    const text = await page.textContent('main');
    assert.match(text, /Withheld \(defenceSecurity\), planned disclosure 1 Jan 2031/);
    assert.match(text, /\/tender\/value/);
    assert.doesNotMatch(text, /€1,000,000/, 'the withheld estimate (2 x 500 000) is nowhere on the page');
    await page.screenshot({ path: `${SHOTS}/procedure-withheld.png`, fullPage: true });
    await page.close();
  });

  test('switch language; the choice stays in the URL; default from Accept-Language', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/?lang=en`);
    await page.waitForSelector('#results li');
    await Promise.all([page.waitForURL(/lang=nl/), page.selectOption('#lang-select', 'nl')]);
    await page.waitForFunction(() => document.documentElement.lang === 'nl');
    assert.equal((await page.textContent('h1')).trim(), nl['search.title']);
    await page.waitForSelector('#results li');
    const href = await page.getAttribute('#results li h3 a', 'href');
    assert.match(href, /lang=nl/, 'links keep the language');
    await page.click('#results li h3 a');
    await page.waitForSelector('#verify-panel[data-verified="true"]', { timeout: 30000 });
    assert.match(await page.textContent('#verdict'), /^Gecontroleerd/);
    await page.screenshot({ path: `${SHOTS}/procedure-nl.png`, fullPage: true });
    await page.close();
    for (const [lang, dict] of [['fr', fr], ['de', de]]) {
      const p = await newPage(env);
      await p.setExtraHTTPHeaders({ 'Accept-Language': `${lang}-BE,${lang};q=0.9,en;q=0.5` });
      await p.goto(`${env.base}/dashboard.html`);
      await p.waitForFunction((l) => document.documentElement.lang === l, lang);
      assert.match(p.url(), new RegExp(`lang=${lang}`));
      assert.equal((await p.textContent('h1')).trim(), dict['dash.title']);
      await p.waitForSelector('#table-year table');
      await p.screenshot({ path: `${SHOTS}/dashboard-${lang}.png`, fullPage: true });
      await p.close();
    }
  });

  test('dashboard and organisation pages show the indexed figures', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/dashboard.html?lang=en`);
    await page.waitForSelector('#table-year table');
    const stats = await (await fetch(`${env.base}/api/v1/stats`)).json();
    assert.equal(stats.totals.count, 8);
    assert.match(await page.textContent('#kpis'), /8/);
    assert.equal(await page.locator('#table-year tbody tr').count(), stats.byYear.length);
    assert.equal(await page.evaluate(() => typeof window.Chart), 'function', 'chart.js served from /vendor/');
    await page.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });
    await page.goto(`${env.base}/organisation.html?lang=en&id=FR-RCS-552100554`);
    await page.waitForSelector('#content table');
    assert.equal((await page.textContent('h1')).trim(), 'Thales SA');
    assert.match(await page.textContent('#content'), /as supplier/);
    await page.screenshot({ path: `${SHOTS}/organisation.png`, fullPage: true });
    await page.close();
  });
});

describe('officer workspace in chromium', { skip: why || false }, () => {
  let env;
  before(async () => { env = await start(); });
  after(async () => { if (env) await env.stop(); });

  const addDays = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

  test('an officer starts a procedure and is stopped inline by the minimum time limit', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/workspace.html?lang=en`);
    await page.fill('#token', 'bfy_not-a-real-token');
    await page.click('#signin-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('token-error').textContent.length > 0);
    assert.match(await page.textContent('#token-error'), /not accepted/);
    await page.fill('#token', env.officer);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#session:not([hidden])');
    assert.match(await page.textContent('#who'), /procurement officer for buyer BE-BCE_KBO-0200393331/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('belfry.token')) !== null, true, 'token kept for this tab only');

    // Missing title: an inline error before anything is sent for publication.
    await page.selectOption('#c-procedure', 'restricted');
    await page.fill('#c-value', '2500000');
    await page.click('#c-submit');
    await page.waitForSelector('#c-title[aria-invalid="true"]');

    await page.fill('#c-title', 'Counter-drone sensors for air bases');
    await page.selectOption('#c-category', 'goods');
    await page.selectOption('#c-capability', 'airDefence');
    await page.fill('#c-description', 'Radar and RF sensors to detect small drones near air bases');
    await page.click('#c-submit');
    await page.waitForSelector('#notice:not([hidden])', { timeout: 20000 });
    const ocid = (await page.textContent('#notice-ocid')).trim();
    assert.match(await page.textContent('#create-result'), new RegExp(ocid));
    assert.match(await page.textContent('#n-deadline-computed'), /Earliest legal deadline: .* \(30 days after the notice\)/);

    // A deadline 20 days after the notice breaks Art. 33: shown inline, with the rule, before publishing.
    await page.fill('#n-deadline', addDays(20));
    await page.dispatchEvent('#n-deadline', 'change');
    await page.waitForSelector('#n-deadline[aria-invalid="true"]');
    const err = await page.textContent('#n-deadline-err');
    assert.match(err, /dir2009-81\/art33-min-time-requests/);
    assert.match(err, /at least 30 days/);
    await page.screenshot({ path: `${SHOTS}/workspace-deadline-error.png`, fullPage: true });
    await page.click('#n-submit');
    await page.waitForSelector('#n-deadline[aria-invalid="true"]');
    const state = async () => (await (await fetch(`${env.base}/api/v1/procedures/${encodeURIComponent(ocid)}`,
      { headers: { Authorization: `Bearer ${env.officer}` } })).json()).state;
    assert.equal(await state(), 'planning', 'nothing was published');

    // The legal minimum is accepted and published.
    await page.fill('#n-deadline', addDays(30));
    await page.dispatchEvent('#n-deadline', 'change');
    await page.waitForFunction(() => !document.getElementById('n-deadline').hasAttribute('aria-invalid'));
    await page.click('#n-submit');
    await page.waitForFunction(() => document.getElementById('notice-result').textContent.length > 0, null, { timeout: 20000 });
    assert.equal(await state(), 'requests');
    await page.waitForSelector('#mine table');
    assert.match(await page.textContent('#mine'), /Counter-drone sensors/);
    await page.screenshot({ path: `${SHOTS}/workspace.png`, fullPage: true });
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

describe('officer workspace: any step from the step field tables', { skip: why || false }, () => {
  let env;
  before(async () => { env = await start(); });
  after(async () => { if (env) await env.stop(); });
  const addDays = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

  test('a step form built from the step field table shows the time limit and the rule inline', async () => {
    const auth = { Authorization: `Bearer ${env.officer}`, 'Content-Type': 'application/json' };
    const created = await (await fetch(`${env.base}/api/v1/procedures`, { method: 'POST', headers: auth, body: JSON.stringify({
      title: 'Tactical radios', procedure: 'restricted', mainProcurementCategory: 'goods',
      estimatedValue: { amount: 3000000, currency: 'EUR' }, capabilityArea: 'cyberElectronicWarfare' }) })).json();
    assert.ok(created.ocid, JSON.stringify(created));
    const page = await newPage(env);
    await page.goto(`${env.base}/workspace.html?lang=en`);
    await page.fill('#token', env.officer);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#mine table');
    await page.click('#mine tbody tr button:has-text("Next step")');
    await page.waitForSelector('#step:not([hidden]) #step-fields .field');
    assert.equal(await page.inputValue('#s-step'), 'tender', 'the step due next is preselected');
    await page.selectOption('#s-step', 'tender');
    await page.waitForSelector('#s-f-requestsDeadline');
    await page.fill('#s-f-requestsDeadline', addDays(10));
    await page.dispatchEvent('#s-f-requestsDeadline', 'change');
    await page.waitForSelector('#s-f-requestsDeadline[aria-invalid="true"]');
    assert.match(await page.textContent('#s-f-requestsDeadline-err'), /dir2009-81\/art33-min-time-requests/);
    assert.match(await page.textContent('#s-deadlines'), /requestsDeadlineEarliest/);
    await page.screenshot({ path: `${SHOTS}/workspace-step-error.png`, fullPage: true });
    await page.close();
  });
});

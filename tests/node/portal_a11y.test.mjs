// portal_a11y.test.mjs - axe-core (through @axe-core/playwright) on every
// main page of the portal, rendered with data in Debian's chromium: no
// violation of serious or critical impact is allowed. Each page is also
// saved as a screenshot.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, newPage, missing, SHOTS } from './portal_fixture.mjs';

const why = missing();

async function axe(page) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

function describeViolations(vs) {
  return vs.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`).join('\n');
}

describe('accessibility of the main pages (axe-core)', { skip: why || false }, () => {
  let env;
  before(async () => { env = await start(); });
  after(async () => { if (env) await env.stop(); });

  const pages = [
    ['search', '/?lang=en&q=lot', '#results li'],
    ['procedure', '/procedure.html?lang=en&ocid=ocds-b5fd17-bfy-1002', '#verify-panel[data-verified]'],
    ['dashboard', '/dashboard.html?lang=en', '#table-status table'],
    ['organisation', '/organisation.html?lang=en&id=FR-RCS-552100554', '#content table'],
    ['verify', '/verify.html?lang=fr', '#log-vkey:not(:empty)'],
    ['workspace', '/workspace.html?lang=nl', '#signin-form'],
  ];
  for (const [name, url, ready] of pages) {
    test(`${name} page has no serious or critical violation`, async () => {
      const page = await newPage(env);
      await page.goto(`${env.base}${url}`);
      await page.waitForSelector(ready, { timeout: 30000 });
      const vs = await axe(page);
      await page.screenshot({ path: `${SHOTS}/a11y-${name}.png`, fullPage: true });
      assert.equal(vs.length, 0, describeViolations(vs));
      assert.deepEqual(page.errors, []);
      await page.close();
    });
  }

  test('signed-in workspace with its forms and inline errors has no serious or critical violation', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/workspace.html?lang=de`);
    await page.fill('#token', env.officer);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#session:not([hidden])');
    await page.click('#c-submit'); // empty form: inline errors
    await page.waitForSelector('#c-title[aria-invalid="true"]');
    const vs = await axe(page);
    await page.screenshot({ path: `${SHOTS}/a11y-workspace-signed-in.png`, fullPage: true });
    assert.equal(vs.length, 0, describeViolations(vs));
    await page.close();
  });

  test('keyboard: the skip link is first and moves focus to the content', async () => {
    const page = await newPage(env);
    await page.goto(`${env.base}/?lang=en`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await page.keyboard.press('Enter');
    assert.match(page.url(), /#main$/);
    await page.close();
  });
});

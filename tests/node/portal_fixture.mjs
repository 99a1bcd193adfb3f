// portal_fixture.mjs - shared set-up of the portal browser tests: a fresh
// data directory (belfry init), generated defence releases imported with
// `belfry import` (or `belfry demo` when BELFRY_DEMO=1), an officer token,
// `belfry serve` on a free loopback port, and Debian's chromium driven by
// playwright-core with a fresh profile. Everything is torn down in stop().
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BELFRY = process.env.BELFRY || 'build/asan/belfry';
export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = 'tests/out/screenshots';
export const BUYER = { id: 'BE-BCE_KBO-0200393331', name: 'Défense DG Material Resources' };

// Why the browser tests cannot run here, or null.
export function missing() {
  if (!fs.existsSync(BELFRY)) return `no belfry binary at ${BELFRY} (make build/asan/belfry)`;
  if (!fs.existsSync(CHROMIUM)) return 'no /usr/bin/chromium (apt-get install chromium)';
  let help = '';
  try {
    help = execFileSync(BELFRY, ['--help'], { encoding: 'utf8' });
  } catch (e) {
    help = String(e.stdout || '');
  }
  if (!/^\s+serve\s/m.test(help)) return 'this belfry has no serve command';
  return null;
}

const SUPPLIERS = [
  { id: 'FR-RCS-552100554', name: 'Thales SA' },
  { id: 'BE-BCE_KBO-0403366640', name: 'FN Herstal SA' },
  { id: 'DE-HRB-3553', name: 'Rheinmetall AG' },
  { id: 'NL-KVK-27270433', name: 'Damen Shipyards' },
];

const day = (y, m, d) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T09:00:00Z`;

// Releases of n procedures: planning+tender, award, contract, payments; one
// with a withheld value; every third negotiated without publication.
export function generateReleases(n = 8) {
  const out = [];
  for (let i = 1; i <= n; i++) {
    const ocid = `ocds-b5fd17-bfy-${1000 + i}`;
    const nwp = i % 3 === 0;
    const sup = SUPPLIERS[i % SUPPLIERS.length];
    const y = 2023 + (i % 3);
    const cap = i === 1 ? 'dronesUav' : ['dronesUav', 'ammunition', 'land', 'cyberElectronicWarfare'][i % 4];
    const title = i === 1 ? 'Reconnaissance drones for land forces' : `${['Mortar rounds', 'Armoured vehicles', 'Secure radios', 'Training ammunition'][i % 4]} lot ${i}`;
    const parties = [{ ...BUYER, roles: ['buyer', 'procuringEntity'] }];
    const defence = nwp
      ? { directive: '2009/81/EC', procedure: 'negotiatedWithoutPublication', negotiatedWithoutPublicationGround: 'art28-1e', capabilityArea: cap }
      : { directive: '2009/81/EC', procedure: 'restricted', capabilityArea: cap };
    const tender = {
      id: `${ocid}-tender`, title, description: `${title}: supply, training and maintenance for the Belgian Armed Forces`,
      status: 'active', procurementMethod: nwp ? 'limited' : 'selective', mainProcurementCategory: 'goods',
      value: { amount: 500000 * i, currency: 'EUR' },
      items: [{ id: '1', description: title, classification: { scheme: 'CPV', id: cap === 'dronesUav' ? '35613000' : '35330000' } }],
      tenderPeriod: { startDate: day(y, 2, 1), endDate: day(y, 3, 15) },
      documents: [{ id: 'notice', documentType: 'tenderNotice', title: 'Contract notice', url: `https://example.org/notices/${ocid}.pdf`, datePublished: day(y, 2, 1) }],
      defence,
    };
    const base = { ocid, initiationType: 'tender', buyer: BUYER };
    const r1 = { ...base, id: `${ocid}-01`, date: day(y, 2, 1), tag: ['tender'], parties, tender };
    if (i === 2) {
      r1.withheld = [{ path: '/tender/value', reason: 'defenceSecurity', disclosureDate: '2031-01-01T00:00:00Z' }];
    }
    out.push(r1);
    const awardValue = { amount: 450000 * i, currency: 'EUR' };
    const p2 = [...parties, { ...sup, roles: ['supplier', 'tenderer'] }];
    out.push({ ...base, id: `${ocid}-02`, date: day(y, 5, 2), tag: ['award'], parties: p2,
      tender: { id: tender.id, status: 'complete', numberOfTenderers: nwp ? 1 : 3 },
      awards: [{ id: `${ocid}-award-1`, title: 'Award', status: 'active', date: day(y, 5, 2), value: awardValue, suppliers: [sup] }] });
    if (i % 2 === 1) {
      out.push({ ...base, id: `${ocid}-03`, date: day(y, 6, 10), tag: ['contract', 'implementation'], parties: p2,
        contracts: [{ id: `${ocid}-contract-1`, awardID: `${ocid}-award-1`, title: 'Framework contract', status: 'active', dateSigned: day(y, 6, 10), value: awardValue,
          implementation: { transactions: [{ id: 'pay-1', date: day(y, 9, 1), value: { amount: 100000 * i, currency: 'EUR' },
            payer: { id: BUYER.id, name: BUYER.name }, payee: sup }] } }] });
    }
  }
  return out;
}

async function freeServe(data, env) {
  const child = spawn(BELFRY, ['serve', '--data', data, '--listen', '127.0.0.1:0', '--web', 'web', '--vendor', 'node_modules', '--rate', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`belfry serve did not start: ${err}`)), 60000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on port (\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`belfry serve exited ${code}: ${err}`)); });
  });
  return { child, port, stderr: () => err };
}

// Waits until the portal's index has caught up with the log.
async function waitIndexed(base) {
  for (let i = 0; i < 600; i++) { // up to a minute on a loaded machine
    try {
      const c = await (await fetch(`${base}/api/v1/portal/config`)).json();
      if (c.logSize > 0 && c.indexedThrough >= c.logSize) return c;
    } catch (e) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the portal index did not catch up with the log');
}

export async function start() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'belfry-portal-'));
  const data = path.join(tmp, 'data');
  execFileSync(BELFRY, ['init', '--data', data, '--origin', 'belfry.test/log'], { stdio: 'pipe' });
  const releases = generateReleases();
  const file = path.join(tmp, 'releases.jsonl');
  fs.writeFileSync(file, releases.map((r) => JSON.stringify(r)).join('\n') + '\n');
  execFileSync(BELFRY, ['import', '--data', data, '--quiet', file], { stdio: 'pipe' });
  const officer = execFileSync(BELFRY, ['token', 'create', '--data', data, '--role', 'officer', '--buyer', BUYER.id, '--label', 'portal test'],
    { encoding: 'utf8' }).trim().split(/\s+/).find((w) => w.startsWith('bfy_'));
  const srv = await freeServe(data);
  const base = `http://127.0.0.1:${srv.port}`;
  await waitIndexed(base);
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  fs.mkdirSync(SHOTS, { recursive: true });
  return {
    tmp, data, base, releases, officer, browser, srv,
    // Stops everything; throws if the server (an ASan/UBSan build) reported a
    // memory or undefined-behaviour error at any point, shutdown included.
    async stop() {
      await browser.close().catch(() => {});
      srv.child.kill('SIGTERM');
      await new Promise((r) => { srv.child.once('exit', r); setTimeout(r, 5000); });
      fs.rmSync(tmp, { recursive: true, force: true });
      const err = srv.stderr();
      if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(err)) throw new Error(`belfry serve reported:\n${err}`);
    },
  };
}

// A new page that fails the test on page errors.
export async function newPage(env) {
  const page = await env.browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

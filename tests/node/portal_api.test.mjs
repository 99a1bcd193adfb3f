// portal_api.test.mjs - the portal's JSON API as a black box against a real
// `belfry serve`: results match the imported data, every bad parameter is a
// 400 in the standard error format naming it, public GETs carry CORS and
// ETags (conditional GET gives 304), withheld values appear nowhere, and
// static and vendored files cannot be used to read anything else.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BELFRY, generateReleases } from './portal_fixture.mjs';

const why = fs.existsSync(BELFRY) ? false : `no belfry binary at ${BELFRY}`;

async function serve(data) {
  const child = spawn(BELFRY, ['serve', '--data', data, '--listen', '127.0.0.1:0', '--web', 'web', '--vendor', 'node_modules', '--rate', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = /listening on port (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    child.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

describe('portal JSON API', { skip: why }, () => {
  let tmp; let srv; let releases;
  const get = (p, h = {}) => fetch(`${srv.base}${p}`, { headers: h });
  const json = async (p) => (await get(p)).json();

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'belfry-portal-api-'));
    const data = path.join(tmp, 'data');
    execFileSync(BELFRY, ['init', '--data', data, '--origin', 'belfry.test/api'], { stdio: 'pipe' });
    releases = generateReleases(8);
    fs.writeFileSync(path.join(tmp, 'r.jsonl'), releases.map((r) => JSON.stringify(r)).join('\n') + '\n');
    execFileSync(BELFRY, ['import', '--data', data, '--quiet', path.join(tmp, 'r.jsonl')], { stdio: 'pipe' });
    srv = await serve(data);
    for (let i = 0; i < 1200; i++) { // up to a minute on a loaded machine
      const c = await json('/api/v1/portal/config');
      if (c.indexedThrough >= c.logSize && c.logSize > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    if (srv) { srv.child.kill('SIGTERM'); await new Promise((r) => srv.child.once('exit', r)); }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('search results, counts and filters match the imported procedures', async () => {
    const all = await json('/api/v1/search?per_page=100');
    assert.equal(all.total, 8);
    assert.equal(all.results.length, 8);
    const nwp = releases.filter((r) => r.id.endsWith('-01') && r.tender.defence.procedure === 'negotiatedWithoutPublication');
    assert.equal((await json('/api/v1/search?procedure=negotiatedWithoutPublication')).total, nwp.length);
    assert.equal((await json('/api/v1/search?noncompetitive=1')).total, nwp.length);
    const byValue = await json('/api/v1/search?sort=value-desc&per_page=3');
    const amounts = byValue.results.map((r) => (r.value ? r.value.amount : -1));
    assert.deepEqual(amounts, [...amounts].sort((a, b) => b - a));
    const p2 = await json('/api/v1/search?sort=oldest&per_page=3&page=2');
    assert.equal(p2.page, 2);
    assert.equal(p2.results.length, 3);
    const drones = await json(`/api/v1/search?q=${encodeURIComponent('"reconnaissance" drones*:')}`);
    assert.equal(drones.total, 1, 'quotes, stars and colons in the text are treated as word separators');
    const hostile = await get(`/api/v1/search?q=${encodeURIComponent('NEAR(a b) OR title:x AND "')}`);
    assert.equal(hostile.status, 200, 'FTS5 syntax in user text is inert');
  });

  test('every bad parameter is a 400 in the standard format, naming it', async () => {
    for (const [q, name] of [['cpv=abc', 'cpv'], ['min=-5', 'min'], ['from=yesterday', 'from'], ['sort=random', 'sort'],
      ['per_page=0', 'per_page'], ['page=999999', 'page'], ['year=12', 'year'], [`q=${'x'.repeat(300)}`, 'q']]) {
      const r = await get(`/api/v1/search?${q}`);
      assert.equal(r.status, 400, q);
      const e = (await r.json()).error;
      assert.equal(e.status, 400);
      assert.equal(e.code, 'invalid');
      assert.match(e.message, new RegExp(name), q);
    }
    assert.equal((await get('/api/v1/organisations?q=a')).status, 400);
    assert.equal((await get('/api/v1/organisations/XX-NOBODY')).status, 404);
    assert.equal((await get('/api/v1/organisations/FR-RCS-552100554?role=king')).status, 400);
    assert.equal((await get('/api/v1/log/entries/99999')).status, 404);
    assert.equal((await get('/api/v1/log/entries/-1')).status, 400);
    assert.equal((await get('/api/v1/log/entries/007')).status, 400);
    assert.equal((await get('/api/v1/stats?year=abc')).status, 400);
  });

  test('public GETs: CORS, ETag and conditional GET', async () => {
    for (const p of ['/api/v1/search?q=lot', '/api/v1/stats', '/api/v1/organisations/FR-RCS-552100554', '/api/v1/log/info']) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('access-control-allow-origin'), '*', p);
      const etag = r.headers.get('etag');
      assert.ok(etag, `${p} has an ETag`);
      assert.equal((await get(p, { 'If-None-Match': etag })).status, 304, p);
    }
  });

  test('log info and raw entries let a browser recompute leaf hashes', async () => {
    const info = await json('/api/v1/log/info');
    assert.equal(info.origin, 'belfry.test/api');
    assert.match(info.vkey, /^belfry\.test\/api\+[0-9a-f]{8}\+/);
    const entry = await (await get('/api/v1/log/entries/0')).text();
    const e = JSON.parse(entry);
    assert.equal(e.type, 'ocds-release');
    assert.equal(e.ocid, releases[0].ocid);
    assert.match(e.sha256, /^[0-9a-f]{64}$/);
  });

  test('the commands of the how-to page work as printed: monitor and offline receipt check', async () => {
    const info = await json('/api/v1/log/info');
    const state = path.join(tmp, 'monitor.json');
    const run = (args) => new Promise((resolve) => {
      const c = spawn(BELFRY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { out += d; });
      c.on('exit', (code) => resolve({ code, out }));
    });
    const m = await run(['monitor', '--vkey', info.vkey, '--state', state, `${srv.base}/log`]);
    assert.equal(m.code, 0, m.out);
    const receipt = path.join(tmp, 'r.tlog-proof');
    const entry = path.join(tmp, 'entry');
    fs.writeFileSync(receipt, Buffer.from(await (await get('/log/proof/3')).arrayBuffer()));
    fs.writeFileSync(entry, Buffer.from(await (await get('/api/v1/log/entries/3')).arrayBuffer()));
    const v = await run(['verify', '--vkey', info.vkey, '--entry', entry, receipt]);
    assert.equal(v.code, 0, v.out);
    fs.writeFileSync(entry, Buffer.from(await (await get('/api/v1/log/entries/4')).arrayBuffer()));
    const bad = await run(['verify', '--vkey', info.vkey, '--entry', entry, receipt]);
    assert.equal(bad.code, 1, 'another entry does not match the receipt');
  });

  test('stats and organisations: totals from the data, in EUR', async () => {
    const s = await json('/api/v1/stats');
    assert.equal(s.totals.count, 8);
    const awarded = releases.filter((r) => r.awards).reduce((a, r) => a + r.awards[0].value.amount, 0);
    assert.equal(s.totals.awarded, awarded);
    const years = s.byYear.reduce((a, b) => a + b.count, 0);
    assert.equal(years, 8);
    const o = await json('/api/v1/organisations/FR-RCS-552100554');
    assert.equal(o.name, 'Thales SA');
    const sup = o.roles.find((r) => r.key === 'supplier');
    const mine = releases.filter((r) => r.awards && r.awards[0].suppliers[0].id === 'FR-RCS-552100554');
    assert.equal(sup.count, mine.length);
    assert.equal(sup.awarded, mine.reduce((a, r) => a + r.awards[0].value.amount, 0));
  });

  test('withheld values appear in no portal response', async () => {
    const secret = releases.find((r) => r.withheld).tender.value.amount; // 1 000 000
    for (const p of ['/api/v1/search?per_page=100', '/api/v1/search?min=999999&max=1000001', '/api/v1/stats',
      '/api/v1/organisations/BE-BCE_KBO-0200393331?per_page=100']) {
      const text = await (await get(p)).text();
      assert.ok(!text.includes(`"amount":${secret}`) && !text.includes(`${secret}`), `${p} reveals ${secret}`);
    }
    assert.equal((await json('/api/v1/search?min=999999&max=1000001')).total, 0, 'no filter can probe the withheld value');
  });

  test('static files and vendor files: nothing outside what is meant to be served', async () => {
    assert.equal((await get('/')).status, 200);
    assert.match((await get('/')).headers.get('content-security-policy') || '', /script-src 'self'/);
    for (const p of ['/../Makefile', '/%2e%2e/Makefile', '/js/../../Makefile', '/.git/config', '/vendor/chart.js/package.json',
      '/vendor/../package.json', '/js/i18n/../../../src/portal/portal.h']) {
      const r = await get(p);
      assert.ok(r.status === 404 || r.status === 400, `${p} answered ${r.status}`);
    }
    const v = await get('/vendor/chart.umd.min.js');
    assert.equal(v.status, 200);
    assert.match(v.headers.get('cache-control') || '', /immutable/);
  });
});

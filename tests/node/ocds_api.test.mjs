// ocds_api.test.mjs - the OCDS read API of a running `belfry serve`
// (binary in $BELFRY, default build/asan/belfry) checked with independent
// tools: every release in the change feed, canonicalized with npm
// `canonicalize` and hashed with node's crypto, matches the sha256 of its
// entry in the log's entry bundles (C2SP tlog-tiles, fetched over HTTP;
// generated releases plus the real publishers' samples when present)
// and of the record's release list; exported release and record packages
// validate against the official OCDS 1.1.5 schemas (ajv, draft-04) from
// ../shared/data/ocds/schema (skipped when absent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import canonicalize from 'canonicalize';

const BIN = process.env.BELFRY || 'build/asan/belfry';
const shared = process.env.BELFRY_SHARED || '../shared/data';
const schemaDir = path.join(shared, 'ocds/schema');
const haveSchema = fs.existsSync(path.join(schemaDir, 'release-package-schema.json'));
const haveBin = fs.existsSync(BIN);
let dir, server, base;

const sha256 = (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
const get = async (p) => {
  const r = await fetch(base + p);
  assert.equal(r.status, 200, `${p}: ${r.status}`);
  return r;
};

before(async () => {
  if (!haveBin) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'belfry-ocds-api-'));
  execFileSync(BIN, ['init', '--data', `${dir}/d`, '--origin', 'belfry.test/node'], { stdio: 'ignore' });
  // the real publishers' samples (when present) exercise JCS on real text and numbers
  execFileSync(BIN, ['demo', '--data', `${dir}/d`, '--count', '700', '--seed', '5', '--quiet'],
    { stdio: 'ignore', env: { ...process.env, BELFRY_SHARED: shared } });
  server = spawn(BIN, ['serve', '--data', `${dir}/d`, '--listen', '127.0.0.1:0', '--rate', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on port (\d+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', () => reject(new Error('serve exited')));
  });
  base = `http://127.0.0.1:${port}`;
});

after(() => {
  if (server) server.kill('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function feed() {
  const all = [];
  let url = '/api/v1/releases?limit=250';
  for (;;) {
    const page = await (await get(url)).json();
    all.push(...page.releases);
    if (page.complete) return all;
    url = new URL(page.next).pathname + new URL(page.next).search;
  }
}

// Entry bundles: tile/entries/<N> (full, 256 entries) or <N>.p/<w>; each
// entry is a 2-byte big-endian length and the bytes.
function tilePath(n) {
  const s = String(n).padStart(3, '0');
  const groups = [];
  for (let i = s.length; i > 0; i -= 3) groups.unshift(s.slice(Math.max(0, i - 3), i));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g.padStart(3, '0')}` : g.padStart(3, '0'))).join('/');
}

async function logEntries(size) {
  const entries = [];
  for (let b = 0; b * 256 < size; b++) {
    const w = Math.min(256, size - b * 256);
    const p = `/log/tile/entries/${tilePath(b)}${w < 256 ? `.p/${w}` : ''}`;
    const buf = Buffer.from(await (await get(p)).arrayBuffer());
    for (let off = 0; off < buf.length;) {
      const len = buf.readUInt16BE(off);
      entries.push(buf.subarray(off + 2, off + 2 + len).toString('utf8'));
      off += 2 + len;
    }
  }
  return entries;
}

test('every release digest (npm canonicalize + sha256) matches its log entry and its record', { skip: !haveBin && `no ${BIN}` }, async () => {
  const rels = await feed();
  assert.ok(rels.length >= 700, `${rels.length} releases`);
  const entries = await logEntries(rels.length);
  assert.equal(entries.length, rels.length);
  const byOcid = new Map();
  for (const r of rels) {
    const digest = sha256(canonicalize(r.release));
    const e = JSON.parse(entries[r.logIndex]);
    assert.equal(e.type, 'ocds-release');
    assert.equal(e.ocid, r.release.ocid);
    assert.equal(e.id, r.release.id);
    assert.equal(e.sha256, digest, `entry ${r.logIndex}`);
    assert.equal(r.sha256, digest);
    byOcid.set(r.release.ocid, (byOcid.get(r.release.ocid) || 0) + 1);
  }
  const [ocid, n] = [...byOcid.entries()].find(([, k]) => k > 3);
  const rec = await (await get(`/api/v1/records/${encodeURIComponent(ocid)}`)).json();
  assert.equal(rec.releases.length, n);
  for (const l of rec.releases) {
    const body = await (await fetch(l.url)).text();
    assert.equal(sha256(body), l.sha256, 'served text is the canonical form');
    assert.equal(canonicalize(JSON.parse(body)), body);
  }
});

async function ajvFor() {
  const { default: Ajv04 } = await import('ajv-draft-04');
  const { default: addFormats } = await import('ajv-formats');
  const ajv = new Ajv04({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const f of ['release-schema.json', 'release-package-schema.json', 'record-package-schema.json', 'versioned-release-validation-schema.json']) {
    const s = JSON.parse(fs.readFileSync(path.join(schemaDir, f), 'utf8'));
    ajv.addSchema(s, s.id);
  }
  return ajv;
}

// The real samples are imported as their publishers wrote them, and some
// break schema rules the release check does not enforce (empty names,
// duplicate tenderers), so schema validity is asserted for Belfry's own
// (generated) releases and only reported for the rest.
const ours = (r) => r.ocid.startsWith('ocds-b3lfry-');

test('HTTP exports validate against the OCDS 1.1.5 package schemas (ajv)', { skip: (!haveBin && `no ${BIN}`) || (!haveSchema && 'no OCDS schema in ../shared/data') }, async (t) => {
  const ajv = await ajvFor();
  const all = await (await get('/api/v1/export?format=release-package')).json();
  const vr = ajv.getSchema('https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json');
  const rp = { ...all, releases: all.releases.filter(ours) };
  assert.equal(rp.releases.length, 700);
  assert.ok(vr(rp), JSON.stringify(vr.errors?.slice(0, 3)));
  const broken = structuredClone(rp);
  broken.releases[0].tag = ['bid'];
  assert.equal(vr(broken), false, 'the validator rejects a bad tag, so a pass means something');
  const real = all.releases.filter((r) => !ours(r));
  const bad = real.filter((r) => !vr({ ...all, releases: [r] }));
  t.diagnostic(`real samples: ${real.length - bad.length} of ${real.length} releases valid as published`);
  const cpAll = await (await get('/api/v1/export?format=record-package')).json();
  const cp = { ...cpAll, records: cpAll.records.filter(ours) };
  const vc = ajv.getSchema('https://standard.open-contracting.org/schema/1__1__5/record-package-schema.json');
  assert.ok(cp.records.length > 50);
  assert.ok(vc(cp), JSON.stringify(vc.errors?.slice(0, 3)));
  const realRecs = cpAll.records.filter((r) => !ours(r));
  const badRecs = realRecs.filter((r) => !vc({ ...cpAll, records: [r] }));
  t.diagnostic(`real samples: ${realRecs.length - badRecs.length} of ${realRecs.length} records valid` +
    (badRecs.length ? ` (first problem: ${badRecs[0].ocid} ${JSON.stringify((vc({ ...cpAll, records: [badRecs[0]] }), vc.errors[0]))})` : ''));
});

// The record API merges each versionedRelease when it is read (records
// store only the compiled release); the export merges it on its own, on
// other trees (jansson, not jv). The two must agree, and the API's
// records must make a valid record package.
test('records from the API validate and agree with the export (ajv)', { skip: (!haveBin && `no ${BIN}`) || (!haveSchema && 'no OCDS schema in ../shared/data') }, async () => {
  const ajv = await ajvFor();
  const vc = ajv.getSchema('https://standard.open-contracting.org/schema/1__1__5/record-package-schema.json');
  const exp = await (await get('/api/v1/export?format=record-package')).json();
  const mine = exp.records.filter(ours).slice(0, 60);
  assert.ok(mine.length >= 50, `${mine.length} records`);
  const recs = [];
  for (const r of mine) {
    const a = await (await get(`/api/v1/records/${encodeURIComponent(r.ocid)}`)).json();
    assert.deepEqual(a.compiledRelease, r.compiledRelease, `compiledRelease of ${r.ocid}`);
    assert.deepEqual(a.versionedRelease, r.versionedRelease, `versionedRelease of ${r.ocid}`);
    assert.equal(a.releases.length, r.releases.length);
    recs.push(a);
  }
  const pkg = { ...exp, records: recs };
  assert.ok(vc(pkg), JSON.stringify(vc.errors?.slice(0, 3)));
  const broken = structuredClone(pkg);
  broken.records[0].versionedRelease.tender = [{ releaseDate: 'not a date' }];
  assert.equal(vc(broken), false, 'the validator rejects a damaged versioned release, so a pass means something');
});

test('API records validate as OCDS records inside a record package', { skip: (!haveBin && `no ${BIN}`) || (!haveSchema && 'no OCDS schema in ../shared/data') }, async () => {
  const ajv = await ajvFor();
  const list = await (await get('/api/v1/records?limit=5&after=ocds-b3lfry-')).json();
  const records = [];
  for (const r of list.records) records.push(await (await get(new URL(r.url).pathname)).json());
  assert.equal(records.length, 5);
  assert.ok(records.every(ours));
  const pkg = { uri: `${base}/api/v1/records`, version: '1.1', publishedDate: '2026-01-01T00:00:00Z', publisher: { name: 'Belfry' }, records };
  const vc = ajv.getSchema('https://standard.open-contracting.org/schema/1__1__5/record-package-schema.json');
  assert.ok(vc(pkg), JSON.stringify(vc.errors?.slice(0, 3)));
});

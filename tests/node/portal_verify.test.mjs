// portal_verify.test.mjs - the browser verifier (web/js/verify.js) and JCS
// (web/js/jcs.js) under node's WebCrypto: C2SP known answers from
// ../shared/data/tlog (skipped when absent), npm canonicalize as an
// independent JCS, and a complete synthetic log (generated Ed25519 key,
// RFC 9162 tree) on which verifyRelease must accept the logged releases
// and name the failing check for every kind of tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import canonicalizeRef from 'canonicalize';
import { canonicalize } from '../../web/js/jcs.js';
import * as V from '../../web/js/verify.js';

const shared = process.env.BELFRY_SHARED || '../shared/data';
const tlogDir = path.join(shared, 'tlog');
const haveTlog = fs.existsSync(tlogDir);
const te = new TextEncoder();
const subtle = globalThis.crypto.subtle;

const TESSERA_VKEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const LEAVES = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(' ');

test('x/mod signed-note known answer verifies, and fails when the text changes', { skip: !haveTlog && 'no ../shared/data/tlog' }, async () => {
  const key = await V.parseVkey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const sig = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
  const note = V.parseNote(`${text}\n${sig}`);
  assert.equal(note.sigs.length, 1);
  const k = await subtle.importKey('raw', key.pub, { name: 'Ed25519' }, false, ['verify']);
  assert.equal(await subtle.verify({ name: 'Ed25519' }, k, note.sigs[0].sig, te.encode(note.body)), true);
  await assert.rejects(V.verifyCheckpoint(`${text.replace('answer', 'answers')}\n${sig}`, key), /does not verify/);
});

test('every tessera checkpoint verifies with the log key; a wrong key is refused', { skip: !haveTlog && 'no ../shared/data/tlog' }, async () => {
  const key = await V.parseVkey(TESSERA_VKEY);
  for (let n = 1; n <= 15; n++) {
    const cp = await V.verifyCheckpoint(fs.readFileSync(path.join(tlogDir, `tessera-log/checkpoint.${n}`), 'utf8'), key);
    assert.equal(cp.origin, 'example.com/log/testdata');
    assert.equal(cp.size, BigInt(n));
  }
  const other = await V.parseVkey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
  await assert.rejects(V.verifyCheckpoint(fs.readFileSync(path.join(tlogDir, 'tessera-log/checkpoint.15'), 'utf8'), other), /no signature/);
  await assert.rejects(V.parseVkey(TESSERA_VKEY.replace('33d7b496', '33d7b497')), /key id/);
});

test('tessera receipt for index 6 leads to the signed root; flipped bits do not', { skip: !haveTlog && 'no ../shared/data/tlog' }, async () => {
  const key = await V.parseVkey(TESSERA_VKEY);
  const r = V.parseReceipt(fs.readFileSync(path.join(tlogDir, 'tessera-index6-size15.tlog-proof'), 'utf8'));
  assert.equal(r.index, 6n);
  const cp = await V.verifyCheckpoint(r.checkpoint, key);
  const leaf = await V.leafHash(te.encode(LEAVES[6]));
  assert.deepEqual(await V.rootFromPath(r.index, cp.size, leaf, r.proof), cp.root);
  const bad = r.proof.map((h) => h.slice());
  bad[1][0] ^= 1;
  assert.notDeepEqual(await V.rootFromPath(r.index, cp.size, leaf, bad), cp.root);
  assert.notDeepEqual(await V.rootFromPath(r.index, cp.size, await V.leafHash(te.encode('six')), r.proof), cp.root);
  await assert.rejects(V.rootFromPath(6n, cp.size, leaf, r.proof.slice(0, 3)), /too short/);
});

test('all 15-leaf inclusion proofs (transparency-dev / x/mod checked)', { skip: !haveTlog && 'no ../shared/data/tlog' }, async () => {
  const all = JSON.parse(fs.readFileSync(path.join(tlogDir, 'tessera15-all-proofs.json'), 'utf8'));
  let n = 0;
  for (const c of all.inclusion) {
    const root = V.b64decode(c.root);
    let ok;
    try {
      ok = V.hex(await V.rootFromPath(BigInt(c.leafIdx), BigInt(c.treeSize), V.b64decode(c.leafHash), c.proof.map(V.b64decode))) === V.hex(root);
    } catch (e) { ok = false; }
    assert.equal(ok, !c.wantErr, `leaf ${c.leafIdx} size ${c.treeSize}`);
    n++;
  }
  assert.ok(n >= 100, `checked ${n} proofs`);
});

test('entry bundle parsing and tile paths', { skip: !haveTlog && 'no ../shared/data/tlog' }, async () => {
  const b = new Uint8Array(fs.readFileSync(path.join(tlogDir, 'tessera-log/tile/entries/000.p/15')));
  const entries = V.parseBundle(b);
  assert.deepEqual(entries.map((e) => new TextDecoder().decode(e)), LEAVES);
  assert.throws(() => V.parseBundle(b.slice(0, b.length - 1)), /truncated/);
  assert.equal(V.tileIndexPath(1234067n), 'x001/x234/067');
  assert.equal(V.tileIndexPath(1000n), 'x001/000');
  assert.equal(V.tileIndexPath(0n), '000');
  assert.equal(V.tileIndexPath(273n), '273');
});

test('JCS agrees with npm canonicalize on hard values', () => {
  const values = [
    { b: [1e21, 1e-7, -0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, 123456789012345680000], a: 'é\u2028\u0007"\\/', '\u20ac': 1, '\ud83d\ude00': 2, '\u00e9': 3, A: null },
    [true, false, null, '', {}, []],
    { 'numbers': [333333333.33333329, 1E30, 4.50, 2e-3, 0.000001] },
  ];
  for (const v of values) assert.equal(canonicalize(v), canonicalizeRef(v));
  assert.throws(() => canonicalize({ x: NaN }), /non-finite/);
});

test('JCS agrees with npm canonicalize on real OCDS releases', { skip: !fs.existsSync(path.join(shared, 'ocds/real')) && 'no ../shared/data/ocds/real' }, () => {
  let n = 0;
  const walk = (d) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.json') && n < 200) {
        let v;
        try { v = JSON.parse(fs.readFileSync(p, 'utf8')); } catch (e) { continue; }
        assert.equal(canonicalize(v), canonicalizeRef(v), p);
        n++;
      }
    }
  };
  walk(path.join(shared, 'ocds/real'));
  assert.ok(n > 0, 'found JSON files');
});

// ---- a synthetic log, built here with node's WebCrypto -------------------

async function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  const l = await mth(leaves.slice(0, k));
  const r = await mth(leaves.slice(k));
  return V.sha256(new Uint8Array([1, ...l, ...r]));
}

async function inclusionPath(m, leaves) {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...(await inclusionPath(m, leaves.slice(0, k))), await mth(leaves.slice(k))];
  return [...(await inclusionPath(m - k, leaves.slice(k))), await mth(leaves.slice(0, k))];
}

const b64 = (u8) => Buffer.from(u8).toString('base64');

async function buildLog(releases) {
  const origin = 'belfry.test/log';
  const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pub = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  const raw = new Uint8Array([1, ...pub]);
  const keyId = (await V.sha256(new Uint8Array([...te.encode(`${origin}\n`), ...raw]))).slice(0, 4);
  const vkey = `${origin}+${V.hex(keyId)}+${b64(raw)}`;
  const entries = [];
  for (const r of releases) {
    const sha = V.hex(await V.sha256(te.encode(canonicalizeRef(r))));
    entries.push(te.encode(canonicalizeRef({ type: 'ocds-release', ocid: r.ocid, id: r.id, date: r.date, tag: r.tag, sha256: sha })));
  }
  entries.unshift(te.encode('{"type":"other"}'));
  const leaves = await Promise.all(entries.map(V.leafHash));
  const root = await mth(leaves);
  const body = `${origin}\n${leaves.length}\n${b64(root)}\n`;
  const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, pair.privateKey, te.encode(body)));
  const checkpoint = `${body}\n\u2014 ${origin} ${b64(new Uint8Array([...keyId, ...sig]))}\n`;
  const files = { '/api/v1/log/info': JSON.stringify({ origin, vkey }), '/log/checkpoint': checkpoint };
  for (let i = 0; i < entries.length; i++) {
    const p = await inclusionPath(i, leaves);
    files[`/log/proof/${i}`] = `c2sp.org/tlog-proof@v1\nindex ${i}\n${p.map((h) => `${b64(h)}\n`).join('')}\n${checkpoint}`;
    files[`/api/v1/log/entries/${i}`] = entries[i];
  }
  return files;
}

function ioOf(files) {
  const get = (u) => {
    if (!(u in files)) throw new Error(`${u}: HTTP 404`);
    return files[u];
  };
  return {
    async text(u) { const v = get(u); return typeof v === 'string' ? v : new TextDecoder().decode(v); },
    async bytes(u) { const v = get(u); return typeof v === 'string' ? te.encode(v) : v; },
  };
}

const RELEASES = [1, 2, 3, 4, 5].map((i) => ({
  ocid: 'ocds-b5fd17-demo-1', id: `r${i}`, date: `2025-0${i}-01T00:00:00Z`, tag: ['tender'],
  tender: { title: 'Reconnaissance drones', value: { amount: 1000000 + i, currency: 'EUR' } },
}));

test('verifyRelease accepts every release of a well-formed log', async () => {
  const files = await buildLog(RELEASES);
  const ctx = {};
  for (let i = 0; i < RELEASES.length; i++) {
    const r = await V.verifyRelease(ioOf(files), ctx, structuredClone(RELEASES[i]), i + 1);
    assert.equal(r.ok, true, `release ${i}: ${r.reason}`);
    assert.deepEqual(r.checks.map((c) => c.id), ['key', 'checkpoint', 'receipt', 'entry', 'digest', 'inclusion']);
  }
});

test('verifyRelease names the failing check for each kind of tampering', async () => {
  const files = await buildLog(RELEASES);
  const cases = [
    ['changed value', (f) => f, (r) => { r.tender.value.amount += 1; }, 2, 'digest'],
    ['release of another index', (f) => f, (r) => r, 3, 'entry'],
    ['forged checkpoint root', (f) => ({ ...f, '/log/checkpoint': f['/log/checkpoint'].replace(/\n([A-Za-z0-9+/]{43}=)\n/, (m, h) => `\n${h[0] === 'A' ? 'B' : 'A'}${h.slice(1)}\n`) }), (r) => r, 2, 'checkpoint'],
    ['altered proof hash', (f) => ({ ...f, '/log/proof/2': f['/log/proof/2'].replace(/\nindex 2\n(.)/, (m, c) => `\nindex 2\n${c === 'A' ? 'B' : 'A'}`) }), (r) => r, 2, 'inclusion'],
    ['altered log entry', (f) => ({ ...f, '/api/v1/log/entries/2': te.encode(new TextDecoder().decode(f['/api/v1/log/entries/2']).replace('"tag":["tender"]', '"tag":["award"]')) }), (r) => r, 2, 'inclusion'],
    ['receipt for another index', (f) => ({ ...f, '/log/proof/2': f['/log/proof/3'] }), (r) => r, 2, 'receipt'],
    ['unknown key', (f) => ({ ...f, '/api/v1/log/info': JSON.stringify({ origin: 'x', vkey: 'x+00000000+AQ==' }) }), (r) => r, 2, 'key'],
  ];
  for (const [name, fmod, rmod, index, want] of cases) {
    const rel = structuredClone(RELEASES[1]);
    rmod(rel);
    const r = await V.verifyRelease(ioOf(fmod(files)), {}, rel, index);
    assert.equal(r.ok, false, name);
    assert.equal(r.failed, want, `${name}: failed at ${r.failed} (${r.reason})`);
    assert.ok(r.reason, `${name} gives a reason`);
  }
});

test('verifyRelease falls back to the entry bundle tile', async () => {
  const files = await buildLog(RELEASES);
  const entries = [];
  for (let i = 0; i < 6; i++) entries.push(files[`/api/v1/log/entries/${i}`]);
  const parts = [];
  for (const e of entries) parts.push(e.length >> 8, e.length & 255, ...e);
  const io = ioOf(Object.fromEntries(Object.entries(files).filter(([k]) => !k.startsWith('/api/v1/log/entries/'))));
  const withTile = { ...io, bytes: async (u) => (u === '/log/tile/entries/000.p/6' ? new Uint8Array(parts) : io.bytes(u)) };
  const r = await V.verifyRelease(withTile, {}, structuredClone(RELEASES[4]), 5);
  assert.equal(r.ok, true, r.reason);
});

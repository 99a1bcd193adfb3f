// ocds_jcs.test.mjs - Belfry's RFC 8785 canonical form (src/ocds/ocds_jcs.c,
// driven through `build/asan/tests/test_ocds_jcs --canon`) against an
// independent implementation, npm `canonicalize`, on the RFC's number
// vectors, unicode member names that sort differently in UTF-8 and UTF-16,
// escapes, and thousands of random values (random doubles from random bit
// patterns included). Skips when the test binary has not been built.
// Member names containing U+0000 are left out: jansson cannot hold them,
// so Belfry rejects such input at parse time (string values may hold it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import canonicalize from 'canonicalize';

const BIN = `${process.env.BELFRY_TESTS || 'build/asan/tests'}/test_ocds_jcs`;
const have = fs.existsSync(BIN);

function cCanon(lines) {
  const r = spawnSync(BIN, ['--canon'], { input: lines.join('\n') + '\n', maxBuffer: 1 << 28, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').slice(0, lines.length);
}

// Deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyPool = ['a', 'b', 'B', '1', '10', '2', '', 'id', 'ocid', '\r', '\u0080', 'ö', '€', '\ud83d\ude00', '\ufb33',
  '\ue000', '\uffff', '\ud800\udc00', 'é', 'e\u0301', '\u0001x', 'x\u001f', '"q"', '\\', 'tender/value', '~0', 'αβγ',
  '中文', '\ud834\udd1e', '\uff21', 'Z', 'z', '_'];
const strPool = ['', 'plain', 'quote " and \\ backslash', 'tab\tnewline\nreturn\r', '\u0001\u0007\u001f\u007f',
  'emoji \ud83d\ude00', '\u2028\u2029', '/slash/', 'mixed ö € 中 \ud834\udd1e', '\b\f'];

function randomDouble(r) {
  const buf = new DataView(new ArrayBuffer(8));
  for (;;) {
    buf.setUint32(0, Math.floor(r() * 2 ** 32));
    buf.setUint32(4, Math.floor(r() * 2 ** 32));
    const d = buf.getFloat64(0);
    if (Number.isFinite(d)) return d;
  }
}

function randomNumber(r) {
  switch (Math.floor(r() * 7)) {
    case 0: return Math.floor(r() * 1e6) - 5e5;
    case 1: return Math.round(r() * 1e8) / 100; // amounts with cents
    case 2: return randomDouble(r);
    case 3: return (r() - 0.5) * 10 ** Math.floor(r() * 60 - 30);
    case 4: return 2 ** 53 + Math.floor(r() * 1e6) * (r() < 0.5 ? -1 : 1);
    case 5: return [0, -0, 1e21, 1e-7, 1e-6, 123e20, 5e-324, 1.7976931348623157e308][Math.floor(r() * 8)];
    default: return r();
  }
}

function randomValue(r, depth) {
  const k = Math.floor(r() * (depth > 4 ? 5 : 8));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2 || k === 3) return randomNumber(r);
  if (k === 4) return strPool[Math.floor(r() * strPool.length)];
  if (k === 5) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) o[keyPool[Math.floor(r() * keyPool.length)]] = randomValue(r, depth + 1);
  return o;
}

test('RFC 8785 Appendix B numbers match canonicalize', { skip: !have && `${BIN} not built` }, () => {
  const bits = ['0000000000000000', '8000000000000000', '0000000000000001', '8000000000000001', '7fefffffffffffff',
    'ffefffffffffffff', '4340000000000000', 'c340000000000000', '4430000000000000', '44b52d02c7e14af5',
    '44b52d02c7e14af6', '44b52d02c7e14af7', '444b1ae4d6e2ef4e', '444b1ae4d6e2ef4f', '444b1ae4d6e2ef50',
    '3eb0c6f7a0b5ed8c', '3eb0c6f7a0b5ed8d', '41b3de4355555553', '41b3de4355555554', '41b3de4355555555',
    '41b3de4355555556', '41b3de4355555557', 'becbf647612f3696', '43143ff3c1cb0959'];
  const nums = bits.map((h) => Buffer.from(h, 'hex').readDoubleBE(0));
  const lines = nums.map((d) => JSON.stringify(d));
  const got = cCanon(lines);
  nums.forEach((d, i) => assert.equal(got[i], canonicalize(d), `bits ${bits[i]}`));
});

test('RFC 8785 sorting and escaping examples match canonicalize', { skip: !have && `${BIN} not built` }, () => {
  const values = [
    { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew', '1': 'One', '\ud83d\ude00': 'Emoji',
      '\u0080': 'Control', '\u00f6': 'o' },
    { numbers: [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
      string: '\u20ac$\u000f\nA\'B"\\\\"/', literals: [null, true, false] },
    { '\ue000': 1, '\ud800\udc00': 2, '\uffff': 3, '\ud83d\ude00': 4 },
  ];
  const got = cCanon(values.map((v) => JSON.stringify(v)));
  values.forEach((v, i) => assert.equal(got[i], canonicalize(v)));
});

test('5000 random values canonicalize identically', { skip: !have && `${BIN} not built` }, () => {
  const r = rng(20251128);
  const values = Array.from({ length: 5000 }, () => randomValue(r, 0));
  const lines = values.map((v) => JSON.stringify(v));
  const got = cCanon(lines);
  let mismatches = 0;
  values.forEach((v, i) => {
    const want = canonicalize(v);
    if (got[i] !== want && mismatches++ < 5) assert.equal(got[i], want, `value ${i}: ${lines[i]}`);
  });
  assert.equal(mismatches, 0);
});

test('2000 random doubles canonicalize identically', { skip: !have && `${BIN} not built` }, () => {
  const r = rng(7);
  const nums = Array.from({ length: 2000 }, () => randomDouble(r));
  const got = cCanon(nums.map((d) => JSON.stringify([d])));
  nums.forEach((d, i) => assert.equal(got[i], canonicalize([d]), `double ${d}`));
});

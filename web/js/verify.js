// verify.js - checks, in the browser and with WebCrypto only, that a release
// shown on a page is the one in Belfry's transparency log:
//   1. the latest checkpoint (c2sp.org/tlog-checkpoint) carries a valid
//      Ed25519 signature by the log's key (c2sp.org/signed-note);
//   2. the receipt (c2sp.org/tlog-proof@v1) for the release's log index
//      carries a checkpoint with a valid signature by the same key, for the
//      same origin, not contradicting the latest one;
//   3. the log entry at that index is an "ocds-release" entry naming this
//      release's ocid and id;
//   4. SHA-256 of the release in RFC 8785 canonical form equals the entry's
//      "sha256";
//   5. SHA-256(0x00 || entry) with the receipt's Merkle path gives the
//      checkpoint's root hash (RFC 9162 §2.1.3.2).
// Pure functions plus one orchestrator taking fetchers, so node tests can
// run every step against known-answer files without a browser.
import { canonicalize } from './jcs.js';

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });
const subtle = globalThis.crypto.subtle;

export class VerifyError extends Error {
  constructor(check, message) { super(message); this.check = check; }
}

export function b64decode(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) throw new Error(`not base64: ${s.slice(0, 20)}`);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

// Verifier key "name+hex8+base64(0x01 || 32-byte Ed25519 public key)".
export async function parseVkey(vkey) {
  // Split on the first two '+' only: the base64 key may contain '+'.
  const a = vkey.indexOf('+');
  const b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
  if (a <= 0 || b < 0) throw new Error('verifier key must be name+id+key');
  const name = vkey.slice(0, a);
  const id = vkey.slice(a + 1, b);
  const k = vkey.slice(b + 1);
  const raw = b64decode(k);
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error('verifier key is not an Ed25519 key');
  const pub = raw.slice(1);
  const keyId = (await sha256(concat(te.encode(`${name}\n`), raw))).slice(0, 4);
  if (hex(keyId) !== id) throw new Error('verifier key id does not match its key');
  return { name, keyId, pub };
}

// A signed note: text (ending in "\n"), a blank line, signature lines.
export function parseNote(text) {
  const i = text.indexOf('\n\n');
  if (i < 0) throw new Error('note has no signature block');
  const body = text.slice(0, i + 1);
  const sigs = [];
  for (const line of text.slice(i + 2).split('\n')) {
    if (line === '') continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error('malformed signature line');
    const raw = b64decode(m[2]);
    if (raw.length < 5) throw new Error('short signature');
    sigs.push({ name: m[1], keyId: raw.slice(0, 4), sig: raw.slice(4) });
  }
  return { body, sigs };
}

export function parseCheckpoint(body) {
  const lines = body.split('\n');
  if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) throw new Error('malformed checkpoint');
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Error('checkpoint root is not a SHA-256 hash');
  return { origin: lines[0], size: BigInt(lines[1]), root };
}

// Verifies the note's signature by key; returns the parsed checkpoint.
export async function verifyCheckpoint(text, key) {
  const note = parseNote(text);
  const sig = note.sigs.find((s) => s.name === key.name && equal(s.keyId, key.keyId));
  if (!sig) throw new Error(`no signature by ${key.name}`);
  if (sig.sig.length !== 64) throw new Error('Ed25519 signature must be 64 bytes');
  const k = await subtle.importKey('raw', key.pub, { name: 'Ed25519' }, false, ['verify']);
  const ok = await subtle.verify({ name: 'Ed25519' }, k, sig.sig, te.encode(note.body));
  if (!ok) throw new Error('the signature does not verify');
  return { ...parseCheckpoint(note.body), text };
}

export function parseReceipt(text) {
  const lines = text.split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') throw new Error('not a c2sp.org/tlog-proof@v1 receipt');
  let i = 1;
  if (lines[i] && lines[i].startsWith('extra ')) i++;
  const m = /^index ([0-9]+)$/.exec(lines[i] || '');
  if (!m) throw new Error('receipt has no index line');
  const index = BigInt(m[1]);
  const proof = [];
  for (i++; i < lines.length && lines[i] !== ''; i++) {
    const h = b64decode(lines[i]);
    if (h.length !== 32) throw new Error('proof hash is not 32 bytes');
    proof.push(h);
  }
  if (i >= lines.length) throw new Error('receipt has no checkpoint');
  return { index, proof, checkpoint: lines.slice(i + 1).join('\n') };
}

export async function leafHash(entry) { return sha256(concat(Uint8Array.of(0), entry)); }
async function nodeHash(l, r) { return sha256(concat(Uint8Array.of(1), l, r)); }

// RFC 9162 §2.1.3.2: the root computed from a leaf hash and its path.
export async function rootFromPath(index, size, leaf, proof) {
  if (index >= size) throw new Error('index beyond the tree');
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new Error('proof too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('proof too short');
  return r;
}

// Entries of a C2SP entry bundle: uint16 big-endian length, then the bytes.
export function parseBundle(bytes) {
  const out = [];
  for (let o = 0; o < bytes.length;) {
    if (o + 2 > bytes.length) throw new Error('truncated entry bundle');
    const n = (bytes[o] << 8) | bytes[o + 1];
    if (o + 2 + n > bytes.length) throw new Error('truncated entry bundle');
    out.push(bytes.slice(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return out;
}

// "x001/x234/067" for 1234067 (c2sp.org/tlog-tiles).
export function tileIndexPath(n) {
  const s = n.toString().padStart(3, '0');
  const groups = [];
  for (let e = s.length; e > 0; e -= 3) groups.unshift(s.slice(Math.max(0, e - 3), e).padStart(3, '0'));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

async function step(checks, id, fn) {
  try {
    const r = await fn();
    checks.push({ id, ok: true });
    return r;
  } catch (e) {
    checks.push({ id, ok: false, detail: e.message });
    throw new VerifyError(id, e.message);
  }
}

// Fetches the raw entry at index: the JSON API first, the entry bundle as a fallback.
async function entryBytes(io, index, size) {
  try {
    return await io.bytes(`/api/v1/log/entries/${index}`);
  } catch (e) {
    const n = index / 256n;
    const width = (n + 1n) * 256n <= size ? 256n : size % 256n;
    const path = `/log/tile/entries/${tileIndexPath(n)}${width === 256n ? '' : `.p/${width}`}`;
    const all = parseBundle(await io.bytes(path));
    const e2 = all[Number(index % 256n)];
    if (!e2) throw new Error('entry not in its bundle');
    return e2;
  }
}

// Verifies one release (the parsed object the page shows) at log index.
// io: { text(url) -> string, bytes(url) -> Uint8Array }; ctx caches the
// key and the latest checkpoint across releases of one page.
// Returns { ok, checks: [{ id, ok, detail }], failed }.
export async function verifyRelease(io, ctx, release, index) {
  const checks = [];
  try {
    const idx = BigInt(index);
    const key = await step(checks, 'key', async () => {
      if (!ctx.key) {
        const info = JSON.parse(await io.text('/api/v1/log/info'));
        ctx.key = await parseVkey(info.vkey);
        ctx.origin = info.origin;
      }
      return ctx.key;
    });
    const latest = await step(checks, 'checkpoint', async () => {
      if (!ctx.latest) {
        const cp = await verifyCheckpoint(await io.text('/log/checkpoint'), key);
        if (cp.origin !== ctx.origin) throw new Error(`checkpoint is for ${cp.origin}, not ${ctx.origin}`);
        ctx.latest = cp;
      }
      return ctx.latest;
    });
    const receipt = await step(checks, 'receipt', async () => {
      const r = parseReceipt(await io.text(`/log/proof/${idx}`));
      if (r.index !== idx) throw new Error(`receipt is for index ${r.index}, not ${idx}`);
      const cp = await verifyCheckpoint(r.checkpoint, key);
      if (cp.origin !== latest.origin) throw new Error('receipt checkpoint has another origin');
      if (cp.size === latest.size && !equal(cp.root, latest.root)) throw new Error('receipt checkpoint contradicts the latest checkpoint');
      return { ...r, cp };
    });
    const entry = await step(checks, 'entry', async () => {
      const bytes = await entryBytes(io, idx, receipt.cp.size);
      const e = JSON.parse(td.decode(bytes));
      if (e.type !== 'ocds-release') throw new Error(`entry is of type ${e.type}`);
      if (e.ocid !== release.ocid || e.id !== release.id) throw new Error(`entry names ${e.ocid} ${e.id}`);
      return { bytes, e };
    });
    await step(checks, 'digest', async () => {
      const d = hex(await sha256(te.encode(canonicalize(release))));
      if (d !== entry.e.sha256) throw new Error(`release digest ${d.slice(0, 16)}… differs from the log's ${String(entry.e.sha256).slice(0, 16)}…`);
    });
    await step(checks, 'inclusion', async () => {
      const root = await rootFromPath(idx, receipt.cp.size, await leafHash(entry.bytes), receipt.proof);
      if (!equal(root, receipt.cp.root)) throw new Error('the Merkle path does not lead to the signed root');
    });
    return { ok: true, checks, size: receipt.cp.size };
  } catch (e) {
    return { ok: false, checks, failed: e.check || 'unknown', reason: e.message };
  }
}

// Browser fetchers for verifyRelease.
export const browserIO = {
  async text(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.text();
  },
  async bytes(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  },
};

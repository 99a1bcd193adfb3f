// portal_i18n.test.mjs - the four dictionaries (nl, fr, en, de) are complete
// and consistent: same keys, same {placeholders}, no empty text; every key
// used by the pages (data-i18n attributes, t('...') calls) exists; and the
// pages keep a strict CSP possible (no inline script, style or handler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const dir = 'web/js/i18n';
const langs = ['nl', 'fr', 'en', 'de'];
const dicts = Object.fromEntries(langs.map((l) => [l, JSON.parse(fs.readFileSync(path.join(dir, `${l}.json`), 'utf8'))]));
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');

test('every dictionary has exactly the English keys, non-empty', () => {
  const en = Object.keys(dicts.en).sort();
  for (const l of langs) {
    assert.deepEqual(Object.keys(dicts[l]).sort(), en, `${l}.json keys`);
    for (const [k, v] of Object.entries(dicts[l])) assert.ok(typeof v === 'string' && v.trim(), `${l}:${k} is empty`);
  }
});

test('placeholders agree across languages', () => {
  for (const [k, v] of Object.entries(dicts.en)) {
    for (const l of langs) assert.equal(placeholders(dicts[l][k]), placeholders(v), `${l}:${k}`);
  }
});

test('translations are not left in English', () => {
  let same = 0;
  const keys = Object.keys(dicts.en);
  for (const l of ['nl', 'fr', 'de']) for (const k of keys) if (dicts[l][k] === dicts.en[k]) same++;
  // Proper names, codes and words shared by the languages (Procedure, Contract, Status...) may coincide.
  assert.ok(same < keys.length * 0.15 * 3, `${same} identical strings across nl/fr/de`);
});

test('every key the pages use exists', () => {
  const used = new Set();
  for (const f of fs.readdirSync('web').filter((x) => x.endsWith('.html'))) {
    const html = fs.readFileSync(path.join('web', f), 'utf8');
    for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) used.add(m[1]);
    for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) for (const pair of m[1].split(';')) used.add(pair.split(':')[1]);
  }
  for (const f of fs.readdirSync('web/js').filter((x) => x.endsWith('.js'))) {
    const js = fs.readFileSync(path.join('web/js', f), 'utf8');
    for (const m of js.matchAll(/\bt\('([a-zA-Z0-9.\-]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 100, `found ${used.size} keys in use`);
  for (const k of used) assert.ok(k in dicts.en, `missing key ${k}`);
});

test('pages have no inline script, style or event handler (strict CSP)', () => {
  for (const f of fs.readdirSync('web').filter((x) => x.endsWith('.html'))) {
    const html = fs.readFileSync(path.join('web', f), 'utf8');
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(m[1], /\bsrc="\//, `${f}: script without src`);
      assert.equal(m[2].trim(), '', `${f}: inline script body`);
    }
    assert.doesNotMatch(html, /<style\b|\sstyle="|\son[a-z]+="/i, `${f}: inline style or handler`);
    assert.match(html, /<html lang="/, `${f}: html lang`);
  }
  for (const f of fs.readdirSync('web/js').filter((x) => x.endsWith('.js'))) {
    assert.doesNotMatch(fs.readFileSync(path.join('web/js', f), 'utf8'), /innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function/, `${f}: builds HTML from strings`);
  }
});

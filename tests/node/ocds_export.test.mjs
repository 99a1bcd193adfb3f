// ocds_export.test.mjs - Belfry's exports checked by independent tools:
//  - release and record packages built by the C export writers (through
//    `build/asan/tests/test_ocds_export --export`) from real publishers'
//    samples and from generated defence procedures (public form, withheld
//    fields replaced by commitment markers) validate against the official
//    OCDS 1.1.5 package schemas with ajv (draft-04, schema ids mapped to the
//    local copies in ../shared/data/ocds/schema/);
//  - the ledger entry digests of those releases (ocds_entry_line, through
//    `--entries`) equal SHA-256 over npm canonicalize's RFC 8785 form;
//  - gzip exports decompress to the same package; JSON Lines lines are
//    releases; CSV tables have their parent keys.
// Skips when the binaries or the shared data are absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import canonicalize from 'canonicalize';
import Ajv04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

const Ajv04 = Ajv04Module.default || Ajv04Module;
const addFormats = addFormatsModule.default || addFormatsModule;
const BIN = `${process.env.BELFRY_TESTS || 'build/asan/tests'}/test_ocds_export`;
const SHARED = process.env.BELFRY_SHARED || '../shared/data';
const SCHEMA = path.join(SHARED, 'ocds/schema');
const REAL = path.join(SHARED, 'ocds/real');
const skip = !fs.existsSync(BIN) ? `${BIN} not built` : !fs.existsSync(SCHEMA) ? `no ${SCHEMA}` : false;

// Real samples documented as valid against OCDS 1.1.5 (procurement.md §1.6).
const samples = [
  'prozorro-2018/releases-10.json',
  'prozorro-2018/release-c3f4965758c9b7391f86c676f59b828a.json',
  'sample-data-2018/mexico-jalisco/releases/ocds-xs1qbl-SFIN-03-0001-00-2017-20180118T043951880Z-planning.json',
  'sample-data-2018/mexico-jalisco/releases/ocds-xs1qbl-SFIN-03-0001-00-2017-20180118T043951992Z-tender.json',
  'sample-data-2018/mexico-jalisco/releases/ocds-xs1qbl-SFIN-03-0001-00-2017-20180118T043952078Z-award.json',
  'sample-data-2018/uk-contracts-finder/releases/ocds-b5fd17-2c330cf9-adc8-11e6-9901-0019b9f3037b-59429-metofc-9mgh-ghl8ty.json',
  'ocdskit-realdata/release-package-2.json',
].map((f) => path.join(REAL, f));
const GENERATED = '40';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'belfry-export-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args) {
  const r = spawnSync(BIN, args, { maxBuffer: 1 << 28, encoding: 'utf8' });
  assert.equal(r.status, 0, `${BIN} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// The generated procedures are made public once (withholding draws fresh
// salts), and every export below reads that same package.
const generated = path.join(tmp, 'generated.json');
if (!skip) run(['--export', 'release-package', 'none', generated, '--generated', GENERATED]);

function exportTo(format, compress, out, inputs) {
  run(['--export', format, compress, out, generated, ...inputs]);
  return out;
}

function ajv() {
  const a = new Ajv04({ strict: false, allErrors: true, allowUnionTypes: true, validateFormats: true });
  addFormats(a);
  for (const f of ['release-schema.json', 'versioned-release-validation-schema.json', 'release-package-schema.json',
    'record-package-schema.json']) {
    a.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA, f), 'utf8'))); // registered under its "id"
  }
  return a;
}

const ID = 'https://standard.open-contracting.org/schema/1__1__5/';

function validate(a, schema, doc) {
  const v = a.getSchema(ID + schema);
  const okay = v(doc);
  assert.ok(okay, JSON.stringify((v.errors || []).slice(0, 5), null, 1));
}

test('release package of real samples + generated defence releases validates (ajv, OCDS 1.1.5)', { skip }, () => {
  const out = exportTo('release-package', 'none', path.join(tmp, 'releases.json'), samples);
  const pkg = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.ok(pkg.releases.length >= 3 * Number(GENERATED) + 15, `${pkg.releases.length} releases`);
  assert.ok(pkg.releases.some((r) => r.tender && r.tender.value && r.tender.value.withheld === true),
    'some generated releases carry withheld markers');
  assert.ok(pkg.releases.some((r) => r.ocid.startsWith('ocds-be6bcu')), 'ProZorro releases included');
  validate(ajv(), 'release-package-schema.json', pkg);
});

test('record package (embedded releases, compiledRelease, versionedRelease) validates', { skip }, () => {
  // Only OCDS 1.1 inputs: the CDMX package has no version (OCDS 1.0), whose
  // id-less suppliers merge as whole lists only under 1.0 rules.
  const v11 = samples.filter((f) => !f.includes('release-package-2'));
  const out = exportTo('record-package', 'none', path.join(tmp, 'records.json'), v11);
  const pkg = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.ok(pkg.records.length >= Number(GENERATED) + 10, `${pkg.records.length} records`);
  assert.ok(pkg.records.some((r) => r.releases.length === 3 && r.compiledRelease.contracts), 'generated records merge 3 releases');
  for (const rec of pkg.records) {
    assert.equal(rec.compiledRelease.ocid, rec.ocid);
    assert.deepEqual(rec.compiledRelease.tag, ['compiled']);
    assert.equal(typeof rec.versionedRelease, 'object');
  }
  validate(ajv(), 'record-package-schema.json', pkg);
});

test('ledger digests of exported releases match SHA-256 of npm canonicalize', { skip }, () => {
  const out = exportTo('release-package', 'none', path.join(tmp, 'digest.json'), samples);
  const pkg = JSON.parse(fs.readFileSync(out, 'utf8'));
  const entries = run(['--entries', generated, ...samples]).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(entries.length, pkg.releases.length);
  pkg.releases.forEach((rel, i) => {
    const e = entries[i];
    const digest = crypto.createHash('sha256').update(canonicalize(rel), 'utf8').digest('hex');
    assert.equal(e.type, 'ocds-release');
    assert.equal(e.ocid, rel.ocid);
    assert.equal(e.id, rel.id);
    assert.equal(e.date, rel.date);
    assert.deepEqual(e.tag, rel.tag);
    assert.equal(e.sha256, digest, `release ${i} (${rel.ocid} ${rel.id})`);
    assert.equal(JSON.stringify(e), JSON.stringify(JSON.parse(canonicalize(e))), 'entry line is itself JCS');
  });
  // The public form hides withheld values: no generated amount leaks next to a marker.
  for (const rel of pkg.releases) {
    if (rel.withheld) for (const w of rel.withheld) {
      const v = w.path.split('/').slice(1).reduce((o, k) => o && o[k.replace(/~1/g, '/').replace(/~0/g, '~')], rel);
      assert.equal(v.withheld, true);
      assert.match(v.commitment, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(Object.keys(v).sort(), ['commitment', 'disclosureDate', 'reason', 'withheld']);
    }
  }
});

test('gzip release package decompresses to the same package; JSON Lines are releases', { skip }, () => {
  const plain = JSON.parse(fs.readFileSync(exportTo('release-package', 'none', path.join(tmp, 'p.json'), samples)));
  const gz = exportTo('release-package', 'gzip', path.join(tmp, 'p.json.gz'), samples);
  const unz = JSON.parse(zlib.gunzipSync(fs.readFileSync(gz)).toString('utf8'));
  delete plain.publishedDate; delete unz.publishedDate;
  assert.deepEqual(unz, plain);
  const lines = fs.readFileSync(exportTo('jsonl', 'gzip', path.join(tmp, 'r.jsonl.gz'), samples));
  const rels = zlib.gunzipSync(lines).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rels, plain.releases);
  const a = ajv();
  const v = a.getSchema(ID + 'release-schema.json');
  for (const r of rels.slice(0, 50)) assert.ok(v(r), JSON.stringify(v.errors));
});

test('CSV tables: main plus one table per array with parent keys', { skip }, () => {
  const dir = path.join(tmp, 'csv');
  exportTo('csv', 'none', dir, samples);
  const files = fs.readdirSync(dir).sort();
  for (const f of ['main.csv', 'awards.csv', 'awards_suppliers.csv', 'tender_items.csv', 'parties.csv']) {
    assert.ok(files.includes(f), `${f} in ${files.join(' ')}`);
  }
  assert.ok(!files.some((f) => f.startsWith('.spool')), 'no spool files left');
  const main = fs.readFileSync(path.join(dir, 'main.csv'), 'utf8').split('\r\n');
  assert.match(main[0], /^ocid,id,date,tag,/);
  const sup = fs.readFileSync(path.join(dir, 'awards_suppliers.csv'), 'utf8').split('\r\n');
  assert.match(sup[0], /^ocid,id,awards\/id,/);
});

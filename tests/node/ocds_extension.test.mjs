// ocds_extension.test.mjs - the defence extension (ext/defence/) checked
// with independent tools:
//  - its release-schema.json patch is a valid draft-04 schema, and the
//    OCDS 1.1.5 release schema patched with it (RFC 7386 merge patch, as
//    OCDS tools apply extensions) compiles with ajv;
//  - extension.json lists existing codelists, and each codelist CSV has
//    exactly the codes of the schema enum that names it;
//  - generated defence releases, full (private) and public (withheld
//    fields replaced by markers), validate against the patched schema, and
//    the patch really constrains (a bad capability area fails it while the
//    core schema accepts it);
//  - withheld commitments made in C (test_ocds_withheld --withhold) open
//    in node: sha256(salt bytes || canonicalize(value)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import canonicalize from 'canonicalize';
import Ajv04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

const Ajv04 = Ajv04Module.default || Ajv04Module;
const addFormats = addFormatsModule.default || addFormatsModule;
const TESTS = process.env.BELFRY_TESTS || 'build/asan/tests';
const EXPORT = `${TESTS}/test_ocds_export`;
const WITHHELD = `${TESTS}/test_ocds_withheld`;
const SCHEMA = path.join(process.env.BELFRY_SHARED || '../shared/data', 'ocds/schema');
const EXT = 'ext/defence';
const noSchema = !fs.existsSync(SCHEMA) && `no ${SCHEMA}`;

const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));

function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function ajv() {
  const a = new Ajv04({ strict: false, allErrors: true, allowUnionTypes: true });
  addFormats(a);
  return a;
}

function patchedValidator() {
  const core = read(path.join(SCHEMA, 'release-schema.json'));
  const patched = mergePatch(core, read(path.join(EXT, 'release-schema.json')));
  patched.id = 'https://belfry.example/ext/defence/patched-release-schema.json';
  const a = ajv();
  return { patched: a.compile(patched), core: ajv().compile(core) };
}

function csvCodes(file) {
  const lines = fs.readFileSync(path.join(EXT, 'codelists', file), 'utf8').trim().split(/\r?\n/);
  assert.equal(lines[0].split(',')[0], 'Code', `${file} header`);
  return lines.slice(1).map((l) => l.split(',')[0]).sort();
}

// Every {"codelist": X, "enum": [...]} in the patch, with its enum.
function codelistEnums(node, acc = {}) {
  if (Array.isArray(node)) node.forEach((n) => codelistEnums(n, acc));
  else if (node && typeof node === 'object') {
    if (typeof node.codelist === 'string') {
      const e = node.enum || (node.items && node.items.enum);
      if (e) (acc[node.codelist] ||= new Set()).add(JSON.stringify(e.filter((x) => x !== null).sort()));
    }
    Object.values(node).forEach((n) => codelistEnums(n, acc));
  }
  return acc;
}

test('the extension patch is a valid draft-04 schema and the patched release schema compiles', { skip: noSchema }, () => {
  const a = ajv();
  assert.ok(a.validateSchema(read(path.join(EXT, 'release-schema.json'))), JSON.stringify(a.errors));
  const { patched } = patchedValidator();
  assert.equal(typeof patched, 'function');
});

test('extension.json is complete and its codelists match the schema enums', () => {
  const ext = read(path.join(EXT, 'extension.json'));
  for (const k of ['name', 'description', 'documentationUrl']) assert.equal(typeof ext[k].en, 'string', k);
  assert.ok(ext.compatibility.includes('1.1'));
  assert.deepEqual(ext.schemas, ['release-schema.json']);
  const enums = codelistEnums(read(path.join(EXT, 'release-schema.json')));
  assert.deepEqual(Object.keys(enums).sort(), [...ext.codelists].sort(), 'every codelist is used by the schema');
  for (const file of ext.codelists) {
    const codes = JSON.stringify(csvCodes(file));
    assert.equal(enums[file].size, 1, `${file}: one enum`);
    assert.equal([...enums[file]][0], codes, `${file} codes equal the schema enum`);
  }
  assert.ok(fs.existsSync(path.join(EXT, 'README.md')), 'README documents the extension');
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'belfry-ext-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const noBin = !fs.existsSync(EXPORT) && `${EXPORT} not built`;

test('generated defence releases (full and public) validate against release schema + extension', { skip: noSchema || noBin }, () => {
  const { patched, core } = patchedValidator();
  for (const mode of ['--generated-full', '--generated']) {
    const out = path.join(tmp, `gen${mode}.json`);
    const r = spawnSync(EXPORT, ['--export', 'release-package', 'none', out, mode, '30'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rels = read(out).releases;
    assert.equal(rels.length, 90);
    assert.ok(rels.some((x) => x.tender && x.tender.defence && x.tender.defence.negotiatedWithoutPublicationGround));
    for (const rel of rels) assert.ok(patched(rel), `${mode} ${rel.ocid} ${rel.id}: ${JSON.stringify(patched.errors)}`);
  }
  const bad = read(path.join(tmp, 'gen--generated-full.json')).releases[0];
  bad.tender.defence.capabilityArea = 'space';
  assert.ok(core(bad), 'the core schema does not know the extension');
  assert.equal(patched(bad), false, 'the patched schema rejects a bad capability area');
  bad.tender.defence.capabilityArea = 'land';
  bad.tender.defence.subcontracting.maximumPercentage = 45;
  assert.equal(patched(bad), false, 'and a subcontracting share above 30 %');
});

test('withheld commitments made in C open in node; a wrong value or salt does not', { skip: noBin || (!fs.existsSync(WITHHELD) && `${WITHHELD} not built`) }, () => {
  const release = {
    ocid: 'ocds-b3lfry-X-1', id: 'x-1', date: '2025-05-05T00:00:00Z', tag: ['award'], initiationType: 'tender',
    tender: { id: 't', value: { amount: 98765.43, currency: 'EUR' } },
    awards: [{ id: 'a', value: { amount: 12, currency: 'EUR' }, suppliers: [{ id: 's', name: 'Secret \u00e9 GmbH' }] }],
    withheld: [
      { path: '/tender/value', reason: 'defenceSecurity', disclosureDate: '2030-01-01' },
      { path: '/awards/0/suppliers/0', reason: 'commercialInterest' },
    ],
  };
  const r = spawnSync(WITHHELD, ['--withhold'], { input: JSON.stringify(release) + '\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [pubText, sideText] = r.stdout.trim().split('\n');
  const pub = JSON.parse(pubText);
  const side = JSON.parse(sideText);
  assert.ok(!pubText.includes('98765') && !pubText.includes('Secret'), 'no withheld value in the public release');
  for (const w of release.withheld) {
    const marker = w.path.split('/').slice(1).reduce((o, k) => o[k], pub);
    const value = side.values[w.path];
    const salt = Buffer.from(side.salts[w.path], 'hex');
    assert.equal(salt.length, 32);
    const open = (v, s) => 'sha256:' + crypto.createHash('sha256').update(Buffer.concat([s, Buffer.from(canonicalize(v), 'utf8')])).digest('hex');
    assert.equal(open(value, salt), marker.commitment, `${w.path} opens`);
    assert.notEqual(open({ ...value, x: 1 }, salt), marker.commitment, 'a different value does not');
    const salt2 = Buffer.from(salt); salt2[0] ^= 1;
    assert.notEqual(open(value, salt2), marker.commitment, 'a different salt does not');
    assert.deepEqual(value, w.path === '/tender/value' ? release.tender.value : release.awards[0].suppliers[0]);
  }
});

// ---- releases of the buyer lifecycle ----------------------------------------------------------
// Three procedures walked with `belfry proc` (the service the HTTP API
// uses): a restricted one, accelerated, with a clarification, bids, a
// withheld winner disclosed after the award (relatedBid), contract and
// early termination; one cancelled; one negotiated without publication.
// Every public release validates against release schema + patch, and every
// member it holds is defined there (or by the official bids and lots
// extensions), so no lifecycle field goes undocumented.
const BELFRY = process.env.BELFRY || 'build/asan/belfry';
const noBelfry = !fs.existsSync(BELFRY) && `${BELFRY} not built`;

function belfry(args, input, env = {}) {
  const r = spawnSync(BELFRY, args, { input, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `belfry ${args.join(' ')}: ${r.stdout} ${r.stderr}`);
  return r.stdout;
}

function walkLifecycle(dir) {
  belfry(['init', '--data', dir, '--origin', 'belfry.test/ext']);
  const tok = belfry(['token', 'create', '--data', dir, '--role', 'officer', '--buyer', 'BE-MOD']).trim();
  const proc = (...a) => JSON.parse(belfry(['proc', '--data', dir, ...a.slice(0, -1), '-'], JSON.stringify(a.at(-1)),
    { BELFRY_TOKEN: tok }));
  const C3 = [{ id: 'BE-0400378485', name: 'FN Herstal' }, { id: 'FR-552100554', name: 'Thales' },
    { id: 'NL-27376655', name: 'Damen' }];
  const o1 = proc('create', { title: 'Counter-drone systems', procedure: 'restricted', mainProcurementCategory: 'goods',
    estimatedValue: { amount: 12000000, currency: 'EUR' }, capabilityArea: 'dronesUav', cpv: '35613000',
    securityClassification: 'restricted', date: '2025-01-06',
    withheld: [{ path: '/awards/0/suppliers', reason: 'defenceSecurity', disclosureDate: '2027-01-01' }] }).ocid;
  proc('step', o1, 'tender', { date: '2025-02-03', requestsDeadline: '2025-02-20', accelerated: true,
    urgencyJustification: 'operational need after a crisis', electronicNotice: true });
  proc('step', o1, 'invitation', { date: '2025-02-24', tenderDeadline: '2025-03-10', candidates: C3 });
  proc('step', o1, 'clarifications', { date: '2025-03-03', question: 'Detection range?', answer: '5 km' });
  proc('step', o1, 'bids', { date: '2025-03-11', bids: [
    { id: 'B1', tenderer: C3[0], value: { amount: 10000000, currency: 'EUR' }, date: '2025-03-09' },
    { id: 'B2', tenderer: C3[1], value: { amount: 9500000, currency: 'EUR' }, date: '2025-03-09' }] });
  proc('step', o1, 'award', { date: '2025-03-20', bidId: 'B2', rationale: 'best price-quality ratio' });
  proc('step', o1, 'contract', { date: '2025-04-15', dateSigned: '2025-04-01',
    period: { startDate: '2025-04-01', endDate: '2026-03-31' } });
  proc('step', o1, 'disclosure', { date: '2025-04-16', paths: ['/awards/0/suppliers/0'] });
  proc('step', o1, 'termination', { date: '2025-06-01', rationale: 'supplier default' });
  const o2 = proc('create', { title: 'Field kitchens', procedure: 'negotiatedWithPublication',
    mainProcurementCategory: 'goods', estimatedValue: { amount: 2400000, currency: 'EUR' }, capabilityArea: 'land',
    date: '2025-01-06' }).ocid;
  proc('step', o2, 'tender', { date: '2025-02-03', requestsDeadline: '2025-03-12' });
  proc('step', o2, 'cancellation', { date: '2025-02-10', rationale: 'requirement withdrawn' });
  proc('create', { title: 'Spare parts', procedure: 'negotiatedWithoutPublication', mainProcurementCategory: 'goods',
    estimatedValue: { amount: 900000, currency: 'EUR' }, capabilityArea: 'combatAircraft', date: '2025-01-06',
    article28Ground: 'art28-1e', article28Justification: 'exclusive rights of the manufacturer' });
  const out = path.join(dir, 'releases.json');
  belfry(['export', '--data', dir, '--format', 'release-package', '--out', out]);
  return read(out).releases;
}

// Property names the schema defines at each level (resolving $ref), or null
// where anything goes (no "properties").
function definedMembers(schema, node, seen = new Set()) {
  if (node && node.$ref) {
    if (seen.has(node.$ref)) return node;
    seen.add(node.$ref);
    return definedMembers(schema, node.$ref.slice(2).split('/').reduce((o, k) => o[k], schema), seen);
  }
  return node;
}

// Paths of members of v that schema node s does not define.
function undocumented(schema, s, v, at, acc) {
  const node = definedMembers(schema, s);
  if (Array.isArray(v)) {
    v.forEach((x, i) => undocumented(schema, node && node.items, x, `${at}/${i}`, acc));
  } else if (v && typeof v === 'object') {
    if (v.withheld === true && typeof v.commitment === 'string') return acc; // a WithheldMarker
    if (!node || !node.properties) return acc;
    for (const [k, x] of Object.entries(v)) {
      if (!(k in node.properties)) acc.push(`${at}/${k}`);
      else undocumented(schema, node.properties[k], x, `${at}/${k}`, acc);
    }
  }
  return acc;
}

// The official bids and lots extensions (accepted and checked by Belfry, not in our patch).
const officialExtensions = /^\/(bids(\/|$)|tender\/(lots|lotGroups)(\/|$)|tender\/items\/\d+\/relatedLot$|awards\/\d+\/relatedLots$)/;

test('lifecycle releases validate against release schema + extension and use only documented fields', { skip: noSchema || noBelfry }, () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'walk-'));
  const rels = walkLifecycle(dir);
  assert.ok(rels.length >= 12, `${rels.length} releases`);
  const { patched } = patchedValidator();
  const schema = mergePatch(read(path.join(SCHEMA, 'release-schema.json')), read(path.join(EXT, 'release-schema.json')));
  const seen = new Set();
  for (const rel of rels) {
    assert.ok(patched(rel), `${rel.id}: ${JSON.stringify(patched.errors)}`);
    const extra = undocumented(schema, schema, rel, '', []).filter((p) => !officialExtensions.test(p));
    assert.deepEqual(extra, [], `${rel.id}: members the schema and the patch do not define`);
    const t = rel.tender || {};
    if (t.participationRequestPeriod) seen.add('participationRequestPeriod');
    if (t.defence && t.defence.rules) seen.add('rules');
    if (t.defence && t.defence.accelerated === true && t.defence.urgencyJustification) seen.add('accelerated');
    if (t.statusDetails) seen.add('statusDetails');
    if (t.enquiries && t.enquiries.length) seen.add('enquiries');
    if ((rel.awards || []).some((a) => a.relatedBid)) seen.add('relatedBid');
    if ((rel.contracts || []).some((k) => k.terminationRationale)) seen.add('terminationRationale');
  }
  assert.deepEqual([...seen].sort(), ['accelerated', 'enquiries', 'participationRequestPeriod', 'relatedBid', 'rules',
    'statusDetails', 'terminationRationale'], 'the walk emits every lifecycle field');
  // the patch constrains them: a wrong type fails
  const bad = structuredClone(rels.find((r) => r.tender && r.tender.enquiries));
  bad.tender.enquiries[0].dateAnswered = 'yesterday';
  assert.equal(patched(bad), false, 'an enquiry answered "yesterday" fails');
  const bad2 = structuredClone(rels.find((r) => r.tender && r.tender.defence && r.tender.defence.accelerated));
  bad2.tender.defence.accelerated = 'yes';
  assert.equal(patched(bad2), false, 'accelerated must be a boolean');
});

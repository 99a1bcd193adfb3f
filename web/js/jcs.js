// jcs.js - RFC 8785 JSON Canonicalization Scheme for values from JSON.parse.
// Object members are sorted by UTF-16 code units (the default string order
// of Array.prototype.sort), numbers use ECMAScript's shortest round-trip
// form (what JSON.stringify produces), strings JSON.stringify's escaping,
// which is exactly JCS's: \b \f \n \r \t \" \\ and \u00xx for other controls.
export function canonicalize(v) {
  if (v === null || typeof v === 'boolean') return v ? 'true' : v === false ? 'false' : 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('JCS cannot represent a non-finite number');
    return JSON.stringify(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalize).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(v[k])}`).join(',')}}`;
  }
  throw new Error(`JCS cannot represent a ${typeof v}`);
}

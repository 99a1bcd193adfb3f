// api.js - fetch helpers for Belfry's JSON API: one error type carrying the
// standard error object {"error":{"status","code","message","rule"}}.
export class ApiError extends Error {
  constructor(status, message, detail) {
    super(message);
    this.status = status;
    this.detail = detail || {};
  }
}

const TOKEN_KEY = 'belfry.token';

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function setToken(tok) {
  if (tok) sessionStorage.setItem(TOKEN_KEY, tok); else sessionStorage.removeItem(TOKEN_KEY);
}

async function parse(r) {
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!r.ok) {
    const e = body && body.error ? body.error : {};
    throw new ApiError(r.status, e.message || `${r.status} ${r.statusText}`, e);
  }
  return body;
}

export async function getJSON(url, { auth = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (auth && token()) headers.Authorization = `Bearer ${token()}`;
  return parse(await fetch(url, { headers }));
}

export async function sendJSON(method, url, data, { auth = true } = {}) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
  if (auth && token()) headers.Authorization = `Bearer ${token()}`;
  return parse(await fetch(url, { method, headers, body: JSON.stringify(data) }));
}

export function enc(s) { return encodeURIComponent(s); }

// ttx: payment URIs, ttx:<address>?amount=1.5&memo=..., parsed and
// formatted by the rules of the Go package ttxuri (BIP 21's shape): the
// amount is an exact decimal (BigInt units, never a float) and not zero;
// the memo is percent-encoded printable ASCII; unknown parameters are
// ignored unless named req-…, which are refused; none may appear twice.

import * as money from './money.js';
import * as bech32 from './bech32.js';

const SCHEME = 'ttx:';
const MAX_MEMO = 4096; // dag.HardMaxMemo
const MAX_LEN = 3 * MAX_MEMO + 256; // ttxuri.MaxLen

// isURI tells a ttx: URI from a bare address.
export function isURI(s) {
  s = s.trim();
  return s.length > SCHEME.length && s.slice(0, SCHEME.length).toLowerCase() === SCHEME;
}

// format returns the canonical URI for address, amount (units, 0n for none)
// and memo ('' for none).
export function format(address, units, memo) {
  let u = SCHEME + address;
  let sep = '?';
  if (units > 0n) {
    u += sep + 'amount=' + money.format(units);
    sep = '&';
  }
  if (memo) u += sep + 'memo=' + escape(memo);
  return u;
}

function escape(s) {
  let out = '';
  for (const c of s) {
    out += /^[A-Za-z0-9\-._~]$/.test(c) ? c : '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// unescape decodes %XX escapes into a string of bytes (one char per byte),
// or throws on a malformed escape.
function unescape(name, v) {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '%') {
      out += v[i];
      continue;
    }
    const hex = v.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`parameter ${name}: bad percent-encoding`);
    out += String.fromCharCode(parseInt(hex, 16));
    i += 2;
  }
  return out;
}

// parse reads a URI for a network whose addresses start with prefix. It
// returns {address, units, memo} or throws an Error saying what is wrong.
export function parse(s, prefix) {
  s = s.trim();
  if (s.length > MAX_LEN) throw new Error(`longer than ${MAX_LEN} characters`);
  if (!isURI(s)) throw new Error('it does not start with "ttx:"');
  const rest = s.slice(SCHEME.length);
  const q = rest.indexOf('?');
  const addr = q < 0 ? rest : rest.slice(0, q);
  if (addr.trim() === '') throw new Error('no address after "ttx:"');
  if (addr !== addr.trim()) throw new Error('address: white space inside the URI');
  const chk = bech32.check(addr, prefix);
  if (!chk.ok) throw new Error(`address: ${chk.message || 'incomplete'}`);
  const r = { address: addr.toLowerCase(), units: 0n, memo: '' };
  if (q < 0) return r;
  const seen = new Set();
  for (const kv of rest.slice(q + 1).split('&')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`parameter "${kv}" is not name=value`);
    const k = kv.slice(0, eq);
    if (seen.has(k)) throw new Error(`parameter "${k}" given twice`);
    seen.add(k);
    const v = unescape(k, kv.slice(eq + 1));
    if (k === 'amount') {
      if (!/^\d+(\.\d+)?$/.test(v) || v.length > 40) throw new Error(`amount "${v}": write it with digits and at most one "." (e.g. 1.5)`);
      r.units = money.parse(v);
      if (r.units === 0n) throw new Error('amount is zero');
    } else if (k === 'memo') {
      if (!/^[\x20-\x7e]*$/.test(v)) throw new Error('memo must be printable ASCII');
      if (v.length > MAX_MEMO) throw new Error(`memo is ${v.length} bytes, limit ${MAX_MEMO}`);
      r.memo = v;
    } else if (k.startsWith('req-')) {
      throw new Error(`unsupported required parameter "${k}": this wallet cannot honour it`);
    }
  }
  return r;
}

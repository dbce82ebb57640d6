// The node's API and its live events, for every page.

import { icon, replace } from './ui.js';

// APIError is an error answer of the API: its message, code and status.
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api calls the node's API and returns the decoded JSON.
export async function api(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: { Accept: 'application/json', ...(opts.headers || {}) } });
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: handled below
  }
  if (!res.ok) {
    throw new APIError(res.status, data && data.code, (data && data.error) || `${res.status} ${res.statusText}`);
  }
  return data;
}

let statusPromise = null;
// status returns /v1/status, fetched once per page load.
export function status() {
  if (!statusPromise) statusPromise = api('/v1/status');
  return statusPromise;
}

// Live events: one EventSource per page, shared by whoever listens.
const listeners = new Set();
let source = null;
export function onTx(fn) {
  listeners.add(fn);
  if (source) return;
  source = new EventSource('/events');
  source.addEventListener('tx', (m) => {
    const ev = JSON.parse(m.data);
    for (const l of listeners) l(ev);
  });
  source.addEventListener('open', () => setLive(true));
  source.addEventListener('error', () => setLive(false));
}

function setLive(up) {
  const e = document.getElementById('live');
  if (!e) return;
  e.dataset.up = up ? 'yes' : 'no';
  replace(e, icon(up ? 'check' : 'clock'), up ? ' live' : ' reconnecting…');
}

// debounce returns fn delayed until calls stop for ms.
export function debounce(fn, ms = 250) {
  let t = null;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

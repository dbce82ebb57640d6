// Small DOM helpers shared by the pages: element building, icons, state
// badges, links, times and copy buttons.

const SVGNS = 'http://www.w3.org/2000/svg';

// h builds an element: h('a', {href: '/'}, 'text', child, ...). Attributes
// whose value is null or false are left out; strings become text nodes.
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, kids);
  return e;
}

// s builds an SVG element the same way.
export function s(tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  setAttrs(e, attrs);
  append(e, kids);
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(e, kids) {
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false || k === '') continue;
    e.append(typeof k === 'string' ? document.createTextNode(k) : k);
  }
}

// The states a transaction can be in, each with a label and an icon: the
// pages never tell them apart by colour alone.
export const STATES = {
  final: { label: 'final', icon: 'lock', help: 'accepted and decided for good by the network\'s vote: it never changes again' },
  accepted: { label: 'accepted', icon: 'check', help: 'valid and spendable, not final yet' },
  pending: { label: 'pending', icon: 'clock', help: 'waiting for its parents' },
  conflicted: { label: 'conflicted', icon: 'warn', help: 'accepted, but a double spend of one of its inputs exists: the vote is open' },
  rejected: { label: 'rejected', icon: 'cross', help: 'lost a double spend or the vote, or invalid' },
  unknown: { label: 'unknown', icon: 'question', help: 'not known to this node' },
};

export function stateOf(name) {
  return STATES[name] || STATES.unknown;
}

// iconShapes draws an icon in a 16×16 box.
export function iconShapes(name) {
  switch (name) {
    case 'check':
      return [s('circle', { cx: 8, cy: 8, r: 7, class: 'ico-bg' }), s('path', { d: 'M4.5 8.2l2.3 2.3 4.7-5', class: 'ico-fg' })];
    case 'clock':
      return [s('circle', { cx: 8, cy: 8, r: 6.5, class: 'ico-line' }), s('path', { d: 'M8 4.5V8l2.5 1.8', class: 'ico-line' })];
    case 'warn':
      return [s('path', { d: 'M8 1.5l7 12.5H1z', class: 'ico-bg' }), s('path', { d: 'M8 6v4M8 11.6v.4', class: 'ico-fg' })];
    case 'cross':
      return [s('rect', { x: 1, y: 1, width: 14, height: 14, rx: 2, class: 'ico-bg' }), s('path', { d: 'M5 5l6 6M11 5l-6 6', class: 'ico-fg' })];
    case 'lock':
      return [s('rect', { x: 2.5, y: 7, width: 11, height: 8, rx: 1.5, class: 'ico-bg' }), s('path', { d: 'M5 7V5a3 3 0 0 1 6 0v2', class: 'ico-line' })];
    case 'in':
      return [s('path', { d: 'M8 2v10M3.5 7.5L8 12l4.5-4.5', class: 'ico-line' })];
    case 'out':
      return [s('path', { d: 'M8 14V4M3.5 8.5L8 4l4.5 4.5', class: 'ico-line' })];
    default:
      return [s('circle', { cx: 8, cy: 8, r: 6.5, class: 'ico-line' }), s('path', { d: 'M6 6.2a2 2 0 1 1 2.6 1.9c-.4.2-.6.5-.6.9v.5M8 11.3v.4', class: 'ico-line' })];
  }
}

export function icon(name) {
  return s('svg', { class: `ico ico-${name}`, viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' }, iconShapes(name));
}

// badge shows a state: icon and word, coloured by class.
export function badge(state, code) {
  const st = stateOf(state);
  return h('span', { class: `badge state state-${state}`, title: st.help, 'data-state': state },
    icon(st.icon), st.label, code ? h('span', { class: 'code' }, ` (${code})`) : null);
}

export function shortID(id) {
  return id.slice(0, 10) + '…' + id.slice(-4);
}

export function shortAddr(a) {
  return a.length > 24 ? a.slice(0, 14) + '…' + a.slice(-6) : a;
}

export function txLink(id, text) {
  return h('a', { href: `/tx/${id}`, class: 'mono', title: id }, text || shortID(id));
}

export function addrLink(a, text) {
  return h('a', { href: `/address/${a}`, class: 'mono', title: a }, text || shortAddr(a));
}

// when shows an RFC 3339 time in the reader's locale.
export function when(t) {
  const d = new Date(t);
  if (isNaN(d)) return h('span', {}, t);
  return h('time', { datetime: t, title: t }, d.toLocaleString());
}

// copyButton copies text and says so next to itself.
export function copyButton(text, label = 'Copy') {
  const say = h('span', { class: 'hint', 'aria-live': 'polite' });
  const b = h('button', { type: 'button', class: 'small', onclick: () => copy(text, say) }, label);
  return h('span', { class: 'copy' }, b, ' ', say);
}

export async function copy(text, say) {
  try {
    await navigator.clipboard.writeText(text);
    say.textContent = 'Copied.';
  } catch {
    say.textContent = 'Select and copy it by hand: the browser refused.';
  }
  setTimeout(() => { say.textContent = ''; }, 2500);
}

// replace empties a container and fills it with kids.
export function replace(e, ...kids) {
  e.replaceChildren();
  append(e, kids);
}

// errorBox shows a failed request.
export function errorBox(err) {
  return h('p', { class: 'notice error', role: 'alert' }, icon('cross'), ' ', err.message || String(err));
}

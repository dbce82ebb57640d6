// The transaction page: what a tx does, its state and conflicts, and how to
// get it elsewhere (magnet links, proof file, raw tx.json).

import { h, badge, icon, txLink, addrLink, when, copyButton, replace, errorBox, stateOf } from './ui.js';
import { api, onTx, debounce } from './api.js';
import * as money from './money.js';

export async function txPage(id) {
  const box = document.getElementById('tx');
  let watch = new Set([id]);
  const load = async () => {
    let t;
    try {
      t = await api('/v1/tx/' + id);
    } catch (e) {
      if (e.status === 404) {
        replace(box, h('p', { class: 'notice', id: 'tx-unknown' }, icon('question'),
          ' This node does not know this transaction (yet). The page updates by itself when it arrives.'),
        h('p', { class: 'mono wrap' }, id));
      } else {
        replace(box, errorBox(e));
      }
      return;
    }
    const sides = await Promise.all(t.conflicts.map(async (c) => {
      try {
        return await api('/v1/tx/' + c);
      } catch {
        return { id: c, state: 'unknown' };
      }
    }));
    watch = new Set([id, ...t.conflicts, ...t.children]);
    replace(box, render(t, sides));
  };
  const reload = debounce(load);
  onTx((ev) => {
    if (watch.has(ev.id) || (ev.conflicts || []).includes(id)) reload();
  });
  await load();
}

function section(title, ...kids) {
  return h('section', { class: 'card wide' }, h('h2', {}, title), ...kids);
}

function render(t, sides) {
  const st = stateOf(t.state);
  const paid = t.out.filter((o) => o.to !== t.from).reduce((a, o) => a + money.units(o.amount), 0n);
  const summary = h('section', { class: 'card wide', id: 'tx-summary' },
    h('p', { class: 'state-line' }, badge(t.state, t.code), ' ', h('span', { class: 'muted' }, st.help)),
    h('dl', { class: 'kv' },
      h('dt', {}, 'ID'), h('dd', {}, h('code', { class: 'mono wrap', id: 'tx-id' }, t.id), ' ', copyButton(t.id, 'Copy ID')),
      t.genesis
        ? [h('dt', {}, 'Genesis'), h('dd', {}, 'This transaction defines the network and mints its supply.')]
        : [h('dt', {}, 'From'), h('dd', {}, addrLink(t.from, t.from))],
      h('dt', {}, t.genesis ? 'Minted' : 'Paid to others'), h('dd', { id: 'tx-amount' }, money.group(money.format(t.genesis ? t.out.reduce((a, o) => a + money.units(o.amount), 0n) : paid)), ' TTX'),
      h('dt', {}, 'Burn'), h('dd', { id: 'tx-burn' }, `${t.burn.ttx} TTX`),
      t.memo ? [h('dt', {}, 'Memo'), h('dd', { class: 'memo' }, t.memo)] : null,
      h('dt', {}, 'Signed at'), h('dd', {}, when(t.time), h('span', { class: 'muted' }, ' (as the signer claims)')),
      h('dt', {}, 'First seen here'), h('dd', { id: 'tx-first-seen' }, when(t.first_seen)),
      h('dt', {}, 'Size'), h('dd', {}, `${t.size} bytes`)));

  const inputs = t.prev.length === 0 ? null : section('Inputs',
    h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Spends'), h('th', { scope: 'col' }, 'Output'))),
      h('tbody', {}, t.prev.map((p) => {
        const [pid, idx] = p.split(':');
        return h('tr', {}, h('td', { 'data-label': 'Spends' }, txLink(pid)), h('td', { 'data-label': 'Output' }, `#${idx}`));
      }))));

  const outputs = section('Outputs',
    h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ['#', 'To', 'Amount', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, t.out.map((o, i) => h('tr', {},
        h('td', { 'data-label': '#' }, String(i)),
        h('td', { 'data-label': 'To' }, addrLink(o.to)),
        h('td', { 'data-label': 'Amount', class: 'num' }, money.group(o.amount.ttx), ' TTX'),
        h('td', { 'data-label': '' }, o.to === t.from ? h('span', { class: 'muted' }, 'change') : ''))))));

  let conflicts = null;
  if (sides.length > 0) {
    const all = [{ ...t, self: true }, ...sides].sort((a, b) => String(a.first_seen).localeCompare(String(b.first_seen)));
    conflicts = h('section', { class: 'card wide conflict', id: 'tx-conflicts' },
      h('h2', {}, icon('warn'), ' Double spend'),
      h('p', {}, 'These transactions spend at least one output in common. This node keeps the first valid one it saw (accepted, now marked conflicted) and the others as evidence (rejected, never spendable) until the network\'s vote decides: then the winner is accepted and the losers rejected (ErrLostVote), which can turn the first one seen into a loser.'),
      h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['Side', 'Transaction', 'State', 'First seen here'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, all.map((x) => h('tr', { class: x.self ? 'self' : '' },
          h('td', { 'data-label': 'Side' }, x.self ? 'this transaction' : 'the other side'),
          h('td', { 'data-label': 'Transaction' }, txLink(x.id)),
          h('td', { 'data-label': 'State' }, badge(x.state, x.code)),
          h('td', { 'data-label': 'First seen here' }, x.first_seen ? when(x.first_seen) : '—'))))));
  }

  const children = t.children.length === 0 ? null : section('Spent by',
    h('ul', { class: 'plain' }, t.children.map((c) => h('li', {}, txLink(c)))));

  const peersOut = h('div', { id: 'peers-answer', 'aria-live': 'polite' });
  const ask = h('button', {
    type: 'button',
    onclick: async () => {
      ask.disabled = true;
      replace(peersOut, h('p', { class: 'muted' }, 'Asking…'));
      try {
        const r = await api(`/v1/tx/${t.id}/peers`);
        replace(peersOut, h('p', {}, icon(r.conflict ? 'warn' : 'check'), ' ', r.summary),
          h('ul', { class: 'plain' }, r.answers.map((a) => h('li', {}, h('span', { class: 'mono' }, a.peer), ': ',
            a.error ? h('span', { class: 'muted' }, a.error) : badge(a.state)))));
      } catch (e) {
        replace(peersOut, errorBox(e));
      } finally {
        ask.disabled = false;
      }
    },
  }, 'Ask peers');
  const peers = section('Confidence', h('p', {}, 'Ask the connected ttx peers whether they accept this transaction and whether they saw a conflict.'), ask, peersOut);

  const proofOK = t.state === 'final' || t.state === 'accepted' || t.state === 'conflicted';
  const elsewhere = section('Get it elsewhere',
    h('p', {}, 'Every transaction is a torrent: any BitTorrent client fetches its tx.json from this node and its peers.'),
    h('dl', { class: 'kv' },
      h('dt', {}, 'Magnet (v2)'), h('dd', {}, h('a', { href: t.magnet.v2, class: 'mono wrap', id: 'magnet-v2' }, t.magnet.v2), ' ', copyButton(t.magnet.v2)),
      h('dt', {}, 'Magnet (v1)'), h('dd', {}, h('a', { href: t.magnet.v1, class: 'mono wrap', id: 'magnet-v1' }, t.magnet.v1), ' ', copyButton(t.magnet.v1))),
    proofOK
      ? h('p', {}, h('a', { class: 'button primary', href: `/v1/proof/${t.id}`, download: `${t.id}.torrent`, id: 'proof' }, 'Download proof (.torrent)'),
        ' ', h('span', { class: 'muted' }, 'the transaction with its ancestry back to genesis: ttx proof verify checks it offline'))
      : h('p', { class: 'muted' }, 'No proof: the node does not hold this transaction as accepted.'));

  const raw = section('Raw tx.json',
    h('p', {}, copyButton(t.raw, 'Copy tx.json'), ' ', h('span', { class: 'muted' }, `${t.size} bytes, canonical: its ID is the v2 infohash of these exact bytes`)),
    h('pre', { class: 'raw', id: 'tx-raw' }, t.raw));

  return [summary, conflicts, inputs, outputs, children, peers, elsewhere, raw];
}

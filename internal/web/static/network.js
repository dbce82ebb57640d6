// The network page: the node, its ledger, sync with its peers, the peers.

import { h, icon, when, replace, errorBox } from './ui.js';
import { api, onTx, debounce } from './api.js';

const REFRESH_MS = 5000;

export async function networkPage() {
  const box = document.getElementById('network');
  const load = async () => {
    try {
      const [st, ps] = await Promise.all([api('/v1/status'), api('/v1/peers')]);
      replace(box, render(st, ps.peers));
    } catch (e) {
      replace(box, errorBox(e));
    }
  };
  // A change here reaches the peers' digests within about a second (they
  // are pinged at once): look again then, as well as right after it.
  onTx(debounce(load, 500));
  onTx(debounce(load, 1500));
  setInterval(load, REFRESH_MS);
  await load();
}

// shortKey shows the start of a hex node key; the title has all of it.
function shortKey(k) {
  return h('code', { class: 'mono', title: k }, `${k.slice(0, 16)}…`);
}

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// rate formats bytes per second.
function rate(b) {
  if (b === undefined || b === null) return '—';
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
  let i = 0;
  while (b >= 1000 && i < units.length - 1) {
    b /= 1000;
    i++;
  }
  return `${b < 10 && i > 0 ? b.toFixed(1) : Math.round(b)} ${units[i]}`;
}

// connection says who dialled whom, and the connection's remote address:
// for a peer that dialled in, usually an ephemeral port, not where it
// listens (the Address column).
function connection(p) {
  return p.inbound ? `in from ${p.conn}` : `out to ${p.conn}`;
}

// catchingUp says how far the node is behind the ttx peer that holds the
// most transactions, or nothing once it holds as many.
function catchingUp(sync) {
  if (!sync || !(sync.missing > 0)) return null;
  let text = `Catching up: ${sync.have} of ${sync.best} transactions (${sync.percent} %), ${sync.missing} missing`;
  if (sync.rate > 0) text += `, ${sync.rate} tx/s`;
  if (sync.eta_seconds > 0) text += `, about ${sync.eta_seconds} s left`;
  return h('p', { id: 'catchup' }, text);
}

function render(st, peers) {
  const n = st.network;
  const syncPct = st.ttx_peers > 0 ? Math.round((100 * st.in_sync) / st.ttx_peers) : 0;
  const sync = h('section', { class: 'card', id: 'sync' },
    h('h2', {}, 'Sync'),
    h('p', { class: 'big' }, st.ttx_peers > 0 ? `${st.in_sync} of ${st.ttx_peers}` : '—'),
    h('p', {}, st.ttx_peers > 0
      ? `ttx peers hold exactly the transactions this node holds (same digest).`
      : 'No ttx peers yet: the node looks for them on the genesis swarm.'),
    h('progress', { max: 100, value: syncPct, 'aria-label': 'peers in sync' }, `${syncPct}%`),
    catchingUp(st.sync),
    h('p', { class: 'muted' }, st.pending > 0
      ? `${st.pending} transaction${st.pending > 1 ? 's' : ''} waiting for their parents.`
      : 'Nothing waiting for parents.'));
  const ledger = h('section', { class: 'card', id: 'ledger' },
    h('h2', {}, 'Ledger'),
    kv([
      ['Accepted', String(st.accepted)],
      ['Rejected (evidence)', String(st.rejected)],
      ['Pending', String(st.pending)],
      ['Digest', h('code', { class: 'mono wrap', id: 'digest' }, st.digest)],
    ]),
    h('p', { class: 'muted small' }, 'Two nodes with the same digest hold the same transactions.'));
  const node = h('section', { class: 'card', id: 'node' },
    h('h2', {}, 'This node'),
    kv([
      ['Software', st.agent],
      ['Node key', h('code', { class: 'mono wrap', id: 'node-key' }, st.node_key)],
      ['Running since', when(st.started_at)],
      ['BitTorrent on', st.listen.join(', ') || '—'],
      ['DHT nodes', String(st.dht_nodes)],
      ['Peers', `${st.peers} (${st.ttx_peers} speak ttx)`],
    ]));
  const network = h('section', { class: 'card', id: 'netinfo' },
    h('h2', {}, 'Network'),
    kv([
      ['Name', n.name],
      ['ID (genesis)', h('a', { href: `/tx/${n.id}`, class: 'mono wrap' }, n.id)],
      ['Address prefix', h('code', {}, `${n.prefix}1…`)],
      ['Burn per byte', `${n.burn_per_byte.ttx} TTX`],
      ['Proof of work', n.pow_bits ? `${n.pow_bits} bits` : 'none'],
      ['Supply', `${n.supply.ttx} TTX`],
    ]));
  const hasRates = peers.some((p) => p.down_rate !== undefined);
  const cols = ['Address', 'Client', 'Protocol', 'Node key', 'Connection', 'Listens on', 'Sync', 'Connected'].concat(hasRates ? ['Down', 'Up'] : []);
  const table = peers.length === 0 ? h('p', { class: 'muted' }, 'No peers connected.') : h('table', { class: 'list', id: 'peers' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, peers.map((p) => h('tr', {},
      h('td', { 'data-label': 'Address', class: 'mono' }, p.addr),
      h('td', { 'data-label': 'Client' }, p.agent || h('span', { class: 'muted' }, 'unknown')),
      h('td', { 'data-label': 'Protocol' }, p.ttx ? h('span', { class: 'badge proto-ttx' }, 'ttx') : h('span', { class: 'badge proto-bt' }, 'plain BitTorrent')),
      h('td', { 'data-label': 'Node key', 'data-key': p.node_key || '' }, p.node_key ? shortKey(p.node_key) : h('span', { class: 'muted' }, '—')),
      h('td', { 'data-label': 'Connection', 'data-conn': p.inbound ? 'in' : 'out', class: 'mono' }, connection(p)),
      h('td', { 'data-label': 'Listens on', class: 'num' }, p.listen_port ? `port ${p.listen_port}` : h('span', { class: 'muted' }, 'unknown')),
      h('td', { 'data-label': 'Sync' }, !p.ttx ? '—' : p.in_sync
        ? h('span', { class: 'badge state state-accepted', 'data-state': 'accepted' }, icon('check'), 'in sync')
        : h('span', { class: 'badge state state-pending', 'data-state': 'pending', title: p.digest || '' }, icon('clock'), 'differs')),
      h('td', { 'data-label': 'Connected' }, p.connected_at ? when(p.connected_at) : '—'),
      hasRates ? h('td', { 'data-label': 'Down', class: 'num' }, rate(p.down_rate)) : null,
      hasRates ? h('td', { 'data-label': 'Up', class: 'num' }, rate(p.up_rate)) : null))));
  return [h('div', { class: 'grid' }, sync, ledger, node, network),
    h('section', { class: 'card wide' }, h('h2', {}, `Peers (${peers.length})`), table)];
}

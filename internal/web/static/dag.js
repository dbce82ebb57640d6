// The DAG view: transactions as boxes, prev spends as arrows from the
// spent transaction to the spender, laid out in layers by ancestry (a tx
// sits one layer above its highest parent; newest layers on top) and, in a
// layer, by the parents' positions, then arrival, with the sides of a
// double spend side by side; a layer wider than a few boxes wraps onto more
// rows. Conflicts (two txs spending one output) are drawn as a dashed
// "double spend" link. Each
// box says its state in words and with an icon, not by colour alone, and
// links to the tx page.

import { h, s, iconShapes, stateOf, shortID } from './ui.js';
import * as money from './money.js';

const W = 176, H = 66, GX = 22, GY = 58, PAD = 24;

// cols is the most boxes a row holds: a wider layer wraps onto more rows,
// so many independent payments read as a block, not a strip.
const cols = 6;

// layout places the nodes: {nodes: [{...node, x, y, layer}], edges, width, height}.
export function layout(d) {
  const byID = new Map();
  for (const n of d.nodes) byID.set(n.id, { ...n, parents: [], layer: -1 });
  const edges = d.edges.filter((e) => byID.has(e.from) && byID.has(e.to));
  for (const e of edges) byID.get(e.to).parents.push(byID.get(e.from));
  const depth = (n, seen) => {
    if (n.layer >= 0) return n.layer;
    if (seen.has(n)) return 0; // cannot happen in a DAG; do not loop
    seen.add(n);
    n.layer = n.parents.length === 0 ? 0 : 1 + Math.max(...n.parents.map((p) => depth(p, seen)));
    return n.layer;
  };
  const nodes = [...byID.values()].sort((a, b) => a.seq - b.seq);
  for (const n of nodes) depth(n, new Set());
  const layers = [];
  for (const n of nodes) (layers[n.layer] = layers[n.layer] || []).push(n);
  const widest = Math.min(cols, Math.max(1, ...layers.map((l) => (l ? l.length : 0))));
  const width = PAD * 2 + widest * W + (widest - 1) * GX;
  // Rows from the bottom (oldest) up; each layer takes ceil(len/cols) rows.
  let rows = 0;
  const placed = [];
  for (const row of layers) {
    if (!row) continue;
    // Order by the mean position of the parents, then by arrival; then
    // put the sides of a double spend next to each other.
    for (const n of row) n.key = n.parents.length ? n.parents.reduce((a, p) => a + p.x, 0) / n.parents.length : -1;
    row.sort((a, b) => a.key - b.key || a.seq - b.seq);
    const ordered = [];
    const done = new Set();
    for (const n of row) {
      if (done.has(n)) continue;
      ordered.push(n);
      done.add(n);
      for (const c of n.conflicts || []) {
        const o = byID.get(c);
        if (o && o.layer === n.layer && !done.has(o)) {
          ordered.push(o);
          done.add(o);
        }
      }
    }
    for (let i = 0; i < ordered.length; i += cols) {
      const line = ordered.slice(i, i + cols);
      const rowW = line.length * W + (line.length - 1) * GX;
      line.forEach((n, j) => {
        n.x = (width - rowW) / 2 + j * (W + GX);
        n.row = rows;
      });
      rows++;
    }
    placed.push(...ordered);
  }
  for (const n of placed) n.y = PAD + (rows - 1 - n.row) * (H + GY);
  return { nodes, edges, byID, width, height: PAD * 2 + rows * H + Math.max(0, rows - 1) * GY };
}

// conflictPairs lists the pairs of txs in the slice that spend one output,
// from the conflicts each node lists.
function conflictPairs(l) {
  const pairs = new Map();
  for (const n of l.nodes) {
    for (const c of n.conflicts || []) {
      if (c !== n.id && l.byID.has(c)) pairs.set(n.id < c ? n.id + c : c + n.id, n.id < c ? [n.id, c] : [c, n.id]);
    }
  }
  return [...pairs.values()];
}

// drawDAG returns the SVG of a /v1/dag answer. fresh holds the IDs that
// arrived since the page loaded.
export function drawDAG(d, { fresh = new Set() } = {}) {
  if (d.nodes.length === 0) return h('p', { class: 'muted' }, 'No transactions.');
  const l = layout(d);
  const pairs = conflictPairs(l);
  const inConflict = new Set(pairs.flat());
  const spentTwice = new Set();
  for (const [a, b] of pairs) {
    for (const e of l.edges) {
      if (e.to === a || e.to === b) {
        const other = e.to === a ? b : a;
        if (l.edges.some((f) => f.to === other && f.from === e.from && f.index === e.index)) spentTwice.add(e);
      }
    }
  }
  const svg = s('svg', {
    class: 'dag', id: 'dag-svg', width: l.width, height: l.height, viewBox: `0 0 ${l.width} ${l.height}`,
    role: 'img', 'aria-label': `DAG of the ${d.nodes.length} most recent transactions`,
  });
  svg.append(s('defs', {},
    s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0 0L10 5L0 10z', class: 'arrowhead' })),
    s('marker', { id: 'arrow-bad', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0 0L10 5L0 10z', class: 'arrowhead bad' }))));
  const gEdges = s('g', { class: 'edges' });
  for (const e of l.edges) {
    const p = l.byID.get(e.from), c = l.byID.get(e.to);
    const x1 = p.x + W / 2, y1 = p.y, x2 = c.x + W / 2, y2 = c.y + H;
    const my = (y1 + y2) / 2;
    const bad = spentTwice.has(e);
    gEdges.append(s('path', {
      d: `M${x1} ${y1}C${x1} ${my} ${x2} ${my} ${x2} ${y2 + 2}`,
      class: bad ? 'edge double' : 'edge', 'marker-end': bad ? 'url(#arrow-bad)' : 'url(#arrow)',
    }, s('title', {}, `${shortID(e.to)} spends output #${e.index} of ${shortID(e.from)}${bad ? ' (spent twice)' : ''}`)));
  }
  const gConf = s('g', { class: 'conflicts' });
  for (const [a, b] of pairs) {
    const p = l.byID.get(a), q = l.byID.get(b);
    const [left, right] = p.x <= q.x ? [p, q] : [q, p];
    const x1 = left.x + W, y1 = left.y + H / 2, x2 = right.x, y2 = right.y + H / 2;
    const sameRow = left.y === right.y && right.x > left.x;
    const path = sameRow ? `M${x1} ${y1}L${x2} ${y2}` : `M${left.x + W / 2} ${left.y + H / 2}L${right.x + W / 2} ${right.y + H / 2}`;
    const mx = sameRow ? (x1 + x2) / 2 : (left.x + right.x + W) / 2;
    const my = sameRow ? y1 : (y1 + y2) / 2;
    gConf.append(s('path', { d: path, class: 'conflict-link' }),
      s('g', { class: 'conflict-label', transform: `translate(${mx} ${my})` },
        s('circle', { r: 12 }),
        s('g', { transform: 'translate(-8 -8)', class: 'ico ico-warn' }, iconShapes('warn')),
        s('title', {}, 'double spend: these two spend the same output')));
  }
  const gNodes = s('g', { class: 'nodes' });
  for (const n of l.nodes) {
    const st = stateOf(n.state);
    const cls = ['node', `state-${n.state}`, inConflict.has(n.id) ? 'in-conflict' : '', fresh.has(n.id) ? 'fresh' : '', n.genesis ? 'genesis' : ''].join(' ');
    gNodes.append(s('a', { href: `/tx/${n.id}`, class: 'nodelink', 'data-id': n.id, 'data-state': n.state },
      s('title', {}, `${n.id}\n${st.label}: ${st.help}\n${n.amount.ttx} TTX in outputs`),
      s('g', { class: cls, transform: `translate(${n.x} ${n.y})` },
        s('rect', { width: W, height: H, rx: 8, class: 'box' }),
        s('text', { x: 10, y: 19, class: 'nid' }, n.genesis ? 'genesis' : n.id.slice(0, 12) + '…'),
        s('text', { x: W - 10, y: 19, class: 'nnew', 'text-anchor': 'end' }, fresh.has(n.id) ? 'new' : ''),
        s('text', { x: 10, y: 38, class: 'namt' }, `${money.group(n.amount.ttx)} TTX`),
        s('g', { transform: 'translate(10 46) scale(0.8)', class: `ico ico-${st.icon}` }, iconShapes(st.icon)),
        s('text', { x: 27, y: 58, class: 'nstate' }, st.label))));
  }
  svg.append(gEdges, gConf, gNodes);
  return svg;
}

// legend explains the drawing in words.
export function legend() {
  const item = (state) => {
    const st = stateOf(state);
    return h('span', { class: `legend-item` },
      s('svg', { width: 34, height: 20, viewBox: '0 0 34 20', 'aria-hidden': 'true' },
        s('g', { class: `node state-${state}` }, s('rect', { x: 1, y: 1, width: 32, height: 18, rx: 4, class: 'box' }),
          s('g', { transform: 'translate(10 3) scale(0.85)', class: `ico ico-${st.icon}` }, iconShapes(st.icon)))),
      ` ${st.label}: ${st.help}`);
  };
  return [item('final'), item('accepted'), item('pending'), item('conflicted'), item('rejected'),
    h('span', { class: 'legend-item' }, s('svg', { width: 34, height: 20, viewBox: '0 0 34 20', 'aria-hidden': 'true' },
      s('path', { d: 'M2 10H32', class: 'conflict-link' })), ' double spend (two txs spend one output)'),
    h('span', { class: 'legend-item' }, s('svg', { width: 34, height: 20, viewBox: '0 0 34 20', 'aria-hidden': 'true' },
      s('path', { d: 'M2 10H26', class: 'edge' }), s('path', { d: 'M24 5L32 10L24 15z', class: 'arrowhead' })), ' spend: arrow from a tx to the one spending its output')];
}

// The web wallet and explorer. The server renders each page's frame (and
// the send form only for a browser with a session); this script fills it
// from the node's /v1/ API and keeps it current from /events.

import { h, badge, icon, txLink, addrLink, when, copy, replace, errorBox } from './ui.js';
import { api, status, onTx, debounce } from './api.js';
import * as money from './money.js';
import * as bech32 from './bech32.js';
import * as uri from './uri.js';
import { drawDAG, legend } from './dag.js';
import { txPage } from './tx.js';
import { networkPage } from './network.js';

const body = document.body;
const page = body.dataset.page;
const arg = body.dataset.arg;
const session = body.dataset.session === 'yes';

async function header() {
  try {
    const st = await status();
    const b = document.getElementById('net-badge');
    b.textContent = st.network.name;
    b.title = `network ${st.network.id}`;
    if (st.network.name.includes('test')) b.append(' · test money');
    document.getElementById('agent').textContent = st.agent;
  } catch (e) {
    document.getElementById('net-badge').textContent = 'node unreachable';
  }
}

// ---- wallet and address pages ----

function showAddress(addr) {
  document.getElementById('address').textContent = addr;
  const qr = document.getElementById('qr');
  qr.src = '/qr?text=' + encodeURIComponent(addr);
  qr.hidden = false;
  const say = document.getElementById('copy-status');
  document.getElementById('copy-address').onclick = () => copy(addr, say);
}

// account keeps an address's balance and history on screen.
async function account(addr) {
  const bal = await api('/v1/balance/' + addr);
  const hist = await api('/v1/history/' + addr + '?limit=100');
  document.getElementById('balance-accepted').textContent = money.group(bal.balance.ttx);
  document.getElementById('balance-outputs').textContent = `${bal.outputs} unspent output${bal.outputs === 1 ? '' : 's'}`;
  document.getElementById('balance-final').textContent = money.group(bal.final.ttx);
  document.getElementById('balance-not-final').textContent = money.group(bal.not_final.ttx);
  let pending = 0n, waiting = 0;
  for (const e of hist.entries) {
    if (e.state !== 'pending') continue;
    waiting++;
    const a = money.units(e.amount);
    pending += e.direction === 'sent' ? -(a + money.units(e.burn)) : a;
  }
  document.getElementById('balance-pending').textContent = (pending > 0n ? '+' : '') + money.group(money.format(pending));
  document.getElementById('balance-pending-note').textContent = waiting
    ? `(${waiting} transaction${waiting > 1 ? 's' : ''} waiting for their parents)` : '(nothing waiting)';
  replace(document.getElementById('history'), historyTable(hist.entries));
  return bal;
}

function historyTable(entries) {
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No transactions yet.');
  const rows = entries.map((e) => {
    const sent = e.direction === 'sent';
    const amt = (sent ? '−' : '+') + money.group(e.amount.ttx);
    return h('tr', { 'data-id': e.id, 'data-state': e.state },
      h('td', { 'data-label': 'State' }, badge(e.state, e.code)),
      h('td', { 'data-label': 'Direction' }, h('span', { class: 'dir' }, icon(sent ? 'out' : 'in'), sent ? ' sent' : ' received')),
      h('td', { 'data-label': 'Amount', class: 'num ' + (sent ? 'neg' : 'pos') }, amt, ' TTX',
        sent && e.burn.units !== '0' ? h('div', { class: 'muted small' }, `burn ${e.burn.ttx}`) : null),
      h('td', { 'data-label': sent ? 'To' : 'From' }, e.counterparty ? addrLink(e.counterparty) : h('span', { class: 'muted' }, sent ? 'self' : 'genesis')),
      h('td', { 'data-label': 'Memo', class: 'memo' }, e.memo || ''),
      h('td', { 'data-label': 'First seen' }, when(e.first_seen)),
      h('td', { 'data-label': 'Transaction' }, txLink(e.id)));
  });
  return h('table', { class: 'list', id: 'history-table' },
    h('thead', {}, h('tr', {}, ['State', 'Direction', 'Amount', 'Counterparty', 'Memo', 'First seen', 'Transaction'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows));
}

async function accountPage(addr) {
  const main = document.getElementById('main');
  let st;
  try {
    st = await status();
  } catch (e) {
    main.prepend(errorBox(e));
    return;
  }
  const chk = bech32.check(addr, st.network.prefix);
  if (!chk.ok) {
    main.prepend(h('p', { class: 'notice error', role: 'alert' }, icon('cross'),
      ` Not an address of ${st.network.name}: ${chk.message || 'incomplete'}.`));
    return;
  }
  showAddress(addr);
  const refresh = debounce(() => account(addr).catch((e) => replace(document.getElementById('history'), errorBox(e))));
  try {
    await account(addr);
  } catch (e) {
    replace(document.getElementById('history'), errorBox(e));
  }
  onTx(refresh);
}

async function walletPage() {
  let addr;
  try {
    addr = (await api('/v1/address')).address;
  } catch (e) {
    document.getElementById('main').prepend(errorBox(e));
    return;
  }
  await accountPage(addr);
  receiveCard(addr);
  if (session) sendForm(addr, await status());
}

// maxQRText is the longest text the node's /qr draws.
const maxQRText = 200;

// receiveCard keeps a payment request (a ttx: URI) for the amount and memo
// typed, and its QR code, on screen.
function receiveCard(addr) {
  const amount = document.getElementById('receive-amount');
  const memo = document.getElementById('receive-memo');
  const say = document.getElementById('receive-status');
  const out = document.getElementById('receive-uri');
  const qr = document.getElementById('receive-qr');
  const update = () => {
    let units = 0n;
    let problem = '';
    try {
      if (amount.value.trim() !== '') units = money.parse(amount.value);
      amount.setAttribute('aria-invalid', 'false');
    } catch (e) {
      amount.setAttribute('aria-invalid', 'true');
      problem = 'Amount: ' + e.message;
    }
    if (!/^[\x20-\x7e]*$/.test(memo.value)) problem = 'The memo must be printable ASCII (no accents or emoji).';
    if (problem) {
      say.dataset.kind = 'bad';
      replace(say, icon('cross'), ' ' + problem);
      return;
    }
    const u = uri.format(addr, units, memo.value);
    out.textContent = u;
    out.dataset.uri = u;
    if (u.length > maxQRText) {
      qr.hidden = true;
      say.dataset.kind = 'bad';
      replace(say, icon('cross'), ' Too long for a QR code: shorten the memo (the request itself still works).');
      return;
    }
    say.dataset.kind = '';
    replace(say, units > 0n ? `Asks for ${money.group(money.format(units))} TTX.` : 'The payer chooses the amount.');
    qr.src = '/qr?text=' + encodeURIComponent(u);
    qr.hidden = false;
  };
  amount.addEventListener('input', update);
  memo.addEventListener('input', update);
  const copied = document.getElementById('copy-uri-status');
  document.getElementById('copy-uri').onclick = () => copy(out.dataset.uri, copied);
  update();
}

// estimateBurn returns the network's minimum burn for a payment paid from
// one coin of `coin` units, and the size it assumes: the wallet's tx.json
// with one input, the payment and the change, grown until the burn it
// pays for is stable (as the wallet does). Paying from several coins
// makes the transaction larger, and the burn with it.
function estimateBurn(net, from, to, amount, memo, coin) {
  const bpb = BigInt(net.burn_per_byte.units);
  const esc = memo.replace(/["\\]/g, '\\$&');
  const now = Math.floor(Date.now() / 1000);
  let burn = 0n, size = 0;
  for (let i = 0; i < 8; i++) {
    const change = coin - amount - burn;
    const out = [`{"to":"${to}","amount":${amount}}`];
    if (change > 0n) out.push(`{"to":"${from}","amount":${change}}`);
    const tx = `{"v":1,"from":"${from}","prev":["${'0'.repeat(64)}:0"],"out":[${out.join(',')}],"burn":${burn}` +
      (memo ? `,"memo":"${esc}"` : '') + `,"time":${now}` + (net.pow_bits > 0 ? `,"nonce":${'9'.repeat(20)}` : '') +
      `,"sig":"${'0'.repeat(128)}"}`;
    size = tx.length;
    const need = BigInt(size) * bpb;
    if (need === burn) break;
    burn = need;
  }
  return { burn, size };
}

function sendForm(from, st) {
  const net = st.network;
  const form = document.getElementById('send-form');
  const to = document.getElementById('send-to');
  const amount = document.getElementById('send-amount');
  const memo = document.getElementById('send-memo');
  const toSay = document.getElementById('send-to-status');
  const amtSay = document.getElementById('send-amount-status');
  const confirm = document.getElementById('send-confirm');
  const result = document.getElementById('send-result');
  const confirmBtn = document.getElementById('send-confirm-btn');
  let balance = 0n;

  const say = (e, kind, text) => {
    e.dataset.kind = kind;
    replace(e, kind ? icon({ ok: 'check', bad: 'cross', wait: 'clock' }[kind]) : null, text ? ' ' + text : '');
  };
  const checkTo = (final) => {
    const c = bech32.check(to.value, net.prefix);
    to.setAttribute('aria-invalid', c.ok || (c.partial && !final) ? 'false' : 'true');
    if (c.ok) {
      say(toSay, 'ok', to.value.trim().toLowerCase() === from ? 'valid address: your own' : 'valid address, checksum correct');
    } else if (c.partial && !final) {
      say(toSay, c.message ? 'wait' : '', c.message);
    } else {
      say(toSay, 'bad', c.message || 'enter the recipient\'s address');
    }
    return c.ok;
  };
  const checkAmount = (final) => {
    if (amount.value.trim() === '' && !final) {
      say(amtSay, '', '');
      return null;
    }
    try {
      const u = money.parse(amount.value);
      if (u === 0n) throw new Error('the amount must be more than 0');
      if (u > balance) throw new Error(`more than the balance (${money.format(balance)} TTX)`);
      amount.setAttribute('aria-invalid', 'false');
      say(amtSay, 'ok', `${money.group(money.format(u))} TTX`);
      return u;
    } catch (e) {
      amount.setAttribute('aria-invalid', 'true');
      say(amtSay, 'bad', e.message);
      return null;
    }
  };
  const refreshBalance = async () => {
    try {
      balance = money.units((await api('/v1/balance/' + from)).balance);
    } catch {
      // the balance card shows the error; keep the last known balance
    }
  };
  refreshBalance();
  onTx(debounce(refreshBalance));

  // A pasted payment request fills in the address, the amount and the memo.
  const fromRequest = () => {
    let r;
    try {
      r = uri.parse(to.value, net.prefix);
    } catch (e) {
      to.setAttribute('aria-invalid', 'true');
      say(toSay, 'bad', 'payment request: ' + e.message);
      return;
    }
    to.value = r.address;
    if (r.units > 0n) amount.value = money.format(r.units);
    if (r.memo) memo.value = r.memo;
    checkTo(false);
    checkAmount(false);
    say(toSay, 'ok', 'payment request: address' + (r.units > 0n ? ', amount' : '') + (r.memo ? ', memo' : '') + ' filled in; check them');
  };
  to.addEventListener('input', () => (uri.isURI(to.value) ? fromRequest() : checkTo(false)));
  amount.addEventListener('input', () => checkAmount(false));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await refreshBalance();
    const okTo = checkTo(true);
    const u = checkAmount(true);
    if (!okTo) return to.focus();
    if (u === null) return amount.focus();
    const { burn, size } = estimateBurn(net, from, to.value.trim().toLowerCase(), u, memo.value, balance);
    const total = u + burn;
    document.getElementById('confirm-amount').textContent = `${money.group(money.format(u))} TTX`;
    document.getElementById('confirm-to').textContent = to.value.trim().toLowerCase();
    document.getElementById('confirm-burn').textContent = `${money.format(burn)} TTX`;
    document.getElementById('confirm-total').textContent = `${money.group(money.format(total))} TTX`;
    document.getElementById('confirm-after').textContent = `${money.group(money.format(balance - total))} TTX`;
    document.getElementById('confirm-note').textContent = net.burn_per_byte.units === '0'
      ? `${net.name} is feeless: nothing is burned.`
      : `The burn is the network's ${net.burn_per_byte.ttx} TTX per byte × ${size} bytes of tx.json; combining several coins makes it a little larger.`;
    confirmBtn.dataset.amount = money.format(u);
    if (total > balance) {
      say(amtSay, 'bad', 'amount plus burn is more than the balance');
      return amount.focus();
    }
    form.hidden = true;
    confirm.hidden = false;
    replace(result);
    confirmBtn.focus();
  });
  document.getElementById('send-edit').addEventListener('click', () => {
    confirm.hidden = true;
    form.hidden = false;
    amount.focus();
  });
  confirmBtn.addEventListener('click', async () => {
    confirmBtn.disabled = true;
    replace(result, h('p', { class: 'notice' }, icon('clock'), ' Sending…'));
    try {
      const res = await api('/v1/send', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ to: to.value.trim().toLowerCase(), amount: confirmBtn.dataset.amount, memo: memo.value || undefined }),
      });
      replace(result, h('p', { class: 'notice ok', role: 'status', id: 'sent' }, icon('check'), ' Sent: transaction ',
        txLink(res.id), '. It is accepted by this node and on its way to the peers.'));
      form.reset();
      say(toSay, '', '');
      say(amtSay, '', '');
      account(from).catch((e) => replace(document.getElementById('history'), errorBox(e)));
    } catch (e) {
      const text = e.status === 401
        ? 'This browser\'s session is gone (the node restarted?): log in again with a new link from ttx start.'
        : `${e.message}${e.code ? ` (${e.code})` : ''}`;
      replace(result, h('p', { class: 'notice error', role: 'alert' }, icon('cross'), ' Not sent: ', text));
    } finally {
      confirmBtn.disabled = false;
      confirm.hidden = true;
      form.hidden = false;
    }
  });
}

// ---- DAG page ----

async function dagPage() {
  const box = document.getElementById('dag');
  const limitSel = document.getElementById('dag-limit');
  const count = document.getElementById('dag-count');
  replace(document.getElementById('legend'), legend());
  const fresh = new Set();
  const load = async () => {
    try {
      const d = await api('/v1/dag?limit=' + limitSel.value);
      replace(box, drawDAG(d, { fresh }));
      count.textContent = `${d.nodes.length} transactions, ${d.edges.length} spends`;
    } catch (e) {
      replace(box, errorBox(e));
    }
  };
  const reload = debounce(load, 200);
  limitSel.addEventListener('change', load);
  onTx((ev) => {
    fresh.add(ev.id);
    reload();
  });
  await load();
}

// ---- start ----

header();
const pages = {
  wallet: walletPage,
  address: () => accountPage(arg),
  tx: () => txPage(arg),
  dag: dagPage,
  network: networkPage,
};
if (pages[page]) pages[page]();

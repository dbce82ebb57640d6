package gossip

import (
	"bytes"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// Fair ingest. What a peer pushes is verified in its own Handle goroutine
// and then queued for the ledger's single committer, which commits in
// queue order: a transaction waits for everything queued before it, so a
// flood in the ledger's queue would delay everyone's payments. Two caps
// keep a flood out of it: at most MaxSignerInFlight transactions of one
// signing key (from any peers) and MaxPeerInFlight of one peer are in the
// ledger's queue at once. A transaction that does not fit is held in its
// peer's queue, and so is every later one of the same signer or spending
// a held one's output: what is held keeps the peer's order where it
// matters, the rest goes past. A scheduler serves the peers with held
// transactions round robin as room frees, each turn taking all of a
// peer's queue that fits (Nano's per-account scheduler, by signer and by
// peer):
//
//   - A payment from a key with little in the ledger's queue is submitted
//     at once by the Handle goroutine that verified it, even from a peer
//     that relays a flood: it joins the next commit, behind at most
//     MaxSignerInFlight transactions of each flooding key however deep
//     their backlog.
//   - A signer with transactions still in the ledger's queue, or with
//     more than SignerBurst taken in its current turn, gets one batch per
//     SignerTurn: what it sends meanwhile is held until its next turn, or
//     (within the burst) until those are committed. So a flood's backlog
//     is submitted a batch a turn, the batch growing with the backlog,
//     whether the flood outruns the committer or is paced to it (then each
//     message would otherwise be committed alone before the next arrives):
//     it costs the committer at most one commit a turn, not one per
//     message, and a payment finds the committer idle or in one commit. A
//     key whose last payment is committed (a wallet paying a few times in
//     a row) waits for nothing.
//   - A peer has at most MaxPeerInFlight transactions submitted or held;
//     past that its Handle goroutine waits, which pauses reading from its
//     connection only. Nothing valid is dropped: every held transaction
//     is submitted in its turn, unless its peer goes.
//
// A ping or poll from a peer with transactions held is held too, in
// order, and handed to its settler once nothing before it is held.

// ingestTx is a pushed transaction on its way to the ledger.
type ingestTx struct {
	tx     dag.Hashed
	id     dag.TxID
	raw    []byte
	signer string
}

// heldItem is a transaction, or a ping's pong or a poll (ctl), in a peer's
// queue.
type heldItem struct {
	tx  ingestTx
	ctl *txAdd
	// counted: the transaction is counted in Stats.TxsHeld.
	counted bool
}

// signerPrefix starts every canonical tx.json but a genesis; the signer's
// address follows it.
var signerPrefix = []byte(`{"v":1,"from":"`)

// signerOf returns the from address of raw (canonical tx.json), or "" if
// raw does not start like one: the ledger rejects such bytes anyway, and
// the scheduler only needs a key to count by.
func signerOf(raw []byte) string {
	rest, ok := bytes.CutPrefix(raw, signerPrefix)
	if !ok {
		return ""
	}
	if i := bytes.IndexByte(rest, '"'); i > 0 && i <= 128 {
		return string(rest[:i])
	}
	return ""
}

// ingest queues txs (from ps, in message order) and submits at once what
// may go (takeLocked), unless the scheduler is submitting a turn of ps's.
// It first waits while ps has MaxPeerInFlight transactions submitted or
// held, and returns without taking txs if ps or the engine goes
// meanwhile.
func (e *Engine) ingest(ps *peer, txs []ingestTx) {
	e.mu.Lock()
	for ps.inflight+len(ps.held) >= e.cfg.MaxPeerInFlight && !ps.gone && !e.closed {
		e.room.Wait()
	}
	if ps.gone || e.closed {
		for _, t := range txs {
			delete(e.adding, t.id)
		}
		e.mu.Unlock()
		return
	}
	for _, t := range txs {
		ps.held = append(ps.held, heldItem{tx: t})
	}
	e.serveLocked(ps)
}

// holdCtl hands a (a pong or a poll) to ps's settler: at once if nothing
// of ps's is held or being submitted, else in order behind what is.
func (e *Engine) holdCtl(ps *peer, a txAdd) {
	e.mu.Lock()
	if len(ps.held) == 0 && ps.moving == 0 || ps.gone {
		e.mu.Unlock()
		ps.unsettled.Add(1)
		e.queueAdd(ps, a)
		return
	}
	ps.held = append(ps.held, heldItem{ctl: &a})
	e.serveLocked(ps)
}

// serveLocked gives ps a turn now, unless the scheduler is giving it one,
// and leaves it waiting for the scheduler if it still holds any. It must
// be called with e.mu held, and unlocks it.
func (e *Engine) serveLocked(ps *peer) {
	var txs []ingestTx
	var ctls []txAdd
	if ps.moving == 0 { // else that turn's end wakes the scheduler
		txs, ctls = e.takeLocked(ps)
	}
	if len(ps.held) > 0 && !ps.waiting {
		ps.waiting = true
		e.waiting = append(e.waiting, ps)
		e.kick() // its signers' turns may fall due before room frees
	}
	e.mu.Unlock()
	e.hand(ps, txs, ctls)
}

// signerTurn is a signer's current turn: when it began (the batch taken
// after the last turn ended) and how many of its transactions were taken
// in it.
type signerTurn struct {
	at    time.Time
	taken int
}

// takeLocked takes from ps's queue, in order, the transactions that fit
// the caps, whose signer's turn is due, and that neither follow a held one
// of their signer nor spend a held one's output, reserving their slots,
// and the pongs and polls with nothing before them held; it counts the
// turn as moving if it took any. A signer's turn is due SignerTurn after
// its current turn began (at once for the rest of the batch taken then),
// or while none of its transactions is in the ledger's queue and fewer
// than SignerBurst were taken in its current turn: a flood whose messages
// are committed one by one before the next arrives still waits for its
// turns, and so costs one commit a turn.
// It must be called with e.mu held.
func (e *Engine) takeLocked(ps *peer) (txs []ingestTx, ctls []txAdd) {
	var blocked map[string]bool
	var kept map[dag.TxID]bool
	now := e.cfg.Now()
	taken := make(map[string]bool) // signers whose batch this is
	due := func(s string) bool {
		if taken[s] {
			return true
		}
		st, ok := e.lastTurn[s]
		return !ok || now.Sub(st.at) >= e.cfg.SignerTurn || e.signers[s] == 0 && st.taken < e.cfg.SignerBurst
	}
	rest := ps.held[:0]
	for _, it := range ps.held {
		if it.ctl != nil {
			if len(rest) == 0 {
				ctls = append(ctls, *it.ctl)
			} else {
				rest = append(rest, it)
			}
			continue
		}
		t := it.tx
		if ps.inflight < e.cfg.MaxPeerInFlight && e.signers[t.signer] < e.cfg.MaxSignerInFlight &&
			!blocked[t.signer] && due(t.signer) && !spendsAny(t.raw, kept) {
			ps.inflight++
			e.signers[t.signer]++
			st, ok := e.lastTurn[t.signer]
			if !ok || now.Sub(st.at) >= e.cfg.SignerTurn {
				st = signerTurn{at: now}
			}
			st.taken++
			e.lastTurn[t.signer], taken[t.signer] = st, true
			txs = append(txs, t)
			continue
		}
		if blocked == nil {
			blocked, kept = make(map[string]bool), make(map[dag.TxID]bool)
		}
		blocked[t.signer], kept[t.id] = true, true
		if !it.counted {
			it.counted = true
			e.traffic.txsHeld.Add(1)
		}
		rest = append(rest, it)
	}
	clear(ps.held[len(rest):])
	ps.held = rest
	if len(txs) > 0 || len(ctls) > 0 {
		ps.moving++
	}
	return txs, ctls
}

// spendsAny reports whether raw spends an output of a transaction in ids,
// or may (it does not decode: the ledger rejects it anyway, and the
// scheduler keeps it in its peer's order). It runs only for a transaction
// behind held ones of another signer, so decoding it is no cost worth a
// parser of its own.
func spendsAny(raw []byte, ids map[dag.TxID]bool) bool {
	if len(ids) == 0 {
		return false
	}
	p, err := dag.Decode(raw)
	if err != nil {
		return true
	}
	for _, op := range p.Prev {
		if ids[op.TxID] {
			return true
		}
	}
	return false
}

// hand submits a turn's txs (from ps) as one batch for ps's settler, then
// queues its pongs and polls after it, and ends the turn.
func (e *Engine) hand(ps *peer, txs []ingestTx, ctls []txAdd) {
	if len(txs) == 0 && len(ctls) == 0 {
		return
	}
	if len(txs) > 0 {
		e.submit(ps, txs)
	}
	for _, a := range ctls {
		ps.unsettled.Add(1)
		e.queueAdd(ps, a)
	}
	e.mu.Lock()
	ps.moving--
	e.room.Broadcast()
	if len(ps.held) > 0 {
		e.kick()
	}
	e.mu.Unlock()
}

// schedule serves the peers with held transactions, whenever room frees
// or turns fall due, until the engine closes.
func (e *Engine) schedule() {
	defer e.wg.Done()
	// While peers wait, turns fall due with time too.
	t := time.NewTimer(e.cfg.SignerTurn)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.turn:
		case <-t.C:
		}
		for e.serveTurns() {
		}
		e.mu.Lock()
		waiting := len(e.waiting) > 0
		e.mu.Unlock()
		if waiting {
			t.Reset(e.cfg.SignerTurn / 4)
		}
	}
}

// serveTurns gives each waiting peer one turn, in order, and reports
// whether any took something.
func (e *Engine) serveTurns() bool {
	type turn struct {
		ps   *peer
		txs  []ingestTx
		ctls []txAdd
	}
	var turns []turn
	e.mu.Lock()
	for range len(e.waiting) {
		ps := e.waiting[0]
		e.waiting = e.waiting[1:]
		ps.waiting = false
		if ps.gone || len(ps.held) == 0 {
			continue
		}
		if ps.moving == 0 { // else its Handle goroutine is taking a turn
			if txs, ctls := e.takeLocked(ps); len(txs) > 0 || len(ctls) > 0 {
				turns = append(turns, turn{ps, txs, ctls})
			}
		}
		if len(ps.held) > 0 {
			ps.waiting = true
			e.waiting = append(e.waiting, ps)
		}
	}
	e.mu.Unlock()
	for _, t := range turns {
		e.hand(t.ps, t.txs, t.ctls)
	}
	return len(turns) > 0
}

// submit hands txs (from ps, their slots reserved) to the ledger as one
// batch for ps's settler.
func (e *Engine) submit(ps *peer, txs []ingestTx) {
	a := txAdd{ps: ps, ids: make([]dag.TxID, len(txs)), signers: make([]string, len(txs))}
	batch := make([]dag.Hashed, len(txs))
	for i, t := range txs {
		batch[i], a.ids[i], a.signers[i] = t.tx, t.id, t.signer
	}
	b, err := e.cfg.Ledger.SubmitHashed(e.ctx, batch, ps.id)
	if err != nil {
		e.release(a)
		e.addFailed(ps, err)
		return
	}
	a.b = b
	ps.unsettled.Add(1)
	e.queueAdd(ps, a)
}

// unreserveLocked frees the slots of transactions of ps that were
// committed or given up, wakes the ingests waiting for room and, if a
// peer has transactions held, the scheduler. It must be called with e.mu
// held.
func (e *Engine) unreserveLocked(ps *peer, signers []string) {
	if ps == nil || len(signers) == 0 {
		return
	}
	ps.inflight -= len(signers)
	for _, s := range signers {
		if e.signers[s]--; e.signers[s] <= 0 {
			delete(e.signers, s)
		}
	}
	e.room.Broadcast()
	if len(e.waiting) > 0 {
		e.kick()
	}
}

// kick wakes the scheduler.
func (e *Engine) kick() {
	select {
	case e.turn <- struct{}{}:
	default:
	}
}

// dropHeldLocked forgets what ps has held, which ends the adding of its
// transactions: another peer's copy is taken again. It must be called
// with e.mu held.
func (e *Engine) dropHeldLocked(ps *peer) {
	for _, it := range ps.held {
		if it.ctl == nil {
			delete(e.adding, it.tx.id)
		}
	}
	ps.held = nil
}

package gossip

import (
	"bytes"

	"github.com/torrenttx/ttx/dag"
)

// Fair ingest. What a peer pushes is verified in its own Handle goroutine
// and then queued for the ledger's single committer, so a peer that
// pushes as fast as it can would fill that queue, and a payment from
// anyone else would wait behind all of it. Two caps on the transactions
// submitted to the ledger and not yet committed keep a flood from one
// peer, or of one signing key through any number of peers, to a bounded
// share of the queue, as Nano's per-account scheduler does for accounts:
// MaxPeerInFlight per peer and MaxSignerInFlight per signer. A message's
// transactions whose peer and signer have room are submitted at once; the
// rest wait, in order, for room, and the peer's next message waits with
// them (backpressure on the flooder's connection only). Everyone else's
// transactions go past.

// ingestTx is a pushed transaction on its way to the ledger.
type ingestTx struct {
	tx     dag.Hashed
	id     dag.TxID
	signer string
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

// ingest submits txs (from ps, in message order) to the ledger as room
// allows, each part as one batch for ps's settler; it returns once all are
// submitted, or ps or the engine is gone. A signer's transactions keep
// their order; a child may overtake its parent of another signer, and
// then waits for it in the orphan pool.
func (e *Engine) ingest(ps *peer, txs []ingestTx) {
	for len(txs) > 0 {
		e.mu.Lock()
		var now, later []ingestTx
		for {
			now, later = e.admitLocked(ps, txs)
			if len(now) > 0 || ps.gone || e.closed {
				break
			}
			e.room.Wait()
		}
		if len(now) == 0 { // gone
			for _, t := range txs {
				delete(e.adding, t.id)
			}
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		a := txAdd{ps: ps, ids: make([]dag.TxID, len(now)), signers: make([]string, len(now))}
		batch := make([]dag.Hashed, len(now))
		for i, t := range now {
			batch[i], a.ids[i], a.signers[i] = t.tx, t.id, t.signer
		}
		b, err := e.cfg.Ledger.SubmitHashed(e.ctx, batch, ps.id)
		if err != nil {
			e.release(a)
			e.mu.Lock()
			for _, t := range later {
				delete(e.adding, t.id)
			}
			e.mu.Unlock()
			e.addFailed(ps, err)
			return
		}
		a.b = b
		ps.unsettled.Add(1)
		e.queueAdd(ps, a)
		txs = later
	}
}

// admitLocked splits txs into those that fit under ps's and their
// signers' caps now, whose slots it reserves, and the rest. A signer's
// first transaction left out holds back its later ones. It must be called
// with e.mu held.
func (e *Engine) admitLocked(ps *peer, txs []ingestTx) (now, later []ingestTx) {
	var held map[string]bool
	for _, t := range txs {
		if ps.inflight >= e.cfg.MaxPeerInFlight || held[t.signer] || e.signers[t.signer] >= e.cfg.MaxSignerInFlight {
			if held == nil {
				held = make(map[string]bool)
			}
			held[t.signer] = true
			later = append(later, t)
			continue
		}
		ps.inflight++
		e.signers[t.signer]++
		now = append(now, t)
	}
	return now, later
}

// unreserveLocked frees the slots of transactions of ps that were
// committed or given up, and wakes the ingests waiting for room. It must
// be called with e.mu held.
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
}

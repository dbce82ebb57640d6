package consensus

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/vote"
)

// finalize makes final, parents first, every tracked transaction whose
// inputs' votes are all decided for it, with a certificate of the votes
// that decided them. A tx becomes ready only when a vote on one of its
// inputs is decided or the tx is added, so the scan of every tracked tx
// (all of a ledger just synced, until its votes end) runs only after one
// of those, or after a scan that left a ready tx or a preference to retry:
// run every round, it took most of a core during a cold sync.
func (e *Engine) finalize(ctx context.Context) {
	if !e.rescan && e.decided == e.scannedDecided && e.next == e.scannedNext {
		return
	}
	e.scannedDecided, e.scannedNext, e.rescan = e.decided, e.next, false
	var ready []dag.TxID
	for id, t := range e.txs {
		ok := len(t.inputs) > 0
		for _, op := range t.inputs {
			o := e.outs[op]
			if o == nil || !o.set.Decided() {
				ok = false
				break
			}
			if pref := o.set.Preference(); pref != id {
				ok = false
				if st, err := e.cfg.Graph.State(pref); err == nil && !st.Accepted() {
					e.prefer(ctx, pref) // decided, but the ledger has not followed
					e.rescan = true
				}
				break
			}
		}
		if ok {
			ready = append(ready, id)
		}
	}
	if len(ready) == 0 {
		return
	}
	slices.SortFunc(ready, func(a, b dag.TxID) int { return cmp.Compare(e.txs[a].order, e.txs[b].order) })
	// Only those whose parents are final, or become final in this batch.
	var ds []dag.Decision
	batch := make(map[dag.TxID]bool)
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, id := range ready {
			t := e.txs[id]
			ok := true
			for _, op := range t.inputs {
				if batch[op.TxID] {
					continue
				}
				st, err := r.State(op.TxID)
				if err != nil {
					return err
				}
				ok = ok && st == dag.StateFinal
			}
			if !ok {
				continue
			}
			cert, err := e.certificate(id, t)
			if err != nil {
				e.log.Error("build certificate", "tx", id, "err", err)
				continue
			}
			ds = append(ds, dag.Decision{ID: id, Cert: cert})
			batch[id] = true
		}
		return nil
	})
	if err != nil || len(ds) < len(ready) {
		e.rescan = true // a parent not final yet, or an error
	}
	if err != nil || len(ds) == 0 {
		return
	}
	if err := e.cfg.Graph.Finalize(ctx, ds); err != nil {
		e.log.Info("finalize", "txs", len(ds), "err", err)
		e.rescan = true
		return
	}
	for _, d := range ds {
		for _, op := range e.txs[d.ID].inputs {
			delete(e.outs, op)
		}
		delete(e.txs, d.ID)
	}
}

// certificate encodes the votes that decided t's inputs.
func (e *Engine) certificate(id dag.TxID, t *txState) ([]byte, error) {
	c := &vote.Certificate{Network: e.net, Tx: id, Inputs: t.inputs}
	for _, op := range t.inputs {
		o := e.outs[op]
		// The certificate claims the smallest poll size of its inputs.
		if c.K == 0 || o.params.K < c.K {
			c.K, c.Alpha = o.params.K, o.params.Alpha
		}
		c.Attestations = append(c.Attestations, o.won...)
	}
	return c.MarshalBinary()
}

// answerLoop answers peers' polls with the node's preferences: for each
// output, the accepted transaction that spends it, or none.
func (e *Engine) answerLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-e.asks:
			if err := e.answer(a); err != nil {
				e.log.Debug("answer poll", "peer", fmt.Sprintf("%x", a.from[:8]), "err", err)
			}
		}
	}
}

func (e *Engine) answer(a ask) error {
	votes := make([]vote.Vote, len(a.outs))
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for i, op := range a.outs {
			votes[i].Out = op
			by, err := r.SpentBy(op)
			if errors.Is(err, dag.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			votes[i].Pref = by
		}
		return nil
	})
	if err != nil {
		return err
	}
	b, err := vote.Sign(e.cfg.Key, e.net, e.cfg.Now().UnixMilli(), votes)
	if err != nil {
		return err
	}
	raw, err := b.MarshalBinary()
	if err != nil {
		return err
	}
	if err := e.cfg.Transport.Answer(a.from, a.req, raw); err != nil {
		return err
	}
	return nil
}

// seed returns a random seed for the default sampler.
func seed() [32]byte {
	var b [32]byte
	crand.Read(b[:])
	return b
}

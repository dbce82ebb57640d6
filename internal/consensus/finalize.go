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
// that decided them. It looks only at the transactions in check: those
// added, those an output's decided vote names, those whose parent became
// final, and those a last look left to retry. A ready transaction whose
// parent is not final waits in waiting until the parent is. Scanning
// every tracked transaction instead, each round and each tally, took most
// of a core under load: a chain's decided txs wait for their parents, and
// each look found one to retry.
func (e *Engine) finalize(ctx context.Context) {
	if len(e.check) == 0 {
		return
	}
	var ready []dag.TxID
	for id := range e.check {
		t := e.txs[id]
		if t == nil {
			delete(e.check, id)
			continue
		}
		ok, retry := len(t.inputs) > 0, false
		for _, op := range t.inputs {
			o := e.outs[op]
			if o == nil || !o.set.Decided() {
				ok = false // back in check when the vote on op is decided
				break
			}
			if pref := o.set.Preference(); pref != id {
				ok = false
				if st, err := e.cfg.Graph.State(pref); err == nil && !st.Accepted() {
					e.prefer(ctx, pref) // decided, but the ledger has not followed
					retry = true
				}
				break
			}
		}
		switch {
		case ok:
			ready = append(ready, id)
		case !retry:
			delete(e.check, id)
		}
	}
	if len(ready) == 0 {
		return
	}
	slices.SortFunc(ready, func(a, b dag.TxID) int { return cmp.Compare(e.txs[a].order, e.txs[b].order) })
	// Only those whose parents are final, or become final in this batch.
	var ds []dag.Decision
	batch := make(map[dag.TxID]bool)
	wait := make(map[dag.TxID]dag.TxID) // a ready tx: the parent it waits for
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, id := range ready {
			t := e.txs[id]
			var parent dag.TxID
			for _, op := range t.inputs {
				if batch[op.TxID] {
					continue
				}
				st, err := r.State(op.TxID)
				if err != nil {
					return err
				}
				if st != dag.StateFinal {
					parent = op.TxID
					break
				}
			}
			if !parent.IsZero() {
				wait[id] = parent
				continue
			}
			cert, err := e.certificate(id, t)
			if err != nil {
				e.log.Error("build certificate", "tx", id, "err", err)
				continue // left in check: tried again next round
			}
			ds = append(ds, dag.Decision{ID: id, Cert: cert})
			batch[id] = true
		}
		return nil
	})
	if err != nil {
		return // all left in check
	}
	for id, parent := range wait {
		delete(e.check, id)
		e.waiting[parent] = append(e.waiting[parent], id)
	}
	if len(ds) == 0 {
		return
	}
	if err := e.cfg.Graph.Finalize(ctx, ds); err != nil {
		e.log.Info("finalize", "txs", len(ds), "err", err)
		return // left in check
	}
	for _, d := range ds {
		for _, op := range e.txs[d.ID].inputs {
			delete(e.outs, op)
		}
		delete(e.txs, d.ID)
		delete(e.check, d.ID)
		e.parentGone(d.ID, true)
	}
}

// parentGone hands the transactions waiting for id to finalize's next
// look if id became final, and forgets them if it left the ledger (they
// leave it too).
func (e *Engine) parentGone(id dag.TxID, final bool) {
	if final {
		for _, c := range e.waiting[id] {
			e.check[c] = struct{}{}
		}
	}
	delete(e.waiting, id)
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
// output, the accepted transaction that spends it, or none. It takes every
// poll waiting at once, reads their preferences in one store transaction,
// and signs each distinct list of votes once (signed).
func (e *Engine) answerLoop(ctx context.Context) {
	s := &signed{}
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-e.asks:
			asks := []ask{a}
		drain:
			for len(asks) < inboxSize {
				select {
				case a := <-e.asks:
					asks = append(asks, a)
				default:
					break drain
				}
			}
			e.answer(asks, s)
		}
	}
}

// answerCache is how many signed answers answerLoop keeps for reuse, in
// each of its two generations, and cacheVotes the most votes of one it
// keeps: polls about a few new outputs are the ones many peers repeat, and
// the bound keeps the cache within a few MB.
const (
	answerCache = 256
	cacheVotes  = 64
)

// signed keeps the encodings of recently signed answers by their votes: a
// node polled about the same outputs by many peers (every peer polls about
// a new payment's inputs) signs its answer once and sends the same signed
// batch to each, for as long as its preferences stay the same. A batch
// names no poller and no request, so it is as true an answer for one as for
// another. Two generations bound it: when cur is full, it becomes prev.
type signed struct {
	cur, prev map[string][]byte
}

// get returns the encoding signed for votes key, if kept.
func (s *signed) get(key string) ([]byte, bool) {
	if raw, ok := s.cur[key]; ok {
		return raw, true
	}
	raw, ok := s.prev[key]
	if ok {
		s.put(key, raw)
	}
	return raw, ok
}

// put keeps raw, the encoding signed for votes key.
func (s *signed) put(key string, raw []byte) {
	if s.cur == nil || len(s.cur) >= answerCache {
		s.prev, s.cur = s.cur, make(map[string][]byte, answerCache)
	}
	s.cur[key] = raw
}

// answer answers asks: the votes of each from one store transaction (an
// output that several of them name is looked up once), each distinct list
// of them signed once.
func (e *Engine) answer(asks []ask, s *signed) {
	votes := make([][]vote.Vote, len(asks))
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		prefs := make(map[dag.OutPoint]dag.TxID)
		for i, a := range asks {
			votes[i] = make([]vote.Vote, len(a.outs))
			for j, op := range a.outs {
				votes[i][j].Out = op
				by, ok := prefs[op]
				if !ok {
					var err error
					by, err = r.SpentBy(op)
					if errors.Is(err, dag.ErrNotFound) {
						by, err = dag.TxID{}, nil
					}
					if err != nil {
						return err
					}
					prefs[op] = by
				}
				votes[i][j].Pref = by
			}
		}
		return nil
	})
	if err != nil {
		e.log.Debug("answer polls", "polls", len(asks), "err", err)
		return
	}
	for i, a := range asks {
		key := vote.VotesKey(votes[i])
		raw, ok := s.get(key)
		if !ok {
			b, err := vote.Sign(e.cfg.Key, e.net, e.cfg.Now().UnixMilli(), votes[i])
			if err == nil {
				raw, err = b.MarshalBinary()
			}
			if err != nil {
				e.log.Debug("answer poll", "peer", fmt.Sprintf("%x", a.from[:8]), "err", err)
				continue
			}
			if len(votes[i]) <= cacheVotes {
				s.put(key, raw)
			}
		}
		if err := e.cfg.Transport.Answer(a.from, a.req, raw); err != nil {
			e.log.Debug("answer poll", "peer", fmt.Sprintf("%x", a.from[:8]), "err", err)
		}
	}
}

// seed returns a random seed for the default sampler.
func seed() [32]byte {
	var b [32]byte
	crand.Read(b[:])
	return b
}

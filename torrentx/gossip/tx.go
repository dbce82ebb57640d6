package gossip

import (
	"bytes"
	"cmp"
	"errors"
	"slices"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// policy reports whether a rejection code is one an honest peer can cause
// (its view of the ledger differs from ours, or our pool is full): such
// rejections cost the peer nothing. Every other rule violation bans it.
func policy(c dag.ErrorCode) bool {
	switch c {
	case dag.ErrOrphanLimit, dag.ErrDoubleSpend, dag.ErrParentRejected, dag.ErrLostVote,
		dag.ErrLateConflict, dag.ErrTooManyCandidates:
		return true
	}
	return false
}

// relayed reports whether a transaction the ledger stored as rejected
// with code c is relayed: the sides of a double spend, which the vote
// needs everyone to know, and the children of a losing side that the
// ledger keeps in case the vote turns.
func relayed(c dag.ErrorCode) bool {
	return c == dag.ErrDoubleSpend || c == dag.ErrLateConflict || c == dag.ErrParentRejected
}

func (e *Engine) handleInv(ps *peer, m *wire.Inv) {
	var unknown []dag.TxID
	for _, id := range m.IDs {
		st, err := e.cfg.Ledger.State(id)
		if err != nil {
			e.log.Error("read state", logTx, id, logErr, err)
			return
		}
		if st == dag.StateUnknown {
			unknown = append(unknown, id)
		}
	}
	now := e.cfg.Now()
	e.mu.Lock()
	for _, id := range m.IDs {
		ps.known.Add(id)
	}
	ask := e.wantLocked(ps, unknown, now)
	e.mu.Unlock()
	if len(ask) > 0 {
		e.send(ps, &wire.Want{IDs: ask})
	}
}

// handleWant serves the wanted transactions we hold, parents first (in our
// Seq order), within the peer's serve budget; the rest get a notfound.
func (e *Engine) handleWant(ps *peer, m *wire.Want) {
	ids := slices.Compact(slices.SortedFunc(slices.Values(m.IDs), compareIDs))
	var recs []*dag.Record
	var missing []dag.TxID
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, id := range ids {
			rec, err := r.Get(id)
			switch {
			case errors.Is(err, dag.ErrNotFound):
				missing = append(missing, id)
			case err != nil:
				return err
			default:
				recs = append(recs, rec)
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("read wanted txs", logErr, err)
		return
	}
	slices.SortFunc(recs, func(a, b *dag.Record) int { return cmp.Compare(a.Seq, b.Seq) })
	now := e.cfg.Now()
	e.mu.Lock()
	served := recs[:0]
	for _, rec := range recs {
		if ps.serve.take(now, float64(len(rec.Raw))) {
			served = append(served, rec)
			ps.known.Add(rec.ID)
		} else {
			missing = append(missing, rec.ID)
		}
	}
	e.mu.Unlock()
	e.sendTxs(ps, served)
	if len(missing) > 0 {
		e.send(ps, &wire.NotFound{IDs: missing})
	}
}

func compareIDs(a, b dag.TxID) int { return bytes.Compare(a[:], b[:]) }

// sendTxs sends records as tx messages, in order, packed under the size
// limit. It reports how many bytes of transactions it sent.
func (e *Engine) sendTxs(ps *peer, recs []*dag.Record) int {
	var m wire.Tx
	size, total := wire.TxOverhead, 0
	flush := func() {
		if len(m.Txs) > 0 {
			e.send(ps, &m)
			m, size = wire.Tx{}, wire.TxOverhead
		}
	}
	for _, rec := range recs {
		if size+wire.TxEntrySize(len(rec.Raw)) > wire.MaxMessageSize {
			flush()
		}
		m.Txs = append(m.Txs, wire.TxEntry{ID: rec.ID, Raw: rec.Raw})
		size += wire.TxEntrySize(len(rec.Raw))
		total += len(rec.Raw)
	}
	flush()
	return total
}

// handleTx drops the entries whose ID the store holds or another message
// is adding (in a mesh most pushes are such copies; their bytes are never
// read, so they need no check), checks that every other entry hashes to
// its ID (a wrong ID bans the peer), then submits those to the ledger in
// order, without waiting for the commit: the next message is verified
// while this one is committed; the ledger takes them hashed and does not
// hash them again. The settler handles the results.
func (e *Engine) handleTx(ps *peer, m *wire.Tx) {
	skip := make([]bool, len(m.Txs))
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for i, t := range m.Txs {
			st, err := r.State(t.ID)
			if err != nil {
				return err
			}
			skip[i] = st != dag.StateUnknown
		}
		return nil
	})
	if err != nil {
		e.addFailed(ps, err)
		return
	}
	// A copy of a transaction that another message (from this peer or
	// another) is adding is dropped too: checking it again would only
	// repeat that work.
	e.mu.Lock()
	for i, t := range m.Txs {
		skip[i] = skip[i] || e.adding[t.ID]
	}
	e.mu.Unlock()
	hashed := make([]dag.Hashed, len(m.Txs))
	for i, t := range m.Txs {
		if skip[i] {
			continue
		}
		if hashed[i], err = dag.Claimed(t.Raw, t.ID); err != nil {
			e.misbehave(ps, banScore, "wrong ID: "+err.Error())
			return
		}
	}
	// Another message may have begun adding one since.
	var txs []dag.Hashed
	var ids []dag.TxID
	e.mu.Lock()
	for i, t := range m.Txs {
		ps.known.Add(t.ID)
		e.gotLocked(t.ID)
		if !skip[i] && !e.adding[t.ID] {
			e.adding[t.ID] = true
			txs, ids = append(txs, hashed[i]), append(ids, t.ID)
		}
	}
	e.mu.Unlock()
	if len(txs) == 0 {
		return
	}
	b, err := e.cfg.Ledger.SubmitHashed(e.ctx, txs, ps.id)
	if err != nil {
		e.release(ids)
		e.addFailed(ps, err)
		return
	}
	ps.unsettled.Add(1)
	e.queueAdd(ps, txAdd{b: b, ids: ids})
}

// release ends the adding of ids.
func (e *Engine) release(ids []dag.TxID) {
	e.mu.Lock()
	for _, id := range ids {
		delete(e.adding, id)
	}
	e.mu.Unlock()
}

// maxAdds is how many of a peer's tx messages may wait for their commit
// before handling its next message waits too. The Graph's queue bounds
// them across peers.
const maxAdds = 32

// txAdd is a tx message submitted to the ledger (b, and the IDs of its
// entries that were submitted, in order), a ping to answer (pong), or a
// poll to hand to the Voter.
type txAdd struct {
	b    *dag.Batch
	ids  []dag.TxID
	pong uint64
	poll *wire.Poll
}

// queueAdd hands a to ps's settler, waiting while it holds maxAdds.
func (e *Engine) queueAdd(ps *peer, a txAdd) {
	select {
	case ps.adds <- a:
	case <-ps.quit:
		e.release(a.ids)
		return
	case <-e.ctx.Done():
		e.release(a.ids)
		return
	}
	select {
	case <-ps.quit: // the settler may have stopped before a arrived
		e.drainAdds(ps)
	default:
	}
}

// drainAdds releases what waits for a stopped settler.
func (e *Engine) drainAdds(ps *peer) {
	for {
		select {
		case a := <-ps.adds:
			e.release(a.ids)
		default:
			return
		}
	}
}

// settler handles, in order, the results of ps's tx messages as they are
// committed (invalid transactions ban the peer; the missing parents of
// pending ones are wanted from it), and answers its pings and hands its
// polls to the Voter once what came before them is done. It runs until ps
// is dropped.
func (e *Engine) settler(ps *peer) {
	defer e.wg.Done()
	defer e.drainAdds(ps)
	for {
		var a txAdd
		select {
		case a = <-ps.adds:
		case <-ps.quit:
			return
		case <-e.ctx.Done():
			return
		}
		if a.b == nil {
			if a.poll != nil {
				e.givePoll(ps, a.poll)
			} else {
				e.pong(ps, a.pong)
			}
			ps.unsettled.Add(-1)
			continue
		}
		results, err := a.b.Wait(e.ctx)
		if err != nil {
			e.addFailed(ps, err)
		} else {
			e.txResults(ps, a.ids, results) // a ban drops ps: quit ends the loop
		}
		e.release(a.ids)
		ps.unsettled.Add(-1)
	}
}

func (e *Engine) addFailed(ps *peer, err error) {
	if !errors.Is(err, dag.ErrClosed) && e.ctx.Err() == nil {
		e.log.Error("add txs", logPeer, ps.id, logErr, err)
	}
}

// txResults bans ps if it sent an invalid transaction and otherwise wants
// the missing parents of pending ones from it; ids are the results' IDs.
func (e *Engine) txResults(ps *peer, ids []dag.TxID, results []dag.Result) {
	var missing []dag.TxID
	fresh := false
	for i, res := range results {
		fresh = fresh || !res.Known && res.State.Accepted()
		if res.State == dag.StatePending {
			missing = append(missing, res.Missing...)
			continue
		}
		if res.State != dag.StateRejected || res.Known {
			continue
		}
		if re, ok := dag.IsRuleError(res.Err); ok && policy(re.Code) {
			continue
		}
		e.misbehave(ps, banScore, "invalid tx "+ids[i].String()+": "+errString(res.Err))
		return
	}
	if fresh {
		e.mu.Lock()
		ps.lastTx = e.cfg.Now()
		e.mu.Unlock()
	}
	if len(missing) > 0 {
		now := e.cfg.Now()
		e.mu.Lock()
		ask := e.wantLocked(ps, slices.Compact(slices.SortedFunc(slices.Values(missing), compareIDs)), now)
		e.mu.Unlock()
		for len(ask) > 0 {
			n := min(len(ask), wire.MaxIDs)
			e.send(ps, &wire.Want{IDs: ask[:n]})
			ask = ask[n:]
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "rejected"
	}
	return err.Error()
}

// handleNotFound moves wants the peer cannot serve on at once. It costs
// the peer nothing: an honest peer says notfound past its serve budget.
func (e *Engine) handleNotFound(ps *peer, m *wire.NotFound) {
	now := e.cfg.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range m.IDs {
		if w := e.wants[id]; w != nil && w.from == ps {
			w.deadline = now
		}
	}
}

// Announce relays new transactions to every ready peer that does not have
// them: accepted ones, and double-spend evidence (once: the Graph reports
// a transaction as new only once). Transactions of at most PushMax bytes
// are pushed whole; the others are announced by inv. Any change also marks
// the digest as moved, for the next tick's digest ping. Wire it to
// dag.GraphConfig.OnChange: it does not block and does not call the Graph.
func (e *Engine) Announce(changes []dag.Change) {
	if len(changes) > 0 {
		e.moved.Store(true)
	}
	var news []*dag.Record
	for _, c := range changes {
		if c.Raw == nil {
			continue
		}
		if c.State.Accepted() || c.State == dag.StateRejected && relayed(c.Code) {
			news = append(news, &dag.Record{ID: c.ID, Raw: c.Raw})
		}
	}
	if len(news) == 0 {
		return
	}
	type batch struct {
		ps   *peer
		inv  []dag.TxID
		push []*dag.Record
	}
	var out []batch
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	for _, ps := range e.peers {
		if !ps.ready() {
			continue
		}
		b := batch{ps: ps}
		for _, rec := range news {
			if ps.known.Has(rec.ID) {
				continue
			}
			ps.known.Add(rec.ID)
			if len(rec.Raw) <= e.cfg.PushMax {
				b.push = append(b.push, rec)
			} else {
				b.inv = append(b.inv, rec.ID)
			}
		}
		out = append(out, b)
	}
	e.mu.Unlock()
	for _, b := range out {
		e.sendTxs(b.ps, b.push)
		for ids := b.inv; len(ids) > 0; {
			n := min(len(ids), wire.MaxIDs)
			e.send(b.ps, &wire.Inv{IDs: ids[:n]})
			ids = ids[n:]
		}
	}
}

package gossip

import (
	"bytes"
	"cmp"
	"errors"
	"math/rand/v2"
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

// handleInv wants the announced IDs the ledger does not hold. An ID it
// accepted lately, or that another message is adding, is known without a
// store read: in a mesh most invs announce what the node has already.
func (e *Engine) handleInv(ps *peer, m *wire.Inv) {
	var check []dag.TxID
	e.mu.Lock()
	for _, id := range m.IDs {
		ps.known.Add(id)
		if !e.accepted.Has(id) && !e.adding[id] {
			check = append(check, id)
		}
	}
	e.mu.Unlock()
	if len(check) == 0 {
		return
	}
	var unknown []dag.TxID
	for _, id := range check {
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
	// What another message is adding is on its way into the ledger: wanting
	// it would only fetch a second copy.
	unknown = slices.DeleteFunc(unknown, func(id dag.TxID) bool { return e.adding[id] })
	ask := e.wantLocked(ps, unknown, wantInv, now)
	e.mu.Unlock()
	if len(ask) > 0 {
		e.send(ps, &wire.Want{IDs: ask})
	}
}

// handleWant serves the wanted transactions we hold, parents first (in our
// Seq order), within the peer's serve budget; the rest get a notfound.
func (e *Engine) handleWant(ps *peer, m *wire.Want) {
	short, lost, err := e.wantedShort(ps, m.Short)
	if err != nil {
		e.shortFailed(err)
		return
	}
	ids := slices.Compact(slices.SortedFunc(slices.Values(append(short, m.IDs...)), compareIDs))
	var recs []*dag.Record
	var missing []dag.TxID
	err = e.cfg.Store.View(func(r dag.ReadTx) error {
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
	if len(missing)+len(lost) > 0 {
		e.send(ps, &wire.NotFound{IDs: missing, Short: lost})
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
			if e.send(ps, &m) {
				ps.txsOut.add(m.Txs)
				e.traffic.txsOut.add(m.Txs)
			}
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
// its ID (a wrong ID bans the peer) and has the ledger verify it (Check),
// then submits those to the ledger in order, without waiting for the
// commit: the next message is verified while this one is committed; the
// ledger takes them hashed and does not hash them again. The settler
// handles the results.
func (e *Engine) handleTx(ps *peer, m *wire.Tx) {
	ps.txsIn.add(m.Txs)
	e.traffic.txsIn.add(m.Txs)
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
	// Verified here, in ps's goroutine, before the ingest caps may hold
	// them back: what waits for its turn (a sync's next window behind its
	// last) is then ready to commit when the turn comes.
	e.cfg.Ledger.Check(hashed)
	// Another message may have begun adding one since.
	var in []ingestTx
	now := e.cfg.Now()
	e.mu.Lock()
	for i, t := range m.Txs {
		ps.known.Add(t.ID)
		e.gotLocked(ps, t.ID)
		e.gotShortLocked(t.ID, now)
		if !skip[i] && !e.adding[t.ID] {
			e.adding[t.ID] = true
			e.inflightLocked(t.ID)
			in = append(in, ingestTx{tx: hashed[i], id: t.ID, raw: t.Raw, signer: signerOf(t.Raw)})
		}
	}
	e.mu.Unlock()
	e.traffic.txDups.Add(uint64(len(m.Txs) - len(in)))
	if len(in) == 0 {
		return
	}
	e.ingest(ps, in)
}

// release ends the adding of a's transactions and frees their ingest
// slots.
func (e *Engine) release(a txAdd) {
	if len(a.ids) == 0 {
		return
	}
	e.mu.Lock()
	for _, id := range a.ids {
		delete(e.adding, id)
	}
	e.unreserveLocked(a.ps, a.signers)
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
	// ps and signers (index for index with ids) hold the ingest slots
	// of the transactions (see ingest).
	ps      *peer
	signers []string
}

// queueAdd hands a to ps's settler, waiting while it holds maxAdds.
func (e *Engine) queueAdd(ps *peer, a txAdd) {
	select {
	case ps.adds <- a:
	case <-ps.quit:
		e.release(a)
		return
	case <-e.ctx.Done():
		e.release(a)
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
			e.release(a)
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
		e.release(a)
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
		ask := e.wantLocked(ps, slices.Compact(slices.SortedFunc(slices.Values(missing), compareIDs)), wantParent, now)
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
	e.notFoundShortLocked(ps, m.Short, now)
}

// Announce relays new transactions to the ready peers not known to have
// them: accepted ones, and double-spend evidence (once: the Graph reports
// a transaction as new only once). A transaction of at most PushMax bytes
// that no peer is known to have (we are its first announcer: it was made
// here, submitted here or fetched by BitTorrent) is pushed whole to up to
// PushFanout peers and announced by inv to InvFanout of the rest; one that
// came from a peer is announced by inv only, to InvFanout of them, so each
// node fetches its bytes once, from the first peer that announces it.
// Wire it to dag.GraphConfig.OnChange: it does not block and does not call
// the Graph. The engine's digest is cached between calls, so every commit
// that changes the ledger must reach it.
//
// A transaction is relayed once committed, not as soon as it is verified
// and queued: verification (decoding, sanity, signature) looks at the
// transaction alone, and only the committer, in queue order, checks its
// spends against the ledger (the outputs exist, belong to the signer and
// add up). Relayed before that, a transaction that spends what its signer
// does not own would be passed on by every honest node, and each peer
// bans the one that sent it an invalid transaction: a forger could cut
// honest nodes off each other. An inv sent early would promise bytes the
// node might never serve (a notfound counts against the announcer). The
// wait is one commit per hop, the fsync well under a millisecond of it on
// an SSD; pushing from the first announcer to more peers (PushFanout)
// takes hops off instead.
func (e *Engine) Announce(changes []dag.Change) {
	if len(changes) > 0 {
		e.ledgerChanged()
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
		inv   []dag.TxID
		short []wire.ShortID
		push  []*dag.Record
	}
	out := make(map[*peer]*batch)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	for _, c := range changes {
		if c.State.Accepted() {
			e.accepted.Add(c.ID)
			e.inflightLocked(c.ID)
		}
	}
	var to []*peer
	for _, rec := range news {
		to = to[:0]
		first := true
		for _, ps := range e.peers {
			switch {
			case ps.known.Has(rec.ID):
				first = false
			case ps.ready():
				to = append(to, ps)
			}
		}
		pushes := 0
		if first && len(rec.Raw) <= e.cfg.PushMax {
			pushes = min(len(to), e.cfg.PushFanout)
		}
		// The peers to push to, and those to announce to when not all
		// are, are chosen at random, so that no peer is always the one
		// that has to want it, or the one left to hear of it from others.
		chosen := pushes
		if e.cfg.InvFanout >= 0 && len(to) > pushes+e.cfg.InvFanout {
			chosen = pushes + e.cfg.InvFanout
		}
		for i := range chosen {
			j := i + rand.IntN(len(to)-i)
			to[i], to[j] = to[j], to[i]
		}
		if chosen > pushes {
			to = to[:chosen]
		}
		for i, ps := range to {
			ps.known.Add(rec.ID)
			b := out[ps]
			if b == nil {
				b = &batch{}
				out[ps] = b
			}
			if i < pushes {
				b.push = append(b.push, rec)
			} else if ps.short {
				b.short = append(b.short, ps.skey.Short(rec.ID))
			} else {
				b.inv = append(b.inv, rec.ID)
			}
		}
	}
	e.mu.Unlock()
	for ps, b := range out {
		e.sendTxs(ps, b.push)
		e.sendInv(ps, b.inv, b.short)
	}
}

package gossip

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/recon"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// syncState is a catch-up sync we initiated with a peer: a reconciliation
// (recon.Session), then steps that want what we lack and push what the
// peer lacks, each ended by a ping whose pong starts the next. Its fields
// are guarded by Engine.mu; busy marks work under way outside the lock.
type syncState struct {
	id     uint64 // session number
	rs     *recon.Session
	res    *recon.Result // nil while reconciling
	need   []dag.TxID    // still to want
	cursor uint64        // our Seq pushed up to
	// barriers are the nonces of the pings whose pongs we await, oldest
	// first: a step ends with one, and up to syncSteps are under way.
	barriers []uint64
	busy     bool
	timer    *time.Timer // paces the next step
	last     time.Time   // last progress
	pushed   int
}

// maybeSync starts a catch-up sync with ps if ours, our digest as the peer
// saw it, is the larger of the two (both sides see the same pair, so
// exactly one side starts), no sync runs, and the backoff has passed.
func (e *Engine) maybeSync(ps *peer, ours, theirs dag.Digest) {
	if !larger(ours, theirs) {
		return
	}
	now := e.cfg.Now()
	e.mu.Lock()
	if e.closed || !ps.ready() || ps.sync != nil || now.Before(ps.syncEnd.Add(ps.syncBackoff)) {
		e.mu.Unlock()
		return
	}
	rs, err := recon.NewSession(e.recon)
	if err != nil {
		e.mu.Unlock()
		e.log.Error("new recon session", logErr, err)
		return
	}
	st := &syncState{id: ps.nextNonce(), rs: rs, last: now, busy: true}
	ps.sync = st
	e.mu.Unlock()
	e.log.Debug("sync start", logPeer, ps.id, "ours", ours, "theirs", theirs)

	var q *recon.Message
	err = e.cfg.Store.View(func(r dag.ReadTx) error {
		var err error
		q, err = rs.Initiate(r)
		return err
	})
	if !e.resumeSync(ps, st, err, "start reconciliation") {
		return
	}
	e.mu.Unlock()
	e.send(ps, &wire.ReconQuery{Session: st.id, Msg: *q})
}

// endSync stops ps's sync. It must be called with e.mu held.
func (e *Engine) endSync(ps *peer) {
	if st := ps.sync; st != nil {
		if st.timer != nil {
			st.timer.Stop()
		}
		ps.sync = nil
	}
}

// handleReconQuery answers a peer's reconciliation query. The answer needs
// no state: each query carries all it refers to.
func (e *Engine) handleReconQuery(ps *peer, m *wire.ReconQuery) {
	now := e.cfg.Now()
	e.mu.Lock()
	if !ps.recon.take(now, 1) {
		e.punishLocked(ps, 10, "over the reconciliation rate")
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	var reply *recon.Message
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		var err error
		reply, err = recon.Respond(r, &m.Msg, e.recon)
		return err
	})
	switch {
	case errors.Is(err, recon.ErrProtocol):
		e.misbehave(ps, 50, err.Error())
	case err != nil:
		e.log.Error("answer reconciliation", logPeer, ps.id, logErr, err)
	default:
		e.send(ps, &wire.ReconReply{Session: m.Session, Msg: *reply})
	}
}

// handleReconReply continues our reconciliation, and once it is done
// starts the first sync step.
func (e *Engine) handleReconReply(ps *peer, m *wire.ReconReply) {
	now := e.cfg.Now()
	e.mu.Lock()
	st := ps.sync
	if st == nil || st.id != m.Session || st.res != nil || st.busy {
		e.mu.Unlock()
		return // a stale or unasked reply
	}
	st.busy, st.last = true, now
	e.mu.Unlock()

	var next *recon.Message
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		var err error
		next, err = st.rs.Reconcile(r, &m.Msg)
		return err
	})
	if !e.resumeSync(ps, st, err, "reconcile") {
		return
	}
	if next != nil {
		e.mu.Unlock()
		e.send(ps, &wire.ReconQuery{Session: st.id, Msg: *next})
		return
	}
	st.res = st.rs.Result()
	st.need = st.res.Need
	e.mu.Unlock()
	e.log.Debug("reconciled", logPeer, ps.id, "rounds", st.rs.Rounds(), "need", len(st.res.Need), "complete", st.res.Complete)
	e.syncStep(ps)
}

// resumeSync retakes e.mu after st's store work, done without it, and
// reports whether the sync goes on: st is still ps's sync and err is nil.
// Otherwise the sync ends, a reconciliation protocol error costs the peer
// 50 points and another error is logged as what failed. It returns true
// with e.mu held, false without.
func (e *Engine) resumeSync(ps *peer, st *syncState, err error, what string) bool {
	e.mu.Lock()
	st.busy = false
	if ps.sync != st {
		e.mu.Unlock()
		return false
	}
	if err == nil {
		return true
	}
	e.endSync(ps)
	protocol := errors.Is(err, recon.ErrProtocol)
	if protocol {
		e.punishLocked(ps, 50, err.Error())
	}
	e.mu.Unlock()
	if !protocol {
		e.log.Error(what, logPeer, ps.id, logErr, err)
	}
	return false
}

// syncStep sends the next window: wants for up to wire.MaxIDs of the IDs
// we lack, and up to SyncWindow bytes of the transactions the peer lacks,
// in our Seq order (parents first), paced at PushRate; then a ping. With
// nothing left, the sync ends.
func (e *Engine) syncStep(ps *peer) {
	now := e.cfg.Now()
	e.mu.Lock()
	st := ps.sync
	if st == nil || st.res == nil || st.busy || len(st.barriers) >= syncSteps || st.timer != nil {
		e.mu.Unlock()
		return
	}
	if d := ps.push.wait(now, float64(e.cfg.SyncWindow)); d > 0 {
		st.timer = time.AfterFunc(d, func() {
			e.mu.Lock()
			st.timer = nil
			e.mu.Unlock()
			e.syncStep(ps)
		})
		e.mu.Unlock()
		return
	}
	st.busy = true
	n := max(0, min(len(st.need), wire.MaxIDs, e.cfg.MaxWanted-ps.wanted))
	batch := st.need[:n]
	st.need = st.need[n:]
	cursor, res := st.cursor, st.res
	e.mu.Unlock()

	var unknown []dag.TxID
	for _, id := range batch {
		if s, err := e.cfg.Ledger.State(id); err == nil && s == dag.StateUnknown {
			unknown = append(unknown, id)
		}
	}
	var recs []*dag.Record
	size, exhausted := 0, true
	var ours dag.Digest
	// A sync that a digest ping started while a relay was in flight most
	// often finds that the peer lacks nothing, or a few IDs: those need no
	// scan of the ledger (which reads every record), and a few IDs that fit
	// in one window are read by ID and pushed in our Seq order.
	lacks := len(res.Have) > 0 || len(res.HaveRanges) > 0
	few := len(res.HaveRanges) == 0 && len(res.Have) <= e.cfg.SyncWindow/dag.MaxTxSize
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		var err error
		switch {
		case !lacks || cursor == pushedAll:
		case few:
			for _, id := range res.Have {
				rec, err := r.Get(id)
				if err != nil {
					return err
				}
				recs = append(recs, rec)
			}
			slices.SortFunc(recs, func(a, b *dag.Record) int { return cmp.Compare(a.Seq, b.Seq) })
			cursor = pushedAll
		default:
			err = r.Since(cursor, func(rec *dag.Record) bool {
				cursor = rec.Seq
				if res.PeerLacks(rec.ID) {
					recs = append(recs, rec)
					if size += len(rec.Raw); size >= e.cfg.SyncWindow {
						exhausted = false
						return false
					}
				}
				return true
			})
		}
		if err != nil {
			return err
		}
		ours, err = r.Digest()
		return err
	})
	if !e.resumeSync(ps, st, err, "read txs to push") {
		return
	}
	st.cursor = cursor
	ask := e.wantLocked(ps, unknown, wantSync, now)
	push := recs[:0]
	for _, rec := range recs {
		if !ps.known.Has(rec.ID) {
			ps.known.Add(rec.ID)
			push = append(push, rec)
		}
	}
	st.pushed += len(push)
	if len(ask) == 0 && len(push) == 0 && exhausted && len(st.need) == 0 {
		e.finishSync(ps, st, now)
		ping := e.pingLocked(ps, now, ours)
		e.mu.Unlock()
		e.send(ps, ping)
		return
	}
	barrier := ps.nextNonce()
	st.barriers, st.last = append(st.barriers, barrier), now
	e.mu.Unlock()

	for len(ask) > 0 {
		k := min(len(ask), wire.MaxIDs)
		e.send(ps, &wire.Want{IDs: ask[:k]})
		ask = ask[k:]
	}
	sent := e.sendTxs(ps, push)
	e.mu.Lock()
	ps.push.spend(now, float64(sent))
	e.mu.Unlock()
	e.send(ps, &wire.Ping{Nonce: barrier, Digest: ours})
	e.syncStep(ps) // the next step may start before this one's pong
}

// pushedAll is a sync's cursor once the few IDs the peer lacks were read by
// ID: nothing is left to push.
const pushedAll = math.MaxUint64

// syncSteps is how many sync steps may await their pongs: with more than
// one, the peer verifies and commits one step while the next are on their
// way.
const syncSteps = 3

// finishSync ends a sync that ran to its end. A sync that found the same
// number of differences as the last one (the peer keeps refusing what we
// push, e.g. children of what it holds as double-spend evidence) backs off,
// doubling up to DefaultMaxSyncBackoff. It must be called with e.mu held.
func (e *Engine) finishSync(ps *peer, st *syncState, now time.Time) {
	diff := st.pushed + len(st.res.Need)
	switch {
	case !st.res.Complete:
		ps.syncBackoff = 0
	case diff > 0 && diff == ps.lastDiff:
		ps.syncBackoff = min(max(2*ps.syncBackoff, e.cfg.PingInterval), DefaultMaxSyncBackoff)
	default:
		ps.syncBackoff = 0
	}
	ps.lastDiff, ps.syncEnd = diff, now
	e.log.Debug("sync done", logPeer, ps.id, "pushed", st.pushed, "wanted", len(st.res.Need), "backoff", ps.syncBackoff)
	e.endSync(ps)
}

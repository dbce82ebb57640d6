package consensus

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
	"github.com/torrenttx/ttx/vote"
)

// addTx starts tracking p, accepted and not final.
func (e *Engine) addTx(p *dag.Parsed, now time.Time) {
	if _, ok := e.txs[p.ID]; ok || p.IsGenesis() {
		return
	}
	e.next++
	e.txs[p.ID] = &txState{inputs: p.Prev, order: e.next, ready: e.readyAt(now), raw: p.Raw}
	e.check[p.ID] = struct{}{}
}

// readyAt returns when a transaction accepted at now may be polled: once
// the quiet period has passed, at the next multiple of Gather.
func (e *Engine) readyAt(now time.Time) time.Time {
	t := now.Add(e.cfg.Quiet)
	if g := t.Truncate(e.cfg.Gather); g.Before(t) {
		return g.Add(e.cfg.Gather)
	}
	return t
}

// contest adds p, a double spend, to the votes on its inputs, and ends
// the quiet period of the accepted sides: their votes open at the next
// round, with p among the candidates.
func (e *Engine) contest(p *dag.Parsed) {
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, op := range p.Prev {
			if o := e.outs[op]; o != nil {
				o.set.Add(p.ID)
			}
			by, err := r.SpentBy(op)
			if errors.Is(err, dag.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if t := e.txs[by]; t != nil {
				t.ready = time.Time{}
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("read the spends of a double spend", "tx", p.ID, "err", err)
	}
}

// opening reports whether the vote on op is to start (again) for a poll
// of params: it has not started, or started for fewer peers than there
// are now and is neither decided nor waiting for answers.
func (e *Engine) opening(op dag.OutPoint, params vote.Params) bool {
	o := e.outs[op]
	return o == nil || !o.set.Decided() && o.params.K < params.K && o.inflight == 0
}

// openOutputs starts the votes on ops (see opening) for a poll of params,
// with their candidates read from the store in one read transaction.
func (e *Engine) openOutputs(ops []dag.OutPoint, params vote.Params) {
	if len(ops) == 0 {
		return
	}
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, op := range ops {
			if !e.opening(op, params) {
				continue // twice in ops
			}
			cands, err := candidates(r, op)
			if err != nil {
				return err
			}
			if len(cands) == 0 {
				continue
			}
			set, err := vote.NewSet(params, cands[0])
			if err != nil {
				e.log.Error("start a vote", "out", op, "err", err)
				continue
			}
			for _, c := range cands[1:] {
				set.Add(c)
			}
			e.outs[op] = &output{set: set, params: params}
		}
		return nil
	})
	if err != nil {
		e.log.Error("read the spends of outputs", "outs", len(ops), "err", err)
	}
}

// candidates reads the sides of the vote on op: the spend this node
// accepted, then the stored double spends in arrival order.
func candidates(r dag.ReadTx, op dag.OutPoint) ([]dag.TxID, error) {
	var cands []dag.TxID
	if by, err := r.SpentBy(op); err == nil {
		cands = append(cands, by)
	} else if !errors.Is(err, dag.ErrNotFound) {
		return nil, err
	}
	claims, err := r.Claims(op)
	if err != nil {
		return nil, err
	}
	for _, c := range claims {
		if rec, err := r.Get(c); err == nil && rec.Code != dag.ErrLateConflict && rec.Code != dag.ErrParentRejected {
			cands = append(cands, c)
		}
	}
	return cands, nil
}

func (e *Engine) onChanges(cs []dag.Change) {
	now := e.cfg.Now()
	for _, ch := range cs {
		switch {
		case ch.State == dag.StateFinal || ch.State == dag.StateRejected && ch.Code != dag.ErrDoubleSpend:
			delete(e.txs, ch.ID)
			e.parentGone(ch.ID, ch.State == dag.StateFinal)
		case ch.State == dag.StateRejected: // a new double spend, or one that lost to a sibling
			delete(e.txs, ch.ID)
			e.parentGone(ch.ID, false)
			if p := e.parsed(ch); p != nil {
				e.contest(p)
			}
		case ch.State.Accepted():
			if p := e.parsed(ch); p != nil {
				e.addTx(p, now)
				if len(ch.Conflicts) > 0 && ch.Raw != nil {
					e.contest(p) // accepted, spending what stored evidence claims
				}
			}
		}
	}
}

// parsed decodes the change's transaction, from its Raw or the store.
func (e *Engine) parsed(ch dag.Change) *dag.Parsed {
	raw := ch.Raw
	if raw == nil {
		e.cfg.Store.View(func(r dag.ReadTx) error {
			if rec, err := r.Get(ch.ID); err == nil {
				raw = rec.Raw
			}
			return nil
		})
	}
	p, err := dag.Decode(raw)
	if err != nil {
		return nil
	}
	return p
}

// round closes the polls that timed out, opens the votes of transactions
// whose quiet period ended, and sends one poll about every open output
// that no poll covers.
func (e *Engine) round(ctx context.Context) {
	now := e.cfg.Now()
	for req, p := range e.polls {
		if now.Sub(p.sent) >= e.cfg.Timeout {
			e.tally(ctx, req, p)
		}
	}
	e.finalize(ctx)
	// With no output open and no quiet period ended there is nothing to
	// poll about: the peers are not asked for (every Interval, idle).
	due := func(t *txState) bool { return t.ready.IsZero() || !now.Before(t.ready) }
	idle := len(e.outs) == 0
	for _, t := range e.txs {
		if due(t) {
			idle = false
			break
		}
	}
	if idle {
		return
	}
	peers := e.cfg.Transport.Peers()
	if len(peers) < e.cfg.MinPeers {
		return
	}
	pool := e.pool(peers)
	params := vote.ParamsFor(len(pool))
	var ops []dag.OutPoint
	for _, t := range e.txs {
		if !due(t) {
			continue
		}
		for _, op := range t.inputs {
			if e.opening(op, params) {
				ops = append(ops, op)
			}
		}
	}
	e.openOutputs(ops, params)
	var outs []dag.OutPoint
	var ids []dag.TxID
	named := make(map[dag.TxID]bool)
	budget := wire.MaxMessageSize - wire.PollOverhead // the poll's bytes
	for op, o := range e.outs {
		if !o.set.Any(func(id dag.TxID) bool { return e.txs[id] != nil }) {
			// Every side is final or rejected here: nothing to decide.
			delete(e.outs, op)
			continue
		}
		// One success decides a virtuous output: one poll at a time.
		if o.inflight >= maxInflight || !o.set.Contested() && o.inflight > 0 || o.set.Decided() || now.Before(o.retry) {
			continue
		}
		var cands []dag.TxID // a virtuous output's spend is the poll's reason: the peer has it or is getting it
		if o.set.Contested() {
			cands = o.set.Candidates()
		}
		fresh := slices.DeleteFunc(cands, func(id dag.TxID) bool { return named[id] })
		if len(outs) == maxPollOuts || len(ids)+len(fresh) > maxPollIDs ||
			budget < wire.OutPointSize+len(fresh)*dag.TxIDSize {
			break
		}
		outs = append(outs, op)
		budget -= wire.OutPointSize + len(fresh)*dag.TxIDSize
		for _, id := range fresh {
			named[id] = true
			ids = append(ids, id)
		}
	}
	if len(outs) == 0 {
		return
	}
	// In one order, so that nodes polling about the same outputs get the
	// same answer, which the polled node signs once.
	slices.SortFunc(outs, compareOut)
	sample := vote.Sample(pool, params.K, e.cfg.Rand)
	e.req++
	p := &poll{outs: outs, peers: make(map[vote.NodeKey]bool, len(sample)), answers: make(map[vote.NodeKey]*vote.Batch), sent: now}
	for _, peer := range sample {
		if err := e.cfg.Transport.Poll(peer.Key, e.req, outs, ids); err != nil {
			e.log.Debug("send poll", "peer", fmt.Sprintf("%x", peer.Key[:8]), "err", err)
			e.forget(peer.Key)
			continue
		}
		p.peers[peer.Key] = true
	}
	if len(p.peers) == 0 {
		return
	}
	for _, op := range outs {
		e.outs[op].inflight++
	}
	e.polls[e.req] = p
}

// onAnswer checks a peer's answer and closes the poll once every polled
// peer has answered.
func (e *Engine) onAnswer(ctx context.Context, a answer) {
	p := e.polls[a.req]
	if p == nil || !p.peers[a.from] || p.answers[a.from] != nil {
		return
	}
	b, err := e.checkAnswer(a, p)
	if err != nil {
		e.log.Debug("bad answer", "peer", fmt.Sprintf("%x", a.from[:8]), "err", err)
		return
	}
	p.answers[a.from] = b
	if len(p.answers) == len(p.peers) {
		e.tally(ctx, a.req, p)
	}
}

// checkAnswer decodes a's batch and checks that it claims the peer's key
// and this network, with one vote per polled output in the poll's order.
// Its signature is verified with the poll's others, in tally.
func (e *Engine) checkAnswer(a answer, p *poll) (*vote.Batch, error) {
	var b vote.Batch
	if err := b.UnmarshalBinary(a.batch); err != nil {
		return nil, err
	}
	switch {
	case b.Key != a.from:
		return nil, errors.New("signed by another key")
	case b.Network != e.net:
		return nil, errors.New("for another network")
	case len(b.Votes) != len(p.outs):
		return nil, fmt.Errorf("%d votes for %d outputs", len(b.Votes), len(p.outs))
	}
	for i, v := range b.Votes {
		if v.Out != p.outs[i] {
			return nil, fmt.Errorf("vote %d is on %s, not %s", i, v.Out, p.outs[i])
		}
	}
	return &b, nil
}

// tally records poll req's answers in the votes it covers, moves the
// ledger where a preference changed, and tries to finalize.
func (e *Engine) tally(ctx context.Context, req uint64, p *poll) {
	delete(e.polls, req)
	from := make([]vote.NodeKey, 0, len(p.answers))
	bs := make([]*vote.Batch, 0, len(p.answers))
	for k, b := range p.answers {
		from = append(from, k)
		bs = append(bs, b)
	}
	// Only the answers with a good signature count.
	keys := make([]vote.NodeKey, 0, len(from))
	for i, ok := range vote.VerifyAll(bs) {
		if !ok {
			e.log.Debug("bad answer", "peer", fmt.Sprintf("%x", from[i][:8]), "err", vote.ErrBadSignature)
			continue
		}
		keys = append(keys, from[i])
	}
	slices.SortFunc(keys, func(a, b vote.NodeKey) int { return slices.Compare(a[:], b[:]) })
	// The votes of each answer that go into certificates: those for the
	// side of an output this poll decided. Their attestations are cut
	// afterwards, one Merkle tree per answer.
	wanted := make(map[vote.NodeKey][]int)
	decided := false
	for i, op := range p.outs {
		o := e.outs[op]
		if o == nil {
			continue
		}
		o.inflight--
		if o.set.Decided() {
			continue
		}
		counts := make(map[dag.TxID]int)
		n := min(len(keys), o.params.K)
		for _, k := range keys[:n] {
			counts[p.answers[k].Votes[i].Pref]++
		}
		before := o.set.Preference()
		o.set.RecordPoll(counts)
		pref := o.set.Preference()
		if named := n - counts[dag.TxID{}]; named < o.params.AlphaPreference {
			o.misses++
			o.retry = e.cfg.Now().Add(e.missWait(o.misses))
		} else {
			o.misses = 0
		}
		if o.set.Decided() {
			// The deciding poll had Alpha votes for pref.
			taken := 0
			for _, k := range keys[:n] {
				if p.answers[k].Votes[i].Pref == pref && taken < o.params.Alpha {
					wanted[k] = append(wanted[k], i)
					taken++
				}
			}
			decided = true
			for _, c := range o.set.Candidates() {
				if e.txs[c] != nil {
					e.check[c] = struct{}{}
				}
			}
		}
		if pref != before {
			e.prefer(ctx, pref)
		}
	}
	if decided {
		for _, k := range keys {
			is := wanted[k]
			if len(is) == 0 {
				continue
			}
			as, err := p.answers[k].Attestations(is)
			if err != nil {
				e.log.Error("cut attestations", "err", err)
				continue
			}
			for j, i := range is {
				o := e.outs[p.outs[i]]
				o.won = append(o.won, as[j])
			}
		}
	}
	e.finalize(ctx)
}

// prefer moves the ledger to id.
func (e *Engine) prefer(ctx context.Context, id dag.TxID) {
	if err := e.cfg.Graph.Prefer(ctx, id); err != nil {
		e.log.Info("vote prefers a side the ledger cannot take yet", "tx", id, "err", err)
	}
}

// compareOut orders outputs by transaction ID, then index.
func compareOut(a, b dag.OutPoint) int {
	return cmp.Or(bytes.Compare(a.TxID[:], b.TxID[:]), cmp.Compare(a.Index, b.Index))
}

package dag

import (
	"errors"
	"fmt"
	"slices"
)

// process applies one request, and everything it releases, in the commit.
func (g *Graph) process(b *batch, req *request) error {
	id := req.p.ID
	if req.sanity != nil {
		g.doom(b, id)
		return g.cascade(b)
	}
	res, known, err := g.storedResult(b.w, id)
	if err != nil {
		return err
	}
	if !known {
		// expire has removed every orphan expired at b.now, so whatever
		// the pool holds counts as known.
		res, known = g.poolResult(id, b.now, b)
	}
	if known {
		req.res = res
		return nil
	}
	e := &entry{p: req.p, src: req.src, firstSeen: req.firstSeen, req: req}
	if err := g.consider(b, e); err != nil {
		return err
	}
	return g.cascade(b)
}

// cascade works through the orphans released or doomed so far, and the
// ones they release or doom in turn.
func (g *Graph) cascade(b *batch) error {
	for len(b.released) > 0 || len(b.doomed) > 0 {
		if len(b.doomed) > 0 {
			e := b.doomed[0]
			b.doomed = b.doomed[1:]
			if g.orphans.get(e.p.ID) != e {
				continue
			}
			g.poolRemove(b, e)
			g.reject(b, e, ruleError(ErrParentRejected, "a parent of %s is rejected", e.p.ID))
			continue
		}
		e := b.released[0]
		b.released = b.released[1:]
		if g.orphans.get(e.p.ID) != e {
			continue
		}
		g.poolRemove(b, e)
		if err := g.consider(b, e); err != nil {
			return err
		}
	}
	return nil
}

// consider applies the contextual rules to e, which is neither stored nor
// in the pool, and acts on the verdict.
func (g *Graph) consider(b *batch, e *entry) error {
	p := e.p
	v, err := checkContext(b.w, p, func(id TxID) bool {
		if _, ok := b.rejected(id); ok {
			return true
		}
		_, ok := g.rejects.get(id)
		return ok
	})
	if err != nil {
		return err
	}
	switch {
	case v.reject != nil:
		if v.reject.Code == ErrParentRejected {
			if kept, err := g.shadow(b, e); err != nil || kept {
				return err
			}
		}
		g.reject(b, e, *v.reject)
	case len(v.waits) > 0:
		g.orphan(b, e, v.waits)
	case len(v.winners) > 0:
		return g.storeEvidence(b, e, v.winners)
	default:
		return g.accept(b, e)
	}
	return nil
}

func (g *Graph) accept(b *batch, e *entry) error {
	p := e.p
	if err := b.w.Put(p, &Record{ID: p.ID, Raw: p.Raw, State: StateAccepted, FirstSeen: e.firstSeen}); err != nil {
		return fmt.Errorf("store %s: %w", p.ID, err)
	}
	g.log.Debug("tx accepted", logTx, p.ID, logPeer, e.src)
	g.recent.add(p.ID, p)
	claims, err := g.contest(b, p)
	if err != nil {
		return err
	}
	st := StateAccepted
	if len(claims) > 0 {
		st = StateConflicted
	}
	b.changes = append(b.changes, Change{ID: p.ID, State: st, Conflicts: claims, Raw: p.Raw})
	for _, l := range claims {
		b.changes = append(b.changes, Change{ID: l, State: StateRejected, Code: ErrDoubleSpend, Conflicts: []TxID{p.ID}})
	}
	e.setResult(Result{ID: p.ID, State: st})
	b.released = append(b.released, g.orphans.waitingFor(p.ID)...)
	return nil
}

// contest marks p, just stored as accepted, as conflicting with the stored
// evidence that names one of its prevs (a loser of an earlier double spend
// of another of its inputs), and returns that evidence.
func (g *Graph) contest(b *batch, p *Parsed) ([]TxID, error) {
	var claims []TxID
	for _, op := range p.Prev {
		ids, err := b.w.Claims(op)
		if err != nil {
			return nil, fmt.Errorf("read claims on %s: %w", op, err)
		}
		for _, l := range ids {
			if slices.Contains(claims, l) {
				continue
			}
			if err := b.w.AddConflict(p.ID, l); err != nil {
				return nil, fmt.Errorf("record conflict %s %s: %w", p.ID, l, err)
			}
			claims = append(claims, l)
		}
	}
	return claims, nil
}

// storeEvidence stores e, a valid double spend of winners, as rejected, and
// marks each pair as conflicting: a candidate of the vote on the outputs it
// contests (ErrDoubleSpend), or, against a final winner, a loser without
// a vote (ErrLateConflict). A spend of an output that already has
// MaxCandidates sides is rejected without being stored.
func (g *Graph) storeEvidence(b *batch, e *entry, winners []TxID) error {
	p := e.p
	for _, op := range p.Prev {
		claims, err := b.w.Claims(op)
		if err != nil {
			return err
		}
		if 1+len(claims) >= MaxCandidates {
			g.reject(b, e, ruleError(ErrTooManyCandidates, "output %s already has %d double spends", op, MaxCandidates))
			return nil
		}
	}
	code := ErrDoubleSpend
	re := ruleError(code, "an input is already spent by %s (first seen wins until the vote decides)", winners[0])
	for _, w := range winners {
		st, err := b.w.State(w)
		if err != nil {
			return err
		}
		if st == StateFinal {
			code = ErrLateConflict
			re = ruleError(code, "an input is spent by %s, which is final", w)
			break
		}
	}
	rec := &Record{ID: p.ID, Raw: p.Raw, State: StateRejected, Code: code, FirstSeen: e.firstSeen}
	if err := b.w.Put(p, rec); err != nil {
		return fmt.Errorf("store evidence %s: %w", p.ID, err)
	}
	b.changes = append(b.changes, Change{ID: p.ID, State: StateRejected, Code: code, Conflicts: winners, Raw: p.Raw})
	for _, w := range winners {
		if err := b.w.AddConflict(w, p.ID); err != nil {
			return fmt.Errorf("record conflict %s %s: %w", w, p.ID, err)
		}
		b.changes = append(b.changes, Change{ID: w, State: StateConflicted, Conflicts: []TxID{p.ID}})
	}
	g.logReject(p.ID, e.src, re)
	e.setResult(Result{ID: p.ID, State: StateRejected, Err: re})
	// Its children are kept too, if they qualify (shadow).
	b.released = append(b.released, g.orphans.waitingFor(p.ID)...)
	return nil
}

// shadow stores e, a child of a stored rejected transaction (a side of a
// double spend, or a child of one) that is valid against its parents'
// outputs, as rejected with ErrParentRejected, so that a flip of the vote
// accepts it again without a download. It keeps at most one such child per
// output (none if the output has any claim already) and reports whether it
// stored e.
func (g *Graph) shadow(b *batch, e *entry) (bool, error) {
	p := e.p
	var sum Amount
	for _, op := range p.Prev {
		rec, pp, err := parsed(b.w, op.TxID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch {
		case rec.State == StateRejected && rec.Code != ErrDoubleSpend && rec.Code != ErrLostVote && rec.Code != ErrParentRejected:
			return false, nil
		case int64(op.Index) >= int64(len(pp.Out)) || pp.Out[op.Index].Owner != p.From:
			return false, nil
		}
		if rec.State.Accepted() {
			if _, err := b.w.Unspent(op); errors.Is(err, ErrNotFound) {
				return false, nil
			} else if err != nil {
				return false, err
			}
		}
		claims, err := b.w.Claims(op)
		if err != nil || len(claims) > 0 {
			return false, err
		}
		if sum, err = sum.Add(pp.Out[op.Index].Amount); err != nil {
			return false, nil
		}
	}
	if sum != p.Total() {
		return false, nil
	}
	rec := &Record{ID: p.ID, Raw: p.Raw, State: StateRejected, Code: ErrParentRejected, FirstSeen: e.firstSeen}
	if err := b.w.Put(p, rec); err != nil {
		return false, fmt.Errorf("store %s: %w", p.ID, err)
	}
	re := ruleError(ErrParentRejected, "a parent of %s is rejected (kept in case the vote turns)", p.ID)
	g.logReject(p.ID, e.src, re)
	e.setResult(Result{ID: p.ID, State: StateRejected, Err: re})
	b.changes = append(b.changes, Change{ID: p.ID, State: StateRejected, Code: ErrParentRejected, Raw: p.Raw})
	b.released = append(b.released, g.orphans.waitingFor(p.ID)...)
	return true, nil
}

// reject rejects e without storing it. Unless the reason is transient (the
// orphan pool is full), it is remembered, and orphans waiting for e are
// rejected too.
func (g *Graph) reject(b *batch, e *entry, re RuleError) {
	p := e.p
	g.logReject(p.ID, e.src, re)
	e.setResult(Result{ID: p.ID, State: StateRejected, Err: re})
	if e.pooled {
		b.changes = append(b.changes, Change{ID: p.ID, State: StateRejected, Code: re.Code, Raw: p.Raw})
	}
	if re.Code != ErrOrphanLimit {
		b.remember(p.ID, re)
		g.doom(b, p.ID)
	}
}

// doom queues the orphans waiting for id for rejection.
func (g *Graph) doom(b *batch, id TxID) {
	b.doomed = append(b.doomed, g.orphans.waitingFor(id)...)
}

// orphan puts e in the pool to wait for parents. A transaction new to the
// pool must fit its limits; one coming back (released, but still missing
// another parent) keeps its place.
func (g *Graph) orphan(b *batch, e *entry, waits []TxID) {
	if !e.pooled {
		if re, ok := g.orphans.admit(e); !ok {
			g.reject(b, e, re)
			return
		}
		b.added = append(b.added, e)
	}
	e.waits = waits
	g.poolAdd(b, e)
	missing := g.orphans.missingOf(e)
	g.log.Debug("tx orphaned", logTx, e.p.ID, logPeer, e.src, logCount, len(missing))
	e.setResult(Result{ID: e.p.ID, State: StatePending, Missing: missing})
}

// setResult records the outcome for e's caller, if it waits on this commit.
func (e *entry) setResult(res Result) {
	if e.req != nil {
		e.req.res = res
	}
}

func (g *Graph) logReject(id TxID, src string, err error) {
	re, _ := IsRuleError(err)
	g.log.Debug("tx rejected", logTx, id, logPeer, src, logCode, re.Code, logErr, err)
}

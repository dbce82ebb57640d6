package dag

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// commitMax is about the most transactions one commit applies: the
// committer stops draining its queue once it holds this many, and AddBatch
// submits in chunks of this size.
const commitMax = 4096

// Group commit under load: when the last commit held at least
// lingerAfter transactions, the committer waits up to lingerFor for
// lingerUntil before it commits what it has.
const (
	lingerAfter = 64
	lingerUntil = 1024
	lingerFor   = 3 * time.Millisecond
)

// finalizeLinger is how long a commit of decisions alone waits for
// something else to commit with them.
const finalizeLinger = 25 * time.Millisecond

// run is the committer: it takes what is queued, up to about commitMax
// transactions and finalizeMax decisions, and commits it in one
// Store.Update.
func (g *Graph) run() {
	defer close(g.done)
	lastCommit := 0 // transactions in the last commit
	var later []*job
	for {
		var (
			jobs      []*job
			n, ds     int
			deferring bool
		)
		// take adds j to this commit, or leaves it for a later one if its
		// decisions would take the commit past finalizeMax; a decision is
		// never taken before one left for later, so decisions keep their
		// order.
		take := func(j *job) {
			if j.decide != nil && (deferring || ds > 0 && ds+j.decisions > finalizeMax) {
				deferring = true
				later = append(later, j)
				return
			}
			jobs = append(jobs, j)
			n += len(j.reqs)
			ds += j.decisions
		}
		if len(later) > 0 {
			left := later
			later = nil
			for _, j := range left {
				take(j)
			}
		} else {
			select {
			case j := <-g.queue:
				take(j)
			case <-g.quit:
				g.failQueued()
				return
			}
		}
		// Decisions alone wait a moment for a transaction to share their
		// commit: their fsyncs are what a payment on a busy disk waits
		// for, and finality can come a few milliseconds later.
		if n == 0 && !deferring && !slices.ContainsFunc(jobs, func(j *job) bool { return j.alone }) {
			select {
			case j := <-g.queue:
				take(j)
			case <-time.After(finalizeLinger):
			case <-g.quit:
			}
		}
		// Under load, wait a moment for more: a commit has a fixed cost
		// (fsync, spilling the trees), and in the hash-keyed indexes a
		// small commit rewrites a page per key where a large one shares
		// pages, so while transactions keep coming, larger commits leave
		// more CPU for verifying them. A lone payment is committed at
		// once.
		var linger <-chan time.Time
		if lastCommit >= lingerAfter && n < lingerUntil {
			linger = time.After(lingerFor)
		}
	drain:
		for n < commitMax {
			select {
			case j := <-g.queue:
				take(j)
				continue
			default:
			}
			if linger == nil || n >= lingerUntil {
				break drain
			}
			select {
			case j := <-g.queue:
				take(j)
			case <-linger:
				break drain
			case <-g.quit:
				break drain
			}
		}
		lastCommit = n
		// A Prefer is committed on its own, so that one refused rolls back
		// nothing else; the order stays the queue's.
		for len(jobs) > 0 {
			k := 1
			for !jobs[0].alone && k < len(jobs) && !jobs[k].alone {
				k++
			}
			g.commit(jobs[:k])
			jobs = jobs[k:]
		}
	}
}

func (g *Graph) failQueued() {
	for {
		select {
		case j := <-g.queue:
			j.err = ErrClosed
			close(j.done)
		default:
			return
		}
	}
}

// commit applies jobs in one Store.Update, then answers them and calls
// OnChange. If the Update fails, the orphan pool is restored and every
// job gets the error.
func (g *Graph) commit(jobs []*job) {
	b := &batch{}
	g.lookups.Lock()
	var begun sync.Once
	unlock := func() { begun.Do(g.lookups.Unlock) }
	err := g.store.Update(func(w WriteTx) error {
		unlock()
		g.mu.Lock()
		b.rollback() // in case the Store runs fn more than once
		*b = batch{w: w, now: g.now().UnixNano()}
		g.expire(b)
		g.mu.Unlock()
		// g.mu is held for one request at a time, so that lookups of the
		// pool (prepare's above all) wait for one transaction, not for a
		// whole commit.
		for _, j := range jobs {
			j.err = nil
			if j.decide != nil {
				g.mu.Lock()
				err := j.decide(b)
				if err == nil {
					err = g.cascade(b)
				}
				g.mu.Unlock()
				var refused errDecision
				if !j.alone && errors.As(err, &refused) {
					j.err = refused.err // it wrote nothing
					continue
				}
				if err != nil {
					return err
				}
			}
			for _, req := range j.reqs {
				g.mu.Lock()
				err := g.process(b, req)
				g.mu.Unlock()
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	unlock() // if the Update failed before it began
	g.mu.Lock()
	if err != nil {
		b.rollback()
	} else {
		for _, r := range b.rejects {
			g.rejects.add(r.id, r.err)
		}
		for _, e := range b.added {
			e.req = nil
		}
	}
	g.mu.Unlock()
	var refused errDecision
	switch {
	case errors.As(err, &refused):
		err = refused.err
	case err != nil:
		g.log.Error("commit transactions", logErr, err, logCount, len(jobs))
		err = fmt.Errorf("commit transactions: %w", err)
	case g.onChange != nil && len(b.changes) > 0:
		g.onChange(b.changes)
	}
	for _, j := range jobs {
		if err != nil || j.err == nil {
			j.err = err
		}
		close(j.done)
	}
}

// batch is the state of one commit. It must be used with g.mu held.
type batch struct {
	w       WriteTx
	now     int64
	changes []Change
	// rejects are reject-cache entries, added to the cache only if the
	// commit succeeds; rejectSet indexes them.
	rejects   []rejection
	rejectSet map[TxID]RuleError
	// undo restores the orphan pool if the commit fails.
	undo []func()
	// added are the orphans this commit put in the pool (their req is
	// cleared once answered).
	added []*entry
	// released are orphans to reconsider (a parent was accepted) and
	// doomed are orphans to reject (a parent was rejected), in order.
	released, doomed []*entry
}

type rejection struct {
	id  TxID
	err RuleError
}

func (b *batch) rejected(id TxID) (RuleError, bool) {
	if b == nil {
		return RuleError{}, false
	}
	re, ok := b.rejectSet[id]
	return re, ok
}

func (b *batch) remember(id TxID, re RuleError) {
	if b.rejectSet == nil {
		b.rejectSet = make(map[TxID]RuleError)
	}
	b.rejectSet[id] = re
	b.rejects = append(b.rejects, rejection{id, re})
}

func (b *batch) rollback() {
	for i := len(b.undo) - 1; i >= 0; i-- {
		b.undo[i]()
	}
	b.undo = nil
}

func (g *Graph) poolAdd(b *batch, e *entry) {
	g.orphans.add(e)
	b.undo = append(b.undo, func() { g.orphans.remove(e) })
}

func (g *Graph) poolRemove(b *batch, e *entry) {
	g.orphans.remove(e)
	waits := e.waits // orphan may change them before a rollback
	b.undo = append(b.undo, func() {
		e.waits = waits
		g.orphans.add(e)
	})
}

// expire drops the orphans that waited longer than the TTL.
func (g *Graph) expire(b *batch) {
	for _, e := range g.orphans.expiredAt(b.now) {
		g.poolRemove(b, e)
		re := ruleError(ErrOrphanLimit, "orphan expired before its parents arrived")
		g.logReject(e.p.ID, e.src, re)
		b.changes = append(b.changes, Change{ID: e.p.ID, State: StateRejected, Code: ErrOrphanLimit, Raw: e.p.Raw})
	}
}

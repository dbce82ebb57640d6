package dag

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// MaxCandidates is the most sides of a double spend of one output a node
// stores: the first side it accepted and the first MaxCandidates-1 other
// valid spends it saw, in that order. Later ones are neither stored nor
// relayed, so an owner who signs many spends of one output cannot make
// nodes keep or forward more than this.
const MaxCandidates = 4

// Errors of Prefer and Finalize that are not the node's own faults.
var (
	// ErrFinal: the change would undo a final transaction.
	ErrFinal = errors.New("dag: a final transaction stands in the way")
	// ErrNotReady: a parent is not accepted (Prefer) or not final
	// (Finalize) yet; decide the parent first.
	ErrNotReady = errors.New("dag: a parent is not decided yet")
)

// Decision makes a stored, accepted transaction final.
type Decision struct {
	ID TxID
	// Cert is its finality certificate (opaque bytes, see package vote),
	// or nil.
	Cert []byte
}

// Prefer makes id the accepted side of every double spend it is part of,
// as the network's vote decided: the transactions that spend its inputs
// now, and their descendants, become rejected (ErrLostVote, and
// ErrParentRejected below them), id becomes accepted, and the descendants
// of id that were kept while it was rejected are accepted again where the
// rules allow, all in one durable update. It does nothing if id is
// accepted. It fails with ErrNotFound if id is not stored, ErrNotReady if a
// parent of id is rejected, and ErrFinal if a spender of one of its inputs
// is final.
func (g *Graph) Prefer(ctx context.Context, id TxID) error {
	return g.decide(ctx, &job{decide: func(b *batch) error { return g.prefer(b, id) }, alone: true})
}

// finalizeMax is the most decisions one commit makes final: a commit that
// an incoming payment waits for stays short (about 2 ms of work) however
// many transactions a round of votes decided.
const finalizeMax = 96

// Finalize makes each accepted transaction of ds final, in order, and
// stores its certificate. Each must be stored and accepted with every
// parent final or made final before it in ds (ErrNotFound, ErrNotReady
// otherwise). The decisions are committed in parts of at most finalizeMax,
// in order, each part with the new transactions queued beside it; a part
// is written whole or not at all, and Finalize returns the first error of
// its parts (the later parts are still tried). A transaction already
// final keeps its certificate.
func (g *Graph) Finalize(ctx context.Context, ds []Decision) error {
	var jobs []*job
	for part := range slices.Chunk(ds, finalizeMax) {
		jobs = append(jobs, &job{decide: func(b *batch) error { return g.finalize(b, part) }, decisions: len(part)})
	}
	return g.decide(ctx, jobs...)
}

// decide queues the decision jobs, in order, waits for every one and
// returns the first error.
func (g *Graph) decide(ctx context.Context, jobs ...*job) error {
	if g.closed() {
		return ErrClosed
	}
	for _, j := range jobs {
		j.done = make(chan struct{})
		if err := g.submit(ctx, j); err != nil {
			return err
		}
	}
	var first error
	for _, j := range jobs {
		if err := g.wait(ctx, j); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// errDecision wraps a refused decision, which rolls its commit back
// without being logged as the node's fault.
type errDecision struct{ err error }

func (e errDecision) Error() string { return e.err.Error() }
func (e errDecision) Unwrap() error { return e.err }

func refuse(format string, args ...any) error {
	return errDecision{fmt.Errorf(format, args...)}
}

// parsed reads and decodes a stored transaction.
func parsed(r ReadTx, id TxID) (*Record, *Parsed, error) {
	rec, err := r.Get(id)
	if err != nil {
		return nil, nil, err
	}
	p, err := Decode(rec.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("decode stored %s: %w", id, err)
	}
	return rec, p, nil
}

func (g *Graph) prefer(b *batch, id TxID) error {
	rec, p, err := parsed(b.w, id)
	if errors.Is(err, ErrNotFound) {
		return refuse("prefer %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if rec.State.Accepted() {
		return nil
	}
	var losers []TxID
	for _, op := range p.Prev {
		st, err := b.w.State(op.TxID)
		if err != nil {
			return err
		}
		if !st.Accepted() {
			return refuse("prefer %s: parent %s is %v: %w", id, op.TxID, st, ErrNotReady)
		}
		by, err := b.w.SpentBy(op)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if st, err := b.w.State(by); err != nil {
			return err
		} else if st == StateFinal {
			return refuse("prefer %s: %s spends %s and is final: %w", id, by, op, ErrFinal)
		}
		if !slices.Contains(losers, by) {
			losers = append(losers, by)
		}
	}
	for _, l := range losers {
		if err := g.rejectTree(b, l, ErrLostVote, id); err != nil {
			return err
		}
	}
	st := StateAccepted
	if len(rec.Conflicts) > 0 {
		st = StateConflicted
	}
	if err := b.w.SetState(p, st, 0); err != nil {
		return err
	}
	g.log.Info("ledger follows the vote to another side", logTx, id, logCount, len(losers))
	b.changes = append(b.changes, Change{ID: id, State: st, Conflicts: losers})
	// The cache may name descendants of id, rejected while it was.
	g.rejects.retain(func(_ TxID, re RuleError) bool { return re.Code != ErrParentRejected })
	return g.reacceptChildren(b, p)
}

// rejectTree rejects the accepted id with code, after its descendants
// (ErrParentRejected), so that no rejected tx is ever spent by an accepted
// one. winner is the side that beat id, for its Change.
func (g *Graph) rejectTree(b *batch, id TxID, code ErrorCode, winner TxID) error {
	children, err := b.w.Children(id)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := g.rejectTree(b, c, ErrParentRejected, TxID{}); err != nil {
			return err
		}
	}
	rec, p, err := parsed(b.w, id)
	if err != nil {
		return err
	}
	if rec.State == StateFinal {
		return refuse("reject %s: %w", id, ErrFinal)
	}
	if err := b.w.SetState(p, StateRejected, code); err != nil {
		return err
	}
	ch := Change{ID: id, State: StateRejected, Code: code}
	if !winner.IsZero() {
		ch.Conflicts = []TxID{winner}
	}
	b.changes = append(b.changes, ch)
	return nil
}

// reacceptChildren accepts again, in Seq order, the stored transactions
// that spend outputs of p (just accepted) and were rejected only because
// a parent was (ErrParentRejected), where the rules now allow; and their
// own descendants in turn.
func (g *Graph) reacceptChildren(b *batch, p *Parsed) error {
	var kids []*Record
	for i := range p.Out {
		ids, err := b.w.Claims(OutPoint{TxID: p.ID, Index: uint32(i)})
		if err != nil {
			return err
		}
		for _, c := range ids {
			rec, err := b.w.Get(c)
			if err != nil {
				return err
			}
			if rec.Code == ErrParentRejected && !slices.ContainsFunc(kids, func(k *Record) bool { return k.ID == c }) {
				kids = append(kids, rec)
			}
		}
	}
	slices.SortFunc(kids, func(a, b *Record) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, rec := range kids {
		cp, err := Decode(rec.Raw)
		if err != nil {
			return fmt.Errorf("decode stored %s: %w", rec.ID, err)
		}
		v, err := checkContext(b.w, cp, func(TxID) bool { return false })
		if err != nil {
			return err
		}
		switch {
		case v.reject != nil || len(v.waits) > 0:
			continue // another parent is still rejected
		case len(v.winners) > 0:
			// A sibling took the output first: cp is a double spend now.
			if err := b.w.SetState(cp, StateRejected, ErrDoubleSpend); err != nil {
				return err
			}
			for _, w := range v.winners {
				if err := b.w.AddConflict(w, cp.ID); err != nil {
					return err
				}
				b.changes = append(b.changes, Change{ID: w, State: StateConflicted, Conflicts: []TxID{cp.ID}})
			}
			b.changes = append(b.changes, Change{ID: cp.ID, State: StateRejected, Code: ErrDoubleSpend, Conflicts: v.winners})
			continue
		}
		st := StateAccepted
		if len(rec.Conflicts) > 0 {
			st = StateConflicted
		}
		if err := b.w.SetState(cp, st, 0); err != nil {
			return err
		}
		b.changes = append(b.changes, Change{ID: cp.ID, State: st})
		if err := g.reacceptChildren(b, cp); err != nil {
			return err
		}
	}
	return nil
}

func (g *Graph) finalize(b *batch, ds []Decision) error {
	// Every check comes before the first write, so that a refused part
	// leaves the commit it shares as it was.
	ps := make([]*Parsed, len(ds)) // nil: final already
	here := make(map[TxID]bool, len(ds))
	for i, d := range ds {
		if here[d.ID] {
			continue // twice in ds
		}
		st, err := b.w.State(d.ID)
		if err != nil {
			return err
		}
		switch {
		case st == StateUnknown:
			return refuse("finalize %s: %w", d.ID, ErrNotFound)
		case st == StateFinal:
			continue
		case !st.Accepted():
			return refuse("finalize %s: it is %v", d.ID, st)
		}
		p, ok := g.recent.get(d.ID)
		if !ok {
			if _, p, err = parsed(b.w, d.ID); err != nil {
				return err
			}
		}
		for _, op := range p.Prev {
			if here[op.TxID] {
				continue
			}
			st, err := b.w.State(op.TxID)
			if err != nil {
				return err
			}
			if st != StateFinal {
				return refuse("finalize %s: parent %s is %v: %w", d.ID, op.TxID, st, ErrNotReady)
			}
		}
		ps[i], here[d.ID] = p, true
	}
	for i, d := range ds {
		if ps[i] == nil {
			continue
		}
		if err := b.w.SetState(ps[i], StateFinal, 0); err != nil {
			return err
		}
		if d.Cert != nil {
			if err := b.w.PutCertificate(d.ID, d.Cert); err != nil {
				return err
			}
		}
		b.changes = append(b.changes, Change{ID: d.ID, State: StateFinal})
	}
	return nil
}

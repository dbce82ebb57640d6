package dag_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// orphans returns n orphans and their parents: parent i pays bob from
// alice's genesis output (so only one parent can ever be accepted), and
// orphan i spends parent i's output.
func (f *fixture) orphans(n int) (orphans, parents []*dag.Parsed) {
	for i := range n {
		parent := dagtest.Sign(f.t, f.net, f.keys[alice], &dag.Tx{
			Prev: []string{f.gen(alice).String()}, Out: []dag.Output{f.pay(bob, dagtest.Funds)}, Memo: strconv.Itoa(i),
		})
		parents = append(parents, parent)
		orphans = append(orphans, f.spend(bob, []dag.OutPoint{out(parent, 0)}, f.pay(carol, dagtest.Funds)))
	}
	return orphans, parents
}

func TestOrphanLimits(t *testing.T) {
	const size = 424 // the size of every orphan; checked below
	tests := []struct {
		name   string
		limits dag.OrphanLimits
		srcs   []string    // source of orphan i
		want   []dag.State // its state after Add
	}{
		{"count", dag.OrphanLimits{MaxCount: 2}, []string{"a", "b", "c"},
			[]dag.State{dag.StatePending, dag.StatePending, dag.StateRejected}},
		{"per source", dag.OrphanLimits{MaxPerSource: 2}, []string{"a", "a", "a", "b"},
			[]dag.State{dag.StatePending, dag.StatePending, dag.StateRejected, dag.StatePending}},
		{"bytes", dag.OrphanLimits{MaxBytes: 2*size + size/2}, []string{"a", "b", "c"},
			[]dag.State{dag.StatePending, dag.StatePending, dag.StateRejected}},
		{"defaults", dag.OrphanLimits{}, []string{"a", "a", "a", "a"},
			[]dag.State{dag.StatePending, dag.StatePending, dag.StatePending, dag.StatePending}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(cfg *dag.GraphConfig) { cfg.Orphans = tc.limits })
			orphans, _ := f.orphans(len(tc.srcs))
			for i, p := range orphans {
				if len(p.Raw) != size {
					t.Fatalf("orphan %d is %d bytes, the test assumes %d", i, len(p.Raw), size)
				}
				res := f.addFrom(p, tc.srcs[i])
				if res.State != tc.want[i] {
					t.Errorf("orphan %d from %q: %v (%v), want %v", i, tc.srcs[i], res.State, res.Err, tc.want[i])
				}
				if res.State == dag.StateRejected {
					if code(res.Err) != dag.ErrOrphanLimit {
						t.Errorf("orphan %d rejected with %v, want ErrOrphanLimit", i, res.Err)
					}
					// A full pool is no fault of the tx: it is not remembered.
					if st := f.state(p.ID); st != dag.StateUnknown {
						t.Errorf("orphan %d turned away is %v, want unknown", i, st)
					}
				}
			}
		})
	}
}

// TestOrphanRoomAfterRelease: once an orphan leaves the pool, a tx turned
// away for lack of room fits.
func TestOrphanRoomAfterRelease(t *testing.T) {
	f := newFixture(t, func(cfg *dag.GraphConfig) { cfg.Orphans = dag.OrphanLimits{MaxCount: 1} })
	orphans, parents := f.orphans(2)
	wantResult(t, "orphan 0", f.add(orphans[0]), dag.StatePending, 0)
	wantResult(t, "orphan 1", f.add(orphans[1]), dag.StateRejected, dag.ErrOrphanLimit)
	wantResult(t, "parent 0", f.add(parents[0]), dag.StateAccepted, 0)
	if st := f.state(orphans[0].ID); st != dag.StateAccepted {
		t.Errorf("released orphan is %v", st)
	}
	// Parent 1 now double spends parent 0, so orphan 1 can never be
	// accepted, but it fits in the pool again.
	res := f.add(orphans[1])
	if res.Known || res.State != dag.StatePending {
		t.Errorf("orphan 1 offered again = %+v, want new and pending", res)
	}
}

func TestOrphanExpiry(t *testing.T) {
	f := newFixture(t, func(cfg *dag.GraphConfig) { cfg.Orphans = dag.OrphanLimits{TTL: time.Minute} })
	orphans, parents := f.orphans(2)
	o, p := orphans[0], parents[0]
	wantResult(t, "orphan", f.add(o), dag.StatePending, 0)

	f.clock.advance(time.Minute - time.Nanosecond)
	if st := f.state(o.ID); st != dag.StatePending {
		t.Errorf("just before the TTL, the orphan is %v", st)
	}
	if got := f.g.Missing(); !slices.Equal(got, []dag.TxID{p.ID}) {
		t.Errorf("Missing() = %v, want the parent", got)
	}

	f.clock.advance(time.Nanosecond)
	if st := f.state(o.ID); st != dag.StateUnknown {
		t.Errorf("at the TTL, the orphan is %v, want unknown", st)
	}
	if got := f.g.Missing(); len(got) != 0 {
		t.Errorf("Missing() after expiry = %v", got)
	}
	// The next commit drops it and reports it.
	wantResult(t, "unrelated", f.add(f.spend(carol, []dag.OutPoint{f.gen(carol)}, f.pay(bob, dagtest.Funds))), dag.StateAccepted, 0)
	cs := f.allChanges()
	if len(cs) != 2 || cs[0].ID != o.ID || cs[0].State != dag.StateRejected || cs[0].Code != dag.ErrOrphanLimit || !slices.Equal(cs[0].Raw, o.Raw) {
		t.Errorf("changes = %+v, want the orphan's expiry first", cs)
	}
	// Its parent no longer releases it; offered again, it is accepted.
	wantResult(t, "parent", f.add(p), dag.StateAccepted, 0)
	if st := f.state(o.ID); st != dag.StateUnknown {
		t.Errorf("the expired orphan is %v after its parent arrived", st)
	}
	if res := f.add(o); res.Known || res.State != dag.StateAccepted {
		t.Errorf("expired orphan offered again = %+v, want new and accepted", res)
	}
}

// TestOrphanWaitsForEveryParent: a tx with two missing parents, one of
// which is the other's child, is released once both are accepted.
func TestOrphanWaitsForEveryParent(t *testing.T) {
	f := newFixture(t, nil)
	p1 := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(alice, 1), f.pay(alice, dagtest.Funds-1))
	p2 := f.spend(alice, []dag.OutPoint{out(p1, 1)}, f.pay(alice, dagtest.Funds-1))
	c := f.spend(alice, []dag.OutPoint{out(p1, 0), out(p2, 0)}, f.pay(bob, dagtest.Funds))

	res := f.add(c)
	if res.State != dag.StatePending || !slices.Equal(res.Missing, []dag.TxID{p1.ID, p2.ID}) {
		t.Fatalf("Add(c) = %+v, want pending, missing p1 and p2", res)
	}
	res = f.add(p2)
	if res.State != dag.StatePending || !slices.Equal(res.Missing, []dag.TxID{p1.ID}) {
		t.Fatalf("Add(p2) = %+v, want pending, missing p1", res)
	}
	if got := f.g.Missing(); !slices.Equal(got, []dag.TxID{p1.ID}) {
		t.Errorf("Missing() = %v, want only p1 (p2 is pending)", got)
	}
	wantResult(t, "p1", f.add(p1), dag.StateAccepted, 0)
	var order []dag.TxID
	for _, ch := range f.allChanges() {
		if ch.State == dag.StateAccepted {
			order = append(order, ch.ID)
		}
	}
	if want := []dag.TxID{p1.ID, p2.ID, c.ID}; !slices.Equal(order, want) {
		t.Errorf("accepted in order %v, want p1, p2, c %v", order, want)
	}
}

// TestOrphanRejectCascade: when a pending chain's root is rejected as a
// double spend, every tx waiting on it is rejected, reported, and kept
// (one child per output) in case the vote turns.
func TestOrphanRejectCascade(t *testing.T) {
	f := newFixture(t, nil)
	winner := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(carol, dagtest.Funds))
	f.mustAdd(winner, dag.StateAccepted)
	txs := f.chain(6) // txs[0] double spends the winner's input
	for i := len(txs) - 1; i >= 1; i-- {
		f.mustAdd(txs[i], dag.StatePending)
	}
	wantResult(t, "root", f.add(txs[0]), dag.StateRejected, dag.ErrDoubleSpend)
	rejected := map[dag.TxID]bool{}
	for _, ch := range f.allChanges() {
		if ch.State == dag.StateRejected && ch.Code == dag.ErrParentRejected && ch.Raw != nil {
			rejected[ch.ID] = true
		}
	}
	for i, p := range txs[1:] {
		if st := f.state(p.ID); st != dag.StateRejected || !rejected[p.ID] {
			t.Errorf("descendant %d is %v (reported %v), want rejected and reported", i+1, st, rejected[p.ID])
		}
		if rec := f.record(p.ID); rec == nil || rec.Code != dag.ErrParentRejected {
			t.Errorf("descendant %d stored as %+v, want kept as rejected", i+1, rec)
		}
	}
	if got := f.g.Missing(); len(got) != 0 {
		t.Errorf("Missing() = %v, want nothing", got)
	}
}

package dag_test

import (
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

func TestGraphDoubleSpend(t *testing.T) {
	f := newFixture(t, nil)
	g0 := f.gen(alice)
	winner := f.spend(alice, []dag.OutPoint{g0}, f.pay(bob, dagtest.Funds))
	loser := f.spend(alice, []dag.OutPoint{g0}, f.pay(carol, dagtest.Funds))
	third := f.spend(alice, []dag.OutPoint{g0}, f.pay(alice, dagtest.Funds))
	// A child of the loser that arrives first waits, then is kept as
	// rejected with it, in case the vote turns.
	early := f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(carol, dagtest.Funds))
	// The winner's outputs stay spendable.
	spendWin := f.spend(bob, []dag.OutPoint{out(winner, 0)}, f.pay(carol, dagtest.Funds))

	wantResult(t, "winner", f.add(winner), dag.StateAccepted, 0)
	wantResult(t, "early child of loser", f.add(early), dag.StatePending, 0)
	wantResult(t, "loser", f.add(loser), dag.StateRejected, dag.ErrDoubleSpend)
	wantResult(t, "third", f.add(third), dag.StateRejected, dag.ErrDoubleSpend)
	// Another child of the loser that spends the same output is rejected
	// at once and not kept: one kept child per output.
	late := f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(bob, dagtest.Funds))
	wantResult(t, "late child of loser", f.add(late), dag.StateRejected, dag.ErrParentRejected)
	wantResult(t, "child of winner", f.add(spendWin), dag.StateAccepted, 0)

	tests := []struct {
		name      string
		p         *dag.Parsed
		state     dag.State // stored state; StateUnknown: not stored
		code      dag.ErrorCode
		conflicts []*dag.Parsed
	}{
		{"winner", winner, dag.StateConflicted, 0, []*dag.Parsed{loser, third}},
		{"loser", loser, dag.StateRejected, dag.ErrDoubleSpend, []*dag.Parsed{winner}},
		{"third", third, dag.StateRejected, dag.ErrDoubleSpend, []*dag.Parsed{winner}},
		{"early child", early, dag.StateRejected, dag.ErrParentRejected, nil},
		{"late child", late, dag.StateUnknown, 0, nil},
		{"child of winner", spendWin, dag.StateAccepted, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.record(tc.p.ID)
			if tc.state == dag.StateUnknown {
				if rec != nil {
					t.Errorf("stored as %v, want not stored", rec.State)
				}
				if st := f.state(tc.p.ID); st != dag.StateRejected {
					t.Errorf("State = %v, want rejected (remembered)", st)
				}
				return
			}
			if rec == nil {
				t.Fatal("not stored")
			}
			var want []dag.TxID
			for _, p := range tc.conflicts {
				want = append(want, p.ID)
			}
			if rec.State != tc.state || rec.Code != tc.code || !slices.Equal(rec.Conflicts, want) {
				t.Errorf("record = %v %v conflicts %v, want %v %v conflicts %v", rec.State, rec.Code, rec.Conflicts, tc.state, tc.code, want)
			}
		})
	}

	// The early child is reported when it leaves the pool; the winner's
	// state change is reported with the new loser.
	var sawEarly, sawWinner bool
	for _, c := range f.allChanges() {
		switch {
		case c.ID == early.ID:
			sawEarly = c.State == dag.StateRejected && c.Code == dag.ErrParentRejected && slices.Equal(c.Raw, early.Raw)
		case c.ID == winner.ID && c.State == dag.StateConflicted:
			sawWinner = sawWinner || slices.Equal(c.Conflicts, []dag.TxID{loser.ID}) && c.Raw == nil
		case c.ID == loser.ID:
			if c.State != dag.StateRejected || c.Code != dag.ErrDoubleSpend || !slices.Equal(c.Conflicts, []dag.TxID{winner.ID}) {
				t.Errorf("loser's change = %+v", c)
			}
		}
	}
	if !sawEarly || !sawWinner {
		t.Errorf("changes miss the early child's rejection (%v) or the winner's conflict (%v): %+v", sawEarly, sawWinner, f.allChanges())
	}
	if res := f.add(early); !res.Known || res.State != dag.StateRejected || code(res.Err) != dag.ErrParentRejected {
		t.Errorf("Add(early child) again = %+v, want known and rejected", res)
	}
}

// TestGraphEvidenceClaimsOtherInputs: a loser L spends {o1, o2} and loses
// o1 to W; a later D that spends o2 is accepted but conflicted with L, and
// the commit reports both sides.
func TestGraphEvidenceClaimsOtherInputs(t *testing.T) {
	f := newFixture(t, nil)
	split := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(alice, 600), f.pay(alice, dagtest.Funds-600))
	o1, o2 := out(split, 0), out(split, 1)
	w := f.spend(alice, []dag.OutPoint{o1}, f.pay(bob, 600))
	l := f.spend(alice, []dag.OutPoint{o1, o2}, f.pay(carol, dagtest.Funds))
	d := f.spend(alice, []dag.OutPoint{o2}, f.pay(bob, dagtest.Funds-600))
	child := f.spend(bob, []dag.OutPoint{out(d, 0)}, f.pay(carol, dagtest.Funds-600))

	wantResult(t, "split", f.add(split), dag.StateAccepted, 0)
	wantResult(t, "W", f.add(w), dag.StateAccepted, 0)
	wantResult(t, "L", f.add(l), dag.StateRejected, dag.ErrDoubleSpend)
	before := len(f.allChanges())
	wantResult(t, "D", f.add(d), dag.StateConflicted, 0)
	dChanges := f.allChanges()[before:]
	wantResult(t, "child of D", f.add(child), dag.StateAccepted, 0)

	tests := []struct {
		name      string
		p         *dag.Parsed
		state     dag.State
		code      dag.ErrorCode
		conflicts []*dag.Parsed
	}{
		{"W", w, dag.StateConflicted, 0, []*dag.Parsed{l}},
		{"L", l, dag.StateRejected, dag.ErrDoubleSpend, []*dag.Parsed{w, d}},
		{"D", d, dag.StateConflicted, 0, []*dag.Parsed{l}},
		{"child of D", child, dag.StateAccepted, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.record(tc.p.ID)
			if rec == nil {
				t.Fatal("not stored")
			}
			want := make([]dag.TxID, 0, len(tc.conflicts))
			for _, p := range tc.conflicts {
				want = append(want, p.ID)
			}
			if rec.State != tc.state || rec.Code != tc.code || !slices.Equal(rec.Conflicts, want) {
				t.Errorf("record = %v %v conflicts %v, want %v %v conflicts %v", rec.State, rec.Code, rec.Conflicts, tc.state, tc.code, want)
			}
		})
	}

	wantChanges := []dag.Change{
		{ID: d.ID, State: dag.StateConflicted, Conflicts: []dag.TxID{l.ID}, Raw: d.Raw},
		{ID: l.ID, State: dag.StateRejected, Code: dag.ErrDoubleSpend, Conflicts: []dag.TxID{d.ID}},
	}
	if len(dChanges) != len(wantChanges) {
		t.Fatalf("adding D reported %+v, want %+v", dChanges, wantChanges)
	}
	for i, c := range dChanges {
		want := wantChanges[i]
		if c.ID != want.ID || c.State != want.State || c.Code != want.Code ||
			!slices.Equal(c.Conflicts, want.Conflicts) || !slices.Equal(c.Raw, want.Raw) || (c.Raw == nil) != (want.Raw == nil) {
			t.Errorf("change %d = %+v, want %+v", i, c, want)
		}
	}
}

// TestGraphFirstSeenAmongOrphans: two spends of one output wait for the
// same parent; the one seen first wins when it arrives.
func TestGraphFirstSeenAmongOrphans(t *testing.T) {
	f := newFixture(t, nil)
	parent := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, dagtest.Funds))
	first := f.spend(bob, []dag.OutPoint{out(parent, 0)}, f.pay(carol, dagtest.Funds))
	second := f.spend(bob, []dag.OutPoint{out(parent, 0)}, f.pay(alice, dagtest.Funds))
	wantResult(t, "first", f.add(first), dag.StatePending, 0)
	f.clock.advance(time.Second)
	wantResult(t, "second", f.add(second), dag.StatePending, 0)
	wantResult(t, "parent", f.add(parent), dag.StateAccepted, 0)
	if st := f.state(first.ID); st != dag.StateConflicted {
		t.Errorf("first = %v, want conflicted", st)
	}
	if st := f.state(second.ID); st != dag.StateRejected {
		t.Errorf("second = %v, want rejected", st)
	}
}

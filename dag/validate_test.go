package dag_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// badSig returns p's bytes with one signature digit changed: still
// canonical, but the signature no longer verifies.
func badSig(p *dag.Parsed) []byte {
	raw := bytes.Clone(p.Raw)
	i := len(raw) - 3 // the last hex digit of "sig":"..."}
	if raw[i] == '0' {
		raw[i] = '1'
	} else {
		raw[i] = '0'
	}
	return raw
}

// mustAdd adds p and fails unless it ends in state.
func (f *fixture) mustAdd(p *dag.Parsed, state dag.State) {
	f.t.Helper()
	if res := f.add(p); res.State != state {
		f.t.Fatalf("set-up Add(%s) = %v (%v), want %v", p.ID, res.State, res.Err, state)
	}
}

func (f *fixture) addRaw(raw []byte) dag.Result {
	f.t.Helper()
	res, err := f.g.Add(f.t.Context(), raw, "")
	if err != nil {
		f.t.Fatalf("Add: %v", err)
	}
	return res
}

// TestContextualRules has one case per contextual rule, and the sanity
// failures a Graph must reject without storing.
func TestContextualRules(t *testing.T) {
	const funds = dagtest.Funds
	tests := []struct {
		name string
		// build adds the set-up transactions and returns the one under test.
		build  func(f *fixture) []byte
		state  dag.State     // Result.State
		code   dag.ErrorCode // of Result.Err
		stored dag.State     // in the store afterwards; StateUnknown: not stored
		// check, if set, checks the rest of the ledger.
		check func(t *testing.T, f *fixture)
	}{
		{
			name: "valid spend",
			build: func(f *fixture) []byte {
				return f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)).Raw
			},
			state: dag.StateAccepted, stored: dag.StateAccepted,
		},
		{
			name: "valid with burn and change",
			build: func(f *fixture) []byte {
				return dagtest.Sign(f.t, f.net, f.keys[alice], &dag.Tx{
					Prev: []string{f.gen(alice).String()},
					Out:  []dag.Output{f.pay(bob, 10), f.pay(alice, funds-15)},
					Burn: 5,
				}).Raw
			},
			state: dag.StateAccepted, stored: dag.StateAccepted,
		},
		{
			name: "valid fan-in",
			build: func(f *fixture) []byte {
				t1 := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(alice, 1), f.pay(alice, funds-1))
				f.mustAdd(t1, dag.StateAccepted)
				return f.spend(alice, []dag.OutPoint{out(t1, 1), out(t1, 0)}, f.pay(carol, funds)).Raw
			},
			state: dag.StateAccepted, stored: dag.StateAccepted,
		},
		{
			name: "unknown parent",
			build: func(f *fixture) []byte {
				parent := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds))
				return f.spend(bob, []dag.OutPoint{out(parent, 0)}, f.pay(bob, funds)).Raw
			},
			state: dag.StatePending, stored: dag.StateUnknown,
			check: func(t *testing.T, f *fixture) {
				if len(f.g.Missing()) != 1 {
					t.Errorf("Missing() = %v, want the parent", f.g.Missing())
				}
			},
		},
		{
			name: "parent stored as a rejected double spend",
			build: func(f *fixture) []byte {
				f.mustAdd(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)), dag.StateAccepted)
				loser := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(carol, funds))
				f.mustAdd(loser, dag.StateRejected)
				return f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(carol, funds)).Raw
			},
			// Kept (a shadow), in case the vote turns.
			state: dag.StateRejected, code: dag.ErrParentRejected, stored: dag.StateRejected,
		},
		{
			name: "child of a rejected double spend that does not balance",
			build: func(f *fixture) []byte {
				f.mustAdd(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)), dag.StateAccepted)
				loser := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(carol, funds))
				f.mustAdd(loser, dag.StateRejected)
				return f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(carol, funds-1)).Raw
			},
			state: dag.StateRejected, code: dag.ErrParentRejected, stored: dag.StateUnknown,
		},
		{
			name: "parent rejected and not stored",
			build: func(f *fixture) []byte {
				bad := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds+1))
				f.mustAdd(bad, dag.StateRejected)
				return f.spend(bob, []dag.OutPoint{out(bad, 0)}, f.pay(bob, funds+1)).Raw
			},
			state: dag.StateRejected, code: dag.ErrParentRejected, stored: dag.StateUnknown,
		},
		{
			name: "parent failed its signature check",
			build: func(f *fixture) []byte {
				parent := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds))
				if res := f.addRaw(badSig(parent)); code(res.Err) != dag.ErrBadSignature {
					f.t.Fatalf("set-up: bad signature gave %+v", res)
				}
				// The child spends an output of the forged bytes, which
				// the node remembers as rejected.
				forged, _ := dag.Decode(badSig(parent))
				return f.spend(bob, []dag.OutPoint{out(forged, 0)}, f.pay(bob, funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrParentRejected, stored: dag.StateUnknown,
		},
		{
			name: "one parent rejected, another unknown",
			build: func(f *fixture) []byte {
				bad := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds+1))
				f.mustAdd(bad, dag.StateRejected)
				unknown := f.spend(bob, []dag.OutPoint{f.gen(bob)}, f.pay(bob, funds))
				return f.spend(bob, []dag.OutPoint{out(unknown, 0), out(bad, 0)}, f.pay(bob, 2*funds+1)).Raw
			},
			state: dag.StateRejected, code: dag.ErrParentRejected, stored: dag.StateUnknown,
		},
		{
			name: "output index past the genesis outputs",
			build: func(f *fixture) []byte {
				return f.spend(alice, []dag.OutPoint{f.gen(3)}, f.pay(bob, funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrUnknownOutput, stored: dag.StateUnknown,
		},
		{
			name: "output index past a tx's outputs",
			build: func(f *fixture) []byte {
				t1 := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(alice, funds))
				f.mustAdd(t1, dag.StateAccepted)
				return f.spend(alice, []dag.OutPoint{out(t1, 0), out(t1, 1)}, f.pay(bob, funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrUnknownOutput, stored: dag.StateUnknown,
		},
		{
			name: "not the owner",
			build: func(f *fixture) []byte {
				return f.spend(bob, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrNotOwner, stored: dag.StateUnknown,
		},
		{
			name: "not the owner of the second input",
			build: func(f *fixture) []byte {
				return f.spend(alice, []dag.OutPoint{f.gen(alice), f.gen(bob)}, f.pay(alice, 2*funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrNotOwner, stored: dag.StateUnknown,
		},
		{
			name: "outputs exceed inputs",
			build: func(f *fixture) []byte {
				return f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds), f.pay(alice, 1)).Raw
			},
			state: dag.StateRejected, code: dag.ErrUnbalanced, stored: dag.StateUnknown,
		},
		{
			name: "outputs fall short of inputs",
			build: func(f *fixture) []byte {
				return f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds-1)).Raw
			},
			state: dag.StateRejected, code: dag.ErrUnbalanced, stored: dag.StateUnknown,
		},
		{
			name: "burn on top of balanced outputs",
			build: func(f *fixture) []byte {
				return dagtest.Sign(f.t, f.net, f.keys[alice], &dag.Tx{
					Prev: []string{f.gen(alice).String()}, Out: []dag.Output{f.pay(bob, funds)}, Burn: 1,
				}).Raw
			},
			state: dag.StateRejected, code: dag.ErrUnbalanced, stored: dag.StateUnknown,
		},
		{
			name: "double spend",
			build: func(f *fixture) []byte {
				f.mustAdd(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)), dag.StateAccepted)
				return f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(carol, funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrDoubleSpend, stored: dag.StateRejected,
			check: func(t *testing.T, f *fixture) {
				if st := f.state(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)).ID); st != dag.StateConflicted {
					t.Errorf("winner is %v, want conflicted", st)
				}
			},
		},
		{
			name: "double spend by a non-owner is no evidence",
			build: func(f *fixture) []byte {
				f.mustAdd(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)), dag.StateAccepted)
				return f.spend(bob, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrNotOwner, stored: dag.StateUnknown,
			check: func(t *testing.T, f *fixture) {
				if st := f.state(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)).ID); st != dag.StateAccepted {
					t.Errorf("winner is %v, want accepted (no valid conflict)", st)
				}
			},
		},
		{
			name: "unbalanced double spend is no evidence",
			build: func(f *fixture) []byte {
				f.mustAdd(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)), dag.StateAccepted)
				return f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(carol, funds+1)).Raw
			},
			state: dag.StateRejected, code: dag.ErrUnbalanced, stored: dag.StateUnknown,
			check: func(t *testing.T, f *fixture) {
				if st := f.state(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)).ID); st != dag.StateAccepted {
					t.Errorf("winner is %v, want accepted (no valid conflict)", st)
				}
			},
		},
		{
			name: "double spend of two winners' inputs",
			build: func(f *fixture) []byte {
				t1 := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(alice, 1), f.pay(alice, funds-1))
				f.mustAdd(t1, dag.StateAccepted)
				f.mustAdd(f.spend(alice, []dag.OutPoint{out(t1, 0)}, f.pay(bob, 1)), dag.StateAccepted)
				f.mustAdd(f.spend(alice, []dag.OutPoint{out(t1, 1)}, f.pay(bob, funds-1)), dag.StateAccepted)
				return f.spend(alice, []dag.OutPoint{out(t1, 0), out(t1, 1)}, f.pay(carol, funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrDoubleSpend, stored: dag.StateRejected,
			check: func(t *testing.T, f *fixture) {
				var loser *dag.Record
				f.store.View(func(r dag.ReadTx) error {
					return r.Since(0, func(rec *dag.Record) bool { loser = rec; return true })
				})
				if len(loser.Conflicts) != 2 {
					t.Fatalf("loser conflicts = %v, want both winners", loser.Conflicts)
				}
				for _, w := range loser.Conflicts {
					if rec := f.record(w); rec.State != dag.StateConflicted || !slices.Equal(rec.Conflicts, []dag.TxID{loser.ID}) {
						t.Errorf("winner %s = %v %v, want conflicted with the loser", w, rec.State, rec.Conflicts)
					}
				}
			},
		},
		{
			name: "bad signature",
			build: func(f *fixture) []byte {
				return badSig(f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, funds)))
			},
			state: dag.StateRejected, code: dag.ErrBadSignature, stored: dag.StateUnknown,
		},
		{
			name: "signed for another network",
			build: func(f *fixture) []byte {
				other, keys := dagtest.NewNetwork(f.t, 4)
				return dagtest.Spend(f.t, other, keys[alice], []dag.OutPoint{f.gen(alice)}, dagtest.Out(other, keys[bob], funds)).Raw
			},
			state: dag.StateRejected, code: dag.ErrBadSignature, stored: dag.StateUnknown,
		},
		{
			name: "another genesis",
			build: func(f *fixture) []byte {
				other, _ := dagtest.NewNetwork(f.t, 4)
				return other.Genesis.Raw
			},
			state: dag.StateRejected, code: dag.ErrGenesis, stored: dag.StateUnknown,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			raw := tc.build(f)
			res := f.addRaw(raw)
			if res.State != tc.state || code(res.Err) != tc.code {
				t.Fatalf("got %v %v (%v), want %v %v", res.State, code(res.Err), res.Err, tc.state, tc.code)
			}
			id := dag.IDs(raw).ID
			if res.ID != id || res.Known {
				t.Errorf("Result ID %s known %v, want %s, new", res.ID, res.Known, id)
			}
			stored := dag.StateUnknown
			if rec := f.record(id); rec != nil {
				stored = rec.State
				if rec.Code != tc.code {
					t.Errorf("stored code %v, want %v", rec.Code, tc.code)
				}
			}
			if stored != tc.stored {
				t.Errorf("stored state %v, want %v", stored, tc.stored)
			}
			// Offered again, it is known, with the same outcome.
			again := f.addRaw(raw)
			if !again.Known || again.State != tc.state || code(again.Err) != tc.code {
				t.Errorf("second Add = %v %v known %v, want %v %v known", again.State, code(again.Err), again.Known, tc.state, tc.code)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func TestMalformedIsRejectedWithoutID(t *testing.T) {
	f := newFixture(t, nil)
	for _, raw := range [][]byte{nil, []byte("{}"), []byte(`{"v":1,"out":[],"burn":0,"time":1} `)} {
		res := f.addRaw(raw)
		if res.State != dag.StateRejected || !res.ID.IsZero() || code(res.Err) == 0 {
			t.Errorf("Add(%q) = %+v, want rejected with a rule error and no ID", raw, res)
		}
	}
}

package dag_test

import (
	"context"
	"errors"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// balance sums what the store holds unspent for key.
func (f *fixture) balance(key int) dag.Amount {
	f.t.Helper()
	var sum dag.Amount
	err := f.store.View(func(r dag.ReadTx) error {
		return r.UnspentOf(dagtest.PubKey(f.keys[key]), func(_ dag.OutPoint, o dag.TxOut) bool {
			sum += o.Amount
			return true
		})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return sum
}

func (f *fixture) wantStored(what string, p *dag.Parsed, st dag.State, c dag.ErrorCode) {
	f.t.Helper()
	rec := f.record(p.ID)
	if rec == nil || rec.State != st || rec.Code != c {
		f.t.Errorf("%s stored as %+v, want %v %v", what, rec, st, c)
	}
}

// TestPreferFlips: the vote turns a double spend to the side first seen
// as the loser and back; descendants follow, balances and invariants hold
// at every step, and every change is reported.
func TestPreferFlips(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g0 := f.gen(alice)
	winner := f.spend(alice, []dag.OutPoint{g0}, f.pay(bob, dagtest.Funds))
	loser := f.spend(alice, []dag.OutPoint{g0}, f.pay(carol, dagtest.Funds))
	winKid := f.spend(bob, []dag.OutPoint{out(winner, 0)}, f.pay(bob, dagtest.Funds))
	loseKid := f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(carol, dagtest.Funds))
	f.mustAdd(winner, dag.StateAccepted)
	f.mustAdd(winKid, dag.StateAccepted)
	f.mustAdd(loser, dag.StateRejected)
	f.mustAdd(loseKid, dag.StateRejected)
	f.wantStored("loser's child", loseKid, dag.StateRejected, dag.ErrParentRejected)
	if b, c := f.balance(bob), f.balance(carol); b != 2*dagtest.Funds || c != dagtest.Funds {
		t.Fatalf("before: bob %d carol %d", b, c)
	}

	before := len(f.allChanges())
	if err := f.g.Prefer(ctx, loser.ID); err != nil {
		t.Fatal(err)
	}
	f.wantStored("old winner", winner, dag.StateRejected, dag.ErrLostVote)
	f.wantStored("old winner's child", winKid, dag.StateRejected, dag.ErrParentRejected)
	f.wantStored("new winner", loser, dag.StateConflicted, 0)
	f.wantStored("new winner's child", loseKid, dag.StateAccepted, 0)
	if b, c := f.balance(bob), f.balance(carol); b != dagtest.Funds || c != 2*dagtest.Funds {
		t.Errorf("after the flip: bob %d carol %d, want %d %d", b, c, dagtest.Funds, 2*dagtest.Funds)
	}
	dagtest.CheckInvariants(t, f.store, f.net)
	got := map[dag.TxID]dag.State{}
	for _, ch := range f.allChanges()[before:] {
		got[ch.ID] = ch.State
	}
	want := map[dag.TxID]dag.State{winner.ID: dag.StateRejected, winKid.ID: dag.StateRejected,
		loser.ID: dag.StateConflicted, loseKid.ID: dag.StateAccepted}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("change of %s = %v, want %v", id, got[id], st)
		}
	}
	// Preferring the side already accepted changes nothing.
	n := len(f.allChanges())
	if err := f.g.Prefer(ctx, loser.ID); err != nil || len(f.allChanges()) != n {
		t.Errorf("Prefer(accepted) = %v, %d changes", err, len(f.allChanges())-n)
	}
	// And back.
	if err := f.g.Prefer(ctx, winner.ID); err != nil {
		t.Fatal(err)
	}
	f.wantStored("winner again", winner, dag.StateConflicted, 0)
	f.wantStored("its child again", winKid, dag.StateAccepted, 0)
	f.wantStored("loser again", loser, dag.StateRejected, dag.ErrLostVote)
	f.wantStored("loser's child again", loseKid, dag.StateRejected, dag.ErrParentRejected)
	dagtest.CheckInvariants(t, f.store, f.net)
	if b, c := f.balance(bob), f.balance(carol); b != 2*dagtest.Funds || c != dagtest.Funds {
		t.Errorf("after flipping back: bob %d carol %d", b, c)
	}
	// A payment that reaches the node now is judged by the new ledger.
	spend := f.spend(bob, []dag.OutPoint{out(winKid, 0)}, f.pay(alice, dagtest.Funds))
	f.mustAdd(spend, dag.StateAccepted)
}

// TestPreferRefused: unknown IDs, a side whose parent is rejected, and a
// side whose rival is final are refused without changing anything.
func TestPreferRefused(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g0 := f.gen(alice)
	winner := f.spend(alice, []dag.OutPoint{g0}, f.pay(bob, dagtest.Funds))
	loser := f.spend(alice, []dag.OutPoint{g0}, f.pay(carol, dagtest.Funds))
	loseKid := f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(carol, dagtest.Funds))
	f.mustAdd(winner, dag.StateAccepted)
	f.mustAdd(loser, dag.StateRejected)
	f.mustAdd(loseKid, dag.StateRejected)
	stranger := f.spend(bob, []dag.OutPoint{f.gen(bob)}, f.pay(bob, dagtest.Funds))
	if err := f.g.Prefer(ctx, stranger.ID); !errors.Is(err, dag.ErrNotFound) {
		t.Errorf("Prefer(unknown) = %v, want ErrNotFound", err)
	}
	if err := f.g.Prefer(ctx, loseKid.ID); !errors.Is(err, dag.ErrNotReady) {
		t.Errorf("Prefer(child of the loser) = %v, want ErrNotReady", err)
	}
	if err := f.g.Finalize(ctx, []dag.Decision{{ID: winner.ID, Cert: []byte("cert")}}); err != nil {
		t.Fatal(err)
	}
	if err := f.g.Prefer(ctx, loser.ID); !errors.Is(err, dag.ErrFinal) {
		t.Errorf("Prefer(rival of a final tx) = %v, want ErrFinal", err)
	}
	f.wantStored("final winner", winner, dag.StateFinal, 0)
	f.wantStored("loser", loser, dag.StateRejected, dag.ErrDoubleSpend)
	dagtest.CheckInvariants(t, f.store, f.net)
}

// TestFinalize: parents first; the certificate is kept; a final decision
// survives a new Graph; a conflict that comes later loses without a vote.
func TestFinalize(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g0 := f.gen(alice)
	pay := f.spend(alice, []dag.OutPoint{g0}, f.pay(bob, dagtest.Funds))
	kid := f.spend(bob, []dag.OutPoint{out(pay, 0)}, f.pay(carol, dagtest.Funds))
	f.mustAdd(pay, dag.StateAccepted)
	f.mustAdd(kid, dag.StateAccepted)
	if err := f.g.Finalize(ctx, []dag.Decision{{ID: kid.ID}}); !errors.Is(err, dag.ErrNotReady) {
		t.Errorf("Finalize(child first) = %v, want ErrNotReady", err)
	}
	f.wantStored("child", kid, dag.StateAccepted, 0)
	if err := f.g.Finalize(ctx, []dag.Decision{{ID: pay.ID, Cert: []byte{1, 2}}, {ID: kid.ID}}); err != nil {
		t.Fatal(err)
	}
	f.wantStored("payment", pay, dag.StateFinal, 0)
	f.wantStored("child", kid, dag.StateFinal, 0)
	err := f.store.View(func(r dag.ReadTx) error {
		if c, err := r.Certificate(pay.ID); err != nil || string(c) != "\x01\x02" {
			t.Errorf("Certificate = %x, %v", c, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	late := f.spend(alice, []dag.OutPoint{g0}, f.pay(carol, dagtest.Funds))
	wantResult(t, "late conflict", f.add(late), dag.StateRejected, dag.ErrLateConflict)
	f.wantStored("late conflict", late, dag.StateRejected, dag.ErrLateConflict)
	f.wantStored("payment after the late conflict", pay, dag.StateFinal, 0)
	if err := f.g.Finalize(ctx, []dag.Decision{{ID: late.ID}}); err == nil {
		t.Error("finalized a rejected tx")
	}
	dagtest.CheckInvariants(t, f.store, f.net)
	if err := f.g.Close(); err != nil {
		t.Fatal(err)
	}
	g2 := dagtest.NewGraph(t, dag.GraphConfig{Network: f.net, Store: f.store})
	if st, err := g2.State(pay.ID); err != nil || st != dag.StateFinal {
		t.Errorf("state under a new Graph = %v, %v; want final", st, err)
	}
}

// TestCandidatesBounded: an owner who signs many spends of one output
// gets MaxCandidates of them stored, and no more.
func TestCandidatesBounded(t *testing.T) {
	f := newFixture(t, nil)
	g0 := f.gen(alice)
	var stored int
	for i := range 20 {
		p := f.spend(alice, []dag.OutPoint{g0}, f.pay(alice, dagtest.Funds-dag.Amount(i)-1), f.pay(bob, dag.Amount(i)+1))
		res := f.add(p)
		switch {
		case i == 0:
			wantResult(t, "first", res, dag.StateAccepted, 0)
		case i < dag.MaxCandidates:
			wantResult(t, "candidate", res, dag.StateRejected, dag.ErrDoubleSpend)
		default:
			wantResult(t, "one too many", res, dag.StateRejected, dag.ErrTooManyCandidates)
		}
		if f.record(p.ID) != nil {
			stored++
		}
	}
	if stored != dag.MaxCandidates {
		t.Errorf("stored %d sides of one output, want %d", stored, dag.MaxCandidates)
	}
}

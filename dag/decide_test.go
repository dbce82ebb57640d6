package dag_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

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

// TestFinalizeShares: a Finalize is committed in parts of at most
// FinalizeMax decisions, in order, each sharing its commit with what was
// queued beside it, and a part refused writes nothing and rolls back
// nothing else of the commit it shares.
func TestFinalizeShares(t *testing.T) {
	var hold atomic.Bool
	held, release := make(chan struct{}), make(chan struct{})
	f := newFixture(t, func(c *dag.GraphConfig) {
		record := c.OnChange
		c.OnChange = func(cs []dag.Change) {
			record(cs)
			if hold.CompareAndSwap(true, false) {
				close(held) // the committer waits here; jobs queue up
				<-release
			}
		}
	})
	ctx := context.Background()
	var chain []dag.Decision
	var chainTxs []*dag.Parsed
	prev := f.gen(alice)
	for range 2*dag.FinalizeMax + 7 {
		p := f.spend(alice, []dag.OutPoint{prev}, f.pay(alice, dagtest.Funds))
		f.mustAdd(p, dag.StateAccepted)
		chain = append(chain, dag.Decision{ID: p.ID})
		chainTxs = append(chainTxs, p)
		prev = out(p, 0)
	}
	parent := f.spend(bob, []dag.OutPoint{f.gen(bob)}, f.pay(bob, dagtest.Funds))
	f.mustAdd(parent, dag.StateAccepted)
	kid := f.spend(bob, []dag.OutPoint{out(parent, 0)}, f.pay(bob, dagtest.Funds))
	f.mustAdd(kid, dag.StateAccepted)
	trigger := f.spend(carol, []dag.OutPoint{f.gen(carol)}, f.pay(carol, dagtest.Funds))
	later := f.spend(carol, []dag.OutPoint{out(trigger, 0)}, f.pay(carol, dagtest.Funds))

	queued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); dag.Queued(f.g) < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d jobs queued, want %d", dag.Queued(f.g), n)
			}
		}
	}
	f.mu.Lock()
	f.changes = nil
	f.mu.Unlock()
	hold.Store(true)
	errs := make(chan error, 4)
	go func() { _, err := f.g.Add(ctx, trigger.Raw, ""); errs <- err }()
	<-held
	go func() { _, err := f.g.Add(ctx, later.Raw, ""); errs <- err }()
	queued(1)
	chainErr := make(chan error, 1)
	go func() { chainErr <- f.g.Finalize(ctx, chain) }()
	queued(4) // three parts
	kidErr := make(chan error, 1)
	go func() { kidErr <- f.g.Finalize(ctx, []dag.Decision{{ID: kid.ID}}) }()
	queued(5)
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-chainErr; err != nil {
		t.Errorf("Finalize(chain) = %v", err)
	}
	if err := <-kidErr; !errors.Is(err, dag.ErrNotReady) {
		t.Errorf("Finalize(child of a tx not final) = %v, want ErrNotReady", err)
	}
	for _, p := range chainTxs {
		f.wantStored("chain tx", p, dag.StateFinal, 0)
	}
	f.wantStored("child refused", kid, dag.StateAccepted, 0)
	f.wantStored("tx queued beside the decisions", later, dag.StateAccepted, 0)

	f.mu.Lock()
	defer f.mu.Unlock()
	var finals []dag.TxID
	shared := false
	for i, cs := range f.changes[1:] { // after the trigger's commit
		n, hasLater := 0, false
		for _, c := range cs {
			switch {
			case c.State == dag.StateFinal:
				n++
				finals = append(finals, c.ID)
			case c.ID == later.ID:
				hasLater = true
			}
		}
		if n > dag.FinalizeMax {
			t.Errorf("commit %d made %d final, more than %d", i+1, n, dag.FinalizeMax)
		}
		shared = shared || hasLater && n > 0
	}
	if !shared {
		t.Errorf("the tx queued beside the decisions was committed apart from them")
	}
	// The refused part, queued last, shared the commit of the chain's
	// last part: three commits, not four.
	if len(f.changes) != 4 {
		t.Errorf("%d commits after the trigger's, want 3 (the chain's parts; the first with the tx, the last with the refused part)", len(f.changes)-1)
	}
	for i, d := range chain {
		if i >= len(finals) || finals[i] != d.ID {
			t.Fatalf("made final in the order %v, want the chain's", finals)
		}
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

package dagtest

import (
	"errors"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

var errStoreTestAbort = errors.New("dagtest: abort the update")

func testStoreUpdateRollback(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	grec := put(t, s, g, dag.StateAccepted, 0)
	t1 := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"bob", Funds})
	t2 := f.spend(t, "bob", []dag.OutPoint{op(g, 1)}, "", payment{"carol", Funds})
	err := s.Update(func(w dag.WriteTx) error {
		for _, p := range []*dag.Parsed{t1, t2} {
			rec := &dag.Record{ID: p.ID, Raw: p.Raw, State: dag.StateAccepted, FirstSeen: 5}
			if err := w.Put(p, rec); err != nil {
				return err
			}
		}
		if err := w.AddConflict(g.ID, t1.ID); err != nil {
			return err
		}
		return errStoreTestAbort
	})
	if !errors.Is(err, errStoreTestAbort) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	checkRecord(t, s, grec)
	view(t, s, func(r dag.ReadTx) error {
		for _, p := range []*dag.Parsed{t1, t2} {
			if _, err := r.Get(p.ID); !errors.Is(err, dag.ErrNotFound) {
				t.Errorf("Get(rolled back) error = %v, want ErrNotFound", err)
			}
			if _, err := r.Lookup(p.V1); !errors.Is(err, dag.ErrNotFound) {
				t.Errorf("Lookup(rolled back) error = %v, want ErrNotFound", err)
			}
		}
		checkUnspent(t, r, op(g, 0), &dag.TxOut{Owner: f.pubs["alice"], Amount: Funds})
		checkSpentBy(t, r, op(g, 0), nil)
		checkOutput(t, r, op(t1, 0), nil)
		checkOutput(t, r, op(t2, 0), nil)
		checkChildren(t, r, g.ID)
		checkUnspentOf(t, r, f.pubs["carol"], map[dag.OutPoint]dag.TxOut{op(g, 2): {Owner: f.pubs["carol"], Amount: Funds}})
		if h := history(t, r, f.pubs["bob"], 0, 10); !slices.Equal(h, ids(g)) {
			t.Errorf("HistoryOf(bob) after rollback = %v, want %v", h, ids(g))
		}
		if got := since(t, r, 0); len(got) != 1 {
			t.Errorf("Since(0) after rollback returned %d records, want 1", len(got))
		}
		if got := rangeIDs(t, r, dag.TxID{}, dag.TxID{}); !slices.Equal(got, ids(g)) {
			t.Errorf("Range after rollback = %v, want %v", got, ids(g))
		}
		if d := digest(t, r); d != accDigest(t, r, g) {
			t.Errorf("Digest after rollback = %v, want %v", d, accDigest(t, r, g))
		}
		return nil
	})
	// The rolled-back Seqs are not used up.
	if rec := put(t, s, t1, dag.StateAccepted, 0); rec.Seq != 2 {
		t.Errorf("Put after rollback assigned Seq %d, want 2", rec.Seq)
	}
}

func testStoreReadOwnWrites(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	t1 := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"bob", Funds})
	t2 := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"carol", Funds})
	err := s.Update(func(w dag.WriteTx) error {
		for i, p := range []*dag.Parsed{g, t1} {
			if err := w.Put(p, &dag.Record{ID: p.ID, Raw: p.Raw, State: dag.StateAccepted, FirstSeen: int64(i)}); err != nil {
				return err
			}
		}
		// Graph checks the inputs of the next tx against what this
		// transaction already wrote.
		checkUnspent(t, w, op(g, 0), nil)
		checkSpentBy(t, w, op(g, 0), t1)
		checkOutput(t, w, op(g, 0), &dag.TxOut{Owner: f.pubs["alice"], Amount: Funds})
		checkUnspent(t, w, op(t1, 0), &dag.TxOut{Owner: f.pubs["bob"], Amount: Funds})
		checkOutput(t, w, op(t1, 0), &dag.TxOut{Owner: f.pubs["bob"], Amount: Funds})
		if err := w.Put(t2, &dag.Record{ID: t2.ID, Raw: t2.Raw, State: dag.StateRejected, Code: dag.ErrDoubleSpend}); err != nil {
			return err
		}
		if err := w.AddConflict(t1.ID, t2.ID); err != nil {
			return err
		}
		if st, err := w.State(t1.ID); err != nil || st != dag.StateConflicted {
			t.Errorf("State(t1) inside the update = %v, %v; want conflicted", st, err)
		}
		if id, err := w.Lookup(t2.V1); err != nil || id != t2.ID {
			t.Errorf("Lookup(t2) inside the update = %s, %v", id, err)
		}
		checkChildren(t, w, g.ID, t1)
		if got := since(t, w, 0); len(got) != 3 {
			t.Errorf("Since(0) inside the update returned %d records, want 3", len(got))
		}
		if got := rangeIDs(t, w, dag.TxID{}, dag.TxID{}); !slices.Equal(got, sortedIDs(ids(g, t1, t2))) {
			t.Errorf("Range inside the update = %v", got)
		}
		if d := digest(t, w); d != accDigest(t, w, g, t1, t2) {
			t.Errorf("Digest inside the update = %v, want %v", d, accDigest(t, w, g, t1, t2))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	view(t, s, func(r dag.ReadTx) error {
		if d := digest(t, r); d != accDigest(t, r, g, t1, t2) {
			t.Errorf("Digest after the update = %v, want %v", d, accDigest(t, r, g, t1, t2))
		}
		return nil
	})
}

func testStoreClosed(t *testing.T, s dag.Store, f *storeFixture) {
	put(t, s, f.genesis, dag.StateAccepted, 0)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.View(func(dag.ReadTx) error { return nil }); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("View after Close = %v, want ErrClosed", err)
	}
	if err := s.Update(func(dag.WriteTx) error { return nil }); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
}

// setState runs SetState in its own Update.

package dagtest

import (
	"errors"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

func testStoreEmpty(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	view(t, s, func(r dag.ReadTx) error {
		if _, err := r.Get(g.ID); !errors.Is(err, dag.ErrNotFound) {
			t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
		}
		if st, err := r.State(g.ID); err != nil || st != dag.StateUnknown {
			t.Errorf("State(unknown) = %v, %v; want unknown, nil", st, err)
		}
		if _, err := r.Lookup(g.ID.Short()); !errors.Is(err, dag.ErrNotFound) {
			t.Errorf("Lookup(unknown) error = %v, want ErrNotFound", err)
		}
		checkUnspent(t, r, op(g, 0), nil)
		checkOutput(t, r, op(g, 0), nil)
		checkSpentBy(t, r, op(g, 0), nil)
		checkChildren(t, r, g.ID)
		checkUnspentOf(t, r, f.pubs["alice"], nil)
		if h := history(t, r, f.pubs["alice"], 0, 10); len(h) != 0 {
			t.Errorf("HistoryOf on an empty store = %v", h)
		}
		if got := since(t, r, 0); len(got) != 0 {
			t.Errorf("Since(0) on an empty store returned %d records", len(got))
		}
		if got := rangeIDs(t, r, dag.TxID{}, dag.TxID{}); len(got) != 0 {
			t.Errorf("Range on an empty store = %v", got)
		}
		if d := digest(t, r); d != (&dag.Accumulator{}).Digest() {
			t.Errorf("Digest of an empty store = %v, want %v", d, (&dag.Accumulator{}).Digest())
		}
		return nil
	})
}

func testStorePutAccepted(t *testing.T, s dag.Store, f *storeFixture) {
	testPutAccepted(t, s, f, dag.StateAccepted)
}

// testStorePutConflictedState: a record put as Conflicted is accepted too.
func testStorePutConflictedState(t *testing.T, s dag.Store, f *storeFixture) {
	testPutAccepted(t, s, f, dag.StateConflicted)
}

func testPutAccepted(t *testing.T, s dag.Store, f *storeFixture, state dag.State) {
	g := f.genesis
	alice, bob, carol := f.pubs["alice"], f.pubs["bob"], f.pubs["carol"]
	grec := put(t, s, g, dag.StateAccepted, 0)
	if grec.Seq != 1 {
		t.Errorf("first Put assigned Seq %d, want 1", grec.Seq)
	}
	t1 := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"bob", 600}, payment{"alice", Funds - 600})
	rec := put(t, s, t1, state, 0)
	if rec.Seq != 2 {
		t.Errorf("second Put assigned Seq %d, want 2", rec.Seq)
	}
	checkRecord(t, s, grec)
	checkRecord(t, s, rec)
	view(t, s, func(r dag.ReadTx) error {
		checkUnspent(t, r, op(g, 0), nil)
		checkUnspent(t, r, op(g, 1), &dag.TxOut{Owner: bob, Amount: Funds})
		checkUnspent(t, r, op(g, 2), &dag.TxOut{Owner: carol, Amount: Funds})
		checkUnspent(t, r, op(g, 4), nil)
		checkUnspent(t, r, op(t1, 0), &dag.TxOut{Owner: bob, Amount: 600})
		checkUnspent(t, r, op(t1, 1), &dag.TxOut{Owner: alice, Amount: Funds - 600})
		checkUnspent(t, r, op(t1, 2), nil)
		checkSpentBy(t, r, op(g, 0), t1)
		checkSpentBy(t, r, op(g, 1), nil)
		checkSpentBy(t, r, op(t1, 0), nil)
		checkChildren(t, r, g.ID, t1)
		checkChildren(t, r, t1.ID)
		checkUnspentOf(t, r, alice, map[dag.OutPoint]dag.TxOut{op(t1, 1): {Owner: alice, Amount: Funds - 600}})
		checkUnspentOf(t, r, bob, map[dag.OutPoint]dag.TxOut{
			op(g, 1): {Owner: bob, Amount: Funds}, op(t1, 0): {Owner: bob, Amount: 600},
		})
		// t1 is listed once for alice, though she both signs and is paid.
		if got, want := history(t, r, alice, 0, 10), ids(t1, g); !slices.Equal(got, want) {
			t.Errorf("HistoryOf(alice) = %v, want %v", got, want)
		}
		if got, want := history(t, r, bob, 0, 10), ids(t1, g); !slices.Equal(got, want) {
			t.Errorf("HistoryOf(bob) = %v, want %v", got, want)
		}
		return nil
	})

	// A child of two parents is indexed under both.
	t2 := f.spend(t, "bob", []dag.OutPoint{op(t1, 0), op(g, 1)}, "", payment{"carol", Funds + 600})
	put(t, s, t2, dag.StateAccepted, 0)
	view(t, s, func(r dag.ReadTx) error {
		checkChildren(t, r, g.ID, t1, t2)
		checkChildren(t, r, t1.ID, t2)
		checkSpentBy(t, r, op(t1, 0), t2)
		checkSpentBy(t, r, op(g, 1), t2)
		checkUnspentOf(t, r, bob, nil)
		checkUnspentOf(t, r, carol, map[dag.OutPoint]dag.TxOut{
			op(g, 2): {Owner: carol, Amount: Funds}, op(t2, 0): {Owner: carol, Amount: Funds + 600},
		})
		return nil
	})
}

// doubleSpend stores genesis, t1 (accepted) and t2 (rejected: it spends
// t1's input), without recording the conflict.
func doubleSpend(t *testing.T, s dag.Store, f *storeFixture) (g, t1, t2 *dag.Parsed, recs []*dag.Record) {
	g = f.genesis
	t1 = f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"bob", 600}, payment{"alice", Funds - 600})
	t2 = f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"carol", Funds})
	recs = []*dag.Record{
		put(t, s, g, dag.StateAccepted, 0),
		put(t, s, t1, dag.StateAccepted, 0),
		put(t, s, t2, dag.StateRejected, dag.ErrDoubleSpend),
	}
	return g, t1, t2, recs
}

func testStorePutRejected(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, recs := doubleSpend(t, s, f)
	checkRecord(t, s, recs[2])
	carol := f.pubs["carol"]
	view(t, s, func(r dag.ReadTx) error {
		checkUnspent(t, r, op(t2, 0), nil)
		checkSpentBy(t, r, op(g, 0), t1)
		checkChildren(t, r, g.ID, t1)
		checkUnspentOf(t, r, carol, map[dag.OutPoint]dag.TxOut{op(g, 2): {Owner: carol, Amount: Funds}})
		if got, want := history(t, r, carol, 0, 10), ids(t2, g); !slices.Equal(got, want) {
			t.Errorf("HistoryOf(payee of a rejected tx) = %v, want %v", got, want)
		}
		if got, want := history(t, r, f.pubs["alice"], 0, 10), ids(t2, t1, g); !slices.Equal(got, want) {
			t.Errorf("HistoryOf(signer of a rejected tx) = %v, want %v", got, want)
		}
		if id, err := r.Lookup(t2.ID.Short()); err != nil || id != t2.ID {
			t.Errorf("Lookup(rejected) = %s, %v; want %s", id, err, t2.ID)
		}
		if d := digest(t, r); d != accDigest(t, r, g, t1, t2) {
			t.Errorf("Digest = %v, want %v (rejected txs count)", d, accDigest(t, r, g, t1, t2))
		}
		return nil
	})

	// A rejected tx with a rejected parent is evidence too.
	t3 := f.spend(t, "carol", []dag.OutPoint{op(t2, 0)}, "", payment{"dave", Funds})
	rec := put(t, s, t3, dag.StateRejected, dag.ErrParentRejected)
	checkRecord(t, s, rec)
	view(t, s, func(r dag.ReadTx) error {
		checkChildren(t, r, t2.ID)
		checkSpentBy(t, r, op(t2, 0), nil)
		checkUnspentOf(t, r, f.pubs["dave"], map[dag.OutPoint]dag.TxOut{op(g, 3): {Owner: f.pubs["dave"], Amount: Funds}})
		return nil
	})
}

// testStorePutRefused: Put fails, and changes nothing, for a stored ID, a
// record of another tx, or a state that is not stored.
func testStorePutRefused(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	grec := put(t, s, g, dag.StateAccepted, 0)
	t1 := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"bob", Funds})
	tests := []struct {
		name string
		p    *dag.Parsed
		rec  dag.Record
	}{
		{"stored", g, dag.Record{ID: g.ID, Raw: g.Raw, State: dag.StateAccepted}},
		{"stored as rejected", g, dag.Record{ID: g.ID, Raw: g.Raw, State: dag.StateRejected}},
		{"record of another tx", t1, dag.Record{ID: g.ID, Raw: t1.Raw, State: dag.StateAccepted}},
		{"pending", t1, dag.Record{ID: t1.ID, Raw: t1.Raw, State: dag.StatePending}},
		{"unknown state", t1, dag.Record{ID: t1.ID, Raw: t1.Raw, State: dag.StateUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Update(func(w dag.WriteTx) error { return w.Put(tc.p, &tc.rec) }); err == nil {
				t.Fatal("Put succeeded")
			}
			checkRecord(t, s, grec)
			view(t, s, func(r dag.ReadTx) error {
				if got := since(t, r, 0); len(got) != 1 {
					t.Errorf("Since(0) returned %d records, want 1", len(got))
				}
				checkUnspent(t, r, op(g, 0), &dag.TxOut{Owner: f.pubs["alice"], Amount: Funds})
				if d := digest(t, r); d != accDigest(t, r, g) {
					t.Errorf("Digest = %v, want %v", d, accDigest(t, r, g))
				}
				return nil
			})
		})
	}
}

func testStoreAddConflict(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, recs := doubleSpend(t, s, f)
	t3 := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "third", payment{"dave", Funds})
	r3 := put(t, s, t3, dag.StateRejected, dag.ErrDoubleSpend)
	conflict := func(a, b dag.TxID) {
		t.Helper()
		if err := s.Update(func(w dag.WriteTx) error { return w.AddConflict(a, b) }); err != nil {
			t.Fatalf("AddConflict: %v", err)
		}
	}
	r1, r2 := recs[1], recs[2]

	conflict(t1.ID, t2.ID)
	r1.State, r1.Conflicts = dag.StateConflicted, ids(t2)
	r2.Conflicts = ids(t1)
	checkRecord(t, s, r1)
	checkRecord(t, s, r2)

	// Either direction, any number of times: each side lists the other once.
	conflict(t2.ID, t1.ID)
	conflict(t1.ID, t2.ID)
	checkRecord(t, s, r1)
	checkRecord(t, s, r2)

	conflict(t3.ID, t1.ID)
	r1.Conflicts = ids(t2, t3)
	r3.Conflicts = ids(t1)
	checkRecord(t, s, r1)
	checkRecord(t, s, r3)
	checkRecord(t, s, recs[0])

	// A conflicted tx is still accepted: its outputs stay spendable.
	view(t, s, func(r dag.ReadTx) error {
		checkUnspent(t, r, op(t1, 1), &dag.TxOut{Owner: f.pubs["alice"], Amount: Funds - 600})
		checkSpentBy(t, r, op(g, 0), t1)
		if d := digest(t, r); d != accDigest(t, r, g, t1, t2, t3) {
			t.Errorf("Digest after AddConflict = %v, want %v", d, accDigest(t, r, g, t1, t2, t3))
		}
		return nil
	})
}

func testStoreAddConflictUnknown(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	put(t, s, g, dag.StateAccepted, 0)
	unknown := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"bob", Funds})
	tests := []struct {
		name string
		a, b dag.TxID
	}{
		{"first unknown", unknown.ID, g.ID},
		{"second unknown", g.ID, unknown.ID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(func(w dag.WriteTx) error { return w.AddConflict(tc.a, tc.b) })
			if !errors.Is(err, dag.ErrNotFound) {
				t.Errorf("AddConflict error = %v, want ErrNotFound", err)
			}
			checkRecord(t, s, &dag.Record{ID: g.ID, Raw: g.Raw, State: dag.StateAccepted, FirstSeen: 1_000 + int64(len(g.Raw)), Seq: 1})
		})
	}
}

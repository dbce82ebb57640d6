package dagtest

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

func setState(s dag.Store, p *dag.Parsed, st dag.State, code dag.ErrorCode) error {
	return s.Update(func(w dag.WriteTx) error { return w.SetState(p, st, code) })
}

// testStoreSetStateFlip: a double spend moves from one side to the other
// and back; every index follows, and the Digest is that of a store that
// held the new states from the start.
func testStoreSetStateFlip(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, recs := doubleSpend(t, s, f)
	bob, carol, alice := f.pubs["bob"], f.pubs["carol"], f.pubs["alice"]
	if err := s.Update(func(w dag.WriteTx) error { return w.AddConflict(t1.ID, t2.ID) }); err != nil {
		t.Fatal(err)
	}
	if err := setState(s, t1, dag.StateRejected, dag.ErrLostVote); err != nil {
		t.Fatalf("reject the first side: %v", err)
	}
	if err := setState(s, t2, dag.StateConflicted, dag.ErrDoubleSpend); err != nil {
		t.Fatalf("accept the second side: %v", err)
	}
	recs[1].State, recs[1].Code, recs[1].Conflicts = dag.StateRejected, dag.ErrLostVote, ids(t2)
	recs[2].State, recs[2].Code, recs[2].Conflicts = dag.StateConflicted, 0, ids(t1)
	checkRecord(t, s, recs[1])
	checkRecord(t, s, recs[2])
	view(t, s, func(r dag.ReadTx) error {
		checkSpentBy(t, r, op(g, 0), t2)
		checkChildren(t, r, g.ID, t2)
		checkUnspent(t, r, op(t1, 0), nil)
		checkOutput(t, r, op(t1, 0), nil)
		checkUnspent(t, r, op(t2, 0), &dag.TxOut{Owner: carol, Amount: Funds})
		checkUnspentOf(t, r, bob, map[dag.OutPoint]dag.TxOut{op(g, 1): {Owner: bob, Amount: Funds}})
		checkUnspentOf(t, r, alice, nil)
		claims, err := r.Claims(op(g, 0))
		if err != nil || !slices.Equal(claims, ids(t1)) {
			t.Errorf("Claims(contested) = %v, %v; want the loser %v", claims, err, ids(t1))
		}
		if got, want := history(t, r, bob, 0, 10), ids(t1, g); !slices.Equal(got, want) {
			t.Errorf("HistoryOf(payee of the loser) = %v, want %v", got, want)
		}
		if d := digest(t, r); d != accDigest(t, r, g, t1, t2) {
			t.Errorf("Digest after flip = %v, want %v", d, accDigest(t, r, g, t1, t2))
		}
		return nil
	})

	// And back: a child of the winner must go first.
	t3 := f.spend(t, "carol", []dag.OutPoint{op(t2, 0)}, "", payment{"dave", Funds})
	put(t, s, t3, dag.StateAccepted, 0)
	if err := setState(s, t2, dag.StateRejected, dag.ErrLostVote); err == nil {
		t.Fatal("rejected a tx whose output an accepted child spends")
	}
	if err := setState(s, t3, dag.StateRejected, dag.ErrParentRejected); err != nil {
		t.Fatal(err)
	}
	if err := setState(s, t2, dag.StateRejected, dag.ErrLostVote); err != nil {
		t.Fatal(err)
	}
	if err := setState(s, t1, dag.StateAccepted, 0); err != nil {
		t.Fatal(err)
	}
	view(t, s, func(r dag.ReadTx) error {
		checkSpentBy(t, r, op(g, 0), t1)
		checkSpentBy(t, r, op(t2, 0), nil)
		checkChildren(t, r, t2.ID)
		checkUnspent(t, r, op(t1, 0), &dag.TxOut{Owner: bob, Amount: 600})
		checkUnspentOf(t, r, carol, map[dag.OutPoint]dag.TxOut{op(g, 2): {Owner: carol, Amount: Funds}})
		claims, err := r.Claims(op(g, 0))
		if err != nil || !slices.Equal(claims, ids(t2)) {
			t.Errorf("Claims(contested) = %v, %v; want %v", claims, err, ids(t2))
		}
		if d := digest(t, r); d != accDigest(t, r, g, t1, t2, t3) {
			t.Errorf("Digest after flip back = %v, want %v", d, accDigest(t, r, g, t1, t2, t3))
		}
		return nil
	})
}

// testStoreSetStateRefused: SetState fails, and changes nothing, for an
// unknown tx, a state that cannot be stored, or accepting a tx whose prev
// is spent.
func testStoreSetStateRefused(t *testing.T, s dag.Store, f *storeFixture) {
	g, _, t2, recs := doubleSpend(t, s, f)
	stranger := f.spend(t, "bob", []dag.OutPoint{op(g, 1)}, "", payment{"dave", Funds})
	var before dag.Digest
	view(t, s, func(r dag.ReadTx) error { before = digest(t, r); return nil })
	for name, fn := range map[string]func() error{
		"unknown":              func() error { return setState(s, stranger, dag.StateRejected, dag.ErrLostVote) },
		"pending":              func() error { return setState(s, t2, dag.StatePending, 0) },
		"prev spent":           func() error { return setState(s, t2, dag.StateAccepted, 0) },
		"spent genesis reject": func() error { return setState(s, g, dag.StateRejected, dag.ErrLostVote) },
	} {
		if err := fn(); err == nil {
			t.Errorf("SetState(%s) succeeded", name)
		}
	}
	checkRecord(t, s, recs[2])
	view(t, s, func(r dag.ReadTx) error {
		if d := digest(t, r); d != before {
			t.Errorf("Digest changed after refused SetStates: %v, was %v", d, before)
		}
		return nil
	})
}

// testStoreSetStateFinal: a final record never changes again.
func testStoreSetStateFinal(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, _, recs := doubleSpend(t, s, f)
	if err := setState(s, t1, dag.StateFinal, dag.ErrLostVote); err != nil {
		t.Fatal(err)
	}
	recs[1].State = dag.StateFinal
	checkRecord(t, s, recs[1])
	for _, st := range []dag.State{dag.StateAccepted, dag.StateRejected, dag.StateFinal} {
		if err := setState(s, t1, st, 0); err == nil {
			t.Errorf("SetState(final, %v) succeeded", st)
		}
	}
	if err := s.Update(func(w dag.WriteTx) error { return w.AddConflict(t1.ID, recs[2].ID) }); err != nil {
		t.Fatal(err)
	}
	recs[1].Conflicts = []dag.TxID{recs[2].ID}
	checkRecord(t, s, recs[1]) // still final, not conflicted
	view(t, s, func(r dag.ReadTx) error {
		checkSpentBy(t, r, op(g, 0), t1)
		checkUnspent(t, r, op(t1, 0), &dag.TxOut{Owner: f.pubs["bob"], Amount: 600})
		return nil
	})
}

// testStoreContested: the records with conflicts, in Seq order.
func testStoreContested(t *testing.T, s dag.Store, f *storeFixture) {
	_, t1, t2, _ := doubleSpend(t, s, f)
	var got []dag.TxID
	view(t, s, func(r dag.ReadTx) error {
		return r.Contested(func(rec *dag.Record) bool { got = append(got, rec.ID); return true })
	})
	if len(got) != 0 {
		t.Errorf("Contested before AddConflict = %v", got)
	}
	if err := s.Update(func(w dag.WriteTx) error { return w.AddConflict(t2.ID, t1.ID) }); err != nil {
		t.Fatal(err)
	}
	view(t, s, func(r dag.ReadTx) error {
		return r.Contested(func(rec *dag.Record) bool {
			got = append(got, rec.ID)
			if len(rec.Conflicts) != 1 {
				t.Errorf("Contested gives %s with conflicts %v", rec.ID, rec.Conflicts)
			}
			return true
		})
	})
	if want := ids(t1, t2); !slices.Equal(got, want) {
		t.Errorf("Contested = %v, want %v", got, want)
	}
	got = nil
	view(t, s, func(r dag.ReadTx) error {
		return r.Contested(func(rec *dag.Record) bool { got = append(got, rec.ID); return false })
	})
	if len(got) != 1 {
		t.Errorf("Contested did not stop: %v", got)
	}
}

// testStoreCertificate: certificates are stored per tx and replaced.
func testStoreCertificate(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, _ := doubleSpend(t, s, f)
	if err := s.Update(func(w dag.WriteTx) error {
		return w.PutCertificate(f.spend(t, "bob", []dag.OutPoint{op(g, 1)}, "", payment{"dave", Funds}).ID, []byte{1})
	}); !errors.Is(err, dag.ErrNotFound) {
		t.Errorf("PutCertificate(unknown) = %v, want ErrNotFound", err)
	}
	for _, cert := range [][]byte{{1, 2, 3}, {4, 5}} {
		if err := s.Update(func(w dag.WriteTx) error { return w.PutCertificate(t1.ID, cert) }); err != nil {
			t.Fatal(err)
		}
		view(t, s, func(r dag.ReadTx) error {
			if got, err := r.Certificate(t1.ID); err != nil || !bytes.Equal(got, cert) {
				t.Errorf("Certificate = %x, %v; want %x", got, err, cert)
			}
			for _, id := range ids(g, t2) {
				if _, err := r.Certificate(id); !errors.Is(err, dag.ErrNotFound) {
					t.Errorf("Certificate(%s without one) = %v, want ErrNotFound", id, err)
				}
			}
			return nil
		})
	}
}

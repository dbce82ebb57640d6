package dagtest

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

func testStoreGetAndLookup(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, _ := doubleSpend(t, s, f)
	unknown := f.spend(t, "bob", []dag.OutPoint{op(g, 1)}, "", payment{"bob", Funds})
	tests := []struct {
		name  string
		short [20]byte
		want  dag.TxID // zero: ErrNotFound
	}{
		{"genesis by v2", g.ID.Short(), g.ID},
		{"genesis by v1", g.V1, g.ID},
		{"accepted by v2", t1.ID.Short(), t1.ID},
		{"accepted by v1", t1.V1, t1.ID},
		{"rejected by v2", t2.ID.Short(), t2.ID},
		{"rejected by v1", t2.V1, t2.ID},
		{"unknown v2", unknown.ID.Short(), dag.TxID{}},
		{"unknown v1", unknown.V1, dag.TxID{}},
		{"zero", [20]byte{}, dag.TxID{}},
	}
	view(t, s, func(r dag.ReadTx) error {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := r.Lookup(tc.short)
				switch {
				case tc.want.IsZero() && !errors.Is(err, dag.ErrNotFound):
					t.Errorf("Lookup = %s, %v; want ErrNotFound", got, err)
				case !tc.want.IsZero() && (err != nil || got != tc.want):
					t.Errorf("Lookup = %s, %v; want %s", got, err, tc.want)
				}
			})
		}
		if _, err := r.Get(unknown.ID); !errors.Is(err, dag.ErrNotFound) {
			t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
		}
		if st, err := r.State(unknown.ID); err != nil || st != dag.StateUnknown {
			t.Errorf("State(unknown) = %v, %v; want unknown, nil", st, err)
		}
		return nil
	})
}

func testStoreUnspentAndSpentBy(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, _ := doubleSpend(t, s, f)
	alice, bob := f.pubs["alice"], f.pubs["bob"]
	tests := []struct {
		name    string
		op      dag.OutPoint
		unspent *dag.TxOut
		spentBy *dag.Parsed
	}{
		{"spent genesis output", op(g, 0), nil, t1},
		{"unspent genesis output", op(g, 1), &dag.TxOut{Owner: bob, Amount: Funds}, nil},
		{"output of accepted", op(t1, 0), &dag.TxOut{Owner: bob, Amount: 600}, nil},
		{"change of accepted", op(t1, 1), &dag.TxOut{Owner: alice, Amount: Funds - 600}, nil},
		{"index past the end", op(t1, 2), nil, nil},
		{"huge index", op(t1, 1<<31), nil, nil},
		{"output of rejected", op(t2, 0), nil, nil},
		{"unknown tx", dag.OutPoint{TxID: dag.TxID{1}}, nil, nil},
	}
	view(t, s, func(r dag.ReadTx) error {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				checkUnspent(t, r, tc.op, tc.unspent)
				checkSpentBy(t, r, tc.op, tc.spentBy)
			})
		}
		return nil
	})
}

// testStoreOutput: Output finds every output of an accepted or conflicted
// tx, spent or not, and nothing of rejected or unknown txs.
func testStoreOutput(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, _ := doubleSpend(t, s, f)
	alice, bob, carol := f.pubs["alice"], f.pubs["bob"], f.pubs["carol"]
	if err := s.Update(func(w dag.WriteTx) error { return w.AddConflict(t1.ID, t2.ID) }); err != nil {
		t.Fatalf("AddConflict: %v", err)
	}
	// t3 spends the conflicted t1's first output; t4 (evidence) spends the
	// rejected t2's.
	t3 := f.spend(t, "bob", []dag.OutPoint{op(t1, 0)}, "", payment{"carol", 200}, payment{"bob", 400})
	put(t, s, t3, dag.StateAccepted, 0)
	t4 := f.spend(t, "carol", []dag.OutPoint{op(t2, 0)}, "", payment{"dave", Funds})
	put(t, s, t4, dag.StateRejected, dag.ErrParentRejected)
	unknown := f.spend(t, "bob", []dag.OutPoint{op(g, 1)}, "", payment{"bob", Funds})

	tests := []struct {
		name string
		op   dag.OutPoint
		want *dag.TxOut
	}{
		{"spent genesis output", op(g, 0), &dag.TxOut{Owner: alice, Amount: Funds}},
		{"unspent genesis output", op(g, 1), &dag.TxOut{Owner: bob, Amount: Funds}},
		{"last genesis output", op(g, 3), &dag.TxOut{Owner: f.pubs["dave"], Amount: Funds}},
		{"genesis index past the end", op(g, 4), nil},
		{"spent output of conflicted", op(t1, 0), &dag.TxOut{Owner: bob, Amount: 600}},
		{"unspent output of conflicted", op(t1, 1), &dag.TxOut{Owner: alice, Amount: Funds - 600}},
		{"index past the end", op(t1, 2), nil},
		{"index past uint16", op(t1, 1<<16), nil},
		{"huge index", op(t1, 1<<31), nil},
		{"output of accepted", op(t3, 0), &dag.TxOut{Owner: carol, Amount: 200}},
		{"change of accepted", op(t3, 1), &dag.TxOut{Owner: bob, Amount: 400}},
		{"spent output of rejected", op(t2, 0), nil},
		{"output of rejected child of rejected", op(t4, 0), nil},
		{"unknown tx", op(unknown, 0), nil},
		{"zero outpoint", dag.OutPoint{}, nil},
	}
	view(t, s, func(r dag.ReadTx) error {
		if st, err := r.State(t1.ID); err != nil || st != dag.StateConflicted {
			t.Fatalf("State(t1) = %v, %v; want conflicted", st, err)
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				checkOutput(t, r, tc.op, tc.want)
				// Where both answer, Output agrees with Unspent.
				if u, err := r.Unspent(tc.op); err == nil && (tc.want == nil || u != *tc.want) {
					t.Errorf("Unspent(%s) = %v, Output wants %v", tc.op, u, tc.want)
				}
			})
		}
		return nil
	})
}

// testStoreClaims: evidence claims the prevs of stored parents, in Seq
// order; accepted txs claim nothing, and a rolled-back Put leaves no claim.
func testStoreClaims(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	put(t, s, g, dag.StateAccepted, 0)
	split := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "", payment{"alice", 600}, payment{"alice", Funds - 600})
	put(t, s, split, dag.StateAccepted, 0)
	l1 := f.spend(t, "alice", []dag.OutPoint{op(split, 0), op(split, 1)}, "", payment{"bob", Funds})
	l2 := f.spend(t, "alice", []dag.OutPoint{op(split, 1)}, "", payment{"carol", Funds - 600})
	unstored := f.spend(t, "bob", []dag.OutPoint{op(g, 1)}, "", payment{"dave", Funds})
	orphan := f.spend(t, "dave", []dag.OutPoint{op(unstored, 0)}, "", payment{"carol", Funds})
	put(t, s, l1, dag.StateRejected, dag.ErrDoubleSpend)
	put(t, s, l2, dag.StateRejected, dag.ErrDoubleSpend)
	put(t, s, orphan, dag.StateRejected, dag.ErrDoubleSpend)
	late := f.spend(t, "carol", []dag.OutPoint{op(g, 2)}, "", payment{"dave", Funds})
	err := s.Update(func(w dag.WriteTx) error {
		if err := w.Put(late, &dag.Record{ID: late.ID, Raw: late.Raw, State: dag.StateRejected, Code: dag.ErrDoubleSpend}); err != nil {
			return err
		}
		return errStoreTestAbort
	})
	if !errors.Is(err, errStoreTestAbort) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	put(t, s, unstored, dag.StateAccepted, 0)

	tests := []struct {
		name string
		op   dag.OutPoint
		want []dag.TxID
	}{
		{"one claim", op(split, 0), ids(l1)},
		{"two claims in seq order", op(split, 1), ids(l1, l2)},
		{"output nobody names", op(g, 3), nil},
		{"spent by an accepted tx", op(g, 0), nil},
		{"no such output", op(split, 2), nil},
		{"parent stored after the evidence", op(unstored, 0), nil},
		{"rolled back", op(g, 2), nil},
		{"unknown tx", dag.OutPoint{TxID: dag.TxID{0x01}}, nil},
	}
	view(t, s, func(r dag.ReadTx) error {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := r.Claims(tc.op)
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("Claims(%s) = %v, %v; want %v", tc.op, got, err, tc.want)
				}
			})
		}
		return nil
	})
}

func testStoreUnspentOf(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	put(t, s, g, dag.StateAccepted, 0)
	alice, carol := f.pubs["alice"], f.pubs["carol"]
	// alice pays carol five outputs and keeps none; carol spends two.
	t1 := f.spend(t, "alice", []dag.OutPoint{op(g, 0)}, "",
		payment{"carol", 100}, payment{"carol", 200}, payment{"carol", 300}, payment{"carol", 400}, payment{"carol", Funds - 1000})
	t2 := f.spend(t, "carol", []dag.OutPoint{op(t1, 1), op(t1, 3)}, "", payment{"dave", 600})
	put(t, s, t1, dag.StateAccepted, 0)
	put(t, s, t2, dag.StateAccepted, 0)
	view(t, s, func(r dag.ReadTx) error {
		checkUnspentOf(t, r, alice, nil)
		checkUnspentOf(t, r, carol, map[dag.OutPoint]dag.TxOut{
			op(g, 2):  {Owner: carol, Amount: Funds},
			op(t1, 0): {Owner: carol, Amount: 100},
			op(t1, 2): {Owner: carol, Amount: 300},
			op(t1, 4): {Owner: carol, Amount: Funds - 1000},
		})
		checkUnspentOf(t, r, f.pubs["nobody"], nil)
		n := 0
		err := r.UnspentOf(carol, func(dag.OutPoint, dag.TxOut) bool { n++; return false })
		if err != nil || n != 1 {
			t.Errorf("UnspentOf stopping at once: %d calls, %v; want 1, nil", n, err)
		}
		return nil
	})
}

func testStoreHistoryOf(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	put(t, s, g, dag.StateAccepted, 0)
	// alice pays bob 10 times, spending her change each time.
	chain := []*dag.Parsed{g}
	seqs := []uint64{1}
	prev, amount := op(g, 0), Funds
	for i := 0; i < 10; i++ {
		amount -= 10
		p := f.spend(t, "alice", []dag.OutPoint{prev}, "", payment{"bob", 10}, payment{"alice", amount})
		rec := put(t, s, p, dag.StateAccepted, 0)
		chain, seqs = append(chain, p), append(seqs, rec.Seq)
		prev = op(p, 1)
	}
	newest := slices.Clone(chain)
	slices.Reverse(newest)
	tests := []struct {
		name   string
		owner  string
		before uint64
		limit  int
		want   []*dag.Parsed
	}{
		{"all", "alice", 0, 100, newest},
		{"limit", "alice", 0, 3, newest[:3]},
		{"no limit", "alice", 0, 0, newest},
		{"no limit before", "alice", seqs[3], -1, newest[8:]},
		{"page 2", "alice", seqs[8], 3, newest[3:6]},
		{"before first", "alice", seqs[0], 10, nil},
		{"before second", "alice", seqs[1], 10, newest[10:]},
		{"payee", "bob", 0, 4, newest[:4]},
		{"payee before", "bob", seqs[2], 10, []*dag.Parsed{chain[1], g}},
		{"genesis only", "dave", 0, 10, []*dag.Parsed{g}},
		{"stranger", "nobody", 0, 10, nil},
	}
	view(t, s, func(r dag.ReadTx) error {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := history(t, r, f.pubs[tc.owner], tc.before, tc.limit)
				if want := ids(tc.want...); !slices.Equal(got, want) {
					t.Errorf("HistoryOf(%s, %d, %d) = %v, want %v", tc.owner, tc.before, tc.limit, got, want)
				}
			})
		}
		return nil
	})
}

func testStoreSince(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, recs := doubleSpend(t, s, f)
	all := []*dag.Parsed{g, t1, t2}
	view(t, s, func(r dag.ReadTx) error {
		for start := 0; start <= len(all); start++ {
			got := since(t, r, uint64(start))
			if len(got) != len(all)-start {
				t.Errorf("Since(%d) returned %d records, want %d", start, len(got), len(all)-start)
				continue
			}
			for i, rec := range got {
				want := recs[start+i]
				if rec.ID != want.ID || rec.Seq != want.Seq || rec.State != want.State || !bytes.Equal(rec.Raw, want.Raw) {
					t.Errorf("Since(%d)[%d] = %s seq %d %v, want %s seq %d %v", start, i, rec.ID, rec.Seq, rec.State, want.ID, want.Seq, want.State)
				}
			}
		}
		n := 0
		if err := r.Since(0, func(*dag.Record) bool { n++; return false }); err != nil || n != 1 {
			t.Errorf("Since stopping at once: %d calls, %v; want 1, nil", n, err)
		}
		return nil
	})
}

func testStoreRange(t *testing.T, s dag.Store, f *storeFixture) {
	g, t1, t2, _ := doubleSpend(t, s, f)
	t3 := f.spend(t, "bob", []dag.OutPoint{op(g, 1)}, "", payment{"dave", Funds})
	put(t, s, t3, dag.StateAccepted, 0)
	sorted := sortedIDs(ids(g, t1, t2, t3))
	after := func(id dag.TxID) dag.TxID { id[dag.TxIDSize-1]++; return id }
	max := dag.TxID{}
	for i := range max {
		max[i] = 0xff
	}
	tests := []struct {
		name     string
		from, to dag.TxID
		want     []dag.TxID
	}{
		{"everything", dag.TxID{}, dag.TxID{}, sorted},
		{"from inclusive", sorted[1], dag.TxID{}, sorted[1:]},
		{"to exclusive", dag.TxID{}, sorted[2], sorted[:2]},
		{"inner", sorted[1], sorted[3], sorted[1:3]},
		{"between keys", after(sorted[0]), after(sorted[2]), sorted[1:3]},
		{"single", sorted[2], after(sorted[2]), sorted[2:3]},
		{"empty", sorted[2], sorted[2], nil},
		{"past the end", max, dag.TxID{}, nil},
	}
	view(t, s, func(r dag.ReadTx) error {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if got := rangeIDs(t, r, tc.from, tc.to); !slices.Equal(got, tc.want) {
					t.Errorf("Range = %v, want %v", got, tc.want)
				}
			})
		}
		n := 0
		if err := r.Range(dag.TxID{}, dag.TxID{}, func(dag.TxID) bool { n++; return n < 2 }); err != nil || n != 2 {
			t.Errorf("Range stopping after two: %d calls, %v; want 2, nil", n, err)
		}
		return nil
	})
}

func testStoreDigest(t *testing.T, s dag.Store, f *storeFixture) {
	g := f.genesis
	put(t, s, g, dag.StateAccepted, 0)
	stored := []*dag.Parsed{g}
	for i, owner := range storeFixtureNames {
		p := f.spend(t, owner, []dag.OutPoint{op(g, uint32(i))}, "", payment{"carol", Funds})
		put(t, s, p, dag.StateAccepted, 0)
		stored = append(stored, p)
		view(t, s, func(r dag.ReadTx) error {
			if got, want := digest(t, r), accDigest(t, r, stored...); got != want {
				t.Errorf("Digest after %d txs = %v, want %v", len(stored), got, want)
			}
			return nil
		})
	}
}

package dagtest

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// TestStore is the dag.Store conformance suite: every Store implementation
// runs it (litestream's replica-client tests are the model). Each subtest
// calls open for a fresh, empty store and closes it when done.
func TestStore(t *testing.T, open func(t *testing.T) dag.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s dag.Store, f *storeFixture)
	}{
		{"Empty", testStoreEmpty},
		{"PutAccepted", testStorePutAccepted},
		{"PutConflictedState", testStorePutConflictedState},
		{"PutRejected", testStorePutRejected},
		{"PutRefused", testStorePutRefused},
		{"AddConflict", testStoreAddConflict},
		{"AddConflictUnknown", testStoreAddConflictUnknown},
		{"GetAndLookup", testStoreGetAndLookup},
		{"UnspentAndSpentBy", testStoreUnspentAndSpentBy},
		{"Output", testStoreOutput},
		{"Claims", testStoreClaims},
		{"UnspentOf", testStoreUnspentOf},
		{"HistoryOf", testStoreHistoryOf},
		{"Since", testStoreSince},
		{"Range", testStoreRange},
		{"Digest", testStoreDigest},
		{"SetStateFlip", testStoreSetStateFlip},
		{"SetStateRefused", testStoreSetStateRefused},
		{"SetStateFinal", testStoreSetStateFinal},
		{"Contested", testStoreContested},
		{"Certificate", testStoreCertificate},
		{"UpdateRollback", testStoreUpdateRollback},
		{"ReadOwnWrites", testStoreReadOwnWrites},
		{"Closed", testStoreClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if tc.name != "Closed" { // that one closes the store itself
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
			}
			tc.fn(t, s, newStoreFixture(t))
		})
	}
}

// storeFixture names the keys of a NewNetwork of four: alice, bob, carol
// and dave, whose genesis outputs are 0 to 3, Funds each.
type storeFixture struct {
	net     *dag.Network
	genesis *dag.Parsed
	keys    map[string]ed25519.PrivateKey
	pubs    map[string]dag.PubKey
}

var storeFixtureNames = []string{"alice", "bob", "carol", "dave"}

func newStoreFixture(t *testing.T) *storeFixture {
	t.Helper()
	net, keys := NewNetwork(t, len(storeFixtureNames))
	f := &storeFixture{net: net, genesis: net.Genesis, keys: map[string]ed25519.PrivateKey{}, pubs: map[string]dag.PubKey{}}
	for i, name := range storeFixtureNames {
		f.keys[name], f.pubs[name] = keys[i], PubKey(keys[i])
	}
	// nobody owns nothing and signs nothing.
	f.pubs["nobody"] = dag.PubKey{0xee}
	return f
}

// spend signs a transaction by signer spending prevs into outs (owner
// name and amount, in order). memo makes otherwise equal transactions
// distinct.
func (f *storeFixture) spend(t *testing.T, signer string, prevs []dag.OutPoint, memo string, outs ...payment) *dag.Parsed {
	t.Helper()
	tx := &dag.Tx{Memo: memo}
	for _, op := range prevs {
		tx.Prev = append(tx.Prev, op.String())
	}
	for _, o := range outs {
		tx.Out = append(tx.Out, Out(f.net, f.keys[o.to], o.amount))
	}
	return Sign(t, f.net, f.keys[signer], tx)
}

type payment struct {
	to     string
	amount dag.Amount
}

func op(p *dag.Parsed, i uint32) dag.OutPoint { return dag.OutPoint{TxID: p.ID, Index: i} }

// put stores p with the given state in its own Update and returns the
// record Put filled in.
func put(t *testing.T, s dag.Store, p *dag.Parsed, state dag.State, code dag.ErrorCode) *dag.Record {
	t.Helper()
	rec := &dag.Record{ID: p.ID, Raw: p.Raw, State: state, Code: code, FirstSeen: 1_000 + int64(len(p.Raw))}
	if err := s.Update(func(w dag.WriteTx) error { return w.Put(p, rec) }); err != nil {
		t.Fatalf("put %s: %v", p.ID, err)
	}
	return rec
}

func view(t *testing.T, s dag.Store, fn func(r dag.ReadTx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func checkRecord(t *testing.T, s dag.Store, want *dag.Record) {
	t.Helper()
	view(t, s, func(r dag.ReadTx) error {
		got, err := r.Get(want.ID)
		if err != nil {
			t.Errorf("Get(%s): %v", want.ID, err)
			return nil
		}
		if got.ID != want.ID || !bytes.Equal(got.Raw, want.Raw) || got.State != want.State ||
			got.Code != want.Code || got.FirstSeen != want.FirstSeen || got.Seq != want.Seq {
			t.Errorf("Get(%s) = {state %v code %v seen %d seq %d raw %d bytes}, want {state %v code %v seen %d seq %d raw %d bytes}",
				want.ID, got.State, got.Code, got.FirstSeen, got.Seq, len(got.Raw),
				want.State, want.Code, want.FirstSeen, want.Seq, len(want.Raw))
		}
		if !sameIDs(got.Conflicts, want.Conflicts) {
			t.Errorf("Get(%s).Conflicts = %v, want %v", want.ID, got.Conflicts, want.Conflicts)
		}
		st, err := r.State(want.ID)
		if err != nil || st != want.State {
			t.Errorf("State(%s) = %v, %v; want %v", want.ID, st, err, want.State)
		}
		return nil
	})
}

// sameIDs compares two ID lists as sets (order is not part of the contract).
func sameIDs(a, b []dag.TxID) bool {
	a, b = sortedIDs(a), sortedIDs(b)
	return slices.Equal(a, b)
}

func sortedIDs(ids []dag.TxID) []dag.TxID {
	s := slices.Clone(ids)
	slices.SortFunc(s, func(x, y dag.TxID) int { return bytes.Compare(x[:], y[:]) })
	return s
}

func checkUnspent(t *testing.T, r dag.ReadTx, o dag.OutPoint, want *dag.TxOut) {
	t.Helper()
	checkTxOut(t, "Unspent", r.Unspent, o, want)
}

func checkOutput(t *testing.T, r dag.ReadTx, o dag.OutPoint, want *dag.TxOut) {
	t.Helper()
	checkTxOut(t, "Output", r.Output, o, want)
}

// checkTxOut checks what the ReadTx method name (get) returns for o: want,
// or ErrNotFound if want is nil.
func checkTxOut(t *testing.T, name string, get func(dag.OutPoint) (dag.TxOut, error), o dag.OutPoint, want *dag.TxOut) {
	t.Helper()
	got, err := get(o)
	switch {
	case want == nil && !errors.Is(err, dag.ErrNotFound):
		t.Errorf("%s(%s) = %v, %v; want ErrNotFound", name, o, got, err)
	case want != nil && (err != nil || got != *want):
		t.Errorf("%s(%s) = %v, %v; want %v", name, o, got, err, *want)
	}
}

func checkSpentBy(t *testing.T, r dag.ReadTx, o dag.OutPoint, want *dag.Parsed) {
	t.Helper()
	got, err := r.SpentBy(o)
	switch {
	case want == nil && !errors.Is(err, dag.ErrNotFound):
		t.Errorf("SpentBy(%s) = %s, %v; want ErrNotFound", o, got, err)
	case want != nil && (err != nil || got != want.ID):
		t.Errorf("SpentBy(%s) = %s, %v; want %s", o, got, err, want.ID)
	}
}

func checkChildren(t *testing.T, r dag.ReadTx, id dag.TxID, want ...*dag.Parsed) {
	t.Helper()
	got, err := r.Children(id)
	if err != nil && !(len(want) == 0 && errors.Is(err, dag.ErrNotFound)) {
		t.Errorf("Children(%s): %v", id, err)
		return
	}
	if !sameIDs(got, ids(want...)) {
		t.Errorf("Children(%s) = %v, want %v", id, got, ids(want...))
	}
}

func ids(ps ...*dag.Parsed) []dag.TxID {
	out := make([]dag.TxID, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// unspentOf collects UnspentOf(owner) into a map.
func unspentOf(t *testing.T, r dag.ReadTx, owner dag.PubKey) map[dag.OutPoint]dag.TxOut {
	t.Helper()
	got := map[dag.OutPoint]dag.TxOut{}
	err := r.UnspentOf(owner, func(o dag.OutPoint, out dag.TxOut) bool {
		if _, dup := got[o]; dup {
			t.Errorf("UnspentOf reports %s twice", o)
		}
		got[o] = out
		return true
	})
	if err != nil {
		t.Errorf("UnspentOf: %v", err)
	}
	return got
}

func checkUnspentOf(t *testing.T, r dag.ReadTx, owner dag.PubKey, want map[dag.OutPoint]dag.TxOut) {
	t.Helper()
	got := unspentOf(t, r, owner)
	if len(got) != len(want) {
		t.Errorf("UnspentOf(%x) = %v, want %v", owner[:4], got, want)
		return
	}
	for o, w := range want {
		if g, ok := got[o]; !ok || g != w {
			t.Errorf("UnspentOf(%x)[%s] = %v (found %v), want %v", owner[:4], o, g, ok, w)
		}
	}
}

func history(t *testing.T, r dag.ReadTx, owner dag.PubKey, before uint64, limit int) []dag.TxID {
	t.Helper()
	got, err := r.HistoryOf(owner, before, limit)
	if err != nil {
		t.Errorf("HistoryOf: %v", err)
	}
	return got
}

func since(t *testing.T, r dag.ReadTx, seq uint64) []*dag.Record {
	t.Helper()
	var got []*dag.Record
	if err := r.Since(seq, func(rec *dag.Record) bool { got = append(got, rec); return true }); err != nil {
		t.Errorf("Since(%d): %v", seq, err)
	}
	return got
}

func rangeIDs(t *testing.T, r dag.ReadTx, from, to dag.TxID) []dag.TxID {
	t.Helper()
	var got []dag.TxID
	if err := r.Range(from, to, func(id dag.TxID) bool { got = append(got, id); return true }); err != nil {
		t.Errorf("Range: %v", err)
	}
	return got
}

func digest(t *testing.T, r dag.ReadTx) dag.Digest {
	t.Helper()
	d, err := r.Digest()
	if err != nil {
		t.Errorf("Digest: %v", err)
	}
	return d
}

// accDigest is the Digest of a ledger that holds ps in the states r gives.
func accDigest(t *testing.T, r dag.ReadTx, ps ...*dag.Parsed) dag.Digest {
	t.Helper()
	var a dag.Accumulator
	for _, p := range ps {
		st, err := r.State(p.ID)
		if err != nil {
			t.Fatalf("State(%s): %v", p.ID, err)
		}
		a.AddRecord(p.ID, st.Accepted())
	}
	return a.Digest()
}

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

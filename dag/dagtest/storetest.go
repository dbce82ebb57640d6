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

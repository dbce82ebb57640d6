package store

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	bolt "go.etcd.io/bbolt"
)

// TestClaimsBackfill: in a file written before the claims bucket existed,
// evidence L named o1, o2 and o3, lost o1 to W, and D spent o2 without
// being marked. Open indexes L's claims and marks D conflicted with it, and
// E, a later spend of o3, is conflicted with L too.
func TestClaimsBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttx.db")
	net, keys := dagtest.NewNetwork(t, 2)
	alice, bob := keys[0], keys[1]
	split := dagtest.Spend(t, net, alice, []dag.OutPoint{dagtest.GenesisOut(net, 0)},
		dagtest.Out(net, alice, 600), dagtest.Out(net, alice, 300), dagtest.Out(net, alice, dagtest.Funds-900))
	o := func(i uint32) dag.OutPoint { return dag.OutPoint{TxID: split.ID, Index: i} }
	w := dagtest.Spend(t, net, alice, []dag.OutPoint{o(0)}, dagtest.Out(net, bob, 600))
	l := dagtest.Spend(t, net, alice, []dag.OutPoint{o(0), o(1), o(2)}, dagtest.Out(net, bob, dagtest.Funds))
	d := dagtest.Spend(t, net, alice, []dag.OutPoint{o(1)}, dagtest.Out(net, bob, 300))
	e := dagtest.Spend(t, net, alice, []dag.OutPoint{o(2)}, dagtest.Out(net, bob, dagtest.Funds-900))

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*dag.Parsed{split, w, l} {
		if _, err := g.Add(t.Context(), p.Raw, ""); err != nil {
			t.Fatal(err)
		}
	}
	g.Close()
	err = s.Update(func(tx dag.WriteTx) error { // as the old Graph did
		return tx.Put(d, &dag.Record{ID: d.ID, Raw: d.Raw, State: dag.StateAccepted, FirstSeen: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	patch(t, path, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketClaims) })

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // after the Graph's cleanup
	err = s.View(func(r dag.ReadTx) error {
		for i := range uint32(3) {
			if got, err := r.Claims(o(i)); err != nil || !slices.Equal(got, []dag.TxID{l.ID}) {
				t.Errorf("Claims(%s) after reopen = %v, %v; want [%s]", o(i), got, err, l.ID)
			}
		}
		if rec, err := r.Get(d.ID); err != nil || rec.State != dag.StateConflicted || !slices.Equal(rec.Conflicts, []dag.TxID{l.ID}) {
			t.Errorf("D after reopen = %+v, %v; want conflicted with L", rec, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.Stats(); err != nil || st.Accepted != 2 || st.Conflicted != 2 || st.Rejected != 1 {
		t.Errorf("Stats after reopen = %+v, %v; want 2 accepted, 2 conflicted, 1 rejected", st, err)
	}
	g = dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: s}) // checks the invariants at the end
	if res, err := g.Add(t.Context(), e.Raw, ""); err != nil || res.State != dag.StateConflicted {
		t.Errorf("Add(spend of a claimed output) = %+v, %v; want conflicted", res, err)
	}
}

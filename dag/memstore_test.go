package dag_test

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// The conformance suite (dagtest.TestStore) runs against MemStore in
// package dagtest; these tests cover what is particular to MemStore.

// memLedger stores the genesis and n generated transactions in a MemStore,
// one Update each, and returns one more valid transaction, not stored.
func memLedger(t *testing.T, n int) (s *dag.MemStore, stored []*dag.Parsed, next *dag.Parsed) {
	t.Helper()
	net, keys := dagtest.NewNetwork(t, 5)
	s = dag.NewMemStore()
	t.Cleanup(func() { s.Close() })
	stored = []*dag.Parsed{net.Genesis}
	for _, tx := range dagtest.NewGen(t, net, keys, 3).Next(n + 1) {
		p, err := dag.Decode(tx.Raw)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, p)
	}
	stored, next = stored[:n+1], stored[n+1]
	for _, p := range stored {
		if err := s.Update(func(w dag.WriteTx) error { return putAccepted(w, p) }); err != nil {
			t.Fatalf("put %s: %v", p.ID, err)
		}
	}
	return s, stored, next
}

func putAccepted(w dag.WriteTx, p *dag.Parsed) error {
	return w.Put(p, &dag.Record{ID: p.ID, Raw: p.Raw, State: dag.StateAccepted})
}

// snapshot is what a rollback must leave unchanged.
type snapshot struct {
	ids     []dag.TxID
	digest  dag.Digest
	records int
	unspent []dag.TxOut // of next's prevs
}

func takeSnapshot(t *testing.T, s dag.Store, next *dag.Parsed) snapshot {
	t.Helper()
	var sn snapshot
	err := s.View(func(r dag.ReadTx) error {
		r.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool { sn.ids = append(sn.ids, id); return true })
		r.Since(0, func(*dag.Record) bool { sn.records++; return true })
		for _, op := range next.Prev {
			out, err := r.Unspent(op)
			if err != nil {
				return err
			}
			sn.unspent = append(sn.unspent, out)
		}
		var err error
		sn.digest, err = r.Digest()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

func TestMemStoreRollback(t *testing.T) {
	errAbort := errors.New("abort")
	tests := []struct {
		name  string
		end   func() error // how fn ends after its writes
		panic bool
	}{
		{"error", func() error { return errAbort }, false},
		{"panic", func() error { panic("boom") }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, stored, next := memLedger(t, 30)
			before := takeSnapshot(t, s, next)
			var err error
			func() {
				defer func() {
					if r := recover(); (r != nil) != tc.panic {
						t.Errorf("recovered %v, want a panic: %v", r, tc.panic)
					}
				}()
				err = s.Update(func(w dag.WriteTx) error {
					if err := putAccepted(w, next); err != nil {
						return err
					}
					// Range merges next into the sorted index, which
					// the rollback must undo too.
					n := 0
					w.Range(dag.TxID{}, dag.TxID{}, func(dag.TxID) bool { n++; return true })
					if n != len(stored)+1 {
						t.Errorf("Range inside the update saw %d IDs, want %d", n, len(stored)+1)
					}
					if err := w.AddConflict(stored[1].ID, next.ID); err != nil {
						return err
					}
					return tc.end()
				})
			}()
			if !tc.panic && !errors.Is(err, errAbort) {
				t.Errorf("Update = %v, want fn's error", err)
			}
			after := takeSnapshot(t, s, next)
			if !slices.Equal(after.ids, before.ids) || after.digest != before.digest ||
				after.records != before.records || !slices.Equal(after.unspent, before.unspent) {
				t.Errorf("after rollback: %d IDs, digest %v, %d records, unspent %v; before: %d, %v, %d, %v",
					len(after.ids), after.digest, after.records, after.unspent,
					len(before.ids), before.digest, before.records, before.unspent)
			}
			s.View(func(r dag.ReadTx) error {
				if st, _ := r.State(stored[1].ID); st != dag.StateAccepted {
					t.Errorf("conflict not rolled back: %v", st)
				}
				return nil
			})
			// The store is still usable, and next gets the Seq it would have had.
			if err := s.Update(func(w dag.WriteTx) error { return putAccepted(w, next) }); err != nil {
				t.Fatal(err)
			}
			s.View(func(r dag.ReadTx) error {
				if rec, err := r.Get(next.ID); err != nil || rec.Seq != uint64(len(stored)+1) {
					t.Errorf("Get(next) = %+v, %v; want Seq %d", rec, err, len(stored)+1)
				}
				return nil
			})
		})
	}
}

func TestMemStorePutRefuses(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	s := dag.NewMemStore()
	defer s.Close()
	g0 := dagtest.GenesisOut(net, 0)
	a := dagtest.Spend(t, net, keys[0], []dag.OutPoint{g0}, dagtest.Out(net, keys[1], dagtest.Funds))
	b := dagtest.Spend(t, net, keys[0], []dag.OutPoint{g0}, dagtest.Out(net, keys[0], dagtest.Funds))
	for _, p := range []*dag.Parsed{net.Genesis, a} {
		if err := s.Update(func(w dag.WriteTx) error { return putAccepted(w, p) }); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		p    *dag.Parsed
		rec  dag.Record
	}{
		{"stored already", a, dag.Record{ID: a.ID, State: dag.StateAccepted}},
		{"ID mismatch", b, dag.Record{ID: a.ID, State: dag.StateRejected}},
		{"pending state", b, dag.Record{ID: b.ID, State: dag.StatePending}},
		{"unknown state", b, dag.Record{ID: b.ID}},
		{"accepted spending a spent output", b, dag.Record{ID: b.ID, State: dag.StateAccepted}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Update(func(w dag.WriteTx) error { return w.Put(tc.p, &tc.rec) }); err == nil {
				t.Error("Put succeeded")
			}
			dagtest.CheckInvariants(t, s, net)
		})
	}
	// As evidence, the double spend is stored.
	rec := dag.Record{ID: b.ID, State: dag.StateRejected, Code: dag.ErrDoubleSpend}
	if err := s.Update(func(w dag.WriteTx) error { return w.Put(b, &rec) }); err != nil {
		t.Errorf("Put(double spend as rejected): %v", err)
	}
}

func TestMemStoreGetReturnsCopies(t *testing.T) {
	s, stored, _ := memLedger(t, 3)
	id := stored[1].ID
	if err := s.Update(func(w dag.WriteTx) error { return w.AddConflict(id, stored[2].ID) }); err != nil {
		t.Fatal(err)
	}
	s.View(func(r dag.ReadTx) error {
		rec, _ := r.Get(id)
		rec.Raw[0] = 'X'
		rec.Conflicts[0] = dag.TxID{}
		return nil
	})
	s.View(func(r dag.ReadTx) error {
		rec, _ := r.Get(id)
		if !bytes.Equal(rec.Raw, stored[1].Raw) || rec.Conflicts[0] != stored[2].ID {
			t.Error("changing a returned Record changed the store")
		}
		return nil
	})
}

func TestMemStoreWriteAfterUpdate(t *testing.T) {
	s, _, next := memLedger(t, 1)
	var leaked dag.WriteTx
	s.Update(func(w dag.WriteTx) error { leaked = w; return nil })
	if err := putAccepted(leaked, next); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("Put after Update returned: %v, want ErrClosed", err)
	}
}

// TestMemStoreConcurrentViews: readers that merge the Range index race
// with a writer. Run with -race.
func TestMemStoreConcurrentViews(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 5)
	s := dag.NewMemStore()
	defer s.Close()
	txs := append([]*dag.Parsed{net.Genesis}, decodeAll(t, dagtest.NewGen(t, net, keys, 5).Raws(400))...)
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, p := range txs {
			if err := s.Update(func(w dag.WriteTx) error { return putAccepted(w, p) }); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 200 {
				s.View(func(r dag.ReadTx) error {
					var ids []dag.TxID
					r.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool { ids = append(ids, id); return true })
					d, _ := r.Digest()
					if uint64(len(ids)) != d.Count || !slices.IsSortedFunc(ids, func(a, b dag.TxID) int { return bytes.Compare(a[:], b[:]) }) {
						t.Errorf("Range gave %d IDs (sorted %v), Digest counts %d", len(ids), slices.IsSortedFunc(ids, func(a, b dag.TxID) int { return bytes.Compare(a[:], b[:]) }), d.Count)
					}
					return nil
				})
			}
		})
	}
	wg.Wait()
	dagtest.CheckInvariants(t, s, net)
}

func decodeAll(t *testing.T, raws [][]byte) []*dag.Parsed {
	t.Helper()
	ps := make([]*dag.Parsed, len(raws))
	for i, raw := range raws {
		p, err := dag.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = p
	}
	return ps
}

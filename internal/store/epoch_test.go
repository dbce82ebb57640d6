package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	bolt "go.etcd.io/bbolt"
)

// TestLookupEpochs: v1 lookups find transactions on both sides of an epoch
// boundary of the v1 index. The store starts at seq 65,534 (its meta is
// patched), so the three transactions get seqs 65,535 to 65,537.
func TestLookupEpochs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttx.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	const start = 1<<DefaultEpochBits - 2
	patch(t, path, func(tx *bolt.Tx) error {
		b, err := encodeMeta(&meta{LastSeq: start, Count: start, Accepted: start, EpochBits: DefaultEpochBits})
		if err != nil {
			return err
		}
		return newBucket(tx, bucketMeta, nil).Put(metaStateKey, b)
	})
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	net, keys := dagtest.NewNetwork(t, 2)
	t1 := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, dagtest.Out(net, keys[1], 5))
	t2 := dagtest.Spend(t, net, keys[1], []dag.OutPoint{dagtest.GenesisOut(net, 1)}, dagtest.Out(net, keys[0], 7))
	txs := []*dag.Parsed{net.Genesis, t1, t2}
	for i, p := range txs {
		rec := &dag.Record{ID: p.ID, Raw: p.Raw, State: dag.StateAccepted}
		if err := s.Update(func(w dag.WriteTx) error { return w.Put(p, rec) }); err != nil {
			t.Fatal(err)
		}
		if want := uint64(start + 1 + i); rec.Seq != want {
			t.Fatalf("Put assigned Seq %d, want %d", rec.Seq, want)
		}
	}
	unknown := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 1)}, dagtest.Out(net, keys[1], 5))
	err = s.View(func(r dag.ReadTx) error {
		for _, p := range txs {
			if got, err := r.Lookup(p.V1); err != nil || got != p.ID {
				t.Errorf("Lookup(v1 of %s) = %s, %v", p.ID, got, err)
			}
		}
		if _, err := r.Lookup(unknown.V1); !errors.Is(err, dag.ErrNotFound) {
			t.Errorf("Lookup(unknown v1) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSweep: with epochs of 8 seqs, the commits after each group of
// finished epochs delete the utxo entries of all their spends, and keep
// up: fewer than two groups are not swept yet.
func TestSweep(t *testing.T) {
	s := openTemp(t, Options{epochBits: 3})
	net := ingest(t, s, 500)
	dagtest.CheckInvariants(t, s, net)
	err := s.db.View(func(tx *bolt.Tx) error {
		m, err := decodeMeta(newBucket(tx, bucketMeta, nil).Get(metaStateKey))
		if err != nil {
			return err
		}
		if cur := epochOf(m.LastSeq, m.EpochBits); m.Swept+2*sweepGroup <= cur {
			t.Errorf("swept to epoch %d of %d", m.Swept, cur)
		}
		utxo := newBucket(tx, bucketUTXO, nil)
		var swept, left int
		c := newBucket(tx, bucketSpent, nil).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			e, parent, idx, err := decodeSpentKey(k)
			if err != nil {
				return err
			}
			_, acct, err := decodeSpent(v)
			if err != nil {
				return err
			}
			listed := utxo.Get(utxoKey(acct, parent, idx)) != nil
			switch {
			case e < m.Swept && listed:
				t.Errorf("output %d:%d spent in swept epoch %d is still in utxo", parent, idx, e)
			case e < m.Swept:
				swept++
			case listed:
				left++
			}
		}
		t.Logf("swept to epoch %d: %d spends swept, %d waiting", m.Swept, swept, left)
		if swept < 300 {
			t.Errorf("only %d spends swept", swept)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadsDuringIngest: Views that run while a Graph commits (epochs of
// 8 seqs, so that filters are made, saved and dropped and sweeps run all
// along) each see one consistent state: Range lists Digest's count of
// IDs, each of them stored, and an output of an accepted tx is unspent
// exactly when it has no spender.
func TestReadsDuringIngest(t *testing.T) {
	s := openTemp(t, Options{epochBits: 3})
	net, keys := dagtest.NewNetwork(t, 20)
	gen := dagtest.NewGen(t, net, keys, 3)
	gen.DoubleSpendRate = 0.1
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	n := 2000
	if testing.Short() {
		n = 800
	}
	raws := gen.Raws(n)

	done := make(chan struct{})
	var views atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := s.View(func(r dag.ReadTx) error { return checkView(r) }); err != nil {
					t.Error(err)
					return
				}
				views.Add(1)
			}
		})
	}
	for start := 0; start < len(raws); start += 50 {
		if _, err := g.AddBatch(context.Background(), raws[start:start+50], ""); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if views.Load() < 10 {
		t.Errorf("only %d views ran during the ingest", views.Load())
	}
	t.Logf("%d consistent views during the ingest", views.Load())
	dagtest.CheckInvariants(t, s, net)
}

// checkView checks that r is one consistent state (TestReadsDuringIngest).
func checkView(r dag.ReadTx) error {
	d, err := r.Digest()
	if err != nil {
		return err
	}
	var ids []dag.TxID
	if err := r.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool { ids = append(ids, id); return true }); err != nil {
		return err
	}
	if uint64(len(ids)) != d.Count {
		return fmt.Errorf("Range lists %d IDs, Digest counts %d", len(ids), d.Count)
	}
	for _, id := range ids {
		rec, err := r.Get(id)
		if err != nil {
			return fmt.Errorf("Get(%s) of a listed ID: %v", id, err)
		}
		if !rec.State.Accepted() {
			continue
		}
		p, err := dag.Decode(rec.Raw)
		if err != nil {
			return err
		}
		for i := range p.Out {
			op := dag.OutPoint{TxID: id, Index: uint32(i)}
			_, uerr := r.Unspent(op)
			_, serr := r.SpentBy(op)
			if errors.Is(uerr, dag.ErrNotFound) == errors.Is(serr, dag.ErrNotFound) {
				return fmt.Errorf("%s: Unspent says %v, SpentBy %v", op, uerr, serr)
			}
		}
	}
	return nil
}

// TestFlipAfterSweep: SetState moves double spends from one side to the
// other long after their epochs were swept (epochs of 8 seqs), and the
// store stays consistent, before and after more ingest and a reopen.
func TestFlipAfterSweep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttx.db")
	s, err := Open(path, Options{epochBits: 3, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	net, keys := dagtest.NewNetwork(t, 20)
	gen := dagtest.NewGen(t, net, keys, 7)
	gen.DoubleSpendRate = 0.2
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddBatch(context.Background(), gen.Raws(600), ""); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	var pairs [][2]*dag.Record
	err = s.View(func(r dag.ReadTx) error {
		return r.Contested(func(rec *dag.Record) bool {
			if rec.State.Accepted() && len(rec.Conflicts) == 1 {
				other, err := r.Get(rec.Conflicts[0])
				if err == nil && other.State == dag.StateRejected {
					pairs = append(pairs, [2]*dag.Record{rec, other})
				}
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	flipped := 0
	for _, pair := range pairs {
		winner, loser := mustDecode(t, pair[0].Raw), mustDecode(t, pair[1].Raw)
		err := s.Update(func(w dag.WriteTx) error {
			if err := w.SetState(winner, dag.StateRejected, dag.ErrLostVote); err != nil {
				return err
			}
			return w.SetState(loser, dag.StateConflicted, 0)
		})
		if err == nil {
			flipped++
		}
	}
	t.Logf("%d of %d contested pairs flipped", flipped, len(pairs))
	if flipped < 5 {
		t.Fatalf("only %d flips", flipped)
	}
	dagtest.CheckInvariants(t, s, net)
	if err := s.View(checkView); err != nil {
		t.Fatal(err)
	}
	// More ingest: the sweep passes the epochs the flips changed.
	g, err = dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddBatch(context.Background(), gen.Raws(400), ""); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	dagtest.CheckInvariants(t, s, net)
	if err := s.View(checkView); err != nil {
		t.Fatal(err)
	}
	want, _ := snapshot(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dagtest.CheckInvariants(t, s, net)
	if got, _ := snapshot(t, s); got != want {
		t.Errorf("Digest after reopen = %v, want %v", got, want)
	}
}

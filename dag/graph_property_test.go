package dag_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// TestGraphConservation feeds thousands of random valid transactions and
// double spends in random order (so many wait as orphans), in batches and
// from concurrent callers; the ledger invariants (checked at cleanup by
// dagtest.NewGraph) must hold and nothing may stay pending.
func TestGraphConservation(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 800
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			net, keys := dagtest.NewNetwork(t, 30)
			g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Orphans: dag.OrphanLimits{MaxCount: n, MaxPerSource: n}})
			gen := dagtest.NewGen(t, net, keys, seed)
			gen.DoubleSpendRate = 0.05
			txs := gen.Next(n)
			rng := rand.New(rand.NewPCG(seed, 99))
			rng.Shuffle(len(txs), func(i, j int) { txs[i], txs[j] = txs[j], txs[i] })

			var wg sync.WaitGroup
			for w := range 4 { // four callers, each with its share in random batches
				wg.Go(func() {
					var share [][]byte
					for i := w; i < len(txs); i += 4 {
						share = append(share, txs[i].Raw)
					}
					sizes := rand.New(rand.NewPCG(seed, uint64(w)))
					for len(share) > 0 {
						k := min(len(share), 1+sizes.IntN(200))
						if _, err := g.AddBatch(context.Background(), share[:k], "peer"); err != nil {
							t.Errorf("AddBatch: %v", err)
							return
						}
						share = share[k:]
					}
				})
			}
			wg.Wait()

			counts := map[dag.State]int{}
			for _, tx := range txs {
				st, err := g.State(tx.ID)
				if err != nil {
					t.Fatal(err)
				}
				counts[st]++
			}
			if counts[dag.StatePending]+counts[dag.StateUnknown] != 0 || len(g.Missing()) != 0 {
				t.Errorf("after every tx arrived: %v, missing %d", counts, len(g.Missing()))
			}
			if counts[dag.StateConflicted] == 0 || counts[dag.StateRejected] == 0 {
				t.Errorf("no double spend was settled: %v", counts)
			}
			t.Logf("%d txs: %v", n, counts)
		})
	}
}

// TestGraphDigestIndependence: two stores fed the same transactions in
// different orders hold the same set.
func TestGraphDigestIndependence(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 10)
	raws := dagtest.NewGen(t, net, keys, 7).Raws(1500)
	shuffled := slices.Clone(raws)
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	var digests []dag.Digest
	for _, order := range [][][]byte{raws, shuffled} {
		s := dag.NewMemStore()
		t.Cleanup(func() { s.Close() })
		g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: s, Orphans: dag.OrphanLimits{MaxCount: len(raws), MaxPerSource: len(raws)}})
		for len(order) > 0 {
			k := min(len(order), 100)
			if _, err := g.AddBatch(context.Background(), order[:k], ""); err != nil {
				t.Fatal(err)
			}
			order = order[k:]
		}
		var d dag.Digest
		if err := s.View(func(r dag.ReadTx) error { var err error; d, err = r.Digest(); return err }); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	if digests[0] != digests[1] || digests[0].Count != uint64(len(raws))+1 {
		t.Errorf("digests %v and %v, want equal with %d IDs", digests[0], digests[1], len(raws)+1)
	}
}

// TestGraphConcurrentAdd: many goroutines add the same transactions one by
// one in their own orders, while others read. Run with -race.
func TestGraphConcurrentAdd(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 10)
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net})
	txs := dagtest.NewGen(t, net, keys, 11).Next(300)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			order := slices.Clone(txs)
			rand.New(rand.NewPCG(uint64(w), 1)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, tx := range order {
				res, err := g.Add(context.Background(), tx.Raw, "peer"+string(rune('a'+w)))
				if err != nil || res.ID != tx.ID || res.State == dag.StateRejected {
					t.Errorf("Add = %+v, %v", res, err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			g.Missing()
			if _, err := g.State(txs[len(txs)-1].ID); err != nil {
				t.Errorf("State: %v", err)
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	for i, tx := range txs {
		if st, err := g.State(tx.ID); err != nil || st != dag.StateAccepted {
			t.Errorf("tx %d: %v, %v; want accepted", i, st, err)
		}
	}
}

//go:build unix

package ttxtest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

// BenchmarkFinal: one payment at a time, no conflict, from a random node
// to a random other on a mesh; the time is from Send returning until the
// last node made it final (the quiet period, ttxtest.VoteQuiet, included).
func BenchmarkFinal(b *testing.B) {
	for _, k := range []int{10, 20} {
		b.Run(fmt.Sprintf("nodes=%d", k), func(b *testing.B) {
			n := ttxtest.NewNetwork(b, names(k)...)
			connect(b, n, mesh(k))
			log := watch(b, n)
			rng := rand.New(rand.NewPCG(3, 3))
			names := n.Names()
			payments := max(b.N, 50)
			ds := make([]time.Duration, 0, payments)
			b.ResetTimer()
			start := time.Now()
			for range payments {
				from := rng.IntN(len(names))
				to := (from + 1 + rng.IntN(len(names)-1)) % len(names)
				id := n.Send(names[from], names[to], dag.Unit)
				d, _ := log.waitFinal(b, []dag.TxID{id}, time.Now())
				ds = append(ds, d)
			}
			b.StopTimer()
			b.ReportMetric(0, "ns/op")
			reportLatencies(b, ds)
			b.ReportMetric(ms(ttxtest.VoteQuiet), "quiet-ms")
			reportVotes(b, n, time.Since(start), payments)
		})
	}
}

// BenchmarkRace: the two sides of a double spend enter at two nodes of a
// mesh at the same moment; the time is until every node holds the same
// side final. Reported: p50/p99/max over the races, and how often the
// side that entered first won.
func BenchmarkRace(b *testing.B) {
	for _, k := range []int{10, 20} {
		b.Run(fmt.Sprintf("nodes=%d", k), func(b *testing.B) {
			races := max(b.N, 30)
			n := ttxtest.NewNetwork(b, names(k)...)
			connect(b, n, mesh(k))
			log := watch(b, n)
			names := n.Names()
			key := n.Key(names[0])
			outs := []dag.Output{dagtest.Out(n.Net, key, dagtest.Funds-dag.Amount(races)*dag.Unit)}
			for range races {
				outs = append(outs, dagtest.Out(n.Net, key, dag.Unit))
			}
			fund := dagtest.Spend(b, n.Net, key, []dag.OutPoint{dagtest.GenesisOut(n.Net, 0)}, outs...)
			addAll(b, n, names[0], [][]byte{fund.Raw})
			log.waitFinal(b, []dag.TxID{fund.ID}, time.Now())
			ds := make([]time.Duration, 0, races)
			b.ResetTimer()
			for r := range races {
				coin := []dag.OutPoint{{TxID: fund.ID, Index: uint32(r + 1)}}
				sa := dagtest.Spend(b, n.Net, key, coin, dagtest.Out(n.Net, n.Key(names[1]), dag.Unit))
				sb := dagtest.Spend(b, n.Net, key, coin, dagtest.Out(n.Net, n.Key(names[2]), dag.Unit))
				ga, gb := n.Node(names[r%k]).Graph(), n.Node(names[(r+k/2)%k]).Graph()
				start := time.Now()
				var wg sync.WaitGroup
				wg.Go(func() { ga.Add(context.Background(), sa.Raw, "bench") })
				wg.Go(func() { gb.Add(context.Background(), sb.Raw, "bench") })
				wg.Wait()
				d, _ := log.waitFinal(b, []dag.TxID{sa.ID, sb.ID}, start)
				ds = append(ds, d)
			}
			b.StopTimer()
			b.ReportMetric(0, "ns/op")
			reportLatencies(b, ds)
		})
	}
}

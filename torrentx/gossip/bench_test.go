package gossip

import (
	"fmt"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag/dagtest"
)

// BenchmarkPropagation measures how long a new transaction takes to cross
// a line of 5 nodes, pushed whole (PushMax 1 KiB) or announced by inv and
// wanted at every hop, and the bytes sent over all links per transaction.
func BenchmarkPropagation(b *testing.B) {
	for _, bc := range []struct {
		name    string
		pushMax int
	}{{"push", DefaultPushMax}, {"inv", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			net, keys := dagtest.NewNetwork(b, 8)
			cfg := testConfig()
			cfg.PushMax = bc.pushMax
			cfg.PingInterval = time.Hour
			nodes := make([]*node, 5)
			var links []*link
			for i := range nodes {
				nodes[i] = newNode(b, net, fmt.Sprintf("n%d", i), cfg)
				if i > 0 {
					links = append(links, connect(nodes[i-1], nodes[i]))
				}
			}
			eventually(b, 5*time.Second, "ready", converged(b, nodes))
			gen := dagtest.NewGen(b, net, keys, 7)
			txs := gen.Next(b.N)
			sent := func() (n int) {
				for _, l := range links {
					n += l.a.sentBytes() + l.b.sentBytes()
				}
				return n
			}
			before := sent()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				done := nodes[4].accepted(txs[i].ID)
				nodes[0].add(b, txs[i].Raw)
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					b.Fatalf("tx %d did not cross the line", i)
				}
			}
			b.ReportMetric(float64(sent()-before)/float64(b.N), "bytes/tx")
		})
	}
}

// BenchmarkCatchUp measures a cold sync of 10,000 transactions from one
// node to a fresh one: time and bytes.
func BenchmarkCatchUp(b *testing.B) {
	const n = 10000
	net, keys := dagtest.NewNetwork(b, 16)
	raws := dagtest.NewGen(b, net, keys, 9).Raws(n)
	var bytes int
	for b.Loop() {
		b.StopTimer()
		seed := newNode(b, net, "seed", testConfig())
		seed.add(b, raws...)
		fresh := newNode(b, net, "fresh", testConfig())
		b.StartTimer()
		l := connect(seed, fresh)
		eventually(b, time.Minute, "catch-up", converged(b, []*node{seed, fresh}))
		bytes = l.a.sentBytes() + l.b.sentBytes()
	}
	b.ReportMetric(float64(bytes), "bytes")
}

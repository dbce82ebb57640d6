//go:build unix

package ttxtest_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/ttxtest"
	"github.com/torrenttx/ttx/torrentx/gossip"
)

// relayCounts sums the gossip counters of the nodes of n.
func relayCounts(n *ttxtest.Network) gossip.Stats {
	var sum gossip.Stats
	for _, name := range n.Names() {
		st := n.Node(name).GossipStats()
		sum.MsgsIn, sum.BytesIn = sum.MsgsIn+st.MsgsIn, sum.BytesIn+st.BytesIn
		sum.MsgsOut, sum.BytesOut = sum.MsgsOut+st.MsgsOut, sum.BytesOut+st.BytesOut
		sum.TxsIn, sum.TxBytesIn = sum.TxsIn+st.TxsIn, sum.TxBytesIn+st.TxBytesIn
	}
	return sum
}

// reportRelay reports, from the gossip counters of n taken before (at
// start) and now, for txs transactions that each entered at one node: the
// copies of each received per node that did not make it (duplicates
// dropped included), the bytes every gossip message took in and out per
// node per transaction (votes and pings included), the mean tx.json size
// received (so the bytes read as copies), and the messages per node per
// transaction.
func reportRelay(b *testing.B, n *ttxtest.Network, before gossip.Stats, txs int) {
	now := relayCounts(n)
	k := float64(len(n.Names()))
	per := float64(txs) * k
	b.ReportMetric(float64(now.TxsIn-before.TxsIn)/(float64(txs)*(k-1)), "copies/node/tx")
	b.ReportMetric(float64(now.BytesIn-before.BytesIn)/per, "B-in/node/tx")
	b.ReportMetric(float64(now.BytesOut-before.BytesOut)/per, "B-out/node/tx")
	if d := now.TxsIn - before.TxsIn; d > 0 {
		b.ReportMetric(float64(now.TxBytesIn-before.TxBytesIn)/float64(d), "tx-B")
	}
	b.ReportMetric(float64(now.MsgsIn-before.MsgsIn)/per, "msgs-in/node/tx")
}

// BenchmarkSpread: one payment at a time, made with node.Send at a random
// node to a random other, reaches every node; the time is from Send
// returning on the origin until the last node accepted it. Reported: p50,
// p99 and max over the payments; the CPU the process used until every
// node made every payment final (so the vote on the last payments counts
// too), and the polls and answers each node sent per payment; and the mean
// ttx peers per node at the end (PEX may add peers to the sparse
// topologies).
func BenchmarkSpread(b *testing.B) {
	cases := []struct {
		name  string
		nodes int
		edges func(k int) [][2]int
	}{
		{name: "nodes=10/peers=4", nodes: 10, edges: func(k int) [][2]int { return sparse(k, benchPeers, 1) }},
		{name: "nodes=20/peers=4", nodes: 20, edges: func(k int) [][2]int { return sparse(k, benchPeers, 1) }},
		{name: "nodes=10/mesh", nodes: 10, edges: mesh},
		{name: "nodes=20/mesh", nodes: 20, edges: mesh},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := ttxtest.NewNetwork(b, names(c.nodes)...)
			connect(b, n, c.edges(c.nodes))
			log := watch(b, n)
			rng := rand.New(rand.NewPCG(2, 2))
			names := n.Names()
			payments := max(b.N, spreadPayments)
			ds := make([]time.Duration, 0, payments)
			ids := make([]dag.TxID, 0, payments)
			b.ResetTimer()
			relay0 := relayCounts(n)
			polls0, answers0, _ := voteTraffic(n)
			cpu0, start := dagtest.CPUTime(), time.Now()
			for range payments {
				from := rng.IntN(len(names))
				to := (from + 1 + rng.IntN(len(names)-1)) % len(names)
				id := n.Send(names[from], names[to], dag.Unit)
				ds = append(ds, log.waitSpread(b, id, time.Now()))
				ids = append(ids, id)
			}
			for _, id := range ids {
				log.waitFinal(b, []dag.TxID{id}, start)
			}
			b.StopTimer()
			reportCPU(b, cpu0, time.Since(start), payments, c.nodes)
			reportRelay(b, n, relay0, payments)
			polls, answers, _ := voteTraffic(n)
			per := float64(payments * c.nodes)
			b.ReportMetric(float64(polls-polls0)/per, "polls/node/tx")
			b.ReportMetric(float64(answers-answers0)/per, "answers/node/tx")
			b.ReportMetric(0, "ns/op")
			reportLatencies(b, ds)
			b.ReportMetric(meanPeers(b, n), "peers/node")
		})
	}
}

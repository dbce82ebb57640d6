package gossip

import (
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
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

// BenchmarkPoll measures a poll about n outputs and its answer between two
// nodes, the answer a batch of the size of a signed batch of n votes (139
// bytes and 68 per vote, as far as a message holds), and the vote bytes
// each side sends per poll, from PeerInfo's counters.
func BenchmarkPoll(b *testing.B) {
	for _, n := range []int{1, 64, 900} {
		b.Run(fmt.Sprintf("outs=%d", n), func(b *testing.B) {
			net, _ := dagtest.NewNetwork(b, 1)
			done := make(chan struct{}, 1)
			batch := make([]byte, min(139+68*n, wire.MaxBatchSize))
			va, vb := &testVoter{}, &testVoter{}
			va.onVotes = func(dag.PubKey, *wire.Votes) { done <- struct{}{} }
			cfg := testConfig()
			// Limits out of the way: this measures the round trip.
			cfg.PingInterval, cfg.PollRate, cfg.PollBurst = time.Hour, 1e9, 1e9
			cfg.MsgRate, cfg.MsgBurst, cfg.ByteRate, cfg.ByteBurst = 1e9, 1e9, 1e12, 1e12
			cfg.Voter = va
			a := newNode(b, net, "a", cfg)
			cfg.Voter = vb
			bn := newNode(b, net, "b", cfg)
			vb.onPoll = func(from dag.PubKey, p *wire.Poll) {
				if err := bn.eng.Answer(from, &wire.Votes{Req: p.Req, Batch: batch}); err != nil {
					b.Error(err)
				}
			}
			connect(a, bn)
			eventually(b, 2*time.Second, "ready", func() error {
				if ps := a.eng.Peers(); len(ps) != 1 || !ps[0].Ready {
					return fmt.Errorf("a's peers %+v", ps)
				}
				return nil
			})
			outs := make([]dag.OutPoint, n)
			for i := range outs {
				outs[i] = dag.OutPoint{TxID: dag.TxID{byte(i), byte(i >> 8), 1}, Index: uint32(i % 7)}
			}
			for i := 0; b.Loop(); i++ {
				if err := a.eng.Poll(testKey("b"), &wire.Poll{Req: uint64(i), Outs: outs}); err != nil {
					b.Fatal(err)
				}
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					b.Fatalf("poll %d not answered", i)
				}
			}
			pi := a.eng.Peers()[0]
			b.ReportMetric(float64(pi.VoteBytesOut)/float64(pi.PollsOut), "poll-bytes/poll")
			b.ReportMetric(float64(pi.VoteBytesIn)/float64(pi.PollsOut), "vote-bytes/poll")
		})
	}
}

// BenchmarkRelay: one payment at a time, each entering at a random node
// of a 20-node mesh, until every node accepted it, with the first
// announcer pushing to fanout peers. Reported: p50/p99 of that time, the
// copies each node received per transaction, the gossip bytes and
// messages each node took in per transaction, and the CPU per node per
// transaction (the whole process, divided by 20).
func BenchmarkRelay(b *testing.B) {
	const k = 20
	for _, fanout := range []int{4, DefaultPushFanout, k - 1} {
		b.Run(fmt.Sprintf("nodes=%d/fanout=%d", k, fanout), func(b *testing.B) {
			net, keys := dagtest.NewNetwork(b, k)
			cfg := testConfig()
			cfg.PushFanout = fanout
			cfg.PingInterval = time.Hour
			nodes := meshOf(b, net, k, cfg)
			gens := make([]*dagtest.Gen, k)
			for i := range gens {
				gens[i] = dagtest.NewGen(b, net, []ed25519.PrivateKey{keys[i]}, uint64(i+1))
			}
			rng := rand.New(rand.NewPCG(5, 5))
			stats := func() (s Stats) {
				for _, n := range nodes {
					st := n.eng.Stats()
					s.TxsIn, s.BytesIn, s.MsgsIn = s.TxsIn+st.TxsIn, s.BytesIn+st.BytesIn, s.MsgsIn+st.MsgsIn
				}
				return s
			}
			var ds []time.Duration
			before := stats()
			cpu0 := dagtest.CPUTime()
			for b.Loop() {
				i := rng.IntN(k)
				tx := gens[i].Next(1)[0]
				done := make([]<-chan struct{}, 0, k-1)
				for j, n := range nodes {
					if j != i {
						done = append(done, n.accepted(tx.ID))
					}
				}
				start := time.Now()
				nodes[i].add(b, tx.Raw)
				for _, ch := range done {
					select {
					case <-ch:
					case <-time.After(5 * time.Second):
						b.Fatalf("tx did not reach every node")
					}
				}
				ds = append(ds, time.Since(start))
			}
			cpu := dagtest.CPUTime() - cpu0
			after := stats()
			slices.Sort(ds)
			per := float64(len(ds)) * k
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1e3, "p50-ms")
			b.ReportMetric(float64(ds[(len(ds)*99+99)/100-1].Microseconds())/1e3, "p99-ms")
			b.ReportMetric(float64(after.TxsIn-before.TxsIn)/(float64(len(ds))*(k-1)), "copies/node/tx")
			b.ReportMetric(float64(after.BytesIn-before.BytesIn)/per, "B-in/node/tx")
			b.ReportMetric(float64(after.MsgsIn-before.MsgsIn)/per, "msgs-in/node/tx")
			b.ReportMetric(float64(cpu.Microseconds())/1e3/per, "cpu-ms/node/tx")
			b.ReportMetric(0, "ns/op")
		})
	}
}

//go:build unix

package ttxtest_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

// BenchmarkLoad injects pre-signed transactions at a steady rate (the
// target is rate=1000 per second; the lower rates show what this machine
// sustains) for 10 s (60 s with TTX_BENCH_LONG=1) across loadNodes nodes,
// each dialling benchPeers others. Each node gets its own independent
// chains (a dagtest.Gen over its own key only), so it never waits for
// another node's transactions, and adds its share with AddBatch as it falls
// due (every 10 ms at rate=1000). The time to accepted is from the
// AddBatch call until a node accepts the transaction. Reported: p50/p99/max
// of the time until the last node accepted, the p99 over every
// (transaction, node) pair (each-), the injection rate reached, how long
// the network took to converge after the last injection, the CPU it
// used, and how many (transaction, node) pairs are missing at the end
// (lost; must be 0).
func BenchmarkLoad(b *testing.B) {
	dur := 10 * time.Second
	if os.Getenv(longEnv) == "1" {
		dur = 60 * time.Second
	}
	for _, rate := range []int{100, 250, 1000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchLoad(b, rate, dur) })
	}
}

func benchLoad(b *testing.B, rate int, dur time.Duration) {
	n := ttxtest.NewNetwork(b, names(loadNodes)...)
	connect(b, n, sparse(loadNodes, benchPeers, 1))
	perNode := int(dur.Seconds()) * rate / loadNodes
	chains := make([][]dagtest.GenTx, loadNodes)
	for i, key := range n.Keys() {
		chains[i] = dagtest.NewGen(b, n.Net, []ed25519.PrivateKey{key}, uint64(i+1)).Next(perNode)
	}
	log := watch(b, n)
	names := n.Names()
	// sent[i][k] is when chains[i][k] was handed to its node.
	sent := make([][]time.Time, loadNodes)
	every := time.Duration(loadNodes) * time.Second / time.Duration(rate)
	b.ResetTimer()
	relay0 := relayCounts(n)
	cpu0, start := dagtest.CPUTime(), time.Now()
	var wg sync.WaitGroup
	for i, name := range names {
		sent[i] = make([]time.Time, perNode)
		g := n.Node(name).Graph()
		// Stagger the nodes over one interval.
		first := start.Add(time.Duration(i) * every / loadNodes)
		wg.Go(func() { inject(b, g, chains[i], sent[i], first, every) })
	}
	wg.Wait()
	injected := time.Since(start)
	// A network that falls behind drains its backlog after the injection:
	// give it ten times as long as the injection took.
	n.WaitConverged(max(benchWait, 10*injected))
	drain := time.Since(start) - injected
	b.StopTimer()
	reportCPU(b, cpu0, injected+drain, loadNodes*perNode, loadNodes)
	reportRelay(b, n, relay0, loadNodes*perNode)

	var each, last []time.Duration
	lost, unseen := 0, 0
	for i, chain := range chains {
		for k, tx := range chain {
			var worst time.Duration
			complete := true
			for j, name := range names {
				log.mu.Lock()
				at, ok := log.at[j][tx.ID]
				log.mu.Unlock()
				if ok {
					d := max(at.Sub(sent[i][k]), 0)
					each = append(each, d)
					worst = max(worst, d)
					continue
				}
				complete = false
				if st, err := n.Node(name).Graph().State(tx.ID); err != nil || !st.Accepted() {
					lost++
				} else {
					unseen++ // accepted, but the subscription skipped it
				}
			}
			if complete {
				last = append(last, worst)
			}
		}
	}
	if lost > 0 {
		b.Errorf("%d (transaction, node) pairs lost", lost)
	}
	if unseen > 0 {
		b.Logf("%d acceptances were accepted but not seen by the subscriber: left out of the latencies", unseen)
	}
	b.ReportMetric(0, "ns/op")
	reportLatencies(b, last)
	slices.Sort(each)
	b.ReportMetric(ms(percentile(each, 0.99)), "each-p99-ms")
	b.ReportMetric(float64(loadNodes*perNode)/injected.Seconds(), "tx/s")
	b.ReportMetric(ms(drain), "converge-ms")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(meanPeers(b, n), "peers/node")
	reportVotes(b, n, injected+drain, loadNodes*perNode)
}

// reportVotes reports the vote traffic per node: bytes per transaction,
// and answers (each one signature) and polls per second over wall.
func reportVotes(b *testing.B, n *ttxtest.Network, wall time.Duration, txs int) {
	polls, answers, bytes := voteTraffic(n)
	k := float64(len(n.Names()))
	b.ReportMetric(float64(bytes)/k/float64(txs), "vote-B/tx/node")
	b.ReportMetric(float64(answers)/k/wall.Seconds(), "sigs/s/node")
	b.ReportMetric(float64(polls)/k/wall.Seconds(), "polls/s/node")
}

// voteTraffic sums the vote traffic the nodes of n sent.
func voteTraffic(n *ttxtest.Network) (polls, answers, bytes uint64) {
	for _, name := range n.Names() {
		p, a, by := n.Node(name).VoteTraffic()
		polls, answers, bytes = polls+p, answers+a, bytes+by
	}
	return polls, answers, bytes
}

// inject adds chain to g on a schedule: chain[k] is due at first+k*every.
// Each round adds whatever is due in one AddBatch and records the call's
// time in sent. It reports errors with b.Errorf (it runs off the
// benchmark's goroutine).
func inject(b *testing.B, g *dag.Graph, chain []dagtest.GenTx, sent []time.Time, first time.Time, every time.Duration) {
	ctx := context.Background()
	for next := 0; next < len(chain); {
		due := min(int(time.Since(first)/every)+1, len(chain))
		if due <= next {
			time.Sleep(time.Until(first.Add(time.Duration(next) * every)))
			continue
		}
		raws := make([][]byte, due-next)
		for k := range raws {
			raws[k] = chain[next+k].Raw
		}
		now := time.Now()
		for k := next; k < due; k++ {
			sent[k] = now
		}
		results, err := g.AddBatch(ctx, raws, "bench")
		if err != nil {
			b.Errorf("inject: %v", err)
			return
		}
		for _, r := range results {
			if r.State != dag.StateAccepted {
				b.Errorf("inject %s: %s (%v)", r.ID, r.State, r.Err)
				return
			}
		}
		next = due
	}
}

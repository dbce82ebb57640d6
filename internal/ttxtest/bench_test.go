//go:build unix

package ttxtest_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

// The benchmarks below run real nodes over loopback BitTorrent and report
// their figures with ReportMetric (ns/op is suppressed: each runs one
// scenario). Run them with -benchtime 1x; docs/BENCHMARKS.md has the exact
// commands and the figures.

// Bench scenario sizes and limits.
const (
	// spreadPayments is the least number of payments BenchmarkSpread
	// times (-benchtime Nx with a larger N times N).
	spreadPayments = 200
	// benchPeers is how many others each node dials in a sparse topology.
	benchPeers = 4
	// loadNodes is BenchmarkLoad's network size.
	loadNodes = 10
	// bigLedger is the transaction count of BenchmarkColdSync and
	// BenchmarkMemory.
	bigLedger = 100_000
	// longEnv, set to 1, makes BenchmarkLoad run 60 s instead of 10 s.
	longEnv = "TTX_BENCH_LONG"
	// benchWait bounds each wait of a benchmark for the network.
	benchWait = 2 * time.Minute
	// profileEnv names a file for a CPU profile of BenchmarkColdSync's
	// sync alone (-cpuprofile would include filling the first node).
	profileEnv = "TTX_BENCH_SYNC_PROFILE"
)

// names returns k node names, n00 to n<k-1>.
func names(k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprintf("n%02d", i)
	}
	return out
}

// sparse returns the edges of a connected graph on k nodes in which every
// node has at least deg neighbours: a ring, plus random chords from a
// fixed seed until every node has deg.
func sparse(k, deg int, seed uint64) [][2]int {
	rng := rand.New(rand.NewPCG(seed, seed))
	adj := make([]map[int]bool, k)
	for i := range adj {
		adj[i] = make(map[int]bool)
	}
	var edges [][2]int
	link := func(a, b int) {
		adj[a][b], adj[b][a] = true, true
		edges = append(edges, [2]int{a, b})
	}
	for i := range k {
		link(i, (i+1)%k)
	}
	for i := range k {
		for len(adj[i]) < min(deg, k-1) {
			if j := rng.IntN(k); j != i && !adj[i][j] {
				link(i, j)
			}
		}
	}
	return edges
}

// mesh returns every pair of k nodes.
func mesh(k int) [][2]int {
	var edges [][2]int
	for i := range k {
		for j := i + 1; j < k; j++ {
			edges = append(edges, [2]int{i, j})
		}
	}
	return edges
}

// connect makes every edge's nodes ttx peers (PEX may add more
// connections later).
func connect(b *testing.B, n *ttxtest.Network, edges [][2]int) {
	b.Helper()
	names := n.Names()
	for _, e := range edges {
		n.Connect(names[e[0]], names[e[1]])
	}
}

// meanPeers returns the nodes' mean number of ttx peers.
func meanPeers(b *testing.B, n *ttxtest.Network) float64 {
	b.Helper()
	total := 0
	for _, name := range n.Names() {
		st, err := n.Node(name).Status(context.Background())
		if err != nil {
			b.Fatalf("status of %s: %v", name, err)
		}
		total += st.TTXPeers
	}
	return float64(total) / float64(len(n.Names()))
}

// acceptLog timestamps when each node accepts each transaction: the moment
// the committed change reaches a node.Subscribe subscriber, which drains
// its channel at once so that the node never skips it.
type acceptLog struct {
	wake  chan struct{} // signalled after each recorded batch
	stops []func()
	wg    sync.WaitGroup

	mu  sync.Mutex
	at  []map[dag.TxID]time.Time // per node, in name order
	fin []map[dag.TxID]time.Time // when each node made it final
}

// watch subscribes to every node of n until the benchmark ends.
func watch(b testing.TB, n *ttxtest.Network) *acceptLog {
	l := &acceptLog{wake: make(chan struct{}, 1)}
	for i, name := range n.Names() {
		ch, stop := n.Node(name).Subscribe()
		l.stops = append(l.stops, stop)
		l.at = append(l.at, make(map[dag.TxID]time.Time))
		l.fin = append(l.fin, make(map[dag.TxID]time.Time))
		l.wg.Go(func() {
			for changes := range ch {
				now := time.Now()
				l.mu.Lock()
				for _, c := range changes {
					if _, seen := l.at[i][c.ID]; !seen && c.State == dag.StateAccepted {
						l.at[i][c.ID] = now
					}
					if c.State == dag.StateFinal {
						l.fin[i][c.ID] = now
					}
				}
				l.mu.Unlock()
				select {
				case l.wake <- struct{}{}:
				default:
				}
			}
		})
	}
	b.Cleanup(func() {
		for _, stop := range l.stops {
			stop()
		}
		l.wg.Wait()
	})
	return l
}

// spread returns how long after since the last node accepted id, or false
// if some node has not yet.
func (l *acceptLog) spread(id dag.TxID, since time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var last time.Duration
	for _, at := range l.at {
		t, ok := at[id]
		if !ok {
			return 0, false
		}
		last = max(last, t.Sub(since))
	}
	return last, true
}

// waitSpread waits until every node accepted id and returns how long that
// took after since.
func (l *acceptLog) waitSpread(b testing.TB, id dag.TxID, since time.Time) time.Duration {
	b.Helper()
	deadline := time.NewTimer(benchWait)
	defer deadline.Stop()
	for {
		if d, ok := l.spread(id, since); ok {
			return d
		}
		select {
		case <-l.wake:
		case <-deadline.C:
			b.Fatalf("%s did not reach every node within %v", id, benchWait)
		}
	}
}

// final returns how long after since the last node made one of ids final,
// and which; ok is false until every node has made the same one final.
func (l *acceptLog) final(ids []dag.TxID, since time.Time) (d time.Duration, winner dag.TxID, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, fin := range l.fin {
		found := false
		for _, id := range ids {
			if t, ok := fin[id]; ok && (winner.IsZero() || winner == id) {
				winner, found, d = id, true, max(d, t.Sub(since))
			}
		}
		if !found {
			return 0, winner, false
		}
	}
	return d, winner, true
}

// waitFinal waits until every node made the same one of ids final and
// returns how long that took after since, and which.
func (l *acceptLog) waitFinal(b *testing.B, ids []dag.TxID, since time.Time) (time.Duration, dag.TxID) {
	b.Helper()
	deadline := time.NewTimer(benchWait)
	defer deadline.Stop()
	for {
		if d, w, ok := l.final(ids, since); ok {
			return d, w
		}
		select {
		case <-l.wake:
		case <-deadline.C:
			b.Fatalf("%v not final on every node within %v", ids, benchWait)
		}
	}
}

// percentile returns the q-quantile (0 < q <= 1) of sorted ds, nearest
// rank.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[max(int(math.Ceil(q*float64(len(ds))))-1, 0)]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// reportLatencies reports the p50, p99 and max of ds.
func reportLatencies(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(ms(percentile(ds, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(ds, 0.99)), "p99-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), "max-ms")
}

// reportCPU reports the process's CPU time per transaction (for the whole
// in-process network, and divided by its nodes) and the mean number of
// cores it used, from a
// dagtest.CPUTime taken at start, wall time ago.
func reportCPU(b *testing.B, cpu0, wall time.Duration, txs, nodes int) {
	cpu := dagtest.CPUTime() - cpu0
	b.ReportMetric(ms(cpu)/float64(txs), "cpu-ms/tx")
	b.ReportMetric(ms(cpu)/float64(txs)/float64(nodes), "cpu-ms/node/tx")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
}

//go:build unix

package ttxtest_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/ttxtest"
	"github.com/torrenttx/ttx/torrentx/gossip"
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
// p99 and max over the payments, the CPU the process used, and the mean
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
			b.ResetTimer()
			relay0 := relayCounts(n)
			cpu0, start := dagtest.CPUTime(), time.Now()
			for range payments {
				from := rng.IntN(len(names))
				to := (from + 1 + rng.IntN(len(names)-1)) % len(names)
				id := n.Send(names[from], names[to], dag.Unit)
				ds = append(ds, log.waitSpread(b, id, time.Now()))
			}
			b.StopTimer()
			reportCPU(b, cpu0, time.Since(start), payments, c.nodes)
			reportRelay(b, n, relay0, payments)
			b.ReportMetric(0, "ns/op")
			reportLatencies(b, ds)
			b.ReportMetric(meanPeers(b, n), "peers/node")
		})
	}
}

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

// addAll adds raws to the named node in batches of 10,000 and checks that
// every one was accepted.
func addAll(b *testing.B, n *ttxtest.Network, at string, raws [][]byte) {
	b.Helper()
	for chunk := range slices.Chunk(raws, 10_000) {
		results, err := n.Node(at).Graph().AddBatch(context.Background(), chunk, "bench")
		if err != nil {
			b.Fatalf("add to %s: %v", at, err)
		}
		for _, r := range results {
			if r.State != dag.StateAccepted {
				b.Fatalf("add %s to %s: %s (%v)", r.ID, at, r.State, r.Err)
			}
		}
	}
}

// BenchmarkColdSync: node a holds bigLedger transactions (added before the
// timer starts); a fresh node b connects to it. The time is from the
// Connect call until both hold the same set (equal digests), by catch-up
// sync alone. sync/ingest is the sync's rate over the rate at which a
// ingested the same transactions locally in the same run.
//
// With TTX_BENCH_SYNC_PROFILE=file it writes a CPU profile of the sync.
func BenchmarkColdSync(b *testing.B) {
	n := ttxtest.NewNetwork(b, "a", "b")
	raws := dagtest.NewGen(b, n.Net, n.Keys(), 3).Raws(bigLedger)
	ingestStart := time.Now()
	addAll(b, n, "a", raws)
	ingest := time.Since(ingestStart)
	if path := os.Getenv(profileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0, start := dagtest.CPUTime(), time.Now()
	n.Connect("b", "a")
	n.WaitConverged(benchWait)
	took := time.Since(start)
	b.StopTimer()
	pprof.StopCPUProfile()
	reportCPU(b, cpu0, took, bigLedger, 2)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(took.Seconds(), "sync-s")
	b.ReportMetric(bigLedger/took.Seconds(), "tx/s")
	b.ReportMetric(ingest.Seconds()/took.Seconds(), "sync/ingest")
}

// BenchmarkMemory: what one node holding bigLedger transactions keeps on
// the Go heap, and its store's size on disk. Nodes share the test process,
// so the heap is measured as differences of HeapAlloc, each after two GCs:
// with the node stopped (the base), once it started empty, and once it
// holds the transactions (generated after the start, added, then dropped
// by the benchmark). The bbolt file is mapped, not on the heap: its size
// is reported apart.
func BenchmarkMemory(b *testing.B) {
	n := ttxtest.NewNetwork(b, "a")
	n.Stop("a")
	base := heapAlloc()
	b.ResetTimer()
	n.Start("a")
	empty := heapAlloc()
	addAll(b, n, "a", dagtest.NewGen(b, n.Net, n.Keys(), 4).Raws(bigLedger))
	full := heapAlloc()
	b.StopTimer()
	fi, err := os.Stat(filepath.Join(n.DataDir("a"), node.StoreFile))
	if err != nil {
		b.Fatal(err)
	}
	mib := func(from, to uint64) float64 { return float64(int64(to)-int64(from)) / (1 << 20) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mib(base, empty), "heap-empty-MiB")
	b.ReportMetric(mib(base, full), "heap-MiB")
	b.ReportMetric(float64(fi.Size())/(1<<20), "store-MiB")
	b.ReportMetric(float64(fi.Size())/bigLedger, "store-B/tx")
}

// heapAlloc returns the live heap after two full collections (the second
// frees what finalizers of the first released).
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

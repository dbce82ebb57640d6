package sim

import (
	"context"
	"crypto/ed25519"
	"flag"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/consensus"
	"github.com/torrenttx/ttx/torrentx/gossip"
)

var (
	sizes   = flag.String("sim.sizes", "", "comma-separated network sizes for TestScale, e.g. 100,300,1000 (empty: skip)")
	txs     = flag.Int("sim.txs", 20, "transactions per TestScale run")
	every   = flag.Duration("sim.every", time.Second, "mean time between TestScale's transactions (exponential gaps)")
	race    = flag.Bool("sim.race", true, "TestScale also runs a double-spend race with the vote")
	seeds   = flag.String("sim.seeds", "", "comma-separated seeds for TestDoubleSpendRaceBounded (empty: its own)")
	raceN   = flag.Int("sim.racenodes", 100, "nodes of TestDoubleSpendRaceBounded")
	local   = flag.Bool("sim.neighbours", false, "TestDoubleSpendRaceBounded polls only connected peers (Config.NeighboursOnly)")
	digest  = flag.Duration("sim.digest", 0, "TestScale's gossip.Config.DigestDelay (0: the default)")
	stagger = flag.Duration("sim.stagger", gossip.DefaultPingInterval, "TestScale's connections come up spread over this long (Config.Stagger; default the keep-alive interval)")
	invFan  = flag.Int("sim.invfanout", 0, "TestScale's gossip.Config.InvFanout (0: the default)")
	outb    = flag.Int("sim.outbound", 0, "connections each node of TestScale and TestDoubleSpendRaceBounded dials (0: DefaultOutbound); it accepts three times as many")
)

// world is a test network: a genesis paying keys, one output each.
type world struct {
	net  *dag.Network
	keys []ed25519.PrivateKey
}

func newWorld(t testing.TB, keys int) world {
	net, ks := dagtest.NewNetwork(t, keys)
	return world{net, ks}
}

// pay spends genesis output i (key i's) to key i, split in two; memo
// tells double spends apart.
func (w world) pay(t testing.TB, i int, memo string) []byte {
	t.Helper()
	key := w.keys[i]
	return dagtest.Sign(t, w.net, key, &dag.Tx{
		Prev: []string{dagtest.GenesisOut(w.net, i).String()},
		Out:  []dag.Output{dagtest.Out(w.net, key, dagtest.Funds/2), dagtest.Out(w.net, key, dagtest.Funds-dagtest.Funds/2)},
		Memo: memo,
	}).Raw
}

// start builds a network and waits (virtual time) until every hello is in
// and the first digest pings are answered; the counters start then.
func start(t *testing.T, w world, cfg Config) *Sim {
	t.Helper()
	s, err := New(w.net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for !s.Ready() {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	s.ResetCounters()
	return s
}

// spread injects n payments, one every gap on average (exponential gaps,
// as payments made independently arrive), each at a random node, waits
// until every node accepted them all and a few more seconds for the
// digest pings that follow, and reports.
func spread(t *testing.T, s *Sim, w world, n int, gap time.Duration, seed uint64) (Report, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = w.pay(t, i, "sim")
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	cpu := dagtest.CPUTime()
	ids := make([]dag.TxID, n)
	for i, raw := range raws {
		id, err := s.Inject(ctx, rng.IntN(s.Nodes()), raw)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		time.Sleep(time.Duration(rng.ExpFloat64() * float64(gap)))
	}
	if err := s.Wait(ctx, false, ids...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	cpu = dagtest.CPUTime() - cpu
	return s.Report(ids), cpu / time.Duration(s.Nodes()*n)
}

// TestPropagation spreads payments over 60 nodes with bounded peers and
// wide-area delays: every node gets every one, over more than one hop,
// no sooner than the delays allow, and for under twice its bytes.
func TestPropagation(t *testing.T) {
	w := newWorld(t, 20)
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Nodes: 60, Seed: 1}
		s := start(t, w, cfg)
		r, cpu := spread(t, s, w, 10, 500*time.Millisecond, 1)
		t.Logf("%v, CPU/node/tx %v", r, cpu)
		if r.Coverage != 1 {
			t.Fatalf("coverage %.3f, want 1", r.Coverage)
		}
		if r.PeersMax > DefaultOutbound+DefaultMaxInbound || r.PeersMean < DefaultOutbound {
			t.Errorf("peers per node %.1f (max %d), want at least %d and at most %d",
				r.PeersMean, r.PeersMax, DefaultOutbound, DefaultOutbound+DefaultMaxInbound)
		}
		if r.HopsMax < 2 {
			t.Errorf("at most %d hops: the topology is a full mesh", r.HopsMax)
		}
		if min := time.Duration(r.HopsMax) * DefaultLinks.MinLatency; r.ToAllMax < min {
			t.Errorf("reached all in %v, faster than %d hops of %v", r.ToAllMax, r.HopsMax, DefaultLinks.MinLatency)
		}
		if r.CopiesMean < 1-1.0/float64(r.Nodes) || r.BytesByKind["tx"] < r.TxSize*r.CopiesMean {
			t.Errorf("%.2f copies per node per tx in %.0f tx-message bytes, want at least one of %.0f bytes each",
				r.CopiesMean, r.BytesByKind["tx"], r.TxSize)
		}
		// The node's relay: each node receives a transaction's bytes about
		// once and about InvFanout invs of it, whatever its peers, so the
		// relay costs it under twice the transaction.
		if r.CopiesMean > 1.1 || r.MsgsByKind["inv"] > 1.25*gossip.DefaultInvFanout {
			t.Errorf("%.2f copies and %.1f invs per node per tx, want at most 1.1 and %.0f",
				r.CopiesMean, r.MsgsByKind["inv"], 1.25*gossip.DefaultInvFanout)
		}
		if relay := r.BytesByKind["tx"] + r.BytesByKind["inv"] + r.BytesByKind["want"]; relay > 2*r.TxSize {
			t.Errorf("relay bytes per node per tx %.0f, %.2f× the tx, want at most 2×", relay, relay/r.TxSize)
		}
	})
}

// TestLinkModel checks the delays on one link: its latency, a lost
// message's retransmissions, and the sender's upload.
func TestLinkModel(t *testing.T) {
	w := newWorld(t, 3)
	const lat = 100 * time.Millisecond
	for _, tc := range []struct {
		name     string
		links    LinkModel
		min, max time.Duration
	}{
		{"latency", LinkModel{MinLatency: lat, MaxLatency: lat}, lat, lat + 10*time.Millisecond},
		// Every message is lost maxLosses times, each costing 3 × 100 ms.
		{"loss", LinkModel{MinLatency: lat, MaxLatency: lat, Loss: 1}, lat + maxLosses*3*lat, lat + maxLosses*3*lat + 10*time.Millisecond},
		// A payment's tx message is over 300 bytes: over 300 ms at 1 kB/s.
		{"bandwidth", LinkModel{MinLatency: lat, MaxLatency: lat, Bandwidth: 1000}, lat + 300*time.Millisecond, lat + 2*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := start(t, w, Config{Nodes: 2, Outbound: 1, Links: tc.links})
				if _, err := s.Inject(t.Context(), 0, w.pay(t, 0, tc.name)); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Second)
				id, err := s.Inject(t.Context(), 0, w.pay(t, 1, tc.name))
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Wait(t.Context(), false, id); err != nil {
					t.Fatal(err)
				}
				r := s.Report([]dag.TxID{id})
				if r.ToAllMax < tc.min || r.ToAllMax > tc.max {
					t.Fatalf("delivered in %v, want %v to %v", r.ToAllMax, tc.min, tc.max)
				}
				if r.HopsMax != 1 {
					t.Errorf("%d hops, want 1", r.HopsMax)
				}
			})
		})
	}
}

// raceRun injects two spends of one output at two nodes at once and waits
// until every node holds one final. It returns how many nodes first
// accepted each side and how many hold each final, and the report on the
// side more nodes hold final.
func raceRun(t *testing.T, s *Sim, w world, i int) (split, finals [2]int, r Report) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	a, err := s.Inject(ctx, 0, w.pay(t, i, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Inject(ctx, s.Nodes()/2, w.pay(t, i, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitAny(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	sides := []dag.TxID{a, b}
	for _, n := range s.nodes {
		n.mu.Lock()
		sa, sb := n.seen[a], n.seen[b]
		switch {
		case !sa.accepted.IsZero() && (sb.accepted.IsZero() || !sa.accepted.After(sb.accepted)):
			split[0]++
		case !sb.accepted.IsZero():
			split[1]++
		}
		for k, id := range sides {
			if !n.seen[id].final.IsZero() {
				finals[k]++
			}
		}
		n.mu.Unlock()
	}
	won := 0
	if finals[1] > finals[0] {
		won = 1
	}
	return split, finals, s.Report([]dag.TxID{sides[won]})
}

// TestDoubleSpendRace runs the vote over the simulated network: two
// spends of one output start at two nodes at once, the network splits
// between them, and every node ends with the same side final.
func TestDoubleSpendRace(t *testing.T) {
	w := newWorld(t, 3)
	synctest.Test(t, func(t *testing.T) {
		s := start(t, w, Config{Nodes: 40, Seed: 2, Vote: true, Consensus: consensus.Config{Quiet: time.Second}})
		split, finals, r := raceRun(t, s, w, 0)
		t.Logf("split %d/%d, final %d/%d: %v", split[0], split[1], finals[0], finals[1], r)
		if finals[0] != s.Nodes() && finals[1] != s.Nodes() {
			t.Fatalf("final on %d nodes for a and %d for b, want one side on all %d", finals[0], finals[1], s.Nodes())
		}
		if split[0]+split[1] != s.Nodes() {
			t.Errorf("%d nodes accepted a side first, want %d", split[0]+split[1], s.Nodes())
		}
		if r.FinalAllMax == 0 {
			t.Errorf("the winner is not final everywhere")
		}
	})
}

// TestScale runs the sizes of -sim.sizes (e.g. go test ./internal/sim
// -run TestScale -v -sim.sizes=100,300,1000) and logs one report per size:
// the figures of docs/SCALING.md.
func TestScale(t *testing.T) {
	if *sizes == "" {
		t.Skip("set -sim.sizes to run")
	}
	w := newWorld(t, max(*txs, 1)+1)
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("-sim.sizes: %v", err)
		}
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := start(t, w, Config{Nodes: n, Seed: uint64(n), Vote: *race, Outbound: *outb, MaxInbound: 3 * *outb,
					Gossip: gossip.Config{DigestDelay: *digest, InvFanout: *invFan}, Stagger: *stagger})
				// One seed for every size: the same arrivals, so that
				// the sizes differ by the network only.
				r, cpu := spread(t, s, w, *txs, *every, 1)
				t.Logf("spread: %v, CPU/node/tx %v", r, cpu)
				if *race {
					s.ResetCounters()
					// A disagreement is logged, not failed: it is a
					// figure of the vote at this size.
					split, finals, r := raceRun(t, s, w, *txs)
					t.Logf("race: split %d/%d, final %d/%d: %v", split[0], split[1], finals[0], finals[1], r)
				}
			})
		})
	}
}

// TestDoubleSpendRaceBounded races two spends over 100 nodes with bounded
// peers (16 each). Polling only the neighbourhood, seed 8 ends split
// (1/99: -sim.neighbours); polling a sample of peers and 32 learned nodes
// each, every node must end with the same side final, on every seed.
func TestDoubleSpendRaceBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("100 nodes")
	}
	if *raceN < 2 {
		t.Fatalf("-sim.racenodes %d, want at least 2", *raceN)
	}
	w := newWorld(t, 3)
	for _, seed := range raceSeeds(t, []uint64{8, 3}) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := start(t, w, Config{Nodes: *raceN, Seed: seed, Vote: true, NeighboursOnly: *local, Outbound: *outb, MaxInbound: 3 * *outb})
				split, finals, r := raceRun(t, s, w, 0)
				t.Logf("split %d/%d, final %d/%d: %v", split[0], split[1], finals[0], finals[1], r)
				if finals[0] != s.Nodes() && finals[1] != s.Nodes() {
					t.Fatalf("final on %d nodes for a and %d for b, want one side on all %d", finals[0], finals[1], s.Nodes())
				}
			})
		})
	}
}

// raceSeeds returns the seeds of -sim.seeds, or def.
func raceSeeds(t *testing.T, def []uint64) []uint64 {
	if *seeds == "" {
		return def
	}
	var out []uint64
	for _, f := range strings.Split(*seeds, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			t.Fatalf("-sim.seeds: %v", err)
		}
		out = append(out, n)
	}
	return out
}

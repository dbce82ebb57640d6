//go:build unix

package ttxtest_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

// Flood scenario sizes.
const (
	// floodRate is the rate TestFlood's flooder pushes at, a second: half
	// of what one core signs at the default network's 14 bits of proof of
	// work (BenchmarkProofOfWork in dag: 1.6 ms per tx, 639 tx/s).
	// BenchmarkFlood also floods at the whole of that one core's rate.
	floodRate = 300
	// floodFor is how long the flood lasts: a little longer than the
	// honest payments take, so that they are all made within it.
	floodFor = 11 * time.Second
	// floodPayments honest payments are made, floodEvery apart: enough
	// that p99 is the fourth-slowest payment, not the second.
	floodPayments = 300
	floodEvery    = 30 * time.Millisecond
)

// floodRun is what one run of the flood scenario measured.
type floodRun struct {
	honest []time.Duration // each payment: Send on alice until bob accepted it
	// flooded is how long the victim took to accept the whole flood of
	// txs transactions, from the first push; zero without a flood.
	flooded time.Duration
	txs     int
	// held is how many pushed transactions the victim held for a later
	// turn (gossip.Stats.TxsHeld): the flooder throttled.
	held uint64
}

// flood runs alice and bob making floodPayments payments while (if rate
// is not 0) flooder pushes pre-signed transactions from its one key at
// rate a second for floodFor, as fast as proof of work lets the cores it
// stands for make them (the test network has none, so they are signed
// before, and paced). Each of the three dials victim; PEX then connects
// every pair, as on the real network, so the flood reaches every node
// from the flooder and the victim, and a payment reaches bob from alice
// and from the victim. It fails tb if any payment or flooded transaction
// is lost, or the victim drops the flooder, whose transactions are valid.
func flood(tb testing.TB, rate int) floodRun {
	on := rate > 0
	n := ttxtest.NewNetwork(tb, "flooder", "victim", "alice", "bob")
	for _, p := range []string{"flooder", "alice", "bob"} {
		n.Connect(p, "victim")
	}
	log := watch(tb, n)
	var chain []dagtest.GenTx
	if on {
		chain = dagtest.NewGen(tb, n.Net, []ed25519.PrivateKey{n.Key("flooder")}, 1).Next(rate * int(floodFor/time.Second))
	}
	var run floodRun
	var wg sync.WaitGroup
	start := time.Now()
	if on {
		wg.Go(func() {
			every := time.Second / time.Duration(rate) * 10
			for k, part := range slices.Collect(slices.Chunk(chain, 10)) {
				time.Sleep(time.Until(start.Add(time.Duration(k) * every)))
				raws := make([][]byte, len(part))
				for i, tx := range part {
					raws[i] = tx.Raw
				}
				if _, err := n.Node("flooder").Graph().AddBatch(tb.Context(), raws, "flood"); err != nil {
					tb.Errorf("flood: %v", err)
					return
				}
			}
		})
		time.Sleep(200 * time.Millisecond) // the flood is under way
	}
	victim, bob := slices.Index(n.Names(), "victim"), slices.Index(n.Names(), "bob")
	for range floodPayments {
		id := n.Send("alice", "bob", dag.Unit)
		sent := time.Now()
		// The payee's accept is what the payment waits for; the flooder's
		// own node, busy with its flood, is no measure of honest latency.
		// The subscriber timestamps the accept: Wait's polling only
		// delays the next payment.
		ttxtest.Wait(tb, benchWait, func() error {
			log.mu.Lock()
			defer log.mu.Unlock()
			at, ok := log.at[bob][id]
			if !ok {
				return fmt.Errorf("bob has not accepted payment %s", id)
			}
			run.honest = append(run.honest, at.Sub(sent))
			return nil
		})
		time.Sleep(floodEvery)
	}
	wg.Wait()
	if on {
		ttxtest.Wait(tb, benchWait, func() error {
			log.mu.Lock()
			defer log.mu.Unlock()
			var last time.Time
			for _, tx := range chain {
				at, ok := log.at[victim][tx.ID]
				if !ok {
					return fmt.Errorf("the victim accepted %d of the %d flooded txs", countIn(log.at[victim], chain), len(chain))
				}
				last = later(last, at)
			}
			run.flooded, run.txs = last.Sub(start), len(chain)
			return nil
		})
		peers, err := n.Node("victim").Peers(tb.Context())
		if err != nil {
			tb.Fatal(err)
		}
		ttx := 0
		for _, p := range peers {
			if p.TTX {
				ttx++
			}
		}
		if ttx != 3 {
			tb.Errorf("victim has %d ttx peers after the flood, want 3 (flooder, alice, bob): %+v", ttx, peers)
		}
		run.held = n.Node("victim").GossipStats().TxsHeld
	}
	return run
}

// countIn counts the txs of chain in at.
func countIn(at map[dag.TxID]time.Time, chain []dagtest.GenTx) int {
	k := 0
	for _, tx := range chain {
		if _, ok := at[tx.ID]; ok {
			k++
		}
	}
	return k
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestFlood: under a flood of valid transactions from one key through one
// peer, every honest payment still goes through the flooded node, every
// flooded transaction is accepted (throttled, not lost) and the flooder
// stays connected. The times are BenchmarkFlood's to report.
func TestFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("an 11-second flood over loopback")
	}
	run := flood(t, floodRate)
	slices.Sort(run.honest)
	t.Logf("honest p50 %.0f ms, p99 %.0f ms; victim took the flood in %v, holding %d txs for later turns",
		ms(percentile(run.honest, 0.5)), ms(percentile(run.honest, 0.99)), run.flooded.Round(time.Millisecond), run.held)
}

// BenchmarkFlood reports, for floods at floodRate and at twice that (one
// core's whole proof-of-work rate), the honest payments' p50 and p99 time
// to accepted at the payee (through the flooded node) quiet and under the
// flood, their ratio (the target is at most 2), the rate at which the
// victim took the flood, how many pushed txs it held for later turns
// (throttled; none may be dropped: flood fails the run if the victim
// misses one or drops the flooder), and the machine's load average when
// it ran. The quiet run is made again for each rate, just before it.
func BenchmarkFlood(b *testing.B) {
	for _, rate := range []int{floodRate, 2 * floodRate} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
				b.Logf("load average: %s", strings.TrimSpace(string(raw)))
			}
			quiet := flood(b, 0)
			loud := flood(b, rate)
			slices.Sort(quiet.honest)
			slices.Sort(loud.honest)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(ms(percentile(quiet.honest, 0.5)), "quiet-p50-ms")
			b.ReportMetric(ms(percentile(quiet.honest, 0.99)), "quiet-p99-ms")
			b.ReportMetric(ms(percentile(loud.honest, 0.5)), "flood-p50-ms")
			b.ReportMetric(ms(percentile(loud.honest, 0.99)), "flood-p99-ms")
			b.ReportMetric(float64(percentile(loud.honest, 0.99))/float64(percentile(quiet.honest, 0.99)), "p99-ratio")
			b.ReportMetric(float64(loud.txs)/loud.flooded.Seconds(), "flood-tx/s")
			b.ReportMetric(float64(loud.held), "held-tx")
		})
	}
}

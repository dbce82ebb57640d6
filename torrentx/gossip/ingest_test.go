package gossip

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// TestFairIngest: while the ledger's committer is held in its first
// commit (of the flood's first message), a flooding peer gets only its share
// of the ledger's queue (per signer with one key, per peer with many) and
// then waits, while an honest peer's payment goes past it at once; once
// the committer runs, every flooded transaction is stored: throttled, not
// lost.
func TestFairIngest(t *testing.T) {
	for _, tc := range []struct {
		name       string
		floodKeys  int
		peer, sign int   // MaxPeerInFlight, MaxSignerInFlight
		share      int64 // the flood's txs in the queue at once
	}{
		{"one signer", 1, 1000, 100, 100},
		{"one peer, many signers", 4, 120, 1000, 120},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const flood, perMsg = 600, 50
			net, keys := dagtest.NewNetwork(t, tc.floodKeys+1)
			// The first commit's OnChange holds the committer until gate is
			// closed: what is queued after it stays in the ledger's queue.
			mem, gate := dag.NewMemStore(), make(chan struct{})
			var opened sync.Once
			open := func() { opened.Do(func() { close(gate) }) }
			g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: mem, OnChange: func([]dag.Change) { <-gate }})
			t.Cleanup(open) // before the Graph's Close, which waits for the committer
			ledger := &countingLedger{Graph: g}
			cfg := testConfig()
			cfg.Network, cfg.Ledger, cfg.Store, cfg.NodeKey = net, ledger, mem, testKey("n")
			cfg.MaxPeerInFlight, cfg.MaxSignerInFlight = tc.peer, tc.sign
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			var ours dag.Digest
			if err := mem.View(func(r dag.ReadTx) (err error) { ours, err = r.Digest(); return err }); err != nil {
				t.Fatal(err)
			}
			hello := &wire.Hello{Version: wire.ProtocolVersion, NodeKey: testKey("raw"), Network: net.ID, Digest: ours}

			txs := dagtest.NewGen(t, net, keys[:tc.floodKeys], 7).Next(flood)
			flooder := newRawPeer(e, "flooder")
			flooder.handle(t, hello)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; i < len(txs); i += perMsg {
					var m wire.Tx
					for _, tx := range txs[i:min(i+perMsg, len(txs))] {
						m.Txs = append(m.Txs, wire.TxEntry{ID: tx.ID, Raw: tx.Raw})
					}
					flooder.handle(t, &m)
				}
			}()
			eventually(t, 5*time.Second, "the flooder's share submitted", func() error {
				if n := ledger.submitted.Load(); n != tc.share {
					return fmt.Errorf("%d submitted, want %d", n, tc.share)
				}
				return nil
			})
			honest := newRawPeer(e, "honest")
			honest.handle(t, hello)
			pay := pay(t, net, keys[tc.floodKeys], tc.floodKeys, "honest")
			honest.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: pay.ID, Raw: pay.Raw}}})
			if n := ledger.submitted.Load(); n != tc.share+1 {
				t.Fatalf("%d submitted after the honest payment, want the flooder's %d and it", n, tc.share)
			}
			select {
			case <-done:
				t.Fatal("the flooder's messages were all taken while the ledger was held")
			default:
			}
			open()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the flood was not taken after the ledger ran")
			}
			flooder.barrier(t)
			honest.barrier(t)
			if st, err := g.State(pay.ID); err != nil || st != dag.StateAccepted {
				t.Errorf("honest payment is %v (%v), want accepted", st, err)
			}
			for _, tx := range txs {
				if st, err := g.State(tx.ID); err != nil || st == dag.StateUnknown {
					t.Fatalf("flooded %s is %v (%v): lost", tx.ID, st, err)
				}
			}
			if err := flooder.closeReason(); err != nil {
				t.Errorf("flooder closed: %v", err)
			}
			e.mu.Lock()
			left, slots := len(e.adding), len(e.signers)
			e.mu.Unlock()
			if left != 0 || slots != 0 {
				t.Errorf("%d IDs still marked as being added, %d signers hold slots", left, slots)
			}
		})
	}
}

func TestSignerOf(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	tx := pay(t, net, keys[0], 0, "x")
	for _, tc := range []struct {
		raw  []byte
		want string
	}{
		{tx.Raw, tx.Tx.From},
		{net.Genesis.Raw, ""},
		{[]byte(`{"v":1,"from":"`), ""},
		{[]byte(`{"v":1,"from":""}`), ""},
		{nil, ""},
	} {
		if got := signerOf(tc.raw); got != tc.want {
			t.Errorf("signerOf(%.40q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

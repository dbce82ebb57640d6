package gossip

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// TestFairIngest: while the ledger's committer is held, commit by commit,
// a flood from one key takes only its signer's share of the ledger's
// queue and the rest is held without blocking the peer that sent it, or,
// from many keys through one peer, that peer's share, after which reading
// from it waits; an honest payment goes past at once, also on the peer
// that relays the flood, and is committed in the commit after the one
// under way, while the flood needs a commit per share. Once the committer
// runs freely, every flooded transaction is stored (throttled, not lost)
// and the peer's pong comes after them.
func TestFairIngest(t *testing.T) {
	for _, tc := range []struct {
		name       string
		floodKeys  int
		peer, sign int  // MaxPeerInFlight, MaxSignerInFlight
		share      int  // the flood's txs in the ledger's queue at once
		relay      bool // the flooding peer relays the payment too
		read       bool // every flood message is read while the ledger is held
	}{
		{"one signer, payment relayed with the flood", 1, 10_000, 50, 50, true, true},
		{"one signer, payment from another peer", 1, 10_000, 50, 50, false, true},
		{"one peer, many signers", 4, 120, 1000, 120, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const flood, perMsg = 600, 50
			net, keys := dagtest.NewNetwork(t, tc.floodKeys+1)
			// Each commit's OnChange records what it committed and, while
			// gated, waits for a step: what is queued meanwhile stays in the
			// ledger's queue.
			var (
				mu       sync.Mutex
				commits  int
				commitOf = make(map[dag.TxID]int)
			)
			step, free := make(chan struct{}), make(chan struct{})
			var freed sync.Once
			run := func() { freed.Do(func() { close(free) }) }
			mem := dag.NewMemStore()
			g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: mem, OnChange: func(cs []dag.Change) {
				mu.Lock()
				commits++
				for _, c := range cs {
					if _, ok := commitOf[c.ID]; !ok {
						commitOf[c.ID] = commits
					}
				}
				mu.Unlock()
				select {
				case <-step:
				case <-free:
				}
			}})
			t.Cleanup(run) // before the Graph's Close, which waits for the committer
			committed := func(id dag.TxID) (int, bool) {
				mu.Lock()
				defer mu.Unlock()
				k, ok := commitOf[id]
				return k, ok
			}
			ledger := &countingLedger{Graph: g}
			cfg := testConfig()
			cfg.Network, cfg.Ledger, cfg.Store = net, ledger, mem
			cfg.MaxPeerInFlight, cfg.MaxSignerInFlight = tc.peer, tc.sign
			e, ours := rawEngine(t, cfg)
			hello := &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: ours}

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
			eventually(t, 5*time.Second, "the first flood commit under way", func() error {
				if _, ok := committed(txs[0].ID); !ok {
					return errors.New("not yet")
				}
				return nil
			})
			if tc.read {
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("reading from the flooder blocked while its signer's transactions are held")
				}
			}
			eventually(t, 5*time.Second, "the flood's share submitted", func() error {
				if n := ledger.submitted.Load(); n != int64(tc.share) {
					return fmt.Errorf("%d submitted, want %d", n, tc.share)
				}
				return nil
			})
			mu.Lock()
			under := commits // the commit under way, held in its OnChange
			mu.Unlock()

			from := flooder
			if !tc.relay {
				from = newRawPeer(e, "honest")
				from.handle(t, hello)
			}
			pay := pay(t, net, keys[tc.floodKeys], tc.floodKeys, "honest")
			from.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: pay.ID, Raw: pay.Raw}}})
			if n := ledger.submitted.Load(); n != int64(tc.share)+1 {
				t.Fatalf("%d submitted after the honest payment, want the flood's %d and it", n, tc.share)
			}
			if !tc.read {
				select {
				case <-done:
					t.Fatal("the flooder's messages were all read while its share was in the ledger")
				default:
				}
			}
			// A ping behind the held flood is answered only after it.
			nonce := uint64(7)
			flooder.handle(t, &wire.Ping{Nonce: nonce})
			if len(flooder.received(wire.TypePong)) != 0 {
				t.Fatal("the flooder's ping was answered before its held transactions were committed")
			}
			// Commit by commit until the payment and the flood are in.
			last := txs[len(txs)-1].ID
			for {
				_, paid := committed(pay.ID)
				_, all := committed(last)
				if paid && all {
					break
				}
				select {
				case step <- struct{}{}:
				case <-time.After(10 * time.Second):
					t.Fatalf("no commit came: payment committed %v, whole flood %v", paid, all)
				}
			}
			k, _ := committed(pay.ID)
			if k > under+1 {
				t.Errorf("the payment was committed %d commits after the one under way, want the next", k-under)
			}
			end, _ := committed(last)
			if turns := end - under + 1; turns < flood/tc.share {
				t.Errorf("the flood took %d commits, want at least %d (one share a commit)", turns, flood/tc.share)
			}
			run()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the flood was not taken after the ledger ran")
			}
			flooder.barrier(t)
			from.barrier(t)
			if !slices.ContainsFunc(flooder.received(wire.TypePong), func(m wire.Message) bool { return m.(*wire.Pong).Nonce == nonce }) {
				t.Error("the flooder's ping held behind its flood got no pong")
			}
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
			left, slots, waiting := len(e.adding), len(e.signers), len(e.waiting)
			e.mu.Unlock()
			if left != 0 || slots != 0 || waiting != 0 {
				t.Errorf("%d IDs still marked as being added, %d signers hold slots, %d peers wait for a turn", left, slots, waiting)
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

// TestSpendsAny: a transaction spends a held one when one of its inputs
// is an output of it; one that does not decode may, so it keeps its place.
func TestSpendsAny(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	one := pay(t, net, keys[0], 0, `"prev":["x`) // a memo that looks like a prev list
	parent := dagtest.GenesisOut(net, 0).TxID
	other := one.ID
	for _, tc := range []struct {
		raw  []byte
		ids  map[dag.TxID]bool
		want bool
	}{
		{one.Raw, map[dag.TxID]bool{parent: true}, true},
		{one.Raw, map[dag.TxID]bool{other: true}, false},
		{one.Raw, nil, false},
		{[]byte(`{"v":1,"prev":["`), map[dag.TxID]bool{other: true}, true},
		{nil, map[dag.TxID]bool{other: true}, true},
	} {
		if got := spendsAny(tc.raw, tc.ids); got != tc.want {
			t.Errorf("spendsAny(%.60q, %d IDs) = %v, want %v", tc.raw, len(tc.ids), got, tc.want)
		}
	}
}

// TestSignerTurn: a signer's next transaction waits for its turn only
// while earlier ones of its are in the ledger's queue. With a turn of an
// hour, a transaction sent after the last one was committed is committed
// at once; one sent while the last is being committed is held until that
// commit ends, then goes without waiting for the turn.
func TestSignerTurn(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	var gated atomic.Bool
	gate := make(chan struct{})
	mem := dag.NewMemStore()
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: mem, OnChange: func([]dag.Change) {
		if gated.Load() {
			<-gate
		}
	}})
	var opened sync.Once
	open := func() { opened.Do(func() { close(gate) }) }
	t.Cleanup(open) // before the Graph's Close, which waits for the committer
	ledger := &countingLedger{Graph: g}
	cfg := testConfig()
	cfg.Network, cfg.Ledger, cfg.Store = net, ledger, mem
	cfg.SignerTurn = time.Hour
	e, ours := rawEngine(t, cfg)
	p := newRawPeer(e, "p")
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: ours})
	txs := dagtest.NewGen(t, net, keys, 7).Next(4)
	send := func(i int) { p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: txs[i].ID, Raw: txs[i].Raw}}}) }
	stored := func(i int) func() error {
		return func() error {
			if st, err := g.State(txs[i].ID); err != nil || st == dag.StateUnknown {
				return fmt.Errorf("tx %d is %v (%v)", i, st, err)
			}
			return nil
		}
	}
	send(0)
	eventually(t, 5*time.Second, "the first tx stored", stored(0))
	send(1)
	eventually(t, 5*time.Second, "the next tx, sent after the first was committed, stored", stored(1))

	gated.Store(true)
	send(2)
	eventually(t, 5*time.Second, "the third tx submitted", func() error {
		if n := ledger.submitted.Load(); n != 3 {
			return fmt.Errorf("%d submitted, want 3", n)
		}
		return nil
	})
	send(3)
	if n := ledger.submitted.Load(); n != 3 {
		t.Fatalf("%d submitted: the fourth went while its signer's third was in the ledger's queue", n)
	}
	gated.Store(false)
	open()
	eventually(t, 5*time.Second, "the fourth tx stored once the third was committed", stored(3))
}

// TestSignerBurst: a signer whose transactions are each committed before
// the next arrives (a flood paced to the committer) gets SignerBurst of
// them at once in its turn; the next is held until the turn is over, and
// then goes with what came meanwhile, as one batch. A signer that sends
// no more than SignerBurst in a turn waits for nothing.
func TestSignerBurst(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	mem := dag.NewMemStore()
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: mem})
	ledger := &countingLedger{Graph: g}
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	cfg := testConfig()
	cfg.Network, cfg.Ledger, cfg.Store = net, ledger, mem
	cfg.SignerTurn, cfg.SignerBurst = time.Hour, 2
	cfg.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	e, ours := rawEngine(t, cfg)
	p := newRawPeer(e, "p")
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: ours})
	flood := dagtest.NewGen(t, net, keys[:1], 8).Next(5)
	other := dagtest.NewGen(t, net, keys[1:], 9).Next(2)
	send := func(tx dagtest.GenTx) { p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: tx.ID, Raw: tx.Raw}}}) }
	// stored waits for txs to be stored and settled: the engine counts
	// none in the ledger's queue (else the next is held, by the turn rule).
	stored := func(txs ...dagtest.GenTx) func() error {
		return func() error {
			for _, tx := range txs {
				if st, err := g.State(tx.ID); err != nil || st == dag.StateUnknown {
					return fmt.Errorf("tx %s is %v (%v)", tx.ID, st, err)
				}
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			for s, n := range e.signers {
				if n != 0 {
					return fmt.Errorf("signer %s has %d in the ledger's queue", s, n)
				}
			}
			return nil
		}
	}
	submitted := func(want int64) {
		t.Helper()
		if n := ledger.submitted.Load(); n != want {
			t.Fatalf("%d submitted, want %d", n, want)
		}
	}
	for i := range 2 {
		send(flood[i])
		eventually(t, 5*time.Second, "a tx within the burst stored", stored(flood[i]))
	}
	send(flood[2])
	submitted(2) // past the burst: held although its signer has nothing queued
	send(other[0])
	eventually(t, 5*time.Second, "another signer's tx stored past the held one", stored(other[0]))
	send(other[1])
	eventually(t, 5*time.Second, "its second, within its burst", stored(other[1]))
	send(flood[3])
	submitted(4)
	if held := e.Stats().TxsHeld; held != 2 {
		t.Errorf("TxsHeld = %d, want 2", held)
	}
	clock.Add(int64(time.Hour)) // the flooding signer's turn is over
	send(flood[4])
	eventually(t, 5*time.Second, "the held txs stored in the next turn", stored(flood[2:]...))
	submitted(7)
}

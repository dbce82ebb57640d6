package gossip

import (
	"context"
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

// A new transaction reaches the other node both ways, pushed whole or
// announced by inv and then wanted.
func TestTwoNodes(t *testing.T) {
	tests := []struct {
		name    string
		pushMax int
	}{
		{"pushed", 0},
		{"inv then want", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, keys := dagtest.NewNetwork(t, 2)
			cfg := testConfig()
			cfg.PushMax = tc.pushMax
			a, b := newNode(t, net, "a", cfg), newNode(t, net, "b", cfg)
			connect(a, b)
			eventually(t, 2*time.Second, "ready", func() error {
				for _, n := range []*node{a, b} {
					if ps := n.eng.Peers(); len(ps) != 1 || !ps[0].Ready {
						return fmt.Errorf("%s peers %+v", n.name, ps)
					}
				}
				return nil
			})
			tx1, tx2 := pay(t, net, keys[0], 0, "a"), pay(t, net, keys[1], 1, "b")
			a.add(t, tx1.Raw)
			b.add(t, tx2.Raw)
			eventually(t, 5*time.Second, "exchange", hasAll(t, []*node{a, b}, []dag.TxID{tx1.ID, tx2.ID}, accepted))
			eventually(t, 5*time.Second, "digests", converged(t, []*node{a, b}))
			if p := a.eng.Peers()[0]; p.Agent != "b" || p.Version != wire.ProtocolVersion || p.Score != 0 {
				t.Errorf("a's peer info %+v", p)
			}
		})
	}
}

// A transaction spreads along a line of 5 nodes.
func TestLine(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	nodes := make([]*node, 5)
	for i := range nodes {
		nodes[i] = newNode(t, net, fmt.Sprintf("n%d", i), testConfig())
		if i > 0 {
			connect(nodes[i-1], nodes[i])
		}
	}
	tx := pay(t, net, keys[0], 0, "line")
	child := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: tx.ID, Index: 0}}, dagtest.Out(net, keys[0], dagtest.Funds/2))
	nodes[0].add(t, tx.Raw)
	nodes[4].add(t, tx.Raw) // the far end learns it by itself too
	eventually(t, 5*time.Second, "propagation", hasAll(t, nodes, []dag.TxID{tx.ID}, accepted))
	nodes[2].add(t, child.Raw)
	eventually(t, 5*time.Second, "child propagation", hasAll(t, nodes, []dag.TxID{child.ID}, accepted))
}

// A child pushed before its parent waits in the orphan pool; its parent
// is wanted from the sender, and both are accepted once it comes.
func TestChildBeforeParent(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	b := newNode(t, net, "b", testConfig())
	parent := pay(t, net, keys[0], 0, "parent")
	child := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: parent.ID, Index: 1}}, dagtest.Out(net, keys[0], dagtest.Funds/2))

	feeder := newRawPeer(b.eng, "feeder")
	feeder.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: b.digest(t)})
	feeder.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: child.ID, Raw: child.Raw}}})
	feeder.barrier(t)
	if st := b.state(t, child.ID); st != dag.StatePending {
		t.Fatalf("child is %s, want pending", st)
	}
	wants := feeder.received(wire.TypeWant)
	if len(wants) != 1 || len(wants[0].(*wire.Want).IDs) != 1 || wants[0].(*wire.Want).IDs[0] != parent.ID {
		t.Fatalf("wants = %+v, want one for the parent", wants)
	}
	feeder.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: parent.ID, Raw: parent.Raw}}})
	eventually(t, time.Second, "both accepted", hasAll(t, []*node{b}, []dag.TxID{parent.ID, child.ID}, accepted))
	if err := feeder.closeReason(); err != nil {
		t.Errorf("feeder closed: %v", err)
	}
}

// fakeFetcher serves transactions by ID, as torrentx would by BitTorrent.
type fakeFetcher struct {
	mu    sync.Mutex
	txs   map[dag.TxID][]byte
	calls []dag.TxID
	peers [][]string
}

func (f *fakeFetcher) Fetch(ctx context.Context, id dag.TxID, peers []string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, id)
	f.peers = append(f.peers, peers)
	if raw, ok := f.txs[id]; ok {
		return raw, nil
	}
	return nil, fmt.Errorf("fake fetcher: %s not found", id)
}

// A wanted transaction that is not pushed in time (or is answered with
// notfound) is fetched with the Fetcher from the peers that announced it.
func TestFetchFallback(t *testing.T) {
	tests := []struct {
		name     string
		notfound bool
	}{
		{"timeout", false},
		{"notfound", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, keys := dagtest.NewNetwork(t, 1)
			tx := pay(t, net, keys[0], 0, "fetched")
			f := &fakeFetcher{txs: map[dag.TxID][]byte{tx.ID: tx.Raw}}
			cfg := testConfig()
			cfg.Fetcher = f
			b := newNode(t, net, "b", cfg)
			lazy := newRawPeer(b.eng, "lazy")
			lazy.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: b.digest(t)})
			lazy.handle(t, &wire.Inv{IDs: []dag.TxID{tx.ID}})
			if len(lazy.received(wire.TypeWant)) != 1 {
				t.Fatalf("no want for the announced tx")
			}
			if tc.notfound {
				lazy.handle(t, &wire.NotFound{IDs: []dag.TxID{tx.ID}})
			}
			eventually(t, 3*time.Second, "fetched", hasAll(t, []*node{b}, []dag.TxID{tx.ID}, accepted))
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.calls) != 1 || f.calls[0] != tx.ID || len(f.peers[0]) != 1 || f.peers[0][0] != "lazy" {
				t.Errorf("fetches %v from %v, want one of %s from [lazy]", f.calls, f.peers, tx.ID)
			}
		})
	}
}

// A node that joins late catches up thousands of transactions by
// reconciliation and pushes in Seq order, and its digest ends equal.
func TestLateJoiner(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	net, keys := dagtest.NewNetwork(t, 8)
	seed := newNode(t, net, "seed", testConfig())
	seed.add(t, dagtest.NewGen(t, net, keys, 1).Raws(n)...)
	late := newNode(t, net, "late", testConfig())
	start := time.Now()
	l := connect(seed, late)
	eventually(t, 30*time.Second, "catch-up", converged(t, []*node{seed, late}))
	if d := late.digest(t); d.Count != uint64(n+1) {
		t.Errorf("late holds %d txs, want %d", d.Count, n+1)
	}
	t.Logf("%d txs caught up in %v, %d bytes seed->late, %d bytes late->seed", n, time.Since(start).Round(time.Millisecond), l.a.sentBytes(), l.b.sentBytes())
	for _, p := range late.eng.Peers() {
		if p.Score != 0 {
			t.Errorf("late scored the seed %d", p.Score)
		}
	}
}

// Two halves of a network accept different transactions apart; once a
// link heals the partition, every node holds everything.
func TestPartitionHeal(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 8)
	var nodes []*node
	for _, name := range []string{"a", "b", "c", "d"} {
		nodes = append(nodes, newNode(t, net, name, testConfig()))
	}
	connect(nodes[0], nodes[1])
	connect(nodes[2], nodes[3])
	// The larger side starts the sync; with 1,500 to want it takes two
	// want steps, so children may arrive before parents.
	nl, nr := 1500, 2500
	if testing.Short() {
		nl, nr = 200, 300
	}
	left := dagtest.NewGen(t, net, keys[:4], 2).Raws(nl)
	right := dagtest.NewGen(t, net, keys[4:], 3).Raws(nr)
	nodes[0].add(t, left...)
	nodes[3].add(t, right...)
	eventually(t, 20*time.Second, "left converged", converged(t, nodes[:2]))
	eventually(t, 20*time.Second, "right converged", converged(t, nodes[2:]))
	if nodes[0].digest(t) == nodes[3].digest(t) {
		t.Fatal("halves agree before healing")
	}
	connect(nodes[1], nodes[2])
	eventually(t, 30*time.Second, "healed", converged(t, nodes))
	if d := nodes[0].digest(t); d.Count != uint64(nl+nr+1) {
		t.Errorf("healed network holds %d txs, want %d", d.Count, nl+nr+1)
	}
	for _, n := range nodes {
		for _, p := range n.eng.Peers() {
			if p.Score != 0 {
				t.Errorf("%s scored honest %s %d", n.name, p.ID, p.Score)
			}
		}
	}
}

// Conflicting transactions injected at both ends of a line at the same
// moment: no node accepts both, and every node ends holding both, the one
// it saw first conflicted and the other rejected as evidence.
func TestDoubleSpendRace(t *testing.T) {
	const rounds = 20
	net, keys := dagtest.NewNetwork(t, rounds)
	nodes := []*node{newNode(t, net, "a", testConfig()), newNode(t, net, "b", testConfig()), newNode(t, net, "c", testConfig())}
	connect(nodes[0], nodes[1])
	connect(nodes[1], nodes[2])
	for r := 0; r < rounds; r++ {
		t1 := pay(t, net, keys[r], r, fmt.Sprintf("left %d", r))
		t2 := pay(t, net, keys[r], r, fmt.Sprintf("right %d", r))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, inj := range []struct {
			n  *node
			tx *dag.Parsed
		}{{nodes[0], t1}, {nodes[2], t2}} {
			wg.Go(func() {
				<-start
				inj.n.add(t, inj.tx.Raw)
			})
		}
		close(start)
		wg.Wait()
		ids := []dag.TxID{t1.ID, t2.ID}
		eventually(t, 5*time.Second, fmt.Sprintf("round %d settled", r), func() error {
			for _, n := range nodes {
				s1, s2 := n.state(t, t1.ID), n.state(t, t2.ID)
				if s1.Accepted() && s2.Accepted() && (s1 != dag.StateConflicted || s2 != dag.StateConflicted) {
					t.Fatalf("round %d: %s accepts both (%s, %s)", r, n.name, s1, s2)
				}
				if !(s1 == dag.StateConflicted && s2 == dag.StateRejected || s1 == dag.StateRejected && s2 == dag.StateConflicted) {
					return fmt.Errorf("%s holds them as %s, %s", n.name, s1, s2)
				}
			}
			return nil
		})
		// Each side lists the other as its conflict, and a peer's answer
		// says so.
		ans, err := nodes[1].eng.Query(context.Background(), ids, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range ans {
			if !a.Complete {
				t.Fatalf("round %d: %s answered %d of 2", r, a.Peer, len(a.Statuses))
			}
			for i, id := range ids {
				if s := a.Statuses[id]; len(s.Conflicts) != 1 || s.Conflicts[0] != ids[1-i] {
					t.Errorf("round %d: %s says %s conflicts with %v", r, a.Peer, id, s.Conflicts)
				}
			}
		}
	}
	// Gossip spreads both sides of every race to every node; which side
	// wins is the vote's business (package consensus), so the digests,
	// which cover the winners, may differ while the counts agree.
	for _, n := range nodes {
		if d := n.digest(t); d.Count != 2*rounds+1 {
			t.Errorf("%s holds %d txs, want %d", n.name, d.Count, 2*rounds+1)
		}
	}
}

// Query reports, per peer, the state of each ID.
func TestQuery(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	a, b, c := newNode(t, net, "a", testConfig()), newNode(t, net, "b", testConfig()), newNode(t, net, "c", testConfig())
	connect(a, b)
	connect(a, c)
	tx := pay(t, net, keys[0], 0, "q")
	b.add(t, tx.Raw)
	eventually(t, 5*time.Second, "spread", hasAll(t, []*node{a, b, c}, []dag.TxID{tx.ID}, accepted))
	var unknown dag.TxID
	unknown[0] = 7
	ans, err := a.eng.Query(context.Background(), []dag.TxID{tx.ID, unknown}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans) != 2 || ans[0].Peer != "b" || ans[1].Peer != "c" {
		t.Fatalf("answers from %+v, want b and c", ans)
	}
	for _, pa := range ans {
		if !pa.Complete || pa.Statuses[tx.ID].State != dag.StateAccepted || pa.Statuses[unknown].State != dag.StateUnknown {
			t.Errorf("%s answered %+v", pa.Peer, pa.Statuses)
		}
	}
	ans, err = a.eng.Query(context.Background(), []dag.TxID{tx.ID}, []string{"c"})
	if err != nil || len(ans) != 1 || ans[0].Peer != "c" {
		t.Errorf("query of c = %+v, %v", ans, err)
	}
	if _, err := a.eng.Query(context.Background(), []dag.TxID{tx.ID}, []string{"nobody"}); err != ErrNoPeers {
		t.Errorf("query of nobody: %v, want ErrNoPeers", err)
	}
	if _, err := a.eng.Query(context.Background(), nil, nil); err == nil {
		t.Error("query of no IDs succeeded")
	}
}

// Idle peers ping each other, which keeps the connection busy and
// measures the round trip.
func TestKeepAlive(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.PingInterval = 20 * time.Millisecond
	a, b := newNode(t, net, "a", cfg), newNode(t, net, "b", cfg)
	connect(a, b)
	eventually(t, 2*time.Second, "pings", func() error {
		p := a.eng.Peers()
		if len(p) != 1 || p[0].RTT == 0 || p[0].MsgsIn < 5 {
			return fmt.Errorf("peer info %+v", p)
		}
		return nil
	})
}

// A peer speaking a newer version is served at ours; a node that needs a
// newer version than a peer speaks drops it.
func TestVersion(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	t.Run("newer peer", func(t *testing.T) {
		n := newNode(t, net, "n", testConfig())
		p := newRawPeer(n.eng, "newer")
		p.handle(t, &wire.Hello{Version: wire.ProtocolVersion + 1, Salt: rawSalt, NodeKey: testKey("newer"), Network: net.ID, Digest: n.digest(t)})
		p.handle(t, &wire.Ping{Nonce: 5})
		if pi := n.eng.Peers(); len(pi) != 1 || pi[0].Version != wire.ProtocolVersion || !pi[0].Ready {
			t.Errorf("peers = %+v", pi)
		}
		if len(p.received(wire.TypePong)) != 1 {
			t.Error("no pong")
		}
	})
	t.Run("older peer", func(t *testing.T) {
		cfg := testConfig()
		cfg.MinVersion = wire.ProtocolVersion + 1
		n := newNode(t, net, "n", cfg)
		p := newRawPeer(n.eng, "older")
		p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("older"), Network: net.ID, Digest: n.digest(t)})
		if err := p.closeReason(); !errors.Is(err, ErrVersion) {
			t.Errorf("closed with %v, want ErrVersion", err)
		}
		if n.eng.Banned("older") {
			t.Error("an older peer is banned")
		}
	})
}

// gateStore holds every Update until open is closed.
type gateStore struct {
	dag.Store
	open chan struct{}
}

// gatedGraph returns a Graph on a store whose writes wait until the
// returned store's open is closed (after the genesis), and the MemStore
// under it.
func gatedGraph(t *testing.T, net *dag.Network) (*dag.Graph, *dag.MemStore, gateStore) {
	t.Helper()
	mem := dag.NewMemStore()
	store := gateStore{Store: mem, open: make(chan struct{})}
	close(store.open) // the Graph stores the genesis
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: store})
	store.open = make(chan struct{})
	return g, mem, store
}

func (s gateStore) Update(fn func(dag.WriteTx) error) error {
	<-s.open
	return s.Store.Update(fn)
}

// countingLedger counts the transactions submitted to it and its State
// calls.
type countingLedger struct {
	*dag.Graph
	submitted, states atomic.Int64
}

func (l *countingLedger) State(id dag.TxID) (dag.State, error) {
	l.states.Add(1)
	return l.Graph.State(id)
}

func (l *countingLedger) SubmitHashed(ctx context.Context, txs []dag.Hashed, src string) (*dag.Batch, error) {
	l.submitted.Add(int64(len(txs)))
	return l.Graph.SubmitHashed(ctx, txs, src)
}

// Copies of a transaction that arrive while the first is being added are
// dropped, not verified again; once it is added, both senders are served.
func TestCopiesWhileAdding(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	g, mem, store := gatedGraph(t, net)
	ledger := &countingLedger{Graph: g}
	cfg := testConfig()
	cfg.Network, cfg.Ledger, cfg.Store = net, ledger, mem
	e, ours := rawEngine(t, cfg)

	tx := pay(t, net, keys[0], 0, "once")
	msg := &wire.Tx{Txs: []wire.TxEntry{{ID: tx.ID, Raw: tx.Raw}}}
	var peers []*rawPeer
	for _, id := range []string{"p1", "p2", "p3"} {
		p := newRawPeer(e, id)
		p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: ours})
		p.handle(t, msg)
		peers = append(peers, p)
	}
	if n := ledger.submitted.Load(); n != 1 {
		t.Errorf("%d copies submitted while the first was being added, want 1", n)
	}
	close(store.open)
	for _, p := range peers {
		p.barrier(t)
		if p.eng.Banned(p.id) {
			t.Errorf("%s is banned", p.id)
		}
	}
	if st, err := g.State(tx.ID); err != nil || st != dag.StateAccepted {
		t.Fatalf("tx is %v (%v), want accepted", st, err)
	}
	// Added: a later copy is dropped as stored, and nothing is pending.
	peers[0].handle(t, msg)
	peers[0].barrier(t)
	if n := ledger.submitted.Load(); n != 1 {
		t.Errorf("%d submitted after a copy of a stored tx, want 1", n)
	}
	e.mu.Lock()
	left := len(e.adding)
	e.mu.Unlock()
	if left != 0 {
		t.Errorf("%d IDs still marked as being added", left)
	}
}

// TestCatchUpAfterHello: a transaction accepted after the node sent its
// hello and before the peer's hello arrived is not pushed (the peer was not
// ready); the node pings at once, and the pong starts a sync, without
// waiting for the keep-alive.
func TestCatchUpAfterHello(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.PingInterval = time.Hour
	a := newNode(t, net, "a", cfg)
	before := a.digest(t)
	p := newRawPeer(a.eng, "p")
	tx := pay(t, net, keys[0], 0, "between the hellos")
	a.add(t, tx.Raw)
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: before})
	var ping *wire.Ping
	eventually(t, 5*time.Second, "ping", func() error {
		for _, m := range p.received(wire.TypePing) {
			ping = m.(*wire.Ping)
			return nil
		}
		return errors.New("no ping")
	})
	if ping.Digest != a.digest(t) {
		t.Errorf("ping carries digest %v, want %v", ping.Digest, a.digest(t))
	}
	p.handle(t, &wire.Pong{Nonce: ping.Nonce, Digest: before})
	eventually(t, 5*time.Second, "recon query", func() error {
		if len(p.received(wire.TypeReconQuery)) == 0 {
			return errors.New("no sync started")
		}
		return nil
	})
}

// heldPeer is a rawPeer whose Send of the pong to nonce hold waits until
// release is closed; held is closed when that Send begins.
type heldPeer struct {
	*rawPeer
	hold          uint64
	held, release chan struct{}
}

func (p *heldPeer) Send(b []byte) error {
	if m, err := wire.Decode(b); err == nil {
		if pong, ok := m.(*wire.Pong); ok && pong.Nonce == p.hold {
			close(p.held)
			<-p.release
		}
	}
	return p.rawPeer.Send(b)
}

// Pongs go out in the order of the pings: a ping that comes while the
// settler is still sending the pong to an earlier one waits for it, though
// every pushed transaction is settled by then. A pong out of order misses
// the barrier a sync waits for.
func TestPongsInOrder(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	b := newNode(t, net, "b", testConfig())
	p := &heldPeer{rawPeer: &rawPeer{id: "p", eng: b.eng}, hold: 1, held: make(chan struct{}), release: make(chan struct{})}
	p.as = p
	b.eng.AddPeer(p)
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: b.digest(t)})
	tx := pay(t, net, keys[0], 0, "before the pings")
	p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: tx.ID, Raw: tx.Raw}}})
	// If the tx is committed before ping 1 is read, Handle itself sends
	// pong 1 (and so holds ping 2 back by construction); otherwise the
	// settler sends it while Handle goes on, which is the case under test.
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		p.handle(t, &wire.Ping{Nonce: 1})
	}()
	select {
	case <-p.held: // the tx is settled; pong 1 is being sent
	case <-time.After(5 * time.Second):
		t.Fatal("no pong to ping 1")
	}
	select {
	case <-handled:
		p.handle(t, &wire.Ping{Nonce: 2})
		close(p.release)
	case <-time.After(time.Second):
		close(p.release)
		<-handled
		p.handle(t, &wire.Ping{Nonce: 2})
	}
	var nonces []uint64
	eventually(t, 5*time.Second, "both pongs", func() error {
		nonces = nonces[:0]
		for _, m := range p.received(wire.TypePong) {
			nonces = append(nonces, m.(*wire.Pong).Nonce)
		}
		if len(nonces) < 2 {
			return fmt.Errorf("pongs %v", nonces)
		}
		return nil
	})
	if !slices.Equal(nonces, []uint64{1, 2}) {
		t.Errorf("pongs to pings 1 and 2 came as %v", nonces)
	}
}

// viewCounter is a Store that counts its read transactions.
type viewCounter struct {
	dag.Store
	views atomic.Int64
}

func (s *viewCounter) View(fn func(dag.ReadTx) error) error {
	s.views.Add(1)
	return s.Store.View(fn)
}

// The engine reads its digest from the store once per ledger change: the
// reads in between are served from memory, and a commit (which calls
// Announce) makes the next one read the new digest.
func TestDigestCached(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	store := &viewCounter{Store: dag.NewMemStore()}
	var eng atomic.Pointer[Engine]
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: store, OnChange: func(cs []dag.Change) {
		if e := eng.Load(); e != nil {
			e.Announce(cs)
		}
	}})
	cfg := testConfig()
	cfg.Tick = time.Hour // no tick reads it meanwhile
	cfg.Network, cfg.Ledger, cfg.Store = net, g, store
	e, ours := rawEngine(t, cfg)
	eng.Store(e)
	read := func() dag.Digest {
		t.Helper()
		d, err := e.digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := read(); d != ours {
		t.Fatalf("digest %v, want %v", d, ours)
	}
	before := store.views.Load()
	for range 3 {
		if d := read(); d != ours {
			t.Fatalf("digest %v, want %v", d, ours)
		}
	}
	if n := store.views.Load() - before; n != 0 {
		t.Errorf("3 digests with no ledger change read the store %d times, want 0", n)
	}
	tx := pay(t, net, keys[0], 0, "moves the digest")
	if res, err := g.Add(context.Background(), tx.Raw, ""); err != nil || res.State != dag.StateAccepted {
		t.Fatalf("add: %+v, %v", res, err)
	}
	var want dag.Digest
	if err := store.Store.View(func(r dag.ReadTx) (err error) { want, err = r.Digest(); return err }); err != nil {
		t.Fatal(err)
	}
	if want == ours {
		t.Fatal("the commit did not move the digest")
	}
	if d := read(); d != want {
		t.Errorf("digest after a commit %v, want the new %v", d, want)
	}
}

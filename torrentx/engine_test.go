package torrentx

import (
	"context"
	"crypto/rand"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/gossip"
)

// gossipNode is a Graph, a gossip Engine and a Client wired as the node
// wires them: the Graph's changes go to the Engine, the Engine speaks over
// the Client's ttx peers and falls back to its Fetch.
type gossipNode struct {
	store *dag.MemStore
	graph *dag.Graph
	eng   *gossip.Engine
	key   dag.PubKey // its node key
	c     *Client
}

// clientFetcher lets the Engine, built first, fetch through the Client.
type clientFetcher struct{ c atomic.Pointer[Client] }

func (f *clientFetcher) Fetch(ctx context.Context, id dag.TxID, peers []string) ([]byte, error) {
	return f.c.Load().Fetch(ctx, id, peers)
}

func newGossipNode(t *testing.T, net *dag.Network) *gossipNode { return newHeldGossipNode(t, net, nil) }

// newHeldGossipNode is newGossipNode whose committer, if hold is not nil,
// waits in its first commit until hold is closed: a ledger that takes
// nothing meanwhile.
func newHeldGossipNode(t *testing.T, net *dag.Network, hold <-chan struct{}) *gossipNode {
	t.Helper()
	n := &gossipNode{store: dag.NewMemStore()}
	rand.Read(n.key[:])
	var eng atomic.Pointer[gossip.Engine]
	n.graph = dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: n.store, OnChange: func(cs []dag.Change) {
		if hold != nil {
			<-hold
		}
		if e := eng.Load(); e != nil {
			e.Announce(cs)
		}
	}})
	f := &clientFetcher{}
	e, err := gossip.New(gossip.Config{
		Network: net, Ledger: n.graph, Store: n.store, Fetcher: f, NodeKey: n.key,
		Tick: 10 * time.Millisecond, WantTimeout: 200 * time.Millisecond, PingInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	eng.Store(e)
	n.eng = e
	t.Cleanup(func() { e.Close() })
	cfg := testConfig(net, n.store, &txRecv{})
	cfg.OnTx = nil // the Engine adds what it fetches
	cfg.Gossip = e
	n.c = newTestClient(t, cfg)
	f.c.Store(n.c)
	return n
}

// connectReady has b dial a and waits until each has the other as its
// one ready peer.
func connectReady(t *testing.T, a, b *gossipNode) {
	t.Helper()
	if err := b.c.AddPeers([]string{a.c.ListenAddr()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "both ready", func() bool {
		for _, n := range []*gossipNode{a, b} {
			if ps := n.eng.Peers(); len(ps) != 1 || !ps[0].Ready {
				return false
			}
		}
		return true
	})
}

func (n *gossipNode) digest(t *testing.T) dag.Digest {
	t.Helper()
	var d dag.Digest
	if err := n.store.View(func(tx dag.ReadTx) (err error) { d, err = tx.Digest(); return err }); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestGossipOverTorrent runs the gossip Engine over two Clients: new
// transactions are pushed over the ttx extension, and a node that joins
// late catches up.
func TestGossipOverTorrent(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 4)
	raws := dagtest.NewGen(t, net, keys, 7).Raws(40)
	cases := []struct {
		name   string
		before int // added to A before B connects; the rest after
	}{
		{"pushed after connect", 0},
		{"synced on connect", 25},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newGossipNode(t, net), newGossipNode(t, net)
			add := func(raws [][]byte) {
				if _, err := a.graph.AddBatch(context.Background(), raws, ""); err != nil {
					t.Fatal(err)
				}
			}
			add(raws[:tc.before])
			if err := b.c.AddPeers([]string{a.c.ListenAddr()}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "a ttx peer", func() bool { return len(b.c.swarmAddrs()) == 1 })
			add(raws[tc.before:])
			want := a.digest(t)
			if want.Count != uint64(len(raws))+1 {
				t.Fatalf("A holds %d transactions, want %d", want.Count, len(raws)+1)
			}
			waitFor(t, 10*time.Second, "B to hold what A holds", func() bool { return b.digest(t) == want })
		})
	}
}

// TestPeerIdentity: over real connections, each side knows the other's
// node key from its hello, and which side dialled and where each listens.
func TestPeerIdentity(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	a, b := newGossipNode(t, net), newGossipNode(t, net)
	connectReady(t, a, b)
	for _, tc := range []struct {
		name    string
		n, peer *gossipNode
		inbound bool
	}{
		{"listener", a, b, true},
		{"dialler", b, a, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.n.eng.Peers()[0].NodeKey; got != tc.peer.key {
				t.Errorf("peer's node key %x, want %x", got, tc.peer.key)
			}
			want := netip.MustParseAddrPort(tc.peer.c.ListenAddr()).Port()
			var found bool
			for _, p := range tc.n.c.Peers() {
				if p.Torrent != net.ID {
					continue
				}
				found = true
				if !p.TTX || p.Inbound != tc.inbound || p.ListenPort != want {
					t.Errorf("peer %+v: want ttx, inbound %v, listen port %d", p, tc.inbound, want)
				}
			}
			if !found {
				t.Error("no genesis connection listed")
			}
		})
	}
}

// TestSlowLedgerKeepsPeers: a node whose ledger takes nothing for a while
// is sent far more than it takes, in thousands of messages: they wait in
// its peer's queue (past DefaultPeerQueue messages, where the peer used
// to be closed; past pauseCost reading from it pauses, as
// TestExtensionBackPressure shows), and once the ledger runs again it
// takes every transaction, over the same connection, banning no one.
func TestSlowLedgerKeepsPeers(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 8)
	raws := dagtest.NewGen(t, net, keys, 11).Raws(4000)
	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	a, b := newGossipNode(t, net), newHeldGossipNode(t, net, hold)
	t.Cleanup(release) // before the Graph's Close, which waits for the committer
	connectReady(t, a, b)
	// One message a transaction: A pushes each as it commits it.
	for _, raw := range raws {
		if _, err := a.graph.AddBatch(context.Background(), [][]byte{raw}, ""); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 30*time.Second, "B to queue more than DefaultPeerQueue messages from A", func() bool {
		b.c.mu.Lock()
		defer b.c.mu.Unlock()
		for _, p := range b.c.peers {
			p.inMu.Lock()
			queued := len(p.in)
			p.inMu.Unlock()
			if queued > DefaultPeerQueue {
				return true
			}
		}
		return false
	})
	release()
	want := a.digest(t)
	waitFor(t, 60*time.Second, "B to hold what A holds", func() bool { return b.digest(t) == want })
	for _, n := range []*gossipNode{a, b} {
		if ps := n.eng.Peers(); len(ps) != 1 || n.eng.BanCount() != 0 {
			t.Errorf("%d peers and %d bans, want the one peer kept", len(ps), n.eng.BanCount())
		}
	}
}

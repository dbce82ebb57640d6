package gossip

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// meshOf starts k nodes, connects every pair and waits until all are
// ready.
func meshOf(t testing.TB, net *dag.Network, k int, cfg Config) []*node {
	t.Helper()
	nodes := make([]*node, k)
	for i := range nodes {
		nodes[i] = newNode(t, net, fmt.Sprintf("n%02d", i), cfg)
		for _, o := range nodes[:i] {
			connect(o, nodes[i])
		}
	}
	eventually(t, 10*time.Second, "mesh ready", func() error {
		for _, n := range nodes {
			ready := 0
			for _, p := range n.eng.Peers() {
				if p.Ready {
					ready++
				}
			}
			if ready != k-1 {
				return fmt.Errorf("%s has %d ready peers of %d", n.name, ready, k-1)
			}
		}
		return nil
	})
	return nodes
}

// On a 20-node mesh each node receives each transaction about once: the
// node it enters at pushes it to a few peers and announces it to the
// rest, who want it from there, and every relay after that is an inv.
// Payments one at a time and a burst of them alike reach every node (100 %
// coverage) with at most 1.5 copies received per node per transaction.
func TestRelayCopiesMesh(t *testing.T) {
	const k, single, burst = 20, 20, 40
	net, keys := dagtest.NewNetwork(t, k)
	cfg := testConfig()
	cfg.PingInterval = time.Hour // digest pings after changes still run every Tick
	nodes := meshOf(t, net, k, cfg)
	rng := rand.New(rand.NewPCG(4, 4))
	gens := make([]*dagtest.Gen, k)
	for i := range gens {
		gens[i] = dagtest.NewGen(t, net, []ed25519.PrivateKey{keys[i]}, uint64(i+1))
	}
	var ids []dag.TxID
	origin := make([]int, k) // transactions that entered at each node
	for range single {
		i := rng.IntN(k)
		tx := gens[i].Next(1)[0]
		nodes[i].add(t, tx.Raw)
		origin[i]++
		ids = append(ids, tx.ID)
		eventually(t, 10*time.Second, "payment spread", hasAll(t, nodes, ids[len(ids)-1:], accepted))
	}
	var batch []dag.TxID
	for range burst {
		i := rng.IntN(k)
		tx := gens[i].Next(1)[0]
		nodes[i].add(t, tx.Raw)
		origin[i]++
		batch = append(batch, tx.ID)
	}
	ids = append(ids, batch...)
	eventually(t, 20*time.Second, "burst spread", hasAll(t, nodes, ids, accepted))
	eventually(t, 10*time.Second, "digests", converged(t, nodes))

	var in, out uint64
	for i, n := range nodes {
		st := n.eng.Stats()
		in, out = in+st.TxsIn, out+st.TxsOut
		got := len(ids) - origin[i]
		if copies := float64(st.TxsIn) / float64(got); copies > 1.5 {
			t.Errorf("%s received %d copies of %d transactions: %.2f each, want ≤ 1.5 (%+v)", n.name, st.TxsIn, got, copies, st)
		}
		if st.TxsIn < uint64(got) {
			t.Errorf("%s received %d copies of %d transactions it holds", n.name, st.TxsIn, got)
		}
	}
	// Every copy sent was received: the counters agree across the mesh.
	eventually(t, 5*time.Second, "counters agree", func() error {
		in, out = 0, 0
		for _, n := range nodes {
			st := n.eng.Stats()
			in, out = in+st.TxsIn, out+st.TxsOut
		}
		if in != out {
			return fmt.Errorf("%d copies sent, %d received", out, in)
		}
		return nil
	})
	t.Logf("%.3f copies per node per transaction", float64(in)/float64(len(ids)*(k-1)))
}

// readyPeers connects k raw peers, p0 to pk-1, to n and sends their
// hellos.
func readyPeers(t *testing.T, net *dag.Network, n *node, k int) []*rawPeer {
	t.Helper()
	raws := make([]*rawPeer, k)
	for i := range raws {
		p := newRawPeer(n.eng, fmt.Sprintf("p%d", i))
		p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey(p.id), Network: net.ID, Digest: n.digest(t)})
		raws[i] = p
	}
	return raws
}

// A transaction the node is the first to announce is pushed to
// PushFanout peers and announced to the rest; one that came from a peer is
// announced by inv only, and never to the peer it came from or one that
// announced it.
func TestAnnouncePushFanout(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.PushFanout = 2
	cfg.PingInterval = time.Hour
	n := newNode(t, net, "n", cfg)
	raws := readyPeers(t, net, n, 5)
	gotTx := func(p *rawPeer, id dag.TxID) bool {
		for _, m := range p.received(wire.TypeTx) {
			for _, e := range m.(*wire.Tx).Txs {
				if e.ID == id {
					return true
				}
			}
		}
		return false
	}
	gotInv := func(p *rawPeer, id dag.TxID) bool { return p.invs(id) > 0 }

	// Made here: two pushes, three invs.
	own := pay(t, net, keys[0], 0, "own")
	n.add(t, own.Raw)
	pushed, invs := 0, 0
	for _, p := range raws {
		switch tx, inv := gotTx(p, own.ID), gotInv(p, own.ID); {
		case tx && inv:
			t.Errorf("%s got %s both pushed and announced", p.id, own.ID)
		case tx:
			pushed++
		case inv:
			invs++
		}
	}
	if pushed != 2 || invs != 3 {
		t.Errorf("own transaction: %d pushes and %d invs, want 2 and 3", pushed, invs)
	}

	// From p0, announced by p1 before: invs to p2..p4 only.
	child := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: own.ID, Index: 0}}, dagtest.Out(net, keys[0], dagtest.Funds/2))
	raws[1].handle(t, &wire.Inv{IDs: []dag.TxID{child.ID}})
	raws[1].barrier(t)
	raws[0].handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: child.ID, Raw: child.Raw}}})
	raws[0].barrier(t)
	eventually(t, 2*time.Second, "relayed", func() error {
		for _, p := range raws[2:] {
			if !gotInv(p, child.ID) {
				return fmt.Errorf("%s got no inv", p.id)
			}
		}
		return nil
	})
	for i, p := range raws {
		if gotTx(p, child.ID) {
			t.Errorf("%s was pushed a relayed transaction", p.id)
		}
		if i < 2 && gotInv(p, child.ID) {
			t.Errorf("%s, which has it, got an inv", p.id)
		}
	}
	if st := n.eng.Stats(); st.TxsIn != 1 || st.TxsOut != 2 || st.TxBytesIn != uint64(len(child.Raw)) || st.TxBytesOut != 2*uint64(len(own.Raw)) || st.InvIDsOut != 6 {
		t.Errorf("stats %+v, want 1 in, 2 out, 6 IDs announced", st)
	}
	if pi := n.eng.Peers()[0]; pi.TxsIn != 1 || pi.TxBytesIn != uint64(len(child.Raw)) {
		t.Errorf("p0's info %+v, want 1 transaction in", pi)
	}
}

// An inv of a transaction that another peer's message is adding asks for
// nothing: its bytes are on their way into the ledger already.
func TestInvWhileAdding(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	g, mem, store := gatedGraph(t, net)
	cfg := testConfig()
	cfg.Network, cfg.Ledger, cfg.Store = net, g, mem
	e, ours := rawEngine(t, cfg)
	pusher, announcer := newRawPeer(e, "pusher"), newRawPeer(e, "announcer")
	for _, p := range []*rawPeer{pusher, announcer} {
		p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey(p.id), Network: net.ID, Digest: ours})
	}
	tx, other := pay(t, net, keys[0], 0, "adding"), pay(t, net, keys[0], 1, "unknown")
	pusher.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: tx.ID, Raw: tx.Raw}}})
	announcer.handle(t, &wire.Inv{IDs: []dag.TxID{tx.ID, other.ID}})
	wants := announcer.received(wire.TypeWant)
	if len(wants) != 1 || len(wants[0].(*wire.Want).IDs) != 1 || wants[0].(*wire.Want).IDs[0] != other.ID {
		t.Errorf("wants = %+v, want one for the unknown transaction only", wants)
	}
	close(store.open)
	pusher.barrier(t)
}

// With more peers than PushFanout + InvFanout, a transaction made here is
// pushed to PushFanout of them and announced to InvFanout, and one that
// came from a peer is announced to InvFanout: the rest are told nothing.
func TestAnnounceInvFanout(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.PushFanout, cfg.InvFanout = 2, 3
	cfg.PingInterval = time.Hour
	n := newNode(t, net, "n", cfg)
	raws := readyPeers(t, net, n, 8)
	told := func(id dag.TxID) (pushed, invs int) {
		for _, p := range raws {
			for _, m := range p.received(wire.TypeTx) {
				if slices.ContainsFunc(m.(*wire.Tx).Txs, func(e wire.TxEntry) bool { return e.ID == id }) {
					pushed++
				}
			}
			invs += p.invs(id)
		}
		return pushed, invs
	}

	own := pay(t, net, keys[0], 0, "own")
	n.add(t, own.Raw)
	if pushed, invs := told(own.ID); pushed != 2 || invs != 3 {
		t.Errorf("own transaction: %d pushes and %d invs to 8 peers, want 2 and 3", pushed, invs)
	}

	child := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: own.ID, Index: 0}}, dagtest.Out(net, keys[0], dagtest.Funds/2))
	raws[0].handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: child.ID, Raw: child.Raw}}})
	raws[0].barrier(t)
	eventually(t, 2*time.Second, "relayed", func() error {
		if _, invs := told(child.ID); invs < 3 {
			return fmt.Errorf("%d invs", invs)
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond) // room for any inv past the three
	if pushed, invs := told(child.ID); pushed != 0 || invs != 3 {
		t.Errorf("relayed transaction: %d pushes and %d invs to 7 peers, want 0 and 3", pushed, invs)
	}
	if st := n.eng.Stats(); st.InvIDsOut != 6 {
		t.Errorf("%d IDs announced, want 6", st.InvIDsOut)
	}
}

// An inv of a transaction the ledger accepted lately, by full or by short
// ID, is answered from memory: no want and no ledger or store read. One of
// an unknown transaction reads the ledger and is wanted.
func TestInvOfAccepted(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	mem := dag.NewMemStore()
	var eng atomic.Pointer[Engine]
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: mem, OnChange: func(cs []dag.Change) {
		if e := eng.Load(); e != nil {
			e.Announce(cs)
		}
	}})
	ledger := &countingLedger{Graph: g}
	store := &viewCounter{Store: mem}
	cfg := testConfig()
	cfg.PingInterval = time.Hour
	cfg.Network, cfg.Ledger, cfg.Store = net, ledger, store
	e, ours := rawEngine(t, cfg)
	eng.Store(e)
	p := newRawPeer(e, "announcer")
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey(p.id), Network: net.ID, Digest: ours})
	held, other := pay(t, net, keys[0], 0, "held"), pay(t, net, keys[0], 1, "unknown")
	if res, err := g.Add(context.Background(), held.Raw, ""); err != nil || res.State != dag.StateAccepted {
		t.Fatalf("add: %+v, %v", res, err)
	}
	before, views := ledger.states.Load(), store.views.Load()
	p.handle(t, &wire.Inv{IDs: []dag.TxID{held.ID}})
	if n := ledger.states.Load() - before; n != 0 {
		t.Errorf("inv of an accepted transaction read the ledger %d times, want 0", n)
	}
	p.handle(t, &wire.Inv{Short: []wire.ShortID{p.key(t).Short(held.ID)}})
	if n := store.views.Load() - views; n != 0 {
		t.Errorf("short inv of an accepted transaction read the store %d times, want 0", n)
	}
	if wants := p.received(wire.TypeWant); len(wants) != 0 {
		t.Errorf("wants = %+v, want none", wants)
	}
	p.handle(t, &wire.Inv{IDs: []dag.TxID{held.ID, other.ID}})
	if n := ledger.states.Load() - before; n != 1 {
		t.Errorf("inv of one unknown transaction read the ledger %d times, want 1", n)
	}
	wants := p.received(wire.TypeWant)
	if len(wants) != 1 || len(wants[0].(*wire.Want).IDs) != 1 || wants[0].(*wire.Want).IDs[0] != other.ID {
		t.Errorf("wants = %+v, want one for the unknown transaction only", wants)
	}
}

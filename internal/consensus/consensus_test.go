package consensus

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
	"github.com/torrenttx/ttx/vote"
)

// memNet connects Engines in memory: a poll's transactions are added to
// the polled node's Graph before it sees the poll, as the gossip engine
// does, and every message is delivered on its own goroutine after a small
// random delay.
type memNet struct {
	mu    sync.Mutex
	nodes map[vote.NodeKey]*memNode
	rng   *rand.Rand
	wg    sync.WaitGroup
}

type memNode struct {
	net   *memNet
	key   vote.NodeKey
	addr  netip.Addr
	graph *dag.Graph
	store *dag.MemStore
	eng   *Engine
}

func (n *memNet) delay() time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return time.Duration(n.rng.IntN(5)) * time.Millisecond
}

func (m *memNode) Peers() []vote.Peer {
	var out []vote.Peer
	for k, n := range m.net.nodes {
		if k != m.key {
			out = append(out, vote.Peer{Key: k, Addr: n.addr})
		}
	}
	return out
}

func (m *memNode) Poll(key vote.NodeKey, req uint64, outs []dag.OutPoint, ids []dag.TxID) error {
	to := m.net.nodes[key]
	d := m.net.delay()
	m.net.wg.Go(func() {
		time.Sleep(d)
		// The polled node fetches the sides it lacks from the poller.
		var txs [][]byte
		for _, id := range ids {
			if st, err := to.graph.State(id); err == nil && st == dag.StateUnknown {
				m.store.View(func(r dag.ReadTx) error {
					if rec, err := r.Get(id); err == nil {
						txs = append(txs, rec.Raw)
					}
					return nil
				})
			}
		}
		if len(txs) > 0 {
			to.graph.AddBatch(context.Background(), txs, "poll")
		}
		to.eng.HandlePoll(m.key, req, outs)
	})
	return nil
}

func (m *memNode) Answer(key vote.NodeKey, req uint64, batch []byte) error {
	to := m.net.nodes[key]
	d := m.net.delay()
	m.net.wg.Go(func() {
		time.Sleep(d)
		to.eng.HandleVotes(m.key, req, batch)
	})
	return nil
}

func newMemNet(t *testing.T, n int, net *dag.Network) *memNet {
	t.Helper()
	mn := &memNet{nodes: make(map[vote.NodeKey]*memNode), rng: rand.New(rand.NewPCG(1, 2))}
	var nodes []*memNode
	for i := range n {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		m := &memNode{net: mn, key: vote.NodeKey(pub), addr: netip.AddrFrom4([4]byte{10, byte(i), 0, 1}), store: dag.NewMemStore()}
		var eng *Engine
		m.graph = dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: m.store, OnChange: func(cs []dag.Change) { eng.OnChange(cs) }})
		eng, err = New(Config{Network: net, Graph: m.graph, Store: m.store, Key: priv, Transport: m,
			Rand: rand.New(rand.NewPCG(uint64(i), 7)), Interval: 10 * time.Millisecond, Quiet: 50 * time.Millisecond, Timeout: 200 * time.Millisecond, MinPeers: 1})
		if err != nil {
			t.Fatal(err)
		}
		m.eng = eng
		mn.nodes[m.key] = m
		nodes = append(nodes, m)
	}
	for _, m := range nodes {
		if err := m.eng.Start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, m := range nodes {
			m.eng.Close()
		}
		mn.wg.Wait()
	})
	return mn
}

func (n *memNet) list() []*memNode {
	var out []*memNode
	for _, m := range n.nodes {
		out = append(out, m)
	}
	return out
}

func stateOf(t *testing.T, m *memNode, id dag.TxID) dag.State {
	t.Helper()
	st, err := m.graph.State(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %v", what, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUncontestedFinal: a payment known to every node becomes final on
// every node, with a certificate that verifies.
func TestUncontestedFinal(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	mn := newMemNet(t, 5, net)
	pay := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, dagtest.Out(net, keys[1], dagtest.Funds))
	for _, m := range mn.list() {
		if _, err := m.graph.Add(context.Background(), pay.Raw, ""); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "final everywhere", func() error {
		for _, m := range mn.list() {
			if st := stateOf(t, m, pay.ID); st != dag.StateFinal {
				return fmt.Errorf("a node holds it %v", st)
			}
		}
		return nil
	})
	for _, m := range mn.list() {
		var raw []byte
		m.store.View(func(r dag.ReadTx) error {
			var err error
			raw, err = r.Certificate(pay.ID)
			return err
		})
		var c vote.Certificate
		if err := c.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		res, err := c.Verify(nil)
		if err != nil || !res.Final || c.Tx != pay.ID {
			t.Errorf("certificate: %+v, %v", res, err)
		}
	}
}

// TestRace: two sides of a double spend, each first seen by half of the
// nodes, end with one winner on every node, final, and a certificate for
// the winner only.
func TestRace(t *testing.T) {
	const rounds = 20
	net, keys := dagtest.NewNetwork(t, rounds+2)
	mn := newMemNet(t, 8, net)
	nodes := mn.list()
	wins := map[bool]int{}
	for round := range rounds {
		g0 := dagtest.GenesisOut(net, round)
		a := dagtest.Spend(t, net, keys[round], []dag.OutPoint{g0}, dagtest.Out(net, keys[rounds], dagtest.Funds))
		b := dagtest.Spend(t, net, keys[round], []dag.OutPoint{g0}, dagtest.Out(net, keys[rounds+1], dagtest.Funds))
		var wg sync.WaitGroup
		for i, m := range nodes {
			first, second := a, b
			if i%2 == 1 {
				first, second = b, a
			}
			wg.Go(func() {
				m.graph.Add(context.Background(), first.Raw, "")
				m.graph.Add(context.Background(), second.Raw, "")
			})
		}
		wg.Wait()
		var winner dag.TxID
		waitFor(t, 20*time.Second, "one final winner", func() error {
			winner = dag.TxID{}
			for _, m := range nodes {
				sa, sb := stateOf(t, m, a.ID), stateOf(t, m, b.ID)
				var w dag.TxID
				switch {
				case sa == dag.StateFinal && sb == dag.StateRejected:
					w = a.ID
				case sb == dag.StateFinal && sa == dag.StateRejected:
					w = b.ID
				default:
					return fmt.Errorf("a node holds %v / %v", sa, sb)
				}
				if !winner.IsZero() && w != winner {
					return fmt.Errorf("split")
				}
				winner = w
			}
			return nil
		})
		wins[winner == a.ID]++
		var d0 dag.Digest
		for i, m := range nodes {
			var d dag.Digest
			m.store.View(func(r dag.ReadTx) error { d, _ = r.Digest(); return nil })
			if i > 0 && d != d0 {
				t.Errorf("digests differ: %v, %v", d, d0)
			}
			d0 = d
		}
	}
	t.Logf("%d races: the side first seen by the even nodes won %d", rounds, wins[true])
}

// TestPollFits: the largest poll, and its answer, fit in one message.
func TestPollFits(t *testing.T) {
	outs := make([]dag.OutPoint, maxPollOuts)
	votes := make([]vote.Vote, maxPollOuts)
	for i := range outs {
		outs[i] = dag.OutPoint{TxID: dag.TxID{byte(i), byte(i >> 8), 1}, Index: uint32(i)}
		votes[i] = vote.Vote{Out: outs[i], Pref: dag.TxID{9}}
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	b, err := vote.Sign(priv, dag.TxID{1}, 1, votes)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []wire.Message{&wire.Poll{Req: 1, Outs: outs}, &wire.Votes{Req: 1, Batch: raw}} {
		if _, err := wire.Encode(m); err != nil {
			t.Errorf("%v of %d outputs: %v", m.Type(), maxPollOuts, err)
		}
	}
	if _, err := wire.Encode(&wire.Poll{Req: 1, Outs: append(outs, dag.OutPoint{Index: 1})}); err == nil && vote.BatchSize(maxPollOuts+1) <= wire.MaxBatchSize {
		t.Errorf("maxPollOuts %d is not the most that fits", maxPollOuts)
	}
}

package ttxtest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

// TestBoundedPeers starts 30 nodes that each know one earlier node, with
// PEX on and the DHT off, under a cap far below a full mesh: every node
// must stay within it, the ttx peer graph must connect them all, and a
// payment made on one node must reach every other.
func TestBoundedPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("30 nodes")
	}
	const (
		nodes       = 30
		maxPeers    = 10
		maxOutbound = 4
		maxInbound  = maxPeers - maxOutbound
	)
	start := time.Now()
	names := make([]string, nodes)
	for i := range names {
		names[i] = fmt.Sprintf("n%02d", i)
	}
	n := ttxtest.NewNetworkTweaked(t, func(_ string, cfg *node.Config) {
		cfg.MaxPeers, cfg.MaxOutbound = maxPeers, maxOutbound
	}, names...)
	// A random tree: each node is told of one earlier node only; PEX must
	// spread the rest.
	for i := 1; i < nodes; i++ {
		parent := n.Node(names[rand.IntN(i)])
		if err := n.Node(names[i]).Connect(parent.ListenAddr()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d nodes started and dialled in %v", nodes, time.Since(start).Round(time.Millisecond))

	// peers returns each node's ttx peers, by node name.
	byAddr := make(map[string]string, nodes)
	for _, name := range names {
		byAddr[n.Node(name).ListenAddr()] = name
	}
	peers := func() map[string][]api.Peer {
		out := make(map[string][]api.Peer, nodes)
		for _, name := range names {
			ps, err := n.Node(name).Peers(context.Background())
			if err != nil {
				t.Fatalf("peers of %s: %v", name, err)
			}
			for _, p := range ps {
				if p.TTX {
					out[name] = append(out[name], p)
				}
			}
		}
		return out
	}
	// checkCap fails the test if a node holds more peers than the cap
	// allows, and returns the fewest and most ttx peers a node has.
	checkCap := func(all map[string][]api.Peer) (lo, hi int) {
		lo = nodes
		for _, name := range names {
			in, out := 0, 0
			for _, p := range all[name] {
				if p.Inbound {
					in++
				} else {
					out++
				}
			}
			if in > maxInbound || out > maxOutbound {
				t.Errorf("%s has %d inbound and %d outbound ttx peers, cap %d and %d", name, in, out, maxInbound, maxOutbound)
			}
			lo, hi = min(lo, in+out), max(hi, in+out)
		}
		return lo, hi
	}
	// unreached lists the nodes the ttx peer graph does not reach from the
	// first one.
	unreached := func(all map[string][]api.Peer) []string {
		seen := map[string]bool{names[0]: true}
		queue := []string{names[0]}
		for len(queue) > 0 {
			at := queue[0]
			queue = queue[1:]
			for _, p := range all[at] {
				if to, ok := byAddr[p.Addr]; ok && !seen[to] {
					seen[to] = true
					queue = append(queue, to)
				}
			}
		}
		var out []string
		for _, name := range names {
			if !seen[name] {
				out = append(out, name)
			}
		}
		return out
	}
	// Wait until every node filled its outbound slots and all are
	// connected, checking the cap at every look. Most runs take a few
	// seconds; a node whose known candidates are all full learns new ones
	// only from its peers' next PEX message, up to a PEX interval (a
	// minute) later, and nodes whose slots all filled inside one part of
	// the network meet the rest only when one of them replaces an
	// outbound peer (each does about every 30 s), so the bound covers a
	// PEX interval and its back-off, or a few such rotations.
	ttxtest.Wait(t, 90*time.Second, func() error {
		all := peers()
		checkCap(all)
		for _, name := range names {
			out := 0
			for _, p := range all[name] {
				if !p.Inbound {
					out++
				}
			}
			if out < maxOutbound {
				return fmt.Errorf("%s has %d outbound ttx peers, want %d", name, out, maxOutbound)
			}
		}
		if u := unreached(all); len(u) > 0 {
			return fmt.Errorf("not reached from %s: %v", names[0], u)
		}
		return nil
	})
	settled := time.Since(start)
	// The set stays within the cap as PEX keeps bringing addresses.
	lo, hi := nodes, 0
	for range 10 {
		l, h := checkCap(peers())
		lo, hi = min(lo, l), max(hi, h)
		time.Sleep(100 * time.Millisecond)
	}
	if hi >= nodes-1 {
		t.Errorf("a node has %d ttx peers: a full mesh", hi)
	}
	t.Logf("peers per node: min %d, max %d (cap %d: %d out, %d in); connected after %v",
		lo, hi, maxPeers, maxOutbound, maxInbound, settled.Round(time.Millisecond))

	id := n.Send(names[nodes-1], names[0], 3*dag.Unit)
	sent := time.Now()
	ttxtest.Wait(t, 20*time.Second, func() error {
		for _, name := range names {
			st, err := n.Node(name).Graph().State(id)
			if err != nil || !st.Accepted() {
				return fmt.Errorf("%s holds the payment as %v (%v)", name, st, err)
			}
		}
		return nil
	})
	t.Logf("payment accepted on all %d nodes in %v; test took %v", nodes,
		time.Since(sent).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

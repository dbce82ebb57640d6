package gossip

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// Each side learns the other's node key from its hello, and SendTo reaches
// a peer by its key.
func TestNodeKeys(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	a, b := newNode(t, net, "a", testConfig()), newNode(t, net, "b", testConfig())
	connect(a, b)
	eventually(t, 2*time.Second, "keys", func() error {
		for _, pair := range [][2]*node{{a, b}, {b, a}} {
			ps := pair[0].eng.Peers()
			if len(ps) != 1 || !ps[0].Ready || ps[0].NodeKey != testKey(pair[1].name) {
				return fmt.Errorf("%s's peers %+v, want %s's key", pair[0].name, ps, pair[1].name)
			}
		}
		return nil
	})

	p := newRawPeer(a.eng, "raw")
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, NodeKey: testKey("raw"), Network: net.ID, Digest: a.digest(t)})
	if hellos := p.received(wire.TypeHello); len(hellos) != 1 || hellos[0].(*wire.Hello).NodeKey != testKey("a") {
		t.Fatalf("a's hello = %+v, want a's key", hellos)
	}
	inv := &wire.Inv{IDs: []dag.TxID{{1}}}
	if err := a.eng.SendTo(testKey("raw"), inv); err != nil {
		t.Fatalf("SendTo raw: %v", err)
	}
	if got := p.received(wire.TypeInv); len(got) != 1 || got[0].(*wire.Inv).IDs[0] != inv.IDs[0] {
		t.Errorf("raw received %+v, want the inv", got)
	}
	if err := a.eng.SendTo(testKey("nobody"), inv); !errors.Is(err, ErrUnknownPeer) {
		t.Errorf("SendTo an unknown key = %v, want ErrUnknownPeer", err)
	}
	a.eng.Close()
	if err := a.eng.SendTo(testKey("raw"), inv); !errors.Is(err, ErrClosed) {
		t.Errorf("SendTo after Close = %v, want ErrClosed", err)
	}
}

// tickedByHand returns a node whose timers run only when the test calls
// tick, and a raw peer of it, ready.
func tickedByHand(t *testing.T, net *dag.Network) (*node, *rawPeer) {
	t.Helper()
	cfg := testConfig()
	cfg.Tick, cfg.PingInterval = time.Hour, time.Hour // only the test ticks
	a := newNode(t, net, "a", cfg)
	p := newRawPeer(a.eng, "p")
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, NodeKey: testKey("p"), Network: net.ID, Digest: a.digest(t)})
	return a, p
}

// A ledger change is pinged to every ready peer at the next tick, once
// for all the changes since the last one, and not again while the ledger
// stays put.
func TestDigestPing(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 3)
	a, p := tickedByHand(t, net)
	pings := func() []*wire.Ping {
		var out []*wire.Ping
		for _, m := range p.received(wire.TypePing) {
			out = append(out, m.(*wire.Ping))
		}
		return out
	}
	a.eng.tick()
	if n := len(pings()); n != 0 {
		t.Fatalf("%d pings before any change, want 0", n)
	}
	a.add(t, pay(t, net, keys[0], 0, "one").Raw)
	a.add(t, pay(t, net, keys[1], 1, "two").Raw)
	a.eng.tick()
	got := pings()
	if len(got) != 1 || got[0].Digest != a.digest(t) {
		t.Fatalf("pings after two changes and a tick = %+v, want one with digest %v", got, a.digest(t))
	}
	p.handle(t, &wire.Pong{Nonce: got[0].Nonce, Digest: a.digest(t)})
	a.eng.tick()
	if n := len(pings()); n != 1 {
		t.Fatalf("%d pings after a tick with no change, want still 1", n)
	}
	if ps := a.eng.Peers(); len(ps) != 1 || ps[0].Digest != a.digest(t) {
		t.Errorf("a's view of p = %+v, want p's pong digest", ps)
	}
	a.add(t, pay(t, net, keys[2], 2, "three").Raw)
	a.eng.tick()
	if got := pings(); len(got) != 2 || got[1].Digest != a.digest(t) {
		t.Errorf("pings after a third change = %+v, want a second with the new digest", got)
	}
}

// A peer whose ping carried the digest our ledger moved to learns ours
// from the pong: the next tick does not ping it about the same change. A
// ping of another digest leaves it pinged.
func TestDigestPingAfterPeerPinged(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	a, p := tickedByHand(t, net)
	a.add(t, pay(t, net, keys[0], 0, "one").Raw)
	p.handle(t, &wire.Ping{Nonce: 1, Digest: a.digest(t)}) // p reached the same ledger
	p.barrier(t)
	a.eng.tick()
	if n := len(p.received(wire.TypePing)); n != 0 {
		t.Fatalf("%d pings after p pinged a's own digest, want 0", n)
	}
	a.add(t, pay(t, net, keys[1], 1, "two").Raw)
	p.handle(t, &wire.Ping{Nonce: 2, Digest: dag.Digest{Count: 1}}) // p holds another ledger
	p.barrier(t)
	a.eng.tick()
	if got := p.received(wire.TypePing); len(got) != 1 || got[0].(*wire.Ping).Digest != a.digest(t) {
		t.Errorf("pings after p pinged another digest = %+v, want one with a's", got)
	}
}

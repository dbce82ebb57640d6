package gossip

import (
	"errors"
	"fmt"
	"sync/atomic"
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
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: a.digest(t)})
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

// A ledger change is pinged to every ready peer once the digest has not
// moved for DigestDelay, once for all the changes before, and not again
// while the ledger stays put; a peer our pong told the new digest is not
// pinged with it.
func TestDigestPing(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 4)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	advance := func() { clock.Add(int64(time.Minute)) }
	cfg := testConfig()
	cfg.Tick, cfg.PingInterval = time.Hour, time.Hour // only the test ticks
	cfg.DigestDelay = time.Minute
	cfg.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	a := newNode(t, net, "a", cfg)
	p := newRawPeer(a.eng, "p")
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("p"), Network: net.ID, Digest: a.digest(t)})
	pings := func() []*wire.Ping {
		var out []*wire.Ping
		for _, m := range p.received(wire.TypePing) {
			out = append(out, m.(*wire.Ping))
		}
		return out
	}
	a.eng.tick()
	advance()
	a.eng.tick()
	if n := len(pings()); n != 0 {
		t.Fatalf("%d pings before any change, want 0", n)
	}
	a.add(t, pay(t, net, keys[0], 0, "one").Raw)
	a.eng.tick()
	a.add(t, pay(t, net, keys[1], 1, "two").Raw)
	advance()
	a.eng.tick()
	if n := len(pings()); n != 0 {
		t.Fatalf("%d pings while the digest moves, want 0", n)
	}
	advance()
	a.eng.tick()
	got := pings()
	if len(got) != 1 || got[0].Digest != a.digest(t) {
		t.Fatalf("pings once the digest settled = %+v, want one with digest %v", got, a.digest(t))
	}
	p.handle(t, &wire.Pong{Nonce: got[0].Nonce, Digest: a.digest(t)})
	advance()
	a.eng.tick()
	if n := len(pings()); n != 1 {
		t.Fatalf("%d pings after a tick with no change, want still 1", n)
	}
	if ps := a.eng.Peers(); len(ps) != 1 || ps[0].Digest != a.digest(t) {
		t.Errorf("a's view of p = %+v, want p's pong digest", ps)
	}
	a.add(t, pay(t, net, keys[2], 2, "three").Raw)
	a.eng.tick()
	if n := len(pings()); n != 1 {
		t.Fatalf("%d pings at the tick that saw a third change, want still 1", n)
	}
	advance()
	a.eng.tick()
	if got := pings(); len(got) != 2 || got[1].Digest != a.digest(t) {
		t.Errorf("pings after a third change = %+v, want a second with the new digest", got)
	}
	a.add(t, pay(t, net, keys[3], 3, "four").Raw)
	a.eng.tick()
	p.handle(t, &wire.Ping{Nonce: 7, Digest: a.digest(t)})
	p.barrier(t)
	advance()
	a.eng.tick()
	if n := len(pings()); n != 2 {
		t.Errorf("%d pings after our pong told p the fourth change, want still 2", n)
	}
}

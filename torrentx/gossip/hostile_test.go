package gossip

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// tampered returns a canonical transaction whose signature does not
// verify: p with another memo.
func tampered(t *testing.T, p *dag.Parsed) []byte {
	t.Helper()
	tx := p.Tx
	tx.Memo = "tampered"
	raw, err := dag.Encode(&tx)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A hostile peer is dropped (and banned, unless it is merely on another
// network) while an honest peer of the same node keeps being served.
// Policy rejections cost nothing.
func TestHostilePeer(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 4)
	other, _ := dagtest.NewNetwork(t, 5)
	parent := pay(t, net, keys[0], 0, "parent")
	orphan := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: parent.ID, Index: 0}}, dagtest.Out(net, keys[0], dagtest.Funds/2))
	bad := tampered(t, parent)
	hello := func(n *node) wire.Message {
		return &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: n.digest(t)}
	}
	tests := []struct {
		name string
		cfg  func(*Config)
		// act drives the hostile peer; raw payloads go through as they are.
		act  func(t *testing.T, h *node, p *rawPeer)
		want error // close reason; nil: stays connected
	}{
		{name: "malformed cbor", want: ErrBanned, act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, hello(h))
			h.eng.Handle(p, []byte{0xa1, 0x00, 0xff})
		}},
		{name: "oversized", want: ErrBanned, act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, hello(h))
			h.eng.Handle(p, make([]byte, wire.MaxMessageSize+1))
		}},
		{name: "message before hello", want: ErrBanned, act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, &wire.Inv{IDs: []dag.TxID{parent.ID}})
		}},
		{name: "wrong id", want: ErrBanned, act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, hello(h))
			p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: orphan.ID, Raw: parent.Raw}}})
		}},
		{name: "invalid tx", want: ErrBanned, act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, hello(h))
			p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: dag.IDs(bad).ID, Raw: bad}}})
		}},
		{name: "flooding messages", want: ErrBanned, cfg: func(c *Config) { c.MsgRate, c.MsgBurst = 10, 50 },
			act: func(t *testing.T, h *node, p *rawPeer) {
				p.handle(t, hello(h))
				for i := 0; i < 200; i++ {
					p.handle(t, &wire.Ping{Nonce: uint64(i)})
				}
			}},
		{name: "flooding bytes", want: ErrBanned, cfg: func(c *Config) { c.ByteRate, c.ByteBurst = 1000, wire.MaxMessageSize },
			act: func(t *testing.T, h *node, p *rawPeer) {
				p.handle(t, hello(h))
				ids := make([]dag.TxID, wire.MaxIDs)
				for i := range ids {
					ids[i][0], ids[i][1] = byte(i), byte(i>>8)
				}
				for i := 0; i < 20; i++ {
					p.handle(t, &wire.Query{Nonce: uint64(i), IDs: ids})
				}
			}},
		{name: "malformed node key", want: ErrBanned, act: func(t *testing.T, h *node, p *rawPeer) {
			b, err := wire.Encode(&wire.Hello{Version: wire.PollIDsVersion, NodeKey: testKey("raw"), Network: net.ID, Digest: h.digest(t)})
			if err != nil {
				t.Fatal(err)
			}
			// The key (field 13, last) is bstr(32); make it bstr(31).
			n := len(b)
			if b[n-35] != 0x0d || b[n-34] != 0x58 || b[n-33] != 32 {
				t.Fatalf("hello does not end with its node key: %x", b)
			}
			b[n-33] = 31
			h.eng.Handle(p, b[:n-1])
			eventually(t, time.Second, "closed", func() error {
				if err := p.closeReason(); err == nil || !strings.Contains(err.Error(), "node key is 31 bytes") {
					return fmt.Errorf("closed with %v, want a reason naming the node key", err)
				}
				return nil
			})
		}},
		{name: "version 1 without node key", want: ErrVersion, act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, &wire.Hello{Version: 1, Network: net.ID, Digest: h.digest(t)})
		}},
		{name: "wrong network", want: ErrWrongNetwork, act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: other.ID, Digest: h.digest(t)})
		}},
		{name: "orphan, duplicate and unknown type cost nothing", act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, hello(h))
			for i := 0; i < 3; i++ {
				p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: orphan.ID, Raw: orphan.Raw}}})
				p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: net.ID, Raw: net.Genesis.Raw}}})
				h.eng.Handle(p, []byte{0xa1, 0x00, 0x18, 0x63}) // type 99
			}
		}},
		{name: "double-spend evidence costs nothing", act: func(t *testing.T, h *node, p *rawPeer) {
			p.handle(t, hello(h))
			rival := pay(t, net, keys[0], 0, "rival")
			p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: rival.ID, Raw: rival.Raw}}})
			p.barrier(t)
			if st := h.state(t, rival.ID); st != dag.StateRejected {
				t.Errorf("rival is %s, want rejected evidence", st)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			h, honest := newNode(t, net, "h", cfg), newNode(t, net, "honest", testConfig())
			h.add(t, parent.Raw)
			connect(h, honest)
			eventually(t, 5*time.Second, "honest synced", converged(t, []*node{h, honest}))

			p := newRawPeer(h.eng, "hostile")
			tc.act(t, h, p)
			if tc.want != nil {
				eventually(t, time.Second, "hostile closed", func() error {
					if p.closeReason() == nil {
						return errors.New("still open")
					}
					return nil
				})
			}
			err := p.closeReason()
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("hostile peer closed: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("hostile peer closed with %v, want %v", err, tc.want)
			}
			if banned := h.eng.Banned("hostile"); banned != (tc.want == ErrBanned) {
				t.Errorf("Banned = %v", banned)
			}
			if tc.want == ErrBanned {
				again := newRawPeer(h.eng, "hostile")
				if err := again.closeReason(); !errors.Is(err, ErrBanned) {
					t.Errorf("banned peer reconnects: closed with %v", err)
				}
			}
			// The honest peer is still served, both ways.
			tx := pay(t, net, keys[1], 1, "after "+tc.name)
			honest.add(t, tx.Raw)
			tx2 := pay(t, net, keys[2], 2, "after "+tc.name)
			h.add(t, tx2.Raw)
			eventually(t, 5*time.Second, "honest served", hasAll(t, []*node{h, honest}, []dag.TxID{tx.ID, tx2.ID}, accepted))
			for _, pi := range h.eng.Peers() {
				if pi.ID == "honest" && pi.Score != 0 {
					t.Errorf("honest peer scored %d", pi.Score)
				}
			}
		})
	}
}

// A ban lasts BanDuration, by the engine's clock.
func TestBanExpiry(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	cfg := testConfig()
	cfg.BanDuration = time.Hour
	cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	n := newNode(t, net, "n", cfg)
	tests := []struct {
		name    string
		advance time.Duration
		banned  bool
	}{
		{"just banned", 0, true},
		{"59 minutes later", 59 * time.Minute, true},
		{"an hour later", time.Minute, false},
	}
	p := newRawPeer(n.eng, "10.1.2.3:6881")
	n.eng.Handle(p, []byte{0xff})
	eventually(t, time.Second, "closed", func() error {
		if err := p.closeReason(); !errors.Is(err, ErrBanned) {
			return fmt.Errorf("closed with %v, want ErrBanned", err)
		}
		return nil
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			now = now.Add(tc.advance)
			mu.Unlock()
			// The ban covers the IP, whatever the port.
			for _, id := range []string{"10.1.2.3:6881", "10.1.2.3:7000"} {
				if got := n.eng.Banned(id); got != tc.banned {
					t.Errorf("Banned(%s) = %v, want %v", id, got, tc.banned)
				}
			}
			q := newRawPeer(n.eng, "10.1.2.3:7000")
			if err := q.closeReason(); (err != nil) != tc.banned {
				t.Errorf("reconnect closed with %v, banned %v", err, tc.banned)
			}
			n.eng.RemovePeer(q)
		})
	}
	if n.eng.Banned("127.0.0.1:1") {
		t.Error("an unrelated peer is banned")
	}
}

// Announce sends each new transaction once to each peer: pushed if small,
// by inv if not, never back to a peer that sent it, and evidence too.
func TestAnnounce(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	cfg := testConfig()
	cfg.PushMax = 600
	n := newNode(t, net, "n", cfg)
	p := newRawPeer(n.eng, "p")
	p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: n.digest(t)})
	small := pay(t, net, keys[0], 0, "s")
	large := pay(t, net, keys[1], 1, string(bytes.Repeat([]byte{'x'}, 200)))
	if len(small.Raw) > cfg.PushMax || len(large.Raw) <= cfg.PushMax {
		t.Fatalf("sizes %d and %d do not straddle %d", len(small.Raw), len(large.Raw), cfg.PushMax)
	}
	fromPeer := pay(t, net, keys[0], 0, "rival") // double spend of small
	n.add(t, small.Raw, large.Raw)
	p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: fromPeer.ID, Raw: fromPeer.Raw}}})
	p.barrier(t)
	n.eng.Announce([]dag.Change{{ID: small.ID, State: dag.StateAccepted, Raw: small.Raw}}) // again: no resend
	eventually(t, time.Second, "announced", func() error {
		pushed, invd := map[dag.TxID]int{}, map[dag.TxID]int{}
		for _, m := range p.received(wire.TypeTx) {
			for _, e := range m.(*wire.Tx).Txs {
				pushed[e.ID]++
			}
		}
		for _, id := range []dag.TxID{small.ID, large.ID, fromPeer.ID} {
			if k := p.invs(id); k > 0 {
				invd[id] = k
			}
		}
		want := fmt.Sprintf("pushed map[%s:1] inv map[%s:1]", small.ID, large.ID)
		if got := fmt.Sprintf("pushed %v inv %v", pushed, invd); got != want {
			return fmt.Errorf("got %s, want %s", got, want)
		}
		return nil
	})
	if st := n.state(t, fromPeer.ID); st != dag.StateRejected {
		t.Errorf("rival is %s, want rejected", st)
	}
}

package gossip

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// key returns the short-ID key of p's connection: rawSalt and the salt of
// the engine's hello.
func (p *rawPeer) key(t *testing.T) wire.ShortKey {
	t.Helper()
	h := p.received(wire.TypeHello)
	if len(h) != 1 || h[0].(*wire.Hello).Salt == 0 {
		t.Fatalf("%s: hellos %+v, want one with a salt", p.id, h)
	}
	return wire.NewShortKey(rawSalt, h[0].(*wire.Hello).Salt)
}

// wantsOf returns the short IDs the engine wanted of p.
func (p *rawPeer) wantsOf() []wire.ShortID {
	var out []wire.ShortID
	for _, m := range p.received(wire.TypeWant) {
		out = append(out, m.(*wire.Want).Short...)
	}
	return out
}

// readyPeer connects a raw peer that speaks version v.
func readyPeer(t *testing.T, net *dag.Network, n *node, id string, v uint64) *rawPeer {
	t.Helper()
	p := newRawPeer(n.eng, id)
	h := &wire.Hello{Version: v, NodeKey: testKey(id), Network: net.ID, Digest: n.digest(t)}
	if v >= wire.ShortIDVersion {
		h.Salt = rawSalt
	}
	p.handle(t, h)
	return p
}

// A version 5 peer is told of a transaction by its short ID on the
// connection, and gets it by wanting that short ID; a short ID it was not
// given gets a notfound. A version 4 peer is told the full ID.
func TestShortAnnounce(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.PushMax = -1 // announce by inv only
	cfg.PingInterval = time.Hour
	n := newNode(t, net, "n", cfg)
	p, old := readyPeer(t, net, n, "p", wire.ProtocolVersion), readyPeer(t, net, n, "old", wire.PollIDsVersion)
	tx := pay(t, net, keys[0], 0, "short")
	n.add(t, tx.Raw)
	sid := p.key(t).Short(tx.ID)
	invs := p.received(wire.TypeInv)
	if len(invs) != 1 || !slices.Equal(invs[0].(*wire.Inv).Short, []wire.ShortID{sid}) || len(invs[0].(*wire.Inv).IDs) != 0 {
		t.Fatalf("v5 peer got invs %+v, want one of short ID %x", invs, sid)
	}
	if b, _ := wire.Encode(invs[0]); len(b) != 11 {
		t.Errorf("an inv of one short ID is %d bytes, want 11", len(b))
	}
	if invs := old.received(wire.TypeInv); len(invs) != 1 || !slices.Equal(invs[0].(*wire.Inv).IDs, []dag.TxID{tx.ID}) {
		t.Errorf("v4 peer got invs %+v, want one of the full ID", invs)
	}

	bogus := sid
	bogus[5] ^= 1
	p.handle(t, &wire.Want{Short: []wire.ShortID{sid, bogus}})
	txs := p.received(wire.TypeTx)
	if len(txs) != 1 || len(txs[0].(*wire.Tx).Txs) != 1 || txs[0].(*wire.Tx).Txs[0].ID != tx.ID {
		t.Errorf("got %+v for the want, want the transaction", txs)
	}
	nf := p.received(wire.TypeNotFound)
	if len(nf) != 1 || !slices.Equal(nf[0].(*wire.NotFound).Short, []wire.ShortID{bogus}) {
		t.Errorf("notfounds %+v, want one of the short ID never announced", nf)
	}
}

// The node maps a short ID of a transaction it stores and wants nothing;
// one it cannot map it wants by short ID from the first announcer only:
// another peer's short ID of the same prefix waits until the transaction
// arrives, which shows that peer holds it. A short ID of that prefix that
// the arrived transaction does not match (a prefix collision) is wanted
// next, one round trip later.
func TestShortInvWants(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	cfg := testConfig()
	cfg.PushMax = -1
	cfg.PingInterval = time.Hour
	n := newNode(t, net, "n", cfg)
	known, fresh := pay(t, net, keys[0], 0, "known"), pay(t, net, keys[1], 1, "fresh")
	n.add(t, known.Raw)
	p1, p2, p3 := readyPeer(t, net, n, "p1", wire.ProtocolVersion), readyPeer(t, net, n, "p2", wire.ProtocolVersion), readyPeer(t, net, n, "p3", wire.ProtocolVersion)
	k1, k2, k3 := p1.key(t), p2.key(t), p3.key(t)

	p1.handle(t, &wire.Inv{Short: []wire.ShortID{k1.Short(known.ID), k1.Short(fresh.ID)}})
	if got := p1.wantsOf(); !slices.Equal(got, []wire.ShortID{k1.Short(fresh.ID)}) {
		t.Fatalf("wanted %x of p1, want only the unknown transaction's short ID", got)
	}
	p2.handle(t, &wire.Inv{Short: []wire.ShortID{k2.Short(fresh.ID)}})
	other := k3.Short(fresh.ID) // same prefix, another transaction
	other[5] ^= 1
	p3.handle(t, &wire.Inv{Short: []wire.ShortID{other}})
	time.Sleep(3 * cfg.Tick)
	if w2, w3 := p2.wantsOf(), p3.wantsOf(); len(w2)+len(w3) != 0 {
		t.Fatalf("wanted %x of p2 and %x of p3 while p1's copy was on its way", w2, w3)
	}

	p1.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: fresh.ID, Raw: fresh.Raw}}})
	p1.barrier(t)
	if st := n.state(t, fresh.ID); !st.Accepted() {
		t.Fatalf("fresh is %s", st)
	}
	eventually(t, time.Second, "collision wanted", func() error {
		if got := p3.wantsOf(); !slices.Equal(got, []wire.ShortID{other}) {
			return fmt.Errorf("wanted %x of p3", got)
		}
		return nil
	})
	if w := p2.wantsOf(); len(w) != 0 {
		t.Errorf("wanted %x of p2, whose short ID the arrived transaction matches", w)
	}
	// p1 and p2 announced fresh: only p3 is told of it.
	if p1.invs(fresh.ID)+p2.invs(fresh.ID) != 0 || p3.invs(fresh.ID) != 1 {
		t.Errorf("invs of fresh to p1, p2, p3: %d, %d, %d; want 0, 0, 1", p1.invs(fresh.ID), p2.invs(fresh.ID), p3.invs(fresh.ID))
	}
	p3.handle(t, &wire.NotFound{Short: []wire.ShortID{other}})
	eventually(t, time.Second, "short wants end", func() error {
		n.eng.mu.Lock()
		defer n.eng.mu.Unlock()
		if len(n.eng.shorts) != 0 || len(n.eng.wantsBy) != 0 {
			return fmt.Errorf("%d short wants, %v by address", len(n.eng.shorts), n.eng.wantsBy)
		}
		for _, ps := range n.eng.peers {
			if ps.wanted != 0 {
				return fmt.Errorf("%s has %d wanted", ps.id, ps.wanted)
			}
		}
		return nil
	})
}

// A short want that its announcer does not answer moves to the next
// announcer after WantTimeout, and to the next at once when the asked
// peer leaves.
func TestShortWantMoves(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.PingInterval = time.Hour
	n := newNode(t, net, "n", cfg)
	tx := pay(t, net, keys[0], 0, "moves")
	ps := make([]*rawPeer, 3)
	for i := range ps {
		ps[i] = readyPeer(t, net, n, fmt.Sprintf("p%d", i), wire.ProtocolVersion)
		ps[i].handle(t, &wire.Inv{Short: []wire.ShortID{ps[i].key(t).Short(tx.ID)}})
	}
	if len(ps[0].wantsOf()) != 1 || len(ps[1].wantsOf())+len(ps[2].wantsOf()) != 0 {
		t.Fatalf("wants %d, %d, %d; want 1, 0, 0", len(ps[0].wantsOf()), len(ps[1].wantsOf()), len(ps[2].wantsOf()))
	}
	start := time.Now()
	eventually(t, 2*time.Second, "timeout", func() error {
		if len(ps[1].wantsOf()) != 1 {
			return fmt.Errorf("p1 wanted %x", ps[1].wantsOf())
		}
		return nil
	})
	if d := time.Since(start); d < cfg.WantTimeout/2 {
		t.Errorf("moved after %v, before WantTimeout %v", d, cfg.WantTimeout)
	}
	n.eng.RemovePeer(ps[1])
	eventually(t, 2*time.Second, "departure", func() error {
		if got, want := ps[2].wantsOf(), []wire.ShortID{ps[2].key(t).Short(tx.ID)}; !slices.Equal(got, want) {
			return fmt.Errorf("p2 wanted %x", got)
		}
		return nil
	})
	ps[2].handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: tx.ID, Raw: tx.Raw}}})
	ps[2].barrier(t)
	if st := n.state(t, tx.ID); !st.Accepted() {
		t.Errorf("tx is %s", st)
	}
}

// A want by short ID is served from the store: the sender keeps nothing
// per peer of what it announced, so a short ID of a transaction stored
// before the peer came is served too.
func TestShortWantFromStore(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	n := newNode(t, net, "n", testConfig())
	tx := pay(t, net, keys[0], 0, "stored")
	n.add(t, tx.Raw)
	p := readyPeer(t, net, n, "p", wire.ProtocolVersion)
	p.handle(t, &wire.Want{Short: []wire.ShortID{p.key(t).Short(tx.ID)}})
	txs := p.received(wire.TypeTx)
	if len(txs) != 1 || txs[0].(*wire.Tx).Txs[0].ID != tx.ID || len(p.received(wire.TypeNotFound)) != 0 {
		t.Errorf("got %+v and notfounds %+v, want the transaction", txs, p.received(wire.TypeNotFound))
	}
}

// Short wants count against MaxWanted like full ones.
func TestShortWantCaps(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.MaxWanted = 2
	n := newNode(t, net, "n", cfg)
	p := readyPeer(t, net, n, "p", wire.ProtocolVersion)
	short := []wire.ShortID{{1, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 1}, {3, 0, 0, 0, 0, 1}}
	p.handle(t, &wire.Inv{Short: short})
	if got := p.wantsOf(); !slices.Equal(got, short[:2]) {
		t.Errorf("wanted %x, want the first 2", got)
	}
}

// A short ID of a transaction on its way in (being added, or wanted by
// full ID) maps to it: nothing is wanted for it a second time.
func TestShortInvInFlight(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	g, mem, store := gatedGraph(t, net)
	cfg := testConfig()
	cfg.PingInterval = time.Hour
	cfg.Network, cfg.Ledger, cfg.Store = net, g, mem
	e, ours := rawEngine(t, cfg)
	ps := make([]*rawPeer, 4)
	for i := range ps {
		ps[i] = newRawPeer(e, fmt.Sprintf("p%d", i))
		ps[i].handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey(ps[i].id), Network: net.ID, Digest: ours})
	}
	adding, wanted := pay(t, net, keys[0], 0, "adding"), pay(t, net, keys[1], 1, "wanted")
	ps[0].handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: adding.ID, Raw: adding.Raw}}})
	ps[1].handle(t, &wire.Inv{IDs: []dag.TxID{wanted.ID}})
	if w := ps[1].received(wire.TypeWant); len(w) != 1 {
		t.Fatalf("wants of p1 %+v, want one", w)
	}
	for _, p := range ps[2:] {
		k := p.key(t)
		p.handle(t, &wire.Inv{Short: []wire.ShortID{k.Short(adding.ID), k.Short(wanted.ID)}})
		if w := p.received(wire.TypeWant); len(w) != 0 {
			t.Errorf("%s was asked %+v for transactions in flight", p.id, w)
		}
	}
	e.mu.Lock()
	if w := e.wants[wanted.ID]; w == nil || !slices.Equal(w.sources, []string{"p1", "p2", "p3"}) {
		t.Errorf("want of %s: %+v, want sources p1, p2, p3", wanted.ID, w)
	}
	e.mu.Unlock()
	close(store.open)
	ps[0].barrier(t)
}

// The index of IDs in flight forgets those that ended once they are most
// of it, and keeps those still added or wanted.
func TestPruneInflight(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	n := newNode(t, net, "n", testConfig())
	e := n.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range 2*recentAccepted + 100 {
		e.inflightLocked(dag.TxID{byte(i), byte(i >> 8), 1})
	}
	kept := dag.TxID{7, 0, 1}
	e.adding[kept] = true
	defer delete(e.adding, kept)
	e.pruneInflightLocked()
	if e.inflightN != 1 || len(e.inflight) != 1 || !slices.Equal(e.inflight[prefixOf(kept)], []dag.TxID{kept}) {
		t.Errorf("after pruning: %d entries, %v", e.inflightN, e.inflight)
	}
}

// A peer that speaks version 4 and sends short IDs anyway is banned.
func TestShortIDsBeforeVersion5(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	for _, m := range []wire.Message{&wire.Inv{Short: []wire.ShortID{{1}}}, &wire.Want{Short: []wire.ShortID{{1}}}} {
		n := newNode(t, net, "n", testConfig())
		p := readyPeer(t, net, n, "old", wire.PollIDsVersion)
		p.handle(t, m)
		eventually(t, time.Second, "ban", func() error {
			if err := p.closeReason(); !errors.Is(err, ErrBanned) {
				return fmt.Errorf("%T: closed with %v", m, err)
			}
			return nil
		})
	}
}

// BenchmarkKnownInv measures the handling of an inv of one transaction the
// node stores (what most invs announce), by full ID from a version 4 peer
// and by short ID from a version 5 one, over a store of 10,000.
func BenchmarkKnownInv(b *testing.B) {
	net, keys := dagtest.NewNetwork(b, 16)
	cfg := testConfig()
	// Limits out of the way: this measures the handling.
	cfg.PingInterval, cfg.MsgRate, cfg.MsgBurst, cfg.ByteRate, cfg.ByteBurst = time.Hour, 1e9, 1e9, 1e12, 1e12
	n := newNode(b, net, "n", cfg)
	txs := dagtest.NewGen(b, net, keys, 3).Next(10000)
	raws := make([][]byte, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Raw
	}
	n.add(b, raws...)
	for _, v := range []uint64{wire.PollIDsVersion, wire.ShortIDVersion} {
		b.Run(fmt.Sprintf("version=%d", v), func(b *testing.B) {
			p := newRawPeer(n.eng, fmt.Sprintf("v%d", v))
			h := &wire.Hello{Version: v, NodeKey: testKey(p.id), Network: net.ID, Digest: n.digest(b)}
			if v >= wire.ShortIDVersion {
				h.Salt = rawSalt
			}
			p.handle(b, h)
			msgs := make([][]byte, len(txs))
			for i, tx := range txs {
				m := &wire.Inv{IDs: []dag.TxID{tx.ID}}
				if v >= wire.ShortIDVersion {
					hs := p.received(wire.TypeHello)
					m = &wire.Inv{Short: []wire.ShortID{wire.NewShortKey(rawSalt, hs[0].(*wire.Hello).Salt).Short(tx.ID)}}
				}
				var err error
				if msgs[i], err = wire.Encode(m); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for b.Loop() {
				n.eng.Handle(p, msgs[i%len(msgs)])
				i++
			}
			if w := p.received(wire.TypeWant); len(w) != 0 || p.closeReason() != nil {
				b.Fatalf("%d wants for stored transactions, closed: %v", len(w), p.closeReason())
			}
		})
	}
}

package gossip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// slowFetcher serves the transactions it holds at once; for any other ID
// it waits until ctx ends, as a BitTorrent fetch nobody answers does. It
// records how many calls ran at once.
type slowFetcher struct {
	mu            sync.Mutex
	txs           map[dag.TxID][]byte
	running, peak int
	calls         int
}

func (f *slowFetcher) Fetch(ctx context.Context, id dag.TxID, peers []string) ([]byte, error) {
	f.mu.Lock()
	raw, ok := f.txs[id]
	f.calls++
	f.running++
	f.peak = max(f.peak, f.running)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	if ok {
		return raw, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *slowFetcher) stats() (calls, peak int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.peak
}

// wantStats returns the wants held, those charged to owner, and the
// Fetcher calls running.
func (e *Engine) wantStats(owner string) (all, owned, fetches int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.wants), e.wantsBy[owner], e.fetches
}

// noWants reports whether e holds no wants and runs no fetches.
func noWants(e *Engine) func() error {
	return func() error {
		if all, _, fetches := e.wantStats(""); all != 0 || fetches != 0 {
			return fmt.Errorf("%d wants, %d fetches", all, fetches)
		}
		return nil
	}
}

func randomIDs(n int) []dag.TxID {
	ids := make([]dag.TxID, n)
	for i := range ids {
		for j := 0; j < len(ids[i]); j += 8 {
			v := rand.Uint64()
			for k := range 8 {
				ids[i][j+k] = byte(v >> (8 * k))
			}
		}
	}
	return ids
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestLyingAnnouncer repeats the attack of a peer that sends only legal
// messages: 4 invs of 1,000 random IDs it never serves, then it leaves,
// and does it again with a new connection, 30 rounds (120,000 fake IDs).
// The wants stay within one peer's MaxWanted and leave with it, the
// Fetcher's slots stay within MaxFetches, the heap does not keep the
// fake IDs, and a child whose parent only the Fetcher can get is accepted
// meanwhile.
func TestLyingAnnouncer(t *testing.T) {
	const rounds, invs = 30, 4
	net, keys := dagtest.NewNetwork(t, 1)
	parent := pay(t, net, keys[0], 0, "parent")
	child := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: parent.ID, Index: 1}}, dagtest.Out(net, keys[0], dagtest.Funds/2))
	f := &slowFetcher{txs: map[dag.TxID][]byte{parent.ID: parent.Raw}}
	cfg := testConfig()
	cfg.Fetcher = f
	cfg.FetchTimeout = time.Second
	cfg.MsgRate, cfg.MsgBurst = 1e6, 1e6 // the liar is within the limits
	cfg.ByteRate, cfg.ByteBurst = 1e9, 1e9
	b := newNode(t, net, "b", cfg)
	hello := func() wire.Message {
		return &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: b.digest(t)}
	}
	before := heapInUse()
	var peakWants, peakFetches int
	sample := func() {
		all, _, fetches := b.eng.wantStats("")
		peakWants, peakFetches = max(peakWants, all), max(peakFetches, fetches)
	}
	var honest *rawPeer
	for r := range rounds {
		id := fmt.Sprintf("127.0.0.1:%d", 20000+r)
		liar := newRawPeer(b.eng, id)
		liar.handle(t, hello())
		for range invs {
			liar.handle(t, &wire.Inv{IDs: randomIDs(1000)})
			sample()
		}
		if _, owned, _ := b.eng.wantStats(id); owned > DefaultMaxWanted {
			t.Fatalf("round %d: %d wants charged to the liar, want at most %d", r, owned, DefaultMaxWanted)
		}
		b.eng.RemovePeer(liar)
		if _, owned, _ := b.eng.wantStats(id); owned != 0 {
			t.Fatalf("round %d: %d of the departed liar's wants kept, want 0", r, owned)
		}
		if r == rounds/2 {
			// An honest peer pushes a child; its parent is wanted of it,
			// then fetched.
			honest = newRawPeer(b.eng, "127.0.0.1:1")
			honest.handle(t, hello())
			honest.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: child.ID, Raw: child.Raw}}})
		}
		sample()
	}
	eventually(t, 10*time.Second, "the child and its fetched parent accepted", hasAll(t, []*node{b}, []dag.TxID{parent.ID, child.ID}, accepted))
	eventually(t, 5*time.Second, "the wants to drain", noWants(b.eng))
	calls, peak := f.stats()
	grown := int64(heapInUse()) - int64(before)
	t.Logf("%d fake IDs: peak %d wants, %d fetches running (%d Fetcher calls, at most %d at once), heap %+.1f MB",
		rounds*invs*1000, peakWants, peakFetches, calls, peak, float64(grown)/1e6)
	if peakWants > DefaultMaxWanted+1 || peakFetches > DefaultMaxFetches || peak > DefaultMaxFetches {
		t.Errorf("peak %d wants, %d fetches (Fetcher: %d at once), want at most %d and %d", peakWants, peakFetches, peak, DefaultMaxWanted+1, DefaultMaxFetches)
	}
	// 120,000 wants would hold well over 20 MB.
	if grown > 8<<20 {
		t.Errorf("heap grew %d bytes over the attack, want under 8 MiB", grown)
	}
	if err := honest.closeReason(); err != nil {
		t.Errorf("honest peer closed: %v", err)
	}
}

// TestWantCaps: the wants on the word of one address are capped over all
// its connections (MaxWantsPerAddr), and all wants by MaxWants; loopback
// peers count one by one.
func TestWantCaps(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.WantTimeout = time.Hour
	cfg.MaxWanted, cfg.MaxWantsPerAddr, cfg.MaxWants = 300, 500, 1200
	b := newNode(t, net, "b", cfg)
	connectAndInv := func(id string) *rawPeer {
		p := newRawPeer(b.eng, id)
		p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: b.digest(t)})
		p.handle(t, &wire.Inv{IDs: randomIDs(400)})
		return p
	}
	connectAndInv("10.0.0.1:1")
	connectAndInv("10.0.0.1:2")
	connectAndInv("10.0.0.1:3")
	if _, owned, _ := b.eng.wantStats("10.0.0.1"); owned != 500 {
		t.Errorf("one address with 3 connections: %d wants, want MaxWantsPerAddr 500", owned)
	}
	for i := range 4 {
		connectAndInv(fmt.Sprintf("127.0.0.1:%d", i+1))
	}
	all, _, _ := b.eng.wantStats("")
	if all != 1200 {
		t.Errorf("%d wants in all, want MaxWants 1200", all)
	}
	if _, owned, _ := b.eng.wantStats("127.0.0.1:1"); owned != 300 {
		t.Errorf("a loopback peer: %d wants, want MaxWanted 300", owned)
	}
}

// TestUndeliveredBan: a peer that announces transactions and answers
// wants with notfound, or not at all, is banned once MaxUndelivered of
// them are due; one that delivers what it announced is not.
func TestUndeliveredBan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		notfound bool
	}{{"notfound", true}, {"silent", false}} {
		t.Run(tc.name, func(t *testing.T) {
			net, _ := dagtest.NewNetwork(t, 1)
			cfg := testConfig()
			cfg.MaxUndelivered = 100
			b := newNode(t, net, "b", cfg)
			p := newRawPeer(b.eng, "10.0.0.2:1")
			p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: b.digest(t)})
			ids := randomIDs(150)
			p.handle(t, &wire.Inv{IDs: ids})
			if tc.notfound {
				p.handle(t, &wire.NotFound{IDs: ids})
			}
			eventually(t, 5*time.Second, "the ban", func() error {
				if err := p.closeReason(); !errors.Is(err, ErrBanned) {
					return fmt.Errorf("closed with %v", err)
				}
				return nil
			})
			if !b.eng.Banned("10.0.0.2:9") {
				t.Error("the liar's IP is not banned")
			}
		})
	}
	t.Run("honest", func(t *testing.T) {
		net, keys := dagtest.NewNetwork(t, 1)
		cfg := testConfig()
		cfg.MaxUndelivered = 3
		b := newNode(t, net, "b", cfg)
		p := newRawPeer(b.eng, "10.0.0.3:1")
		p.handle(t, &wire.Hello{Version: wire.ProtocolVersion, Salt: rawSalt, NodeKey: testKey("raw"), Network: net.ID, Digest: b.digest(t)})
		// Two undelivered, one delivered, one more undelivered: never 3 due.
		p.handle(t, &wire.Inv{IDs: randomIDs(2)})
		eventually(t, 5*time.Second, "the wants to expire", noWants(b.eng))
		tx := pay(t, net, keys[0], 0, "real")
		p.handle(t, &wire.Inv{IDs: []dag.TxID{tx.ID}})
		p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: tx.ID, Raw: tx.Raw}}})
		p.handle(t, &wire.NotFound{IDs: randomIDs(1)}) // not asked: costs nothing
		more := randomIDs(1)
		p.handle(t, &wire.Inv{IDs: more})
		p.handle(t, &wire.NotFound{IDs: more})
		p.barrier(t)
		eventually(t, 5*time.Second, "the wants to expire", noWants(b.eng))
		if err := p.closeReason(); err != nil {
			t.Errorf("a peer that delivered was closed: %v", err)
		}
	})
}

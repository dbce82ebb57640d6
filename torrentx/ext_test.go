package torrentx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/torrentx/gossip"
)

// testHandler is a gossip Handler that records what it sees.
type testHandler struct {
	mu      sync.Mutex
	peers   []gossip.Peer
	removed []gossip.Peer
	msgs    [][]byte
}

func (h *testHandler) AddPeer(p gossip.Peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.peers = append(h.peers, p)
}

func (h *testHandler) RemovePeer(p gossip.Peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removed = append(h.removed, p)
}

func (h *testHandler) Handle(_ gossip.Peer, payload []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, payload)
}

func (h *testHandler) peer(t *testing.T) gossip.Peer {
	t.Helper()
	var p gossip.Peer
	waitFor(t, 5*time.Second, "a ttx peer", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.peers) > 0 {
			p = h.peers[0]
		}
		return p != nil
	})
	return p
}

func (h *testHandler) waitMsgs(t *testing.T, n int) [][]byte {
	t.Helper()
	var out [][]byte
	waitFor(t, 5*time.Second, "ttx messages", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		out = append([][]byte(nil), h.msgs...)
		return len(out) >= n
	})
	return out
}

func (h *testHandler) counts() (added, removed int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.peers), len(h.removed)
}

// TestExtensionBothWays connects two clients on the genesis torrent and
// sends ttx messages each way, up to the size limit.
func TestExtensionBothWays(t *testing.T) {
	tn := newTestNet(t, 0)
	var r txRecv
	ha, hb := &testHandler{}, &testHandler{}
	cfgA := testConfig(tn.net, tn.store(t, 0), &r)
	cfgA.Gossip = ha
	cfgB := testConfig(tn.net, tn.store(t, 0), &r)
	cfgB.Gossip = hb
	a, b := newTestClient(t, cfgA), newTestClient(t, cfgB)
	if err := a.AddPeers([]string{b.ListenAddr()}); err != nil {
		t.Fatal(err)
	}
	pa, pb := ha.peer(t), hb.peer(t)

	big := bytes.Repeat([]byte{0xab}, MaxMessageSize)
	cases := []struct {
		name     string
		from     gossip.Peer
		to       *testHandler
		payloads [][]byte
	}{
		{"a to b", pa, hb, [][]byte{[]byte("hello b"), {}, big}},
		{"b to a", pb, ha, [][]byte{[]byte("hello a"), []byte{0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.payloads {
				if err := tc.from.Send(p); err != nil {
					t.Fatalf("Send(%d bytes): %v", len(p), err)
				}
			}
			got := tc.to.waitMsgs(t, len(tc.payloads))
			for i, want := range tc.payloads {
				if !bytes.Equal(got[i], want) {
					t.Errorf("message %d: got %d bytes, want %d", i, len(got[i]), len(want))
				}
			}
		})
	}

	if err := pa.Send(make([]byte, MaxMessageSize+1)); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("Send(MaxMessageSize+1) = %v, want ErrMessageTooLarge", err)
	}
	var ttx int
	for _, p := range a.Peers() {
		if p.TTX && p.Torrent == tn.net.ID && p.Client == "ttx/"+DefaultVersion {
			ttx++
		}
	}
	if ttx != 1 {
		t.Errorf("a.Peers() has %d ttx genesis peers named ttx/%s, want 1: %+v", ttx, DefaultVersion, a.Peers())
	}

	// Closing one side removes the peer on the other.
	pb.Close(errors.New("test"))
	waitFor(t, 5*time.Second, "RemovePeer on both sides", func() bool {
		_, ra := ha.counts()
		_, rb := hb.counts()
		return ra == 1 && rb == 1
	})
	if err := pb.Send([]byte("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

// TestExtensionPlainPeer: a peer without ttx is served as plain BitTorrent
// and never reaches the handler.
func TestExtensionPlainPeer(t *testing.T) {
	tn := newTestNet(t, 0)
	var r txRecv
	h := &testHandler{}
	cfgA := testConfig(tn.net, tn.store(t, 0), &r)
	cfgA.Gossip = h
	a := newTestClient(t, cfgA)
	b := newTestClient(t, testConfig(tn.net, tn.store(t, 0), &r)) // no Gossip
	if err := b.AddPeers([]string{a.ListenAddr()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "a genesis connection", func() bool { return a.conns(tn.net.ID) == 1 })
	time.Sleep(100 * time.Millisecond) // let any extended handshake land
	for _, p := range a.Peers() {
		if p.TTX {
			t.Errorf("peer %s without ttx is marked TTX", p.Addr)
		}
	}
	if added, _ := h.counts(); added != 0 {
		t.Errorf("handler got %d peers, want 0", added)
	}
}

// blockingHandler blocks in Handle until release is closed.
type blockingHandler struct {
	testHandler
	release chan struct{}
}

func (h *blockingHandler) Handle(p gossip.Peer, payload []byte) {
	<-h.release
	h.testHandler.Handle(p, payload)
}

// TestExtensionBackPressure: a peer that outpaces a stuck handler by
// more than MaxQueuedBytes is not closed: reading from it pauses, what it
// sends waits in the connection (and its own queues), the receiver's
// queue stays bounded, and once the handler runs again every message
// arrives, in order, on the same connection.
func TestExtensionBackPressure(t *testing.T) {
	tn := newTestNet(t, 0)
	var r txRecv
	ha, hb := &testHandler{}, &blockingHandler{release: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(hb.release) }) }
	defer release()
	cfgA := testConfig(tn.net, tn.store(t, 0), &r)
	cfgA.Gossip = ha
	cfgB := testConfig(tn.net, tn.store(t, 0), &r)
	cfgB.Gossip = hb
	a, b := newTestClient(t, cfgA), newTestClient(t, cfgB)
	if err := a.AddPeers([]string{b.ListenAddr()}); err != nil {
		t.Fatal(err)
	}
	p := ha.peer(t)
	hb.peer(t)
	const n, size = 400, 60_000 // 24 MB, past MaxQueuedBytes
	for i := range n {
		msg := make([]byte, size)
		binary.BigEndian.PutUint32(msg, uint32(i))
		if err := p.Send(msg); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	var pb *peer
	waitFor(t, 10*time.Second, "B to pause reading from A", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, q := range b.peers {
			pb = q
		}
		return pb != nil && pb.pauses.Load() > 0
	})
	pb.inMu.Lock()
	cost, queued := pb.cost, len(pb.in)
	pb.inMu.Unlock()
	if cost > MaxQueuedBytes || queued >= n {
		t.Errorf("B queued %d messages costing %d bytes while paused, want fewer than %d and at most %d", queued, cost, n, MaxQueuedBytes)
	}
	// A, in turn, holds what B does not read in its own queue rather than
	// handing it all to the library's write buffer, which would take it in
	// a few milliseconds.
	time.Sleep(300 * time.Millisecond)
	a.mu.Lock()
	var pa *peer
	for _, q := range a.peers {
		pa = q
	}
	a.mu.Unlock()
	if pa.gate == nil || pb.gate == nil {
		t.Fatalf("gates: A's %v, B's %v, want both (the dialer's and the listener's conns)", pa.gate, pb.gate)
	}
	if held := len(pa.out); held < n/4 {
		t.Errorf("A holds %d of %d messages B does not read, want at least %d", held, n, n/4)
	}
	release()
	got := hb.waitMsgs(t, n)
	for i, msg := range got[:n] {
		if k := binary.BigEndian.Uint32(msg); k != uint32(i) || len(msg) != size {
			t.Fatalf("message %d is number %d of %d bytes, want in order and whole", i, k, len(msg))
		}
	}
	if _, removed := ha.counts(); removed != 0 {
		t.Errorf("A lost the peer %d times", removed)
	}
	if _, removed := hb.counts(); removed != 0 {
		t.Errorf("B lost the peer %d times", removed)
	}
}

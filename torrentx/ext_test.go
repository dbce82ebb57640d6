package torrentx

import (
	"bytes"
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

// TestExtensionFlood: a peer that outpaces a stuck handler by more than
// PeerQueue messages is closed, and both sides remove it.
func TestExtensionFlood(t *testing.T) {
	tn := newTestNet(t, 0)
	var r txRecv
	ha, hb := &testHandler{}, &blockingHandler{release: make(chan struct{})}
	defer close(hb.release)
	cfgA := testConfig(tn.net, tn.store(t, 0), &r)
	cfgA.Gossip = ha
	cfgB := testConfig(tn.net, tn.store(t, 0), &r)
	cfgB.Gossip = hb
	cfgB.PeerQueue = 4
	a, b := newTestClient(t, cfgA), newTestClient(t, cfgB)
	if err := a.AddPeers([]string{b.ListenAddr()}); err != nil {
		t.Fatal(err)
	}
	p := ha.peer(t)
	hb.peer(t)
	for range 10 {
		if err := p.Send([]byte("flood")); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	waitFor(t, 5*time.Second, "A to lose the peer", func() bool {
		_, removed := ha.counts()
		return removed == 1
	})
	if n := b.conns(tn.net.ID); n != 0 {
		t.Errorf("B keeps %d genesis connections to the flooding peer", n)
	}
}

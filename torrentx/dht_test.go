package torrentx

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	"golang.org/x/time/rate"
)

// TestDHTDiscovery: three nodes that know only a loopback DHT bootstrap
// node find each other through the genesis torrent, with no AddPeers.
func TestDHTDiscovery(t *testing.T) {
	if testing.Short() {
		t.Skip("DHT discovery takes seconds")
	}
	boot, _, _ := newBootstrapDHT(t)
	tn := newTestNet(t, 0)
	var r txRecv
	nodes := make([]*Client, 3)
	for i := range nodes {
		cfg := testConfig(tn.net, tn.store(t, 0), &r)
		cfg.NoDHT = false
		cfg.DHTBootstrap = []string{boot}
		cfg.AnnounceInterval = time.Second
		nodes[i] = newTestClient(t, cfg)
	}
	waitFor(t, 30*time.Second, "every node to connect to the other two", func() bool {
		for _, n := range nodes {
			if len(n.swarmAddrs()) < 2 {
				return false
			}
		}
		return true
	})
	for i, n := range nodes {
		for j, m := range nodes {
			if i != j && !slices.Contains(n.swarmAddrs(), m.ListenAddr()) {
				t.Errorf("node %d's peers %v lack node %d (%s)", i, n.swarmAddrs(), j, m.ListenAddr())
			}
		}
		if len(n.DHTNodes()) == 0 {
			t.Errorf("node %d has no DHT nodes", i)
		}
	}
}

// newBootstrapDHT starts a loopback DHT node that knows no other node, to
// bootstrap the others from, and returns its address, peer store and
// server.
func newBootstrapDHT(t testing.TB) (string, *peerStore, *dht.Server) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps := newPeerStore()
	boot, err := dht.NewServer(&dht.ServerConfig{
		Conn:          conn,
		StartingNodes: func() ([]dht.Addr, error) { return nil, nil },
		PeerStore:     ps,
		SendLimiter:   rate.NewLimiter(rate.Inf, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(boot.Close)
	return conn.LocalAddr().String(), ps, boot
}

// TestPeerStore: peers are kept per ip:port, expire, and are bounded.
func TestPeerStore(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newPeerStore()
	s.now = func() time.Time { return now }
	ih := [20]byte{1}
	a := krpc.NodeAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1000}
	b := krpc.NodeAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2000}
	s.AddPeer(ih, a)
	s.AddPeer(ih, b)
	s.AddPeer(ih, a)
	if got := s.GetPeers(ih); len(got) != 2 {
		t.Fatalf("GetPeers = %v, want the two ports of one IP", got)
	}
	if got := s.GetPeers([20]byte{2}); len(got) != 0 {
		t.Errorf("GetPeers of another infohash = %v", got)
	}
	now = now.Add(peerTTL / 2)
	s.AddPeer(ih, b) // refreshed
	now = now.Add(peerTTL/2 + time.Second)
	if got := s.GetPeers(ih); len(got) != 1 || !got[0].Equal(b) {
		t.Errorf("after expiry GetPeers = %v, want only %v", got, b)
	}
	for i := range maxPeersPerHash + 10 {
		s.AddPeer(ih, krpc.NodeAddr{IP: net.IPv4(10, 0, byte(i>>8), byte(i)), Port: 1})
	}
	if n := len(s.hashes[ih]); n != maxPeersPerHash {
		t.Errorf("%d peers stored for one infohash, want the cap %d", n, maxPeersPerHash)
	}
	if got := s.GetPeers(ih); len(got) != maxPeersReturned {
		t.Errorf("GetPeers returned %d, want %d", len(got), maxPeersReturned)
	}
}

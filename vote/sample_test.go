package vote

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func testPeer(key byte, addr string) Peer {
	return Peer{Key: NodeKey{key}, Addr: netip.MustParseAddr(addr)}
}

func TestSample(t *testing.T) {
	// Ten peers in 10.0/16, one each in four other /16s, two IPv6 peers in
	// one /32 and one in another, a key listed twice and an IPv4-mapped
	// address in 10.0/16.
	var peers []Peer
	for i := range 10 {
		peers = append(peers, Peer{Key: NodeKey{byte(i + 1)}, Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})})
	}
	peers = append(peers,
		testPeer(20, "10.1.0.1"), testPeer(21, "192.168.5.5"), testPeer(22, "8.8.8.8"), testPeer(23, "1.2.3.4"),
		testPeer(30, "2001:db8::1"), testPeer(31, "2001:db8:ffff::2"), testPeer(32, "2001:db9::1"),
		testPeer(20, "172.16.0.1"), // the key of 10.1.0.1 again
		testPeer(40, "::ffff:10.0.9.9"),
	)
	nets := map[string]bool{}
	for _, p := range peers {
		nets[prefix(p.Addr).String()] = true
	}
	if len(nets) != 8 { // 10.0, 10.1, 192.168, 8.8, 1.2, 172.16, 2001:db8, 2001:db9
		t.Fatalf("%d prefixes, want 8: %v", len(nets), nets)
	}
	keys := 10 + 4 + 3 + 1
	for _, k := range []int{0, 1, 5, 6, 8, 12, keys, 100} {
		for seed := range uint64(50) {
			got := Sample(peers, k, rand.New(rand.NewPCG(seed, 7)))
			if want := min(k, keys); len(got) != want {
				t.Fatalf("k %d: %d peers, want %d", k, len(got), want)
			}
			seenKey := map[NodeKey]bool{}
			seenNet := map[netip.Prefix]int{}
			for _, p := range got {
				if seenKey[p.Key] {
					t.Fatalf("k %d: key %x twice", k, p.Key[:1])
				}
				seenKey[p.Key] = true
				seenNet[prefix(p.Addr)]++
			}
			// Spread: no prefix is taken twice until every prefix is taken
			// (at most 7 distinct keys carry distinct prefixes, since key 20
			// is at 10.1 or at 172.16 but not both).
			if len(got) <= 7 && len(seenNet) != len(got) {
				t.Fatalf("k %d: %d peers in %d prefixes: %v", k, len(got), len(seenNet), got)
			}
			if len(got) > 7 && len(seenNet) < 7 {
				t.Fatalf("k %d: only %d prefixes", k, len(seenNet))
			}
		}
	}
}

func TestSampleDeterministicAndRandom(t *testing.T) {
	var peers []Peer
	for i := range 100 {
		peers = append(peers, Peer{Key: NodeKey{byte(i)}, Addr: netip.AddrFrom4([4]byte{byte(i), 1, 2, 3})})
	}
	a := Sample(peers, 20, rand.New(rand.NewPCG(1, 2)))
	b := Sample(peers, 20, rand.New(rand.NewPCG(1, 2)))
	c := Sample(peers, 20, rand.New(rand.NewPCG(3, 4)))
	same := func(x, y []Peer) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("one seed gave two samples")
	}
	if same(a, c) {
		t.Error("two seeds gave one sample")
	}
	// Every peer is picked about k/n of the time.
	counts := make([]int, len(peers))
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		for _, p := range Sample(peers, 20, rng) {
			counts[p.Key[0]]++
		}
	}
	for i, n := range counts {
		if n < 300 || n > 500 { // mean 400
			t.Errorf("peer %d picked %d times in 2000 samples of 20 of 100", i, n)
		}
	}
}

func TestSampleInvalidAddrs(t *testing.T) {
	peers := []Peer{{Key: NodeKey{1}}, {Key: NodeKey{2}}, testPeer(3, "10.0.0.1")}
	got := Sample(peers, 2, rand.New(rand.NewPCG(1, 1)))
	if len(got) != 2 {
		t.Fatalf("%d peers, want 2", len(got))
	}
	// The two peers without an address share one group, so the first two
	// picks are one of them and the 10.0/16 peer.
	if got[0].Addr.IsValid() == got[1].Addr.IsValid() {
		t.Errorf("sample %v is not spread over the groups", got)
	}
}

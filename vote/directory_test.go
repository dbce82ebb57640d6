package vote

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func dirPeer(i int) Peer {
	var k NodeKey
	k[0], k[1], k[2] = byte(i>>16), byte(i>>8), byte(i)
	return Peer{Key: k, Addr: netip.AddrFrom4([4]byte{byte(i >> 8), byte(i), 0, 1})}
}

// TestDirectoryBounds: a directory holds at most its size, each key once,
// and at most DirectoryPerPrefix of one prefix.
func TestDirectoryBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := NewDirectory(10)
	for i := range 100 {
		d.Add(dirPeer(i), rng)
		d.Add(dirPeer(i), rng)
	}
	if d.Len() != 10 {
		t.Fatalf("len %d, want 10", d.Len())
	}
	keys := make(map[NodeKey]bool)
	for _, p := range d.Peers() {
		if keys[p.Key] {
			t.Fatalf("key %x twice", p.Key[:3])
		}
		keys[p.Key] = true
	}
	one := NewDirectory(100)
	for i := range 20 {
		p := dirPeer(i)
		p.Addr = netip.AddrFrom4([4]byte{10, 1, byte(i), 1}) // one /16
		one.Add(p, rng)
	}
	if one.Len() != DirectoryPerPrefix {
		t.Errorf("one prefix holds %d seats, want %d", one.Len(), DirectoryPerPrefix)
	}
	// A known key moving to another prefix frees its seat.
	p := dirPeer(0)
	p.Addr = netip.AddrFrom4([4]byte{10, 2, 0, 1})
	one.Add(p, rng)
	q := dirPeer(99)
	q.Addr = netip.AddrFrom4([4]byte{10, 1, 99, 1})
	if !one.Add(q, rng) {
		t.Errorf("a seat freed by a move was not taken")
	}
	one.Remove(q.Key)
	one.Remove(q.Key)
	if one.Len() != DirectoryPerPrefix {
		t.Errorf("after remove: %d, want %d", one.Len(), DirectoryPerPrefix)
	}
}

// TestDirectoryUniform: a full directory offered many more keys holds each
// about as often as any other, whenever it was offered.
func TestDirectoryUniform(t *testing.T) {
	const size, offered, runs = 50, 1000, 400
	counts := make([]int, offered)
	for r := range runs {
		rng := rand.New(rand.NewPCG(uint64(r), 3))
		d := NewDirectory(size)
		for i := range offered {
			d.Add(dirPeer(i), rng)
		}
		for _, p := range d.Peers() {
			counts[int(p.Key[1])<<8|int(p.Key[2])]++
		}
	}
	// Each key is held with chance size/offered = 5 %: 20 of 400 runs.
	// Compare the first and the last tenth offered.
	var first, last int
	for i := range offered / 10 {
		first += counts[i]
		last += counts[offered-1-i]
	}
	want := runs * size / 10
	for _, got := range []int{first, last} {
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("a tenth of the keys held %d times, want about %d (first %d, last %d)", got, want, first, last)
		}
	}
}

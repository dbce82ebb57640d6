package vote

import (
	"math/rand/v2"
	"net/netip"
)

// Directory limits.
const (
	// DirectorySize is the most nodes a Directory holds: enough that a
	// poll of DefaultK drawn from it is, to the vote, a fresh random
	// sample of a network of any size, and small enough (≈ 70 KB) that
	// it costs a node the same at 1,000 nodes as at 1,000,000.
	DirectorySize = 1024
	// DirectoryPerPrefix is the most nodes of one network prefix (/16,
	// /32 for IPv6) a Directory holds, so that one operator announcing
	// many keys from its addresses fills a few seats, not the directory.
	DirectoryPerPrefix = 8
)

// Directory is a bounded, random set of the nodes a node has learned of
// (from its peers' hellos and from peer exchange), which it may poll
// although it is not connected to them. A poll that samples the
// directory asks nodes from all over the network instead of the node's
// few neighbours, which is what Snowball's safety argument assumes: each
// poll a fresh random sample of the network.
//
// Once full it keeps a uniform random sample of the distinct nodes offered
// to it (reservoir sampling), so a node that learns of 1,000,000 others
// still holds DirectorySize of them, each as likely as any other.
//
// A Directory is not safe for concurrent use.
type Directory struct {
	max     int
	peers   []Peer
	index   map[NodeKey]int
	nets    map[netip.Prefix]int
	offered int // distinct new keys offered while full, for the reservoir
}

// NewDirectory returns an empty directory of at most n nodes (at least 1).
func NewDirectory(n int) *Directory {
	return &Directory{max: max(1, n), index: make(map[NodeKey]int), nets: make(map[netip.Prefix]int)}
}

// Add offers p and reports whether the directory holds it afterwards. A
// known key takes p's address. A new one is taken while there is room
// and its prefix holds fewer than DirectoryPerPrefix; once full, it
// replaces a random entry with the chance that keeps the directory a
// uniform sample of every key offered.
func (d *Directory) Add(p Peer, rng *rand.Rand) bool {
	if i, ok := d.index[p.Key]; ok {
		d.setAddr(i, p.Addr)
		return true
	}
	pre := prefix(p.Addr)
	if d.nets[pre] >= DirectoryPerPrefix {
		return false
	}
	if len(d.peers) < d.max {
		d.index[p.Key] = len(d.peers)
		d.peers = append(d.peers, p)
		d.nets[pre]++
		return true
	}
	d.offered++
	if rng.IntN(d.max+d.offered) >= d.max {
		return false
	}
	i := rng.IntN(len(d.peers))
	delete(d.index, d.peers[i].Key)
	d.uncount(d.peers[i].Addr)
	d.peers[i] = p
	d.index[p.Key] = i
	d.nets[pre]++
	return true
}

// setAddr moves entry i to addr, keeping the prefix counts.
func (d *Directory) setAddr(i int, addr netip.Addr) {
	if pre := prefix(addr); pre != prefix(d.peers[i].Addr) {
		d.uncount(d.peers[i].Addr)
		d.nets[pre]++
	}
	d.peers[i].Addr = addr
}

// uncount takes an entry at addr off its prefix's count.
func (d *Directory) uncount(addr netip.Addr) {
	pre := prefix(addr)
	if d.nets[pre]--; d.nets[pre] <= 0 {
		delete(d.nets, pre)
	}
}

// Remove forgets key (a node that could not be reached, say).
func (d *Directory) Remove(key NodeKey) {
	i, ok := d.index[key]
	if !ok {
		return
	}
	d.uncount(d.peers[i].Addr)
	last := len(d.peers) - 1
	d.peers[i] = d.peers[last]
	d.index[d.peers[i].Key] = i
	d.peers = d.peers[:last]
	delete(d.index, key)
}

// Len returns the number of nodes held.
func (d *Directory) Len() int { return len(d.peers) }

// Peers returns the nodes held, in no particular order, as a new slice.
func (d *Directory) Peers() []Peer { return append([]Peer(nil), d.peers...) }

package vote

import (
	"crypto/ed25519"
	"math/rand/v2"
	"net/netip"
)

// NodeKey is a node's Ed25519 public key, the identity that signs its
// votes. It is a value type, so it works as a map key.
type NodeKey [ed25519.PublicKeySize]byte

// Peer is a node that can be polled.
type Peer struct {
	Key  NodeKey
	Addr netip.Addr
}

// Prefix widths that group peers by network, as Bitcoin Core's netgroups
// do: many addresses in one /16 (IPv4) or /32 (IPv6) are likely one
// operator.
const (
	PrefixBitsV4 = 16
	PrefixBitsV6 = 32
)

// prefix returns the network group of addr: its /16 (IPv4, or IPv4 mapped
// in IPv6) or /32 (IPv6). Every invalid address is in one group.
func prefix(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	bits := PrefixBitsV6
	if addr.Is4() {
		bits = PrefixBitsV4
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// Sample picks up to k peers to poll, in random order, with distinct node
// keys, spread over network prefixes: it first takes at most one peer per
// prefix, and only then fills up from prefixes already taken. A key listed
// twice counts once. It returns fewer than k peers only if peers holds
// fewer distinct keys. The result is a new slice; peers is not changed.
func Sample(peers []Peer, k int, rng *rand.Rand) []Peer {
	if k <= 0 {
		return nil
	}
	order := rng.Perm(len(peers))
	out := make([]Peer, 0, min(k, len(peers)))
	keys := make(map[NodeKey]bool, cap(out))
	nets := make(map[netip.Prefix]bool, cap(out))
	rest := order[:0] // the peers passed over for their prefix, in order
	for _, i := range order {
		if len(out) == k {
			return out
		}
		p := peers[i]
		if keys[p.Key] {
			continue
		}
		if nets[prefix(p.Addr)] {
			rest = append(rest, i)
			continue
		}
		keys[p.Key], nets[prefix(p.Addr)] = true, true
		out = append(out, p)
	}
	for _, i := range rest {
		if len(out) == k {
			break
		}
		if p := peers[i]; !keys[p.Key] {
			keys[p.Key] = true
			out = append(out, p)
		}
	}
	return out
}

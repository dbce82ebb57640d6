package torrentx

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"net/netip"
	"slices"
	"time"
)

// How many inbound peers each rule of selectEviction protects, as in
// Bitcoin Core's SelectNodeToEvict (net.cpp, AttemptToEvictConnection).
const (
	protectNetgroup = 4 // distinct keyed netgroups
	protectRTT      = 8 // lowest ping round trip
	protectTx       = 4 // most recently sent us a new transaction
	// The longest connected half of what is left is protected too.
)

// evictCandidate is an inbound peer that eviction may close.
type evictCandidate struct {
	id       string
	netgroup string
	since    time.Time
	// rtt is the ping round trip (0: not measured yet); lastTx is when the
	// peer last sent a transaction new to us (zero: never).
	rtt    time.Duration
	lastTx time.Time
	// plain peers (no ttx extension) are evicted before any unprotected
	// ttx peer.
	plain bool
}

// selectEviction picks the inbound peer to close so that a newcomer can
// take its place, keeping the set diverse: an attacker must be better
// than honest peers by every measure at once (netgroup spread, latency,
// useful transactions, uptime) to take all the slots. key makes the
// netgroup ranking unpredictable to peers. It returns false when every
// candidate is protected; the newcomer is then turned away.
func selectEviction(cands []evictCandidate, key maphash.Seed) (string, bool) {
	cs := slices.Clone(cands)
	// Protect a few peers from distinct netgroups, ranked by a keyed hash
	// so that a peer cannot choose a netgroup that is always protected.
	cs = protectNetgroups(cs, key)
	// A peer with no round trip measured or no transaction sent earns
	// nothing by those rules.
	cs = protect(cs, protectRTT, func(c evictCandidate) bool { return c.rtt > 0 }, func(a, b evictCandidate) int {
		return cmp.Compare(b.rtt, a.rtt) // the lowest last
	})
	cs = protect(cs, protectTx, func(c evictCandidate) bool { return !c.lastTx.IsZero() }, func(a, b evictCandidate) int {
		return a.lastTx.Compare(b.lastTx)
	})
	cs = protect(cs, len(cs)/2, nil, func(a, b evictCandidate) int { return b.since.Compare(a.since) })
	if len(cs) == 0 {
		return "", false
	}
	// Of the unprotected, plain peers go first.
	if slices.ContainsFunc(cs, func(c evictCandidate) bool { return c.plain }) {
		cs = slices.DeleteFunc(cs, func(c evictCandidate) bool { return !c.plain })
	}
	// Evict the youngest peer of the netgroup with the most peers (ties:
	// the netgroup whose youngest peer is youngest).
	groups := make(map[string][]evictCandidate)
	for _, c := range cs {
		groups[c.netgroup] = append(groups[c.netgroup], c)
	}
	var worst []evictCandidate
	for _, g := range groups {
		if len(g) > len(worst) || len(g) == len(worst) && youngest(g).since.After(youngest(worst).since) {
			worst = g
		}
	}
	return youngest(worst).id, true
}

// protect removes from cs the n best by less (the best sorts last) among
// those that has accepts (nil: all).
func protect(cs []evictCandidate, n int, has func(evictCandidate) bool, less func(a, b evictCandidate) int) []evictCandidate {
	slices.SortStableFunc(cs, func(a, b evictCandidate) int {
		if has != nil && has(a) != has(b) {
			if has(a) {
				return 1
			}
			return -1
		}
		return less(a, b)
	})
	for i := len(cs) - 1; i >= 0 && n > 0 && (has == nil || has(cs[i])); i-- {
		cs = cs[:i]
		n--
	}
	return cs
}

// protectNetgroups removes the youngest peer of each of the (up to)
// protectNetgroup netgroups whose keyed hash ranks highest.
func protectNetgroups(cs []evictCandidate, key maphash.Seed) []evictCandidate {
	var groups []string
	for _, c := range cs {
		if !slices.Contains(groups, c.netgroup) {
			groups = append(groups, c.netgroup)
		}
	}
	slices.SortFunc(groups, func(a, b string) int { return cmp.Compare(maphash.String(key, b), maphash.String(key, a)) })
	for _, g := range groups[:min(len(groups), protectNetgroup)] {
		i := -1
		for j, c := range cs {
			if c.netgroup == g && (i < 0 || c.since.After(cs[i].since)) {
				i = j
			}
		}
		cs = slices.Delete(cs, i, i+1)
	}
	return cs
}

func youngest(g []evictCandidate) evictCandidate {
	return slices.MaxFunc(g, func(a, b evictCandidate) int { return a.since.Compare(b.since) })
}

// netgroup names the network an address belongs to, as Bitcoin Core
// groups peers: the /16 of an IPv4 address, the /32 of an IPv6 one, and
// one group for loopback. A peer can hold many addresses of one netgroup
// cheaply, few of many.
func netgroup(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "unknown"
	}
	ip := ap.Addr().Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.Is4():
		b := ip.As4()
		return "v4:" + netip.AddrFrom4([4]byte{b[0], b[1]}).String()
	default:
		b := ip.As16()
		return fmt.Sprintf("v6:%x", b[:4])
	}
}

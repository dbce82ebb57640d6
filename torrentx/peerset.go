package torrentx

import (
	"cmp"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
)

// Peer set limits.
const (
	// DefaultMaxPeers is the default cap on genesis-swarm connections, in
	// and out (Bitcoin Core's is 125).
	DefaultMaxPeers = 96
	// DefaultMaxOutbound is the default number of outbound connections the
	// node chooses itself from its candidates; the rest of MaxPeers is for
	// peers that dial in. It is 24, not Bitcoin's 8, for the vote: a poll
	// asks k = 20 peers, and only a pool well above k (about 48 with 24
	// dialled) makes each poll a different random sample; with 16 peers
	// every poll asked all of them and races split in the simulator
	// (docs/SCALING.md).
	DefaultMaxOutbound = 24

	// maxCandidates bounds the addresses kept to dial.
	maxCandidates = 1024
	// peerTick is how often outbound slots are filled, dials expired and
	// PEX messages sent.
	peerTick = 250 * time.Millisecond
	// dialTimeout: a dial that has not become a connection by then failed.
	dialTimeout = 10 * time.Second
	// retryBase and retryMax bound the back-off before a failed candidate
	// is dialled again (doubling per failure).
	retryBase = 2 * time.Second
	retryMax  = 10 * time.Minute
	// shortLived: an outbound connection closed sooner than this (the peer
	// was full, or a duplicate) counts as a failed dial.
	shortLived = 10 * time.Second
	// plainGrace is how long a new connection may take to offer ttx before
	// eviction treats it as a plain BitTorrent peer.
	plainGrace = 5 * time.Second
	// rotateInterval is the mean time between two rotations of an outbound
	// slot while all are full (see rotate); each wait is drawn from half to
	// one and a half times it, so that nodes do not rotate in step.
	rotateInterval = 30 * time.Second
)

// Ranker is an optional interface of a Handler: it tells eviction which
// ttx peers serve the node well. The gossip engine implements it.
type Ranker interface {
	// PeerRank returns the peer's ping round trip (0: not measured) and
	// when it last sent a transaction new to us (zero: never).
	PeerRank(id string) (rtt time.Duration, lastTx time.Time, ok bool)
}

// swarmPeer is a connection on the genesis torrent, guarded by Client.mu.
type swarmPeer struct {
	inbound bool
	since   time.Time
	// admitted: the peer holds a slot (an inbound one once the eviction
	// check let it in); only then is a ttx peer (ttx) handed to the
	// gossip, so that the Handler never sees more than MaxPeers peers.
	admitted, ttx bool
	// dial is where the peer listens: the address we dialled, or the
	// remote IP with the port its BEP 10 handshake gave ("" until then for
	// an inbound peer); port is that port (0 if unknown).
	dial string
	port uint16
	// pex reports whether the peer takes ut_pex; nextPex is when to send
	// it the next one, sent what it was told of, lastPexIn when it last
	// sent one.
	pex       bool
	nextPex   time.Time
	sent      map[string]bool
	lastPexIn time.Time
}

// candidate is an address to dial, learnt from PEX, the DHT or a
// connection; guarded by Client.mu.
type candidate struct {
	tried time.Time
	fails int
}

// retryAt is when c may be dialled again.
func (c *candidate) retryAt() time.Time {
	if c.fails == 0 {
		return c.tried
	}
	return c.tried.Add(min(retryMax, retryBase<<min(c.fails-1, 20)))
}

// addCandidates remembers addrs ("ip:port") as addresses to dial. When the
// set is full, a new address replaces the one that failed most often, if
// any failed. It must be called with c.mu held.
func (c *Client) addCandidatesLocked(addrs []string) {
	for _, a := range addrs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil || ap.Port() == 0 || !ap.Addr().IsValid() || ap.Addr().IsUnspecified() || ap.Addr().IsMulticast() {
			continue
		}
		a = ap.String()
		if c.cands[a] != nil || c.isSelf(ap) {
			continue
		}
		if len(c.cands) >= maxCandidates {
			worst, fails := "", 0
			for k, cd := range c.cands {
				if cd.fails > fails {
					worst, fails = k, cd.fails
				}
			}
			if worst == "" {
				continue
			}
			delete(c.cands, worst)
		}
		c.cands[a] = &candidate{}
	}
}

// isSelf reports whether ap is the node's own listen address.
func (c *Client) isSelf(ap netip.AddrPort) bool {
	self, err := netip.ParseAddrPort(c.listen)
	return err == nil && self.Port() == ap.Port() && (self.Addr() == ap.Addr() || self.Addr().IsUnspecified() && ap.Addr().IsLoopback())
}

// AddCandidates offers addresses ("host:port") to dial when an outbound
// slot is free, without dialling them now (AddPeers does).
func (c *Client) AddCandidates(addrs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addCandidatesLocked(addrs)
}

// onDHTAnnouncePeer takes a peer that announced itself to our DHT server:
// a candidate if it announced the genesis torrent. The library's own
// handler would dial every announcer of a loaded torrent.
func (c *Client) onDHTAnnouncePeer(ih metainfo.Hash, ip net.IP, port int, portOk bool) {
	if !portOk || (ih != c.genesis.v1 && ih != c.genesis.id.Short()) {
		return
	}
	c.AddCandidates([]string{net.JoinHostPort(ip.String(), strconv.Itoa(port))})
}

// peerLoop keeps the peer set: it evicts inbound peers past the cap,
// fills the outbound slots and sends PEX.
func (c *Client) peerLoop() {
	defer c.wg.Done()
	tick := time.NewTicker(peerTick)
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case pc := <-c.evictQ:
			c.evictFor(pc)
		case <-tick.C:
			now := time.Now()
			for _, pc := range c.unadmitted() {
				c.evictFor(pc)
			}
			for _, a := range c.pickDials(now) {
				c.genesis.t.AddPeers(peerInfos([]string{a}))
			}
			if victim, a := c.rotate(now); victim != nil {
				c.log.Debug("rotate outbound peer", "peer", victim.RemoteAddr.String(), "to", a)
				victim.Close()
				c.genesis.t.AddPeers(peerInfos([]string{a}))
			}
			c.sendPex(now)
		}
	}
}

// pickDials expires old dials and picks candidates for the free outbound
// slots, preferring netgroups no outbound peer is in.
func (c *Client) pickDials(now time.Time) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for a, t := range c.dialing {
		if now.Sub(t) > dialTimeout {
			delete(c.dialing, a)
			if cd := c.cands[a]; cd != nil {
				cd.fails++
			}
		}
	}
	out, busy := c.slotsLocked()
	groups := make(map[string]bool)
	for _, sp := range c.swarm {
		if !sp.inbound {
			groups[netgroup(sp.dial)] = true
		}
	}
	for a := range c.dialing {
		groups[netgroup(a)] = true
	}
	var picked []string
	dialable := c.dialableLocked(now, busy)
	for out < c.cfg.MaxOutbound {
		var fresh, any []string
		for _, a := range dialable {
			if busy[a] {
				continue
			}
			any = append(any, a)
			if !groups[netgroup(a)] {
				fresh = append(fresh, a)
			}
		}
		if len(fresh) > 0 {
			any = fresh
		}
		if len(any) == 0 {
			break
		}
		a := any[rand.IntN(len(any))]
		c.cands[a].tried = now
		c.dialing[a] = now
		busy[a], groups[netgroup(a)] = true, true
		picked = append(picked, a)
		out++
	}
	return picked
}

// slotsLocked returns how many outbound slots are taken (outbound peers
// and dials in flight) and the addresses that a connection or a dial
// holds. It must be called with c.mu held.
func (c *Client) slotsLocked() (out int, busy map[string]bool) {
	out = len(c.dialing)
	busy = make(map[string]bool, len(c.swarm)+len(c.dialing))
	for _, sp := range c.swarm {
		if sp.dial != "" {
			busy[sp.dial] = true
		}
		if !sp.inbound {
			out++
		}
	}
	for a := range c.dialing {
		busy[a] = true
	}
	return out, busy
}

// dialableLocked returns the candidates that no connection or dial in
// busy holds and whose back-off has passed. It must be called with c.mu
// held.
func (c *Client) dialableLocked(now time.Time, busy map[string]bool) []string {
	var out []string
	for a, cd := range c.cands {
		if !busy[a] && !now.Before(cd.retryAt()) {
			out = append(out, a)
		}
	}
	return out
}

// rotateWait returns a random wait before the next rotate, in
// [rotateInterval/2, 3*rotateInterval/2).
func rotateWait() time.Duration {
	return rotateInterval/2 + rand.N(rotateInterval)
}

// rotate replaces one outbound peer now and then while all slots are full: it
// picks a candidate at random from every address heard (not only the
// netgroups pickDials prefers) and the outbound peer to close for it, and
// marks the candidate as dialled. Without it a full node never dials
// again, so nodes whose slots all filled inside one part of the network
// stay apart from the rest for good (each keeps its peers, and a peer
// frees an inbound slot only when a newcomer dials it). The peer closed
// is the one that least recently sent a transaction new to us (ties: the
// youngest, as Bitcoin Core rotates its extra outbound peers), never one
// given to AddPeers, so peers that serve the node stay. It returns nil
// when nothing is due, a slot is free or a dial is in flight (pickDials
// fills slots), or there is no candidate or no peer to close.
func (c *Client) rotate(now time.Time) (*torrent.PeerConn, string) {
	type outPeer struct {
		pc     *torrent.PeerConn
		id     string
		since  time.Time
		lastTx time.Time
	}
	c.mu.Lock()
	if now.Before(c.rotateAt) || len(c.dialing) > 0 {
		c.mu.Unlock()
		return nil, ""
	}
	c.rotateAt = now.Add(rotateWait())
	out, busy := c.slotsLocked()
	var outs []outPeer
	for pc, sp := range c.swarm {
		if !sp.inbound && !slices.Contains(c.known, sp.dial) {
			outs = append(outs, outPeer{pc: pc, id: sp.dial, since: sp.since})
		}
	}
	any := c.dialableLocked(now, busy)
	if out < c.cfg.MaxOutbound || len(outs) == 0 || len(any) == 0 {
		c.mu.Unlock()
		return nil, ""
	}
	a := any[rand.IntN(len(any))]
	c.cands[a].tried = now
	c.dialing[a] = now
	c.mu.Unlock()
	if ranker, ok := c.cfg.Gossip.(Ranker); ok {
		for i := range outs {
			_, outs[i].lastTx, _ = ranker.PeerRank(outs[i].id)
		}
	}
	victim := slices.MinFunc(outs, func(x, y outPeer) int {
		return cmp.Or(x.lastTx.Compare(y.lastTx), y.since.Compare(x.since))
	})
	return victim.pc, a
}

// onSwarmConnAdded records a new genesis connection. It must be called
// with c.mu held (and the library lock: from a callback). An inbound one
// is queued for the eviction check.
func (c *Client) onSwarmConnAddedLocked(pc *torrent.PeerConn) {
	inbound := pc.Discovery == torrent.PeerSourceIncoming // set before the conn is added
	sp := &swarmPeer{inbound: inbound, since: time.Now(), admitted: !inbound}
	if !inbound {
		sp.dial = pc.RemoteAddr.String()
		sp.port = portOf(sp.dial)
		delete(c.dialing, sp.dial)
	}
	c.swarm[pc] = sp
	if inbound {
		select {
		case c.evictQ <- pc:
		default: // the loop is behind: its next tick admits it
		}
	}
}

// onSwarmConnClosed forgets a genesis connection. It must be called with
// c.mu held. An outbound one that closed at once counts as a failed dial.
func (c *Client) onSwarmConnClosedLocked(pc *torrent.PeerConn) {
	sp := c.swarm[pc]
	if sp == nil {
		return
	}
	delete(c.swarm, pc)
	if !sp.inbound && time.Since(sp.since) < shortLived {
		if cd := c.cands[sp.dial]; cd != nil {
			cd.fails++
		}
	} else if cd := c.cands[sp.dial]; cd != nil {
		cd.fails = 0
	}
}

// unadmitted lists the inbound connections not yet through evictFor.
func (c *Client) unadmitted() []*torrent.PeerConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*torrent.PeerConn
	for pc, sp := range c.swarm {
		if !sp.admitted {
			out = append(out, pc)
		}
	}
	return out
}

// admit gives pc its slot and starts its gossip if it speaks ttx.
func (c *Client) admit(pc *torrent.PeerConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sp := c.swarm[pc]; sp != nil && !sp.admitted {
		sp.admitted = true
		if sp.ttx {
			c.startPeerLocked(pc)
		}
	}
}

// evictFor makes room for the inbound newcomer pc while the inbound peers
// exceed MaxPeers-MaxOutbound: it closes the peer selectEviction picks
// among the admitted ones, or pc itself when every one is protected. Then
// pc is admitted.
func (c *Client) evictFor(pc *torrent.PeerConn) {
	ranker, _ := c.cfg.Gossip.(Ranker)
	maxIn := c.cfg.MaxPeers - c.cfg.MaxOutbound
	for {
		now := time.Now()
		c.mu.Lock()
		if sp := c.swarm[pc]; sp == nil || sp.admitted {
			c.mu.Unlock()
			return
		}
		n := 1 // pc
		var cands []evictCandidate
		conns := make(map[string]*torrent.PeerConn)
		for other, sp := range c.swarm {
			if !sp.inbound || !sp.admitted {
				continue
			}
			n++
			id := other.RemoteAddr.String()
			conns[id] = other
			cands = append(cands, evictCandidate{id: id, netgroup: netgroup(id), since: sp.since,
				plain: c.peers[other] == nil && now.Sub(sp.since) > plainGrace})
		}
		c.mu.Unlock()
		if n <= maxIn {
			c.admit(pc)
			return
		}
		if ranker != nil {
			for i := range cands {
				cands[i].rtt, cands[i].lastTx, _ = ranker.PeerRank(cands[i].id)
			}
		}
		victim := pc
		if id, ok := selectEviction(cands, c.evictKey); ok {
			victim = conns[id]
		}
		c.log.Debug("evict inbound peer", "peer", victim.RemoteAddr.String(), "inbound", n, "max", maxIn)
		victim.Close()
		if victim == pc {
			return
		}
	}
}

package sim

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/consensus"
	"github.com/torrenttx/ttx/torrentx/gossip"
	"github.com/torrenttx/ttx/torrentx/wire"
	"github.com/torrenttx/ttx/vote"
)

// Defaults for Config.
const (
	// DefaultOutbound is how many peers each node dials, as Bitcoin Core's
	// eight full-relay outbound connections.
	DefaultOutbound = 8
	// DefaultMaxInbound bounds the connections a node accepts.
	DefaultMaxInbound = 3 * DefaultOutbound
	// port is every node's listen port: nodes differ by IP address.
	port = 6881
)

// Config configures a simulated network.
type Config struct {
	// Nodes is the network's size (at least 2).
	Nodes int
	// Outbound is how many random peers each node connects to (default
	// DefaultOutbound); MaxInbound how many connections a node accepts
	// (default DefaultMaxInbound). A node that is full is passed over, so
	// the topology is a bounded random graph, never a full mesh.
	Outbound, MaxInbound int
	// Links delays the messages (default DefaultLinks; set MaxLatency to
	// use a model of its own).
	Links LinkModel
	// Seed makes the topology, the link delays and the node keys
	// reproducible.
	Seed uint64
	// Gossip is every node's gossip configuration; Network, Ledger,
	// Store, NodeKey, Agent and Voter are filled in per node. Its zero
	// fields take the engine's defaults, which are what a node runs (it
	// sets none of the relay's: PushFanout, InvFanout, DigestDelay,
	// Tick), so the zero Config simulates the node's own relay.
	Gossip gossip.Config
	// Vote runs the consensus engine (package consensus) on every node,
	// over the same connections, with Consensus as its configuration
	// (Network, Graph, Store, Key and Transport filled in per node).
	Vote      bool
	Consensus consensus.Config
	// NeighboursOnly keeps each node's vote directory to its connected
	// peers, as a node that learns of no others: every poll samples the
	// bounded neighbourhood. Otherwise each node learns, as peer exchange
	// would tell it, its peers' peers, and polls those it is not connected
	// to over extra connections.
	NeighboursOnly bool
	// ExtraConns bounds each node's extra connections (default
	// DefaultExtraConns).
	ExtraConns int
	// Stagger spreads the connections' starts uniformly over this long
	// (0: all at once), as a real network's come up at different times;
	// their keep-alives are then spread over the ping interval too
	// instead of all falling on one tick.
	Stagger time.Duration
}

// Sim is a network of nodes, each a real gossip engine over a real ledger
// (dag.Graph over a dag.MemStore, verifying every signature), joined by
// in-memory connections that delay messages by Config.Links. It runs in
// real time; under testing/synctest its clock is virtual, so a network of
// 1,000 nodes with wide-area delays runs as fast as the CPU allows.
type Sim struct {
	cfg   Config
	net   *dag.Network
	nodes []*Node
	links []*link
	byKey map[vote.NodeKey]*Node
	wg    sync.WaitGroup // the delivery goroutines and timers

	closing atomic.Bool
	pending atomic.Int32 // connections not started yet (Config.Stagger)

	mu      sync.RWMutex
	tracked map[dag.TxID]*track
	since   time.Time // of the counters (ResetCounters)
}

// track is what the simulation follows of one injected transaction.
type track struct {
	origin   int
	injected time.Time
	accepted atomic.Int32 // nodes that accepted it
	final    atomic.Int32 // nodes that hold it final
}

// Node is one simulated node.
type Node struct {
	sim   *Sim
	index int
	addr  netip.Addr
	key   ed25519.PrivateKey
	store *dag.MemStore
	graph *dag.Graph
	eng   *gossip.Engine
	vote  *consensus.Engine // nil unless Config.Vote

	upMu sync.Mutex
	busy time.Time // when its upload is free

	xs extras

	bytesOut, bytesIn, copies, pollTxs atomic.Uint64
	// What it received, by wire.Type: bytes and messages.
	bytesByType, msgsByType [16]atomic.Uint64

	mu   sync.Mutex
	seen map[dag.TxID]*seen // of the tracked transactions
}

// seen is what one node saw of one tracked transaction.
type seen struct {
	hop             int // hops from the origin of its first copy; -1: none yet
	accepted, final time.Time
}

// New builds a network for the ledger of net and connects it: each node
// dials Config.Outbound random peers that have room. Hellos are under way
// when it returns (see Ready).
func New(net *dag.Network, cfg Config) (*Sim, error) {
	if cfg.Nodes < 2 {
		return nil, fmt.Errorf("sim: %d nodes, want at least 2", cfg.Nodes)
	}
	if cfg.Outbound <= 0 {
		cfg.Outbound = DefaultOutbound
	}
	if cfg.MaxInbound <= 0 {
		cfg.MaxInbound = DefaultMaxInbound
	}
	if cfg.Links.MaxLatency == 0 {
		cfg.Links = DefaultLinks
	}
	if cfg.ExtraConns <= 0 {
		cfg.ExtraConns = DefaultExtraConns
	}
	s := &Sim{cfg: cfg, net: net, tracked: make(map[dag.TxID]*track), byKey: make(map[vote.NodeKey]*Node), since: time.Now()}
	for i := range cfg.Nodes {
		n, err := s.newNode(i)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.nodes = append(s.nodes, n)
		s.byKey[vote.NodeKey(n.pub())] = n
	}
	s.connect()
	if cfg.Vote && !cfg.NeighboursOnly {
		s.exchange()
	}
	return s, nil
}

func (s *Sim) newNode(i int) (*Node, error) {
	seed := sha256.Sum256(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, s.cfg.Seed), uint64(i)))
	n := &Node{
		sim:   s,
		index: i,
		// One /16 per node, so that vote sampling (which spreads a poll
		// over network prefixes) sees them all as diverse.
		addr:  netip.AddrFrom4([4]byte{byte(11 + i>>8), byte(i), 0, 1}),
		key:   ed25519.NewKeyFromSeed(seed[:]),
		store: dag.NewMemStore(),
		seen:  make(map[dag.TxID]*seen),
		xs:    extras{conns: make(map[vote.NodeKey]*extra), rng: rand.New(rand.NewPCG(s.cfg.Seed, uint64(i)<<32|0xe))},
	}
	var err error
	n.graph, err = dag.NewGraph(dag.GraphConfig{Network: s.net, Store: n.store, OnChange: n.onChange})
	if err != nil {
		return nil, fmt.Errorf("sim: start the ledger of node %d: %w", i, err)
	}
	gc := s.cfg.Gossip
	gc.Network, gc.Ledger, gc.Store = s.net, n.graph, n.store
	gc.NodeKey = dag.PubKey(n.key.Public().(ed25519.PublicKey))
	gc.Agent, gc.ListenPort = "sim"+strconv.Itoa(i), port
	if s.cfg.Vote {
		gc.Voter = voteIn{n}
	}
	if n.eng, err = gossip.New(gc); err != nil {
		n.graph.Close()
		return nil, fmt.Errorf("sim: start the gossip of node %d: %w", i, err)
	}
	if s.cfg.Vote {
		cc := s.cfg.Consensus
		cc.Network, cc.Graph, cc.Store, cc.Key, cc.Transport = s.net, n.graph, n.store, n.key, voteOut{n}
		cc.Rand = rand.New(rand.NewPCG(s.cfg.Seed, uint64(i)))
		if n.vote, err = consensus.New(cc); err == nil {
			err = n.vote.Start()
		}
		if err != nil {
			n.eng.Close()
			n.graph.Close()
			return nil, fmt.Errorf("sim: start the vote of node %d: %w", i, err)
		}
	}
	return n, nil
}

// connect links each node to Config.Outbound random others that are not
// full and not linked to it yet.
func (s *Sim) connect() {
	rng := rand.New(rand.NewPCG(s.cfg.Seed, 0x5eed))
	inbound := make([]int, len(s.nodes))
	linked := make(map[[2]int]bool)
	for i := range s.nodes {
		for made, tries := 0, 0; made < s.cfg.Outbound && tries < 50*s.cfg.Outbound; tries++ {
			j := rng.IntN(len(s.nodes))
			pair := [2]int{min(i, j), max(i, j)}
			if j == i || linked[pair] || inbound[j] >= s.cfg.MaxInbound {
				continue
			}
			linked[pair] = true
			inbound[j]++
			made++
			s.link(s.nodes[i], s.nodes[j], rng)
		}
	}
}

// exchange tells each node's vote of its peers' peers, as peer exchange
// would (with the node keys their hellos carry once connected).
func (s *Sim) exchange() {
	near := make(map[*Node][]vote.Peer)
	for _, l := range s.links {
		a, b := l.a.from, l.b.from
		near[a] = append(near[a], b.votePeer())
		near[b] = append(near[b], a.votePeer())
	}
	for _, n := range s.nodes {
		for _, p := range near[n] {
			n.vote.Learn(near[s.byKey[p.Key]]...)
		}
	}
}

// votePeer returns n as a vote sees it.
func (n *Node) votePeer() vote.Peer { return vote.Peer{Key: vote.NodeKey(n.pub()), Addr: n.addr} }

// link connects a to b: each engine gets its Peer, and two goroutines
// deliver; with Config.Stagger, after a random delay.
func (s *Sim) link(a, b *Node, rng *rand.Rand) {
	l := &link{base: s.cfg.Links.base(rng), closed: make(chan struct{})}
	ab := &conn{id: netip.AddrPortFrom(b.addr, port).String(), from: a, to: b, link: l, wake: make(chan struct{}, 1),
		rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))}
	ba := &conn{id: netip.AddrPortFrom(a.addr, port).String(), from: b, to: a, link: l, wake: make(chan struct{}, 1),
		rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))}
	ab.rev, ba.rev = ba, ab
	l.a, l.b = ab, ba
	s.links = append(s.links, l)
	up := func() {
		a.eng.AddPeer(ab)
		b.eng.AddPeer(ba)
		s.wg.Add(2)
		go ab.deliver()
		go ba.deliver()
	}
	if s.cfg.Stagger <= 0 {
		up()
		return
	}
	s.pending.Add(1)
	s.after(time.Duration(rng.Int64N(int64(s.cfg.Stagger))), func() {
		up()
		s.pending.Add(-1)
	})
}

// Close stops every node and connection.
func (s *Sim) Close() {
	s.closing.Store(true)
	for _, n := range s.nodes {
		if n.vote != nil {
			n.vote.Close() // before the ledger: it waits on the Graph
		}
	}
	for _, l := range s.links {
		l.close()
	}
	s.wg.Wait()
	for _, n := range s.nodes {
		n.eng.Close()
		n.graph.Close()
	}
}

// Nodes returns the network's size.
func (s *Sim) Nodes() int { return len(s.nodes) }

// Ready reports whether every connection started and finished its hello
// on both sides.
func (s *Sim) Ready() bool {
	if s.pending.Load() > 0 {
		return false
	}
	for _, n := range s.nodes {
		for _, p := range n.eng.Peers() {
			if !p.Ready {
				return false
			}
		}
	}
	return true
}

// Inject adds raw to the ledger of node i, as a payment made there, and
// follows it: Report counts it.
func (s *Sim) Inject(ctx context.Context, i int, raw []byte) (dag.TxID, error) {
	p, err := dag.Decode(raw)
	if err != nil {
		return dag.TxID{}, fmt.Errorf("sim: inject: %w", err)
	}
	id := p.ID
	s.mu.Lock()
	s.tracked[id] = &track{origin: i, injected: time.Now()}
	s.mu.Unlock()
	n := s.nodes[i]
	n.mu.Lock()
	n.seenLocked(id).hop = 0
	n.mu.Unlock()
	res, err := n.graph.Add(ctx, raw, "")
	if err == nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		return id, fmt.Errorf("sim: inject %s at node %d: %w", id, i, err)
	}
	return id, nil
}

// Wait returns once every node accepted (or, with final set, holds final)
// each of ids, or with ctx's error.
func (s *Sim) Wait(ctx context.Context, final bool, ids ...dag.TxID) error {
	for {
		done := true
		for _, id := range ids {
			t := s.trackOf(id)
			if t == nil {
				return fmt.Errorf("sim: wait for %s: %w", id, errUntracked)
			}
			c := &t.accepted
			if final {
				c = &t.final
			}
			if int(c.Load()) < len(s.nodes) {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sim: wait: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// WaitAny returns once every node holds one of ids final, or with ctx's
// error: the end of a race between double spends.
func (s *Sim) WaitAny(ctx context.Context, ids ...dag.TxID) error {
	for {
		var sum int
		for _, id := range ids {
			if t := s.trackOf(id); t != nil {
				sum += int(t.final.Load())
			}
		}
		if sum >= len(s.nodes) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sim: wait for one side final: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

var errUntracked = errors.New("sim: not injected")

func (s *Sim) trackOf(id dag.TxID) *track {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tracked[id]
}

// ResetCounters zeroes the traffic counters, so that Report counts from
// now (after the hellos, say).
func (s *Sim) ResetCounters() {
	for _, n := range s.nodes {
		n.bytesOut.Store(0)
		n.bytesIn.Store(0)
		n.copies.Store(0)
		n.pollTxs.Store(0)
		for i := range n.bytesByType {
			n.bytesByType[i].Store(0)
			n.msgsByType[i].Store(0)
		}
	}
	s.mu.Lock()
	s.since = time.Now()
	s.mu.Unlock()
}

// onChange is the node's GraphConfig.OnChange: the engines get the
// changes, and the simulation notes when tracked transactions were
// accepted and made final.
func (n *Node) onChange(cs []dag.Change) {
	if n.eng != nil {
		n.eng.Announce(cs)
	}
	if n.vote != nil {
		n.vote.OnChange(cs)
	}
	now := time.Now()
	for _, c := range cs {
		t := n.sim.trackOf(c.ID)
		if t == nil {
			continue
		}
		n.mu.Lock()
		st := n.seenLocked(c.ID)
		if c.State.Accepted() && st.accepted.IsZero() {
			st.accepted = now
			t.accepted.Add(1)
		}
		if c.State == dag.StateFinal && st.final.IsZero() {
			st.final = now
			t.final.Add(1)
		}
		n.mu.Unlock()
	}
}

// seenLocked returns what n saw of id, creating it. It must be called with
// n.mu held.
func (n *Node) seenLocked(id dag.TxID) *seen {
	st := n.seen[id]
	if st == nil {
		st = &seen{hop: -1}
		n.seen[id] = st
	}
	return st
}

// hop returns the hops id took to n, -1 if no copy reached it yet.
func (n *Node) hop(id dag.TxID) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if st := n.seen[id]; st != nil {
		return st.hop
	}
	return -1
}

// upload returns when a message of size bytes sent now has left the
// node, given Links.Bandwidth.
func (n *Node) upload(now time.Time, size int) time.Time {
	bw := n.sim.cfg.Links.Bandwidth
	if bw <= 0 {
		return now
	}
	n.upMu.Lock()
	defer n.upMu.Unlock()
	if n.busy.Before(now) {
		n.busy = now
	}
	n.busy = n.busy.Add(time.Duration(int64(size) * int64(time.Second) / bw))
	return n.busy
}

func (n *Node) countOut(size int) { n.bytesOut.Add(uint64(size)) }

// countIn counts a received message of type t and size bytes.
func (n *Node) countIn(t wire.Type, size int) {
	n.bytesIn.Add(uint64(size))
	n.bytesByType[t].Add(uint64(size))
	n.msgsByType[t].Add(1)
}

// received counts a message from a before the engine handles it: its
// bytes by type, and each full copy of a transaction, whose hop count is
// one more than the sender's.
func (n *Node) received(from *Node, payload []byte) {
	m, err := wire.Decode(payload)
	if err != nil {
		n.bytesIn.Add(uint64(len(payload)))
		return // the engine scores it
	}
	n.countIn(m.Type(), len(payload))
	switch m := m.(type) {
	case *wire.Tx:
		n.copies.Add(uint64(len(m.Txs)))
		for _, e := range m.Txs {
			if n.sim.trackOf(e.ID) == nil {
				continue
			}
			h := from.hop(e.ID)
			n.mu.Lock()
			if st := n.seenLocked(e.ID); st.hop < 0 && h >= 0 {
				st.hop = h + 1
			}
			n.mu.Unlock()
		}
	case *wire.Poll:
		n.pollTxs.Add(uint64(len(m.Txs)))
	}
}

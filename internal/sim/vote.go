package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/consensus"
	"github.com/torrenttx/ttx/torrentx/gossip"
	"github.com/torrenttx/ttx/torrentx/wire"
	"github.com/torrenttx/ttx/vote"
)

// voteOut carries a node's polls and answers over its gossip engine, and
// to nodes it is not connected to over short-lived extra connections.
type voteOut struct{ n *Node }

// voteIn hands its consensus engine the polls and answers peers send.
type voteIn struct{ n *Node }

var (
	_ consensus.Transport = voteOut{}
	_ gossip.Voter        = voteIn{}
)

// Extra connections.
const (
	// DefaultExtraConns bounds the extra connections a node keeps open for
	// polls to nodes that are not its peers; past it, the least recently
	// used one closes.
	DefaultExtraConns = 2 * consensus.DefaultDirectory
	// handshakeRTTs is what opening an extra connection costs before its
	// first message: TCP's handshake, then BitTorrent's and the
	// extension's with the ttx hello, a round trip each.
	handshakeRTTs = 3
)

// extra is a short-lived connection between two nodes that carries polls,
// their answers and the transactions a polled node wants, and no relay
// traffic (no pushes, invs or digest pings). Each node holds its own
// record of it.
type extra struct {
	base  time.Duration // one-way delay
	ready time.Time     // when the handshakes are done
	used  time.Time     // its last message
}

// extras are a node's extra connections, by the other node's key.
type extras struct {
	mu    sync.Mutex
	conns map[vote.NodeKey]*extra
	rng   *rand.Rand
}

// Peers implements consensus.Transport: the ready peers, by node key and
// address.
func (v voteOut) Peers() []vote.Peer {
	var out []vote.Peer
	for _, p := range v.n.eng.Peers() {
		if ap, err := netip.ParseAddrPort(p.ID); err == nil && p.Ready {
			out = append(out, vote.Peer{Key: vote.NodeKey(p.NodeKey), Addr: ap.Addr()})
		}
	}
	return out
}

// Poll implements consensus.Transport: over the gossip connection to a
// peer, else over an extra connection.
func (v voteOut) Poll(key vote.NodeKey, req uint64, outs []dag.OutPoint, ids []dag.TxID) error {
	m := &wire.Poll{Req: req, Outs: outs, IDs: ids}
	if v.n.connected(key) {
		if err := v.n.eng.Poll(dag.PubKey(key), m); err != nil {
			return fmt.Errorf("sim: poll: %w", err)
		}
		return nil
	}
	to := v.n.sim.byKey[key]
	if to == nil {
		return fmt.Errorf("sim: poll: no node %x", key[:8])
	}
	return v.n.sendExtra(to, m, func() {
		to.learnSides(v.n, ids)
		to.vote.HandlePoll(vote.NodeKey(v.n.pub()), req, outs)
	})
}

// Answer implements consensus.Transport: over the connection the poll
// came on.
func (v voteOut) Answer(key vote.NodeKey, req uint64, batch []byte) error {
	m := &wire.Votes{Req: req, Batch: batch}
	if v.n.connected(key) {
		if err := v.n.eng.Answer(dag.PubKey(key), m); err != nil {
			return fmt.Errorf("sim: answer: %w", err)
		}
		return nil
	}
	to := v.n.sim.byKey[key]
	if to == nil {
		return fmt.Errorf("sim: answer: no node %x", key[:8])
	}
	return v.n.sendExtra(to, m, func() { to.vote.HandleVotes(vote.NodeKey(v.n.pub()), req, batch) })
}

// Poll implements gossip.Voter.
func (v voteIn) Poll(from dag.PubKey, p *wire.Poll) {
	v.n.vote.HandlePoll(vote.NodeKey(from), p.Req, p.Outs)
}

// Votes implements gossip.Voter.
func (v voteIn) Votes(from dag.PubKey, m *wire.Votes) {
	v.n.vote.HandleVotes(vote.NodeKey(from), m.Req, m.Batch)
}

// pub returns n's node key.
func (n *Node) pub() dag.PubKey { return dag.PubKey(n.key[32:]) }

// connected reports whether n has a ready gossip peer with key.
func (n *Node) connected(key vote.NodeKey) bool {
	for _, p := range n.eng.Peers() {
		if p.Ready && vote.NodeKey(p.NodeKey) == key {
			return true
		}
	}
	return false
}

// sendExtra sends m to node to over their extra connection, opening it
// if there is none (and closing n's least recently used one past
// Config.ExtraConns), and runs deliver when m arrives.
func (n *Node) sendExtra(to *Node, m wire.Message, deliver func()) error {
	b, err := wire.Encode(m)
	if err != nil {
		return fmt.Errorf("sim: extra connection: %w", err)
	}
	now := time.Now()
	n.xs.mu.Lock()
	x := n.xs.conns[vote.NodeKey(to.pub())]
	var opened extra // the far side's own record of a new connection
	if x == nil {
		x = &extra{base: n.sim.cfg.Links.base(n.xs.rng)}
		x.ready = now.Add(handshakeRTTs * 2 * x.base)
		n.xs.addLocked(vote.NodeKey(to.pub()), x, n.sim.cfg.ExtraConns)
		opened = *x
	}
	x.used = now
	at := now
	if x.ready.After(now) {
		at = x.ready
	}
	at = at.Add(n.sim.cfg.Links.delay(n.xs.rng, x.base))
	n.xs.mu.Unlock()
	if !opened.ready.IsZero() {
		// Not under n.xs.mu: two nodes opening to each other at once
		// would each hold its own lock and wait for the other's.
		to.xs.mu.Lock()
		if to.xs.conns[vote.NodeKey(n.pub())] == nil {
			to.xs.addLocked(vote.NodeKey(n.pub()), &opened, n.sim.cfg.ExtraConns)
		}
		to.xs.mu.Unlock()
	}
	n.countOut(len(b))
	n.sim.after(at.Sub(now), func() {
		to.countIn(m.Type(), len(b))
		if p, ok := m.(*wire.Poll); ok {
			to.pollTxs.Add(uint64(len(p.Txs)))
		}
		deliver()
	})
	return nil
}

// addLocked adds x for key, closing the least recently used connection
// first if max are open. It must be called with xs.mu held.
func (xs *extras) addLocked(key vote.NodeKey, x *extra, max int) {
	if len(xs.conns) >= max {
		var oldest vote.NodeKey
		var t time.Time
		for k, c := range xs.conns {
			if t.IsZero() || c.used.Before(t) {
				oldest, t = k, c.used
			}
		}
		delete(xs.conns, oldest)
	}
	xs.conns[key] = x
}

// learnSides is what a node polled over an extra connection does with the
// poll's IDs: it wants those it lacks from the poller, which sends them
// (a round trip on the connection, counted as want and tx bytes), and
// adds them to its ledger.
func (n *Node) learnSides(from *Node, ids []dag.TxID) {
	var missing []dag.TxID
	var entries []wire.TxEntry
	for _, id := range ids {
		if st, err := n.graph.State(id); err != nil || st != dag.StateUnknown {
			continue
		}
		if raw, err := dag.StoredRaw(from.store, id); err == nil {
			missing = append(missing, id)
			entries = append(entries, wire.TxEntry{ID: id, Raw: raw})
		}
	}
	if len(missing) == 0 {
		return
	}
	n.sendExtra(from, &wire.Want{IDs: missing}, func() {
		from.sendExtra(n, &wire.Tx{Txs: entries}, func() {
			for _, e := range entries {
				n.graph.Add(context.Background(), e.Raw, "")
			}
		})
	})
}

// after runs f after d unless the network closed meanwhile.
func (s *Sim) after(d time.Duration, f func()) {
	s.wg.Add(1)
	time.AfterFunc(d, func() {
		defer s.wg.Done()
		if !s.closing.Load() {
			f()
		}
	})
}

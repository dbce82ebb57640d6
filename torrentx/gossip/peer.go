package gossip

import (
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// peer is the engine's state for one connection. Its fields are guarded by
// Engine.mu, except the counters, which are atomic.
type peer struct {
	p     Peer
	id    string
	since time.Time
	// hello is the peer's hello; nil until it arrives.
	hello   *wire.Hello
	version uint64
	// digest is the peer's latest digest (hello, ping or pong).
	digest dag.Digest
	// sentHello is our digest as our hello carried it; told the one our
	// last hello, ping or pong carried.
	sentHello, told dag.Digest
	gone            bool

	msgs, bytes, recon, polls bucket // what it may send us
	serve                     bucket // transaction bytes we serve it
	push                      bucket // bytes catch-up sync pushes to it
	score                     int
	known                     *dag.IDSet // IDs it has, or was sent (the latest KnownPerPeer)
	// salt is our hello's salt; skey keys the connection's short IDs and
	// short says both sides speak them (shortid.go).
	salt   uint64
	skey   wire.ShortKey
	short  bool
	nonce  uint64 // the last nonce drawn for it (pings, syncs, barriers)
	wanted int    // IDs wanted from it, not yet received
	// undelivered counts its announcements it did not deliver when asked,
	// less those it did (undeliveredLocked).
	undelivered int
	// inflight counts its transactions in the ledger's queue; held are
	// those waiting for room, and the pongs and polls behind them, in
	// arrival order; moving counts the turns taken from held and not yet
	// queued for its settler; waiting is set while it is in the
	// scheduler's list (ingest.go).
	inflight int
	held     []heldItem
	moving   int
	waiting  bool
	// awaiting holds our polls whose votes we await: Req -> when sent;
	// gaveUp those we stopped awaiting unanswered, for lateVotesFor.
	awaiting map[uint64]time.Time
	gaveUp   map[uint64]time.Time

	ping     pending // keep-alive ping awaiting its pong
	lastPing time.Time
	rtt      time.Duration
	// differed: its last keep-alive pong found our digest the larger.
	differed bool
	// lastTx is when it last sent a transaction new to us.
	lastTx time.Time

	sync        *syncState
	syncEnd     time.Time
	syncBackoff time.Duration
	lastDiff    int

	// adds feeds its settler: tx messages submitted to the ledger and
	// pings to answer, in arrival order. quit is closed when it is dropped.
	adds chan txAdd
	quit chan struct{}
	// unsettled counts the tx messages and pings queued for the settler
	// and not yet handled by it: a ping may be answered at once only when
	// it is 0, or its pong could overtake an earlier one.
	unsettled atomic.Int32

	msgsIn, bytesIn, msgsOut, bytesOut atomic.Uint64
	votesIn, votesOut                  voteCounters
	txsIn, txsOut                      txCount
}

// pending is a ping awaiting its pong.
type pending struct {
	nonce  uint64
	sent   time.Time
	digest dag.Digest // ours, as the ping carried it
}

func (e *Engine) newPeer(p Peer, now time.Time, ours dag.Digest) *peer {
	c := &e.cfg
	return &peer{
		p:         p,
		id:        p.ID(),
		since:     now,
		sentHello: ours,
		told:      ours,
		adds:      make(chan txAdd, maxAdds),
		quit:      make(chan struct{}),
		msgs:      newBucket(c.MsgRate, c.MsgBurst, now),
		bytes:     newBucket(c.ByteRate, c.ByteBurst, now),
		recon:     newBucket(c.ReconRate, c.ReconBurst, now),
		polls:     newBucket(c.PollRate, c.PollBurst, now),
		awaiting:  make(map[uint64]time.Time),
		gaveUp:    make(map[uint64]time.Time),
		serve:     newBucket(c.ByteRate, c.ByteBurst, now),
		push:      newBucket(c.PushRate, float64(c.SyncWindow), now),
		known:     dag.NewIDSet(c.KnownPerPeer),
		salt:      newSalt(),
		lastPing:  now,
	}
}

// ready reports whether the peer's hello arrived and it is still here.
func (ps *peer) ready() bool { return ps.hello != nil && !ps.gone }

// PeerInfo describes a ttx peer.
type PeerInfo struct {
	// ID is the connection's remote address ("ip:port").
	ID    string
	Agent string
	// NodeKey is the node key its hello claimed: an unproven claim, but
	// what it signs can be checked against it.
	NodeKey    dag.PubKey
	Version    uint64 // the version spoken with it
	ListenPort uint16
	Digest     dag.Digest // its latest digest
	Ready      bool       // its hello arrived
	Syncing    bool       // a catch-up sync with it runs
	RTT        time.Duration
	Score      int
	Since      time.Time
	// Messages and bytes received from and sent to it.
	MsgsIn, BytesIn, MsgsOut, BytesOut uint64
	// Vote traffic, included in the above: polls and votes messages
	// received and sent, and their bytes.
	PollsIn, VotesIn, VoteBytesIn    uint64
	PollsOut, VotesOut, VoteBytesOut uint64
	// Transactions received from and sent to it whole (every copy), and
	// their tx.json bytes, included in the above.
	TxsIn, TxBytesIn, TxsOut, TxBytesOut uint64
}

// Peers returns the connected ttx peers, by ID.
func (e *Engine) Peers() []PeerInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]PeerInfo, 0, len(e.peers))
	for _, ps := range e.peers {
		pi := PeerInfo{
			ID: ps.id, Version: ps.version, Digest: ps.digest, Ready: ps.ready(),
			Syncing: ps.sync != nil, RTT: ps.rtt, Score: ps.score, Since: ps.since,
			MsgsIn: ps.msgsIn.Load(), BytesIn: ps.bytesIn.Load(),
			MsgsOut: ps.msgsOut.Load(), BytesOut: ps.bytesOut.Load(),
			PollsIn: ps.votesIn.polls.Load(), VotesIn: ps.votesIn.votes.Load(), VoteBytesIn: ps.votesIn.bytes.Load(),
			PollsOut: ps.votesOut.polls.Load(), VotesOut: ps.votesOut.votes.Load(), VoteBytesOut: ps.votesOut.bytes.Load(),
			TxsIn: ps.txsIn.n.Load(), TxBytesIn: ps.txsIn.bytes.Load(), TxsOut: ps.txsOut.n.Load(), TxBytesOut: ps.txsOut.bytes.Load(),
		}
		if ps.hello != nil {
			pi.Agent, pi.ListenPort, pi.NodeKey = ps.hello.Agent, ps.hello.ListenPort, ps.hello.NodeKey
		}
		out = append(out, pi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// PeerRank returns what the transport's eviction protects a peer for: its
// ping round trip (0 until measured) and when it last sent us a
// transaction we did not have (zero: never). ok is false for an unknown
// peer.
func (e *Engine) PeerRank(id string) (rtt time.Duration, lastTx time.Time, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ps := e.peers[id]
	if ps == nil {
		return 0, time.Time{}, false
	}
	return ps.rtt, ps.lastTx, true
}

// SendTo queues m to the ready peer whose hello carried key; if several
// connections claim it, to the oldest. It returns an error wrapping
// ErrUnknownPeer when no ready peer has the key, ErrClosed after Close, or
// the transport's refusal (a full queue, a closed connection).
func (e *Engine) SendTo(key dag.PubKey, m wire.Message) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	to := e.peerByKeyLocked(key)
	e.mu.Unlock()
	if to == nil {
		return fmt.Errorf("send %s: %w: %x", m.Type(), ErrUnknownPeer, key)
	}
	return e.trySend(to, m)
}

// peerByKeyLocked returns the oldest ready peer whose hello carried key,
// or nil. It must be called with e.mu held.
func (e *Engine) peerByKeyLocked(key dag.PubKey) *peer {
	var to *peer
	for _, ps := range e.peers {
		if ps.ready() && ps.hello.NodeKey == key && (to == nil || ps.since.Before(to.since)) {
			to = ps
		}
	}
	return to
}

// nextNonce returns a fresh nonce (never 0) for a ping, a sync session or
// its barrier on this connection, whose replies are matched on it alone.
// It must be called with e.mu held.
func (ps *peer) nextNonce() uint64 {
	ps.nonce++ // from 0, it never wraps
	return ps.nonce
}

package gossip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/recon"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// banScore is the score at which a peer is banned.
const banScore = 100

// recentAccepted is how many of the latest accepted IDs the engine
// remembers (Engine.accepted). The invs of a transaction arrive while it
// spreads, within seconds; 4096 covers 4 s at 1,000 tx/s, and an inv that
// misses it costs a store read, as before.
const recentAccepted = 4096

// Engine runs the ttx gossip over any number of peers. It implements the
// torrentx Handler contract: for each peer, AddPeer, then Handle for each
// message in arrival order from one goroutine, then RemovePeer.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	recon  recon.Config
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the timer loop, fetches and settlers

	mu     sync.Mutex
	closed bool
	peers  map[string]*peer
	bans   map[string]time.Time // peer ID or IP -> until
	wants  map[dag.TxID]*want
	// shorts are the wants by short ID, by their IDs' prefix; inflight
	// indexes by prefix the IDs being added or wanted by full ID
	// (shortid.go).
	shorts    map[uint32]*shortWant
	inflight  map[uint32][]dag.TxID
	inflightN int // entries in inflight
	// wantsBy counts the wants by the address charged for them (want.owner).
	wantsBy map[string]int
	// adding holds the IDs of pushed transactions submitted to the
	// ledger, or waiting to be, whose results the settlers have not
	// handled yet.
	adding map[dag.TxID]bool
	// accepted holds the IDs of the latest transactions the ledger
	// accepted (Announce adds them), so that the invs of a transaction
	// we hold, most of those a node receives, need no store read.
	accepted *dag.IDSet
	// signers counts the transactions in the ledger's queue by signer;
	// waiting lists the peers with transactions held, in turn order, and
	// turn wakes the scheduler (ingest.go). room is signalled when a slot
	// frees or held transactions are submitted, or a peer or the engine
	// goes.
	signers map[string]int
	// lastTurn is each signer's latest turn, for SignerTurn and
	// SignerBurst; tick forgets those past it.
	lastTurn map[string]signerTurn
	waiting  []*peer
	turn     chan struct{}
	room     *sync.Cond
	queries  map[uint64]*query
	nonce    uint64
	fetches  int
	// lastMissing is when the orphan pool's missing parents were last
	// wanted.
	lastMissing time.Time
	// still is our digest at the last tick, and stillSince the tick that
	// first saw it.
	still      dag.Digest
	stillSince time.Time
	// banCount counts the bans handed out.
	banCount uint64
	traffic  traffic

	// cached is our digest as last read from the store, while cachedOK;
	// Announce, which every commit that changes the ledger calls, drops
	// it and counts a new generation (gen), so that a read that began
	// before the commit does not cache what it found. cmu guards them.
	cmu      sync.Mutex
	cached   dag.Digest
	cachedOK bool
	gen      uint64
}

// New starts an engine. Wire Announce to the Graph's OnChange, and the
// engine (as Handler) to the transport.
func New(cfg Config) (*Engine, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:      c,
		log:      c.Logger.With(logSubsystem, "gossip"),
		recon:    recon.Config{MaxMessageSize: wire.MaxReconSize},
		peers:    make(map[string]*peer),
		bans:     make(map[string]time.Time),
		wants:    make(map[dag.TxID]*want),
		shorts:   make(map[uint32]*shortWant),
		inflight: make(map[uint32][]dag.TxID),
		wantsBy:  make(map[string]int),
		adding:   make(map[dag.TxID]bool),
		accepted: dag.NewIDSet(recentAccepted),
		signers:  make(map[string]int),
		lastTurn: make(map[string]signerTurn),
		turn:     make(chan struct{}, 1),
		queries:  make(map[uint64]*query),
	}
	e.room = sync.NewCond(&e.mu)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.wg.Add(2)
	go e.loop()
	go e.schedule()
	return e, nil
}

// Close stops the engine: timers, fetches and settlers end, and later
// calls do nothing. It does not close the peers; the transport owns them.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.room.Broadcast()
	for _, ps := range e.peers {
		e.endSync(ps)
	}
	for _, q := range e.queries {
		q.finish()
	}
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	return nil
}

// AddPeer starts the conversation with p: it sends our hello. A banned
// peer is closed at once.
func (e *Engine) AddPeer(p Peer) {
	ours, err := e.digest()
	if err != nil {
		e.log.Error("read digest", logErr, err)
		p.Close(err)
		return
	}
	now := e.cfg.Now()
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		p.Close(ErrClosed)
		return
	case e.bannedLocked(p.ID(), now):
		e.mu.Unlock()
		p.Close(ErrBanned)
		return
	}
	ps := e.newPeer(p, now, ours)
	if old := e.peers[ps.id]; old != nil {
		e.dropLocked(old)
	}
	e.peers[ps.id] = ps
	e.wg.Add(1) // under e.mu, before Close can wait
	e.mu.Unlock()
	go e.settler(ps)
	e.send(ps, &wire.Hello{Version: wire.ProtocolVersion, Network: e.cfg.Network.ID, Digest: ours,
		Agent: e.cfg.Agent, ListenPort: e.cfg.ListenPort, NodeKey: e.cfg.NodeKey, Salt: ps.salt})
}

// RemovePeer forgets p: its sync stops, and what was wanted from it is
// wanted elsewhere (or dropped, if only p announced it).
func (e *Engine) RemovePeer(p Peer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps := e.peers[p.ID()]; ps != nil && ps.p == p {
		e.dropLocked(ps)
	}
}

// dropLocked removes ps. It must be called with e.mu held.
func (e *Engine) dropLocked(ps *peer) {
	if !ps.gone {
		close(ps.quit)
	}
	ps.gone = true
	e.room.Broadcast()
	delete(e.peers, ps.id)
	e.dropHeldLocked(ps)
	e.endSync(ps)
	e.dropWantsLocked(ps, e.cfg.Now())
	e.dropShortsLocked(ps, e.cfg.Now())
	for _, q := range e.queries {
		q.drop(ps.id)
	}
}

// Handle processes one message from p.
func (e *Engine) Handle(p Peer, payload []byte) {
	now := e.cfg.Now()
	e.mu.Lock()
	ps := e.peers[p.ID()]
	if e.closed || ps == nil || ps.p != p {
		e.mu.Unlock()
		return
	}
	ps.msgsIn.Add(1)
	ps.bytesIn.Add(uint64(len(payload)))
	e.traffic.msgsIn.Add(1)
	e.traffic.bytesIn.Add(uint64(len(payload)))
	switch {
	case len(payload) > wire.MaxMessageSize:
		e.punishLocked(ps, banScore, "oversized message")
		e.mu.Unlock()
		return
	case !ps.msgs.take(now, 1) || !ps.bytes.take(now, float64(len(payload))):
		e.punishLocked(ps, 10, "over the rate limit")
		e.mu.Unlock()
		return
	}
	hello := ps.hello != nil
	e.mu.Unlock()

	m, err := wire.Decode(payload)
	if err != nil {
		if errors.Is(err, wire.ErrUnknownType) {
			e.log.Debug("unknown message type", logPeer, ps.id, logErr, err)
			return
		}
		e.misbehave(ps, banScore, err.Error())
		return
	}
	if _, ok := m.(*wire.Hello); !ok && !hello {
		e.misbehave(ps, banScore, "message before hello")
		return
	}
	ps.votesIn.count(m.Type(), len(payload))
	switch m := m.(type) {
	case *wire.Hello:
		e.handleHello(ps, m)
	case *wire.Inv:
		if len(m.Short) > 0 {
			m = e.handleShortInv(ps, m)
		}
		e.handleInv(ps, m)
	case *wire.Want:
		e.handleWant(ps, m)
	case *wire.Tx:
		e.handleTx(ps, m)
	case *wire.NotFound:
		e.handleNotFound(ps, m)
	case *wire.Query:
		e.handleQuery(ps, m)
	case *wire.Answer:
		e.handleAnswer(ps, m)
	case *wire.Ping:
		e.handlePing(ps, m)
	case *wire.Pong:
		e.handlePong(ps, m)
	case *wire.ReconQuery:
		e.handleReconQuery(ps, m)
	case *wire.ReconReply:
		e.handleReconReply(ps, m)
	case *wire.Poll:
		e.handlePoll(ps, m)
	case *wire.Votes:
		e.handleVotes(ps, m)
	}
}

func (e *Engine) handleHello(ps *peer, m *wire.Hello) {
	if m.Network != e.cfg.Network.ID {
		e.log.Debug("peer on another network", logPeer, ps.id, "network", m.Network)
		e.drop(ps, fmt.Errorf("%w: %s", ErrWrongNetwork, m.Network))
		return
	}
	if m.Version < e.cfg.MinVersion {
		e.drop(ps, fmt.Errorf("%w: %d, we need %d or later", ErrVersion, m.Version, e.cfg.MinVersion))
		return
	}
	e.mu.Lock()
	first := ps.hello == nil
	ps.hello, ps.version, ps.digest = m, min(m.Version, wire.ProtocolVersion), m.Digest
	if ps.short = ps.version >= wire.ShortIDVersion; ps.short {
		ps.skey = wire.NewShortKey(ps.salt, m.Salt)
	}
	ours := ps.sentHello
	e.mu.Unlock()
	if first {
		e.log.Debug("peer ready", logPeer, ps.id, "agent", m.Agent, "digest", m.Digest)
		e.maybeSync(ps, ours, m.Digest)
		e.pingIfMoved(ps, ours)
	}
}

// pingIfMoved pings a peer that just became ready if our digest has moved
// since the hello we sent it (sent): what we accepted in between was not
// pushed to it, as it was not ready, and the pong starts a sync if it
// lacks that, instead of the next keep-alive up to PingInterval later.
func (e *Engine) pingIfMoved(ps *peer, sent dag.Digest) {
	now, err := e.digest()
	if err != nil {
		e.log.Error("read digest", logErr, err)
		return
	}
	if now == sent {
		return
	}
	e.mu.Lock()
	if !ps.ready() || ps.ping.nonce != 0 {
		e.mu.Unlock()
		return
	}
	// No relay is in flight to it: a difference its pong shows is one to
	// sync at once.
	ps.differed = true
	msg := e.pingLocked(ps, e.cfg.Now(), now)
	e.mu.Unlock()
	e.send(ps, msg)
}

// handlePing answers with a pong once everything the peer sent before the
// ping is processed: committed, for the transactions it pushed. The
// settler sends it, so the next messages are verified meanwhile.
func (e *Engine) handlePing(ps *peer, m *wire.Ping) {
	e.mu.Lock()
	ps.digest = m.Digest
	idle := len(ps.held) == 0 && ps.moving == 0
	e.mu.Unlock()
	// With nothing held, only this goroutine adds to unsettled.
	if idle && ps.unsettled.Load() == 0 {
		e.pong(ps, m.Nonce)
		return
	}
	e.holdCtl(ps, txAdd{pong: m.Nonce})
}

// pong answers the ping nonce with our digest, which tells the peer our
// digest as a ping would.
func (e *Engine) pong(ps *peer, nonce uint64) {
	ours, err := e.digest()
	if err != nil {
		e.log.Error("read digest", logErr, err)
		return
	}
	if e.send(ps, &wire.Pong{Nonce: nonce, Digest: ours}) {
		e.mu.Lock()
		ps.told = ours
		e.mu.Unlock()
	}
}

func (e *Engine) handlePong(ps *peer, m *wire.Pong) {
	now := e.cfg.Now()
	e.mu.Lock()
	ps.digest = m.Digest
	barrier := ps.sync != nil && len(ps.sync.barriers) > 0 && ps.sync.barriers[0] == m.Nonce
	keepalive := ps.ping.nonce == m.Nonce && m.Nonce != 0
	var ours dag.Digest
	if barrier {
		ps.sync.barriers = ps.sync.barriers[1:]
		ps.sync.last = now
	} else if keepalive {
		ps.rtt = now.Sub(ps.ping.sent)
		ours = ps.ping.digest
		ps.ping = pending{}
	}
	e.mu.Unlock()
	switch {
	case barrier:
		e.syncStep(ps)
	case keepalive && e.differsAgain(ps, ours, m.Digest):
		e.maybeSync(ps, ours, m.Digest)
	}
}

// differsAgain reports whether a keep-alive pong found our digest the
// larger of the pair for the second time in a row. A difference found once
// is most often a relay still in flight, which a sync would only repeat
// (reconciling the whole ID space to find nothing): the first makes the
// next tick ping the peer again, and only the second starts the sync.
func (e *Engine) differsAgain(ps *peer, ours, theirs dag.Digest) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	again := ps.differed && larger(ours, theirs)
	ps.differed = !again && larger(ours, theirs)
	return again
}

// pingLocked sends a keep-alive ping. It must be called with e.mu held;
// it returns the message to send once the lock is released.
func (e *Engine) pingLocked(ps *peer, now time.Time, ours dag.Digest) wire.Message {
	ps.ping = pending{nonce: ps.nextNonce(), sent: now, digest: ours}
	ps.lastPing, ps.told = now, ours
	return &wire.Ping{Nonce: ps.ping.nonce, Digest: ours}
}

// nextNonce returns a fresh nonce (never 0) for a query, which may go to
// many peers. It must be called with e.mu held. Nonces count up from 1
// rather than start at random: answers are matched per peer, so nothing
// rests on guessing them, and a small one is 1–3 bytes of CBOR where a
// random one is 9 (per peer, peer.nextNonce, they stay that small).
func (e *Engine) nextNonce() uint64 {
	e.nonce++ // from 0, it never wraps
	return e.nonce
}

// send encodes m and queues it to ps, and reports whether it was queued.
func (e *Engine) send(ps *peer, m wire.Message) bool { return e.trySend(ps, m) == nil }

// trySend encodes m and queues it to ps. A message that does not encode is
// our own fault (logged); one the transport refuses is dropped.
func (e *Engine) trySend(ps *peer, m wire.Message) error {
	b, err := wire.Encode(m)
	if err != nil {
		e.log.Error("encode message", logType, m.Type(), logErr, err)
		return err
	}
	if err := ps.p.Send(b); err != nil {
		e.log.Debug("send", logPeer, ps.id, logType, m.Type(), logErr, err)
		return fmt.Errorf("send %s to %s: %w", m.Type(), ps.id, err)
	}
	ps.msgsOut.Add(1)
	ps.bytesOut.Add(uint64(len(b)))
	e.traffic.msgsOut.Add(1)
	e.traffic.bytesOut.Add(uint64(len(b)))
	ps.votesOut.count(m.Type(), len(b))
	return nil
}

// digest returns our store's digest. It is read from the store once per
// ledger change: the ticks, pings and pongs in between reuse it.
func (e *Engine) digest() (dag.Digest, error) {
	e.cmu.Lock()
	d, ok, gen := e.cached, e.cachedOK, e.gen
	e.cmu.Unlock()
	if ok {
		return d, nil
	}
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		var err error
		d, err = r.Digest()
		return err
	})
	if err != nil {
		return d, err
	}
	e.cmu.Lock()
	if e.gen == gen {
		e.cached, e.cachedOK = d, true
	}
	e.cmu.Unlock()
	return d, nil
}

// ledgerChanged drops the cached digest.
func (e *Engine) ledgerChanged() {
	e.cmu.Lock()
	e.gen++
	e.cachedOK = false
	e.cmu.Unlock()
}

// misbehave scores ps and closes it if that bans it.
func (e *Engine) misbehave(ps *peer, points int, why string) {
	e.mu.Lock()
	e.punishLocked(ps, points, why)
	e.mu.Unlock()
}

// punishLocked adds points to ps's score; at banScore the peer is banned
// for BanDuration by ID (and by IP unless loopback), dropped, and closed.
// It must be called with e.mu held; Close runs in its own goroutine, since
// a transport may call RemovePeer from it.
func (e *Engine) punishLocked(ps *peer, points int, why string) {
	ps.score += points
	e.log.Debug("peer misbehaved", logPeer, ps.id, logScore, ps.score, logErr, why)
	if ps.score < banScore || ps.gone {
		return
	}
	until := e.cfg.Now().Add(e.cfg.BanDuration)
	e.banCount++
	e.bans[ps.id] = until
	if ap, err := netip.ParseAddrPort(ps.id); err == nil && !ap.Addr().IsLoopback() {
		e.bans[ap.Addr().String()] = until
	}
	e.dropLocked(ps)
	reason := fmt.Errorf("%w: %s", ErrBanned, why)
	go ps.p.Close(reason)
}

// drop forgets ps and closes it, without a ban.
func (e *Engine) drop(ps *peer, reason error) {
	e.mu.Lock()
	e.dropLocked(ps)
	e.mu.Unlock()
	ps.p.Close(reason)
}

// bannedLocked reports whether id (or its IP) is banned. It must be called
// with e.mu held.
func (e *Engine) bannedLocked(id string, now time.Time) bool {
	keys := []string{id}
	if ap, err := netip.ParseAddrPort(id); err == nil {
		keys = append(keys, ap.Addr().String())
	}
	for _, k := range keys {
		if until, ok := e.bans[k]; ok && now.Before(until) {
			return true
		}
	}
	return false
}

// BanCount returns how many peers the engine has banned since it started.
func (e *Engine) BanCount() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.banCount
}

// Banned reports whether a peer ID (or its IP) is banned now.
func (e *Engine) Banned(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bannedLocked(id, e.cfg.Now())
}

// loop runs the timers: pings (keep-alive and digest), want timeouts, sync
// timeouts, polls and bans.
func (e *Engine) loop() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
			e.tick()
		}
	}
}

// tick runs the timers once. A ready peer is pinged when PingInterval has
// passed since its last ping; when it was not told our digest yet (by a
// ping or a pong) and the digest has not moved for DigestDelay (it then
// learns ours from the ping and we learn its from the pong, so "in sync"
// on both sides follows the ledger's settling within DigestDelay and a
// round trip); or when its last pong differed (see differsAgain).
func (e *Engine) tick() {
	now := e.cfg.Now()
	ours, err := e.digest()
	if err != nil {
		e.log.Error("read digest", logErr, err)
		return
	}
	type out struct {
		ps *peer
		m  wire.Message
	}
	var sends []out
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	for k, until := range e.bans {
		if !now.Before(until) {
			delete(e.bans, k)
		}
	}
	if ours != e.still {
		e.still, e.stillSince = ours, now
	}
	settled := now.Sub(e.stillSince) >= e.cfg.DigestDelay
	for s, last := range e.lastTurn {
		if now.Sub(last.at) >= e.cfg.SignerTurn {
			delete(e.lastTurn, s)
		}
	}
	var stalled []*peer
	for _, ps := range e.peers {
		if ps.ready() && (now.Sub(ps.lastPing) >= e.cfg.PingInterval ||
			ps.told != ours && settled || ps.differed && ps.ping.nonce == 0) {
			sends = append(sends, out{ps, e.pingLocked(ps, now, ours)})
		}
		if st := ps.sync; st != nil && now.Sub(st.last) >= e.cfg.SyncTimeout {
			stalled = append(stalled, ps)
		}
		e.expirePollsLocked(ps, now.Add(-2*e.cfg.PollTimeout))
	}
	for _, ps := range stalled {
		e.log.Debug("sync stalled", logPeer, ps.id)
		e.endSync(ps)
	}
	wants, fetches := e.expireWantsLocked(now)
	shorts := e.expireShortsLocked(now)
	missing := now.Sub(e.lastMissing) >= e.cfg.WantTimeout
	if missing {
		e.lastMissing = now
	}
	e.mu.Unlock()

	for _, s := range sends {
		e.send(s.ps, s.m)
	}
	e.sendWants(wants)
	e.sendShortWants(shorts)
	e.startFetches(fetches)
	if missing {
		e.wantMissing(e.cfg.Ledger.Missing())
	}
}

// larger reports whether digest a sorts after b (count, then fingerprint):
// the side with the larger digest starts a catch-up sync.
func larger(a, b dag.Digest) bool {
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	return bytes.Compare(a.Fingerprint[:], b.Fingerprint[:]) > 0
}

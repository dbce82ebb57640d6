// Package consensus runs the network's vote on the node's ledger: it polls
// peers about the outputs that the transactions it holds spend, answers
// their polls with signed batches of votes, moves the ledger to the side a
// vote prefers (dag.Graph.Prefer), and makes transactions final
// (dag.Graph.Finalize) with the signed votes that decided them as their
// certificate. The voting rules are package vote's; this package owns the
// timing and the bookkeeping.
//
// A transaction is polled once the quiet period since the node accepted it
// has passed with no conflict (Config.Quiet), or at once when a double
// spend of one of its inputs is known. Each round (Config.Interval) sends
// one poll, covering every output whose vote is open and has fewer than
// four polls open, to K nodes sampled from the node's directory (its
// connected peers and the nodes it learned of, vote.Directory); their
// answers, or the timeout, close it. A poll names the sides of each
// contested output by ID; a polled node that lacks one fetches it from the
// poller, so it learns both sides without every poll carrying them. An output with one known spend
// is decided by one successful poll (BetaVirtuous), a contested one by
// BetaRogue in a row. A transaction is final when the votes on all its
// inputs are decided for it and its parents are final.
package consensus

import (
	"cmp"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
	"github.com/torrenttx/ttx/vote"
)

// Defaults for Config's zero fields.
const (
	DefaultInterval = 50 * time.Millisecond
	DefaultQuiet    = time.Second
	DefaultTimeout  = time.Second
	// DefaultMinPeers is the fewest connected peers a node polls with. A
	// vote decided by fewer could be decided the other way by the rest of
	// a partitioned network, for good.
	DefaultMinPeers = 3
	// maxPollIDs bounds the candidate transactions one poll names.
	maxPollIDs = wire.MaxPollIDs
	// maxInflight is how many polls may be open on one output at once
	// (avalanchego's concurrent repolls): a vote needs BetaRogue polls in
	// a row, and with one at a time each waits for the slowest answer of
	// the last.
	maxInflight = 4
	// DefaultDirectory is how many nodes besides its connected peers a
	// node's polls sample from: each costs the transport one extra
	// connection, kept open while the node stays in the directory.
	DefaultDirectory = 32
	// inboxSize bounds the answers and polls waiting; beyond it they are
	// dropped (the poll times out).
	inboxSize = 1024
)

// maxPollOuts is the most outputs one poll names: as many as the answer,
// one vote each, can carry in one message.
var maxPollOuts = (wire.MaxBatchSize - vote.BatchSize(0)) / (vote.BatchSize(1) - vote.BatchSize(0))

// Transport reaches the node's peers and the nodes of its directory.
type Transport interface {
	// Peers returns the connected peers that can be polled.
	Peers() []vote.Peer
	// Poll sends poll req about outs to the node with key: a connected
	// peer, or a node the Engine learned of (Engine.Learn), which the
	// transport reaches over a short-lived connection that carries no
	// relay traffic, or fails to. ids are the candidate transactions of
	// the contested outputs: the polled node fetches those it lacks from
	// this node, so that it learns both sides.
	Poll(key vote.NodeKey, req uint64, outs []dag.OutPoint, ids []dag.TxID) error
	// Answer sends a signed batch (vote.Batch's encoding) answering req.
	Answer(key vote.NodeKey, req uint64, batch []byte) error
}

// Config configures an Engine.
type Config struct {
	Network   *dag.Network
	Graph     *dag.Graph
	Store     dag.Store
	Key       ed25519.PrivateKey // the node key, which signs votes
	Transport Transport
	Logger    *slog.Logger
	Now       func() time.Time
	// Rand samples peers (default: seeded from crypto/rand).
	Rand *rand.Rand
	// Interval is the time between polls; Quiet the wait before an
	// uncontested transaction is polled; Timeout how long a poll waits for
	// its answers.
	Interval, Quiet, Timeout time.Duration
	// MinPeers is the fewest ready peers the Engine polls with (default
	// DefaultMinPeers); with fewer, every vote waits and nothing becomes
	// final.
	MinPeers int
	// Directory bounds the nodes besides the connected peers that polls
	// sample from (default DefaultDirectory): a uniform random choice of
	// those Learn was told of (vote.Directory).
	Directory int
}

// Engine is the consensus driver of one node.
type Engine struct {
	cfg Config
	log *slog.Logger
	net dag.TxID
	pub vote.NodeKey

	// changes queue the Graph's changes for the loop: OnChange must not
	// block the committer, which the loop waits for in Prefer and
	// Finalize.
	mu      sync.Mutex
	changes []dag.Change
	changed chan struct{}
	answers chan answer
	asks    chan ask
	stop    context.CancelFunc
	wg      sync.WaitGroup

	// dir is whom polls sample: the connected peers and the nodes Learn
	// was told of. Guarded by dmu: Learn runs on the transport's
	// goroutines.
	dmu  sync.Mutex
	dir  *vote.Directory
	drng *rand.Rand

	// Owned by the loop goroutine.
	outs  map[dag.OutPoint]*output
	txs   map[dag.TxID]*txState
	polls map[uint64]*poll
	next  uint64 // arrival counter for txs
	req   uint64
}

// output is the vote on one output.
type output struct {
	set    *vote.Set
	params vote.Params
	// won holds Alpha attestations of the poll that decided the vote:
	// the certificate's votes on this input.
	won      []vote.Attestation
	inflight int // open polls that cover it
}

// txState is an accepted transaction that is not final yet.
type txState struct {
	inputs []dag.OutPoint
	order  uint64
	ready  time.Time // when its inputs may be polled
	raw    []byte
}

type poll struct {
	outs    []dag.OutPoint
	peers   map[vote.NodeKey]bool
	answers map[vote.NodeKey]*vote.Batch
	sent    time.Time
}

type answer struct {
	from  vote.NodeKey
	req   uint64
	batch []byte
}

type ask struct {
	from vote.NodeKey
	req  uint64
	outs []dag.OutPoint
}

// New returns an Engine; Start runs it.
func New(cfg Config) (*Engine, error) {
	if cfg.Network == nil || cfg.Graph == nil || cfg.Store == nil || cfg.Transport == nil || len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("consensus: Network, Graph, Store, Transport and Key are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewChaCha8(seed()))
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = DefaultQuiet
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MinPeers <= 0 {
		cfg.MinPeers = DefaultMinPeers
	}
	if cfg.Directory <= 0 {
		cfg.Directory = DefaultDirectory
	}
	e := &Engine{
		cfg:     cfg,
		log:     cfg.Logger.With("subsystem", "consensus"),
		net:     cfg.Network.ID,
		pub:     vote.NodeKey(cfg.Key.Public().(ed25519.PublicKey)),
		changed: make(chan struct{}, 1),
		answers: make(chan answer, inboxSize),
		asks:    make(chan ask, inboxSize),
		outs:    make(map[dag.OutPoint]*output),
		txs:     make(map[dag.TxID]*txState),
		polls:   make(map[uint64]*poll),
		dir:     vote.NewDirectory(cfg.Directory),
		drng:    rand.New(rand.NewPCG(cfg.Rand.Uint64(), cfg.Rand.Uint64())),
	}
	return e, nil
}

// Start loads the open votes from the store and runs the Engine until
// Close.
func (e *Engine) Start() error {
	if err := e.load(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	e.wg.Go(func() { e.loop(ctx) })
	e.wg.Go(func() { e.answerLoop(ctx) })
	return nil
}

// Close stops the Engine.
func (e *Engine) Close() {
	if e.stop != nil {
		e.stop()
	}
	e.wg.Wait()
}

// OnChange takes the Graph's changes (GraphConfig.OnChange); it never
// blocks.
func (e *Engine) OnChange(cs []dag.Change) {
	e.mu.Lock()
	e.changes = append(e.changes, cs...)
	e.mu.Unlock()
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// Learn adds nodes this node learned of (from its peers' hellos, peer
// exchange) to the directory polls sample from; its own key is skipped.
// It is safe for concurrent use and never blocks on the network.
func (e *Engine) Learn(peers ...vote.Peer) {
	e.dmu.Lock()
	defer e.dmu.Unlock()
	for _, p := range peers {
		if p.Key != e.pub {
			e.dir.Add(p, e.drng)
		}
	}
}

// pool returns whom a poll samples from: the connected peers and the
// directory.
func (e *Engine) pool(peers []vote.Peer) []vote.Peer {
	e.dmu.Lock()
	defer e.dmu.Unlock()
	out := slices.Clone(peers)
	for _, p := range e.dir.Peers() {
		if !slices.ContainsFunc(peers, func(q vote.Peer) bool { return q.Key == p.Key }) {
			out = append(out, p)
		}
	}
	return out
}

// forget drops a node that a poll could not reach from the directory.
func (e *Engine) forget(key vote.NodeKey) {
	e.dmu.Lock()
	e.dir.Remove(key)
	e.dmu.Unlock()
}

// HandlePoll takes a peer's poll; it is answered in the background. A poll
// that finds the queue full is dropped (the poller times out).
func (e *Engine) HandlePoll(from vote.NodeKey, req uint64, outs []dag.OutPoint) {
	select {
	case e.asks <- ask{from, req, outs}:
	default:
	}
}

// HandleVotes takes a peer's answer to one of our polls.
func (e *Engine) HandleVotes(from vote.NodeKey, req uint64, batch []byte) {
	select {
	case e.answers <- answer{from, req, batch}:
	default: // dropped: the poll times out
	}
}

// load reads the accepted transactions that are not final, and the
// contested outputs, from the store. Votes start afresh after a restart;
// final decisions are in the store and never change.
func (e *Engine) load() error {
	now := e.cfg.Now()
	var contested []*dag.Record
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		err := r.Since(0, func(rec *dag.Record) bool {
			if rec.State == dag.StateAccepted || rec.State == dag.StateConflicted {
				if p, err := dag.Decode(rec.Raw); err == nil {
					e.addTx(p, now)
				}
			}
			return true
		})
		if err != nil {
			return err
		}
		return r.Contested(func(rec *dag.Record) bool { contested = append(contested, rec); return true })
	})
	if err != nil {
		return fmt.Errorf("consensus: load open votes: %w", err)
	}
	for _, rec := range contested {
		if p, err := dag.Decode(rec.Raw); err == nil {
			e.contest(p)
		}
	}
	return nil
}

func (e *Engine) loop(ctx context.Context) {
	t := time.NewTicker(e.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.changed:
			e.mu.Lock()
			cs := e.changes
			e.changes = nil
			e.mu.Unlock()
			e.onChanges(cs)
		case a := <-e.answers:
			e.onAnswer(ctx, a)
		case <-t.C:
			e.round(ctx)
		}
	}
}

// addTx starts tracking p, accepted and not final.
func (e *Engine) addTx(p *dag.Parsed, now time.Time) {
	if _, ok := e.txs[p.ID]; ok || p.IsGenesis() {
		return
	}
	e.next++
	e.txs[p.ID] = &txState{inputs: p.Prev, order: e.next, ready: now.Add(e.cfg.Quiet), raw: p.Raw}
}

// contest adds p, a double spend, to the votes on its inputs, and ends
// the quiet period of the accepted sides: their votes open at the next
// round, with p among the candidates.
func (e *Engine) contest(p *dag.Parsed) {
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, op := range p.Prev {
			if o := e.outs[op]; o != nil {
				o.set.Add(p.ID)
			}
			by, err := r.SpentBy(op)
			if errors.Is(err, dag.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if t := e.txs[by]; t != nil {
				t.ready = time.Time{}
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("read the spends of a double spend", "tx", p.ID, "err", err)
	}
}

// openOutput starts the vote on op for a poll of peers peers, from the
// store: the spend this node accepted, then the stored double spends in
// arrival order. A vote started for fewer peers than there are now, and
// not decided, starts again with the larger poll.
func (e *Engine) openOutput(op dag.OutPoint, peers int) {
	params := vote.ParamsFor(peers)
	if o := e.outs[op]; o != nil && (o.set.Decided() || o.params.K >= params.K || o.inflight > 0) {
		return
	}
	var cands []dag.TxID
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		if by, err := r.SpentBy(op); err == nil {
			cands = append(cands, by)
		} else if !errors.Is(err, dag.ErrNotFound) {
			return err
		}
		claims, err := r.Claims(op)
		for _, c := range claims {
			if rec, err := r.Get(c); err == nil && rec.Code != dag.ErrLateConflict && rec.Code != dag.ErrParentRejected {
				cands = append(cands, c)
			}
		}
		return err
	})
	if err != nil {
		e.log.Error("read the spends of an output", "out", op, "err", err)
		return
	}
	if len(cands) == 0 {
		return
	}
	set, err := vote.NewSet(params, cands[0])
	if err != nil {
		e.log.Error("start a vote", "out", op, "err", err)
		return
	}
	for _, c := range cands[1:] {
		set.Add(c)
	}
	e.outs[op] = &output{set: set, params: params}
}

func (e *Engine) onChanges(cs []dag.Change) {
	now := e.cfg.Now()
	for _, ch := range cs {
		switch {
		case ch.State == dag.StateFinal || ch.State == dag.StateRejected && ch.Code != dag.ErrDoubleSpend:
			delete(e.txs, ch.ID)
		case ch.State == dag.StateRejected: // a new double spend, or one that lost to a sibling
			delete(e.txs, ch.ID)
			if p := e.parsed(ch); p != nil {
				e.contest(p)
			}
		case ch.State.Accepted():
			if p := e.parsed(ch); p != nil {
				e.addTx(p, now)
				if len(ch.Conflicts) > 0 && ch.Raw != nil {
					e.contest(p) // accepted, spending what stored evidence claims
				}
			}
		}
	}
}

// parsed decodes the change's transaction, from its Raw or the store.
func (e *Engine) parsed(ch dag.Change) *dag.Parsed {
	raw := ch.Raw
	if raw == nil {
		e.cfg.Store.View(func(r dag.ReadTx) error {
			if rec, err := r.Get(ch.ID); err == nil {
				raw = rec.Raw
			}
			return nil
		})
	}
	p, err := dag.Decode(raw)
	if err != nil {
		return nil
	}
	return p
}

// round closes the polls that timed out, opens the votes of transactions
// whose quiet period ended, and sends one poll about every open output
// that no poll covers.
func (e *Engine) round(ctx context.Context) {
	now := e.cfg.Now()
	for req, p := range e.polls {
		if now.Sub(p.sent) >= e.cfg.Timeout {
			e.tally(ctx, req, p)
		}
	}
	e.finalize(ctx)
	peers := e.cfg.Transport.Peers()
	if len(peers) < e.cfg.MinPeers {
		return
	}
	pool := e.pool(peers)
	for _, t := range e.txs {
		if !t.ready.IsZero() && now.Before(t.ready) {
			continue
		}
		for _, op := range t.inputs {
			e.openOutput(op, len(pool))
		}
	}
	var outs []dag.OutPoint
	var ids []dag.TxID
	named := make(map[dag.TxID]bool)
	budget := wire.MaxMessageSize - wire.PollOverhead // the poll's bytes
	for op, o := range e.outs {
		if !slices.ContainsFunc(o.set.Candidates(), func(id dag.TxID) bool { return e.txs[id] != nil }) {
			// Every side is final or rejected here: nothing to decide.
			delete(e.outs, op)
			continue
		}
		// One success decides a virtuous output: one poll at a time.
		if o.inflight >= maxInflight || !o.set.Contested() && o.inflight > 0 || o.set.Decided() {
			continue
		}
		cands := o.set.Candidates()
		if !o.set.Contested() {
			cands = nil // a virtuous output's spend is the poll's reason: the peer has it or is getting it
		}
		fresh := slices.DeleteFunc(cands, func(id dag.TxID) bool { return named[id] })
		if len(outs) == maxPollOuts || len(ids)+len(fresh) > maxPollIDs ||
			budget < wire.OutPointSize+len(fresh)*dag.TxIDSize {
			break
		}
		outs = append(outs, op)
		budget -= wire.OutPointSize + len(fresh)*dag.TxIDSize
		for _, id := range fresh {
			named[id] = true
			ids = append(ids, id)
		}
	}
	if len(outs) == 0 {
		return
	}
	params := vote.ParamsFor(len(pool))
	sample := vote.Sample(pool, params.K, e.cfg.Rand)
	e.req++
	p := &poll{outs: outs, peers: make(map[vote.NodeKey]bool, len(sample)), answers: make(map[vote.NodeKey]*vote.Batch), sent: now}
	for _, peer := range sample {
		if err := e.cfg.Transport.Poll(peer.Key, e.req, outs, ids); err != nil {
			e.log.Debug("send poll", "peer", fmt.Sprintf("%x", peer.Key[:8]), "err", err)
			e.forget(peer.Key)
			continue
		}
		p.peers[peer.Key] = true
	}
	if len(p.peers) == 0 {
		return
	}
	for _, op := range outs {
		e.outs[op].inflight++
	}
	e.polls[e.req] = p
}

// onAnswer checks a peer's answer and closes the poll once every polled
// peer has answered.
func (e *Engine) onAnswer(ctx context.Context, a answer) {
	p := e.polls[a.req]
	if p == nil || !p.peers[a.from] || p.answers[a.from] != nil {
		return
	}
	b, err := e.checkAnswer(a, p)
	if err != nil {
		e.log.Debug("bad answer", "peer", fmt.Sprintf("%x", a.from[:8]), "err", err)
		return
	}
	p.answers[a.from] = b
	if len(p.answers) == len(p.peers) {
		e.tally(ctx, a.req, p)
	}
}

// checkAnswer decodes and verifies a's batch: signed by the peer's key
// for this network, one vote per polled output in the poll's order.
func (e *Engine) checkAnswer(a answer, p *poll) (*vote.Batch, error) {
	var b vote.Batch
	if err := b.UnmarshalBinary(a.batch); err != nil {
		return nil, err
	}
	switch {
	case b.Key != a.from:
		return nil, errors.New("signed by another key")
	case b.Network != e.net:
		return nil, errors.New("for another network")
	case len(b.Votes) != len(p.outs):
		return nil, fmt.Errorf("%d votes for %d outputs", len(b.Votes), len(p.outs))
	}
	for i, v := range b.Votes {
		if v.Out != p.outs[i] {
			return nil, fmt.Errorf("vote %d is on %s, not %s", i, v.Out, p.outs[i])
		}
	}
	if err := b.Verify(); err != nil {
		return nil, err
	}
	return &b, nil
}

// tally records poll req's answers in the votes it covers, moves the
// ledger where a preference changed, and tries to finalize.
func (e *Engine) tally(ctx context.Context, req uint64, p *poll) {
	delete(e.polls, req)
	keys := make([]vote.NodeKey, 0, len(p.answers))
	for k := range p.answers {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b vote.NodeKey) int { return slices.Compare(a[:], b[:]) })
	// The votes of each answer that go into certificates: those for the
	// side of an output this poll decided. Their attestations are cut
	// afterwards, one Merkle tree per answer.
	wanted := make(map[vote.NodeKey][]int)
	decided := false
	for i, op := range p.outs {
		o := e.outs[op]
		if o == nil {
			continue
		}
		o.inflight--
		if o.set.Decided() {
			continue
		}
		counts := make(map[dag.TxID]int)
		n := min(len(keys), o.params.K)
		for _, k := range keys[:n] {
			counts[p.answers[k].Votes[i].Pref]++
		}
		before := o.set.Preference()
		o.set.RecordPoll(counts)
		pref := o.set.Preference()
		if o.set.Decided() {
			// The deciding poll had Alpha votes for pref.
			taken := 0
			for _, k := range keys[:n] {
				if p.answers[k].Votes[i].Pref == pref && taken < o.params.Alpha {
					wanted[k] = append(wanted[k], i)
					taken++
				}
			}
			decided = true
		}
		if pref != before {
			e.prefer(ctx, pref)
		}
	}
	if decided {
		for _, k := range keys {
			is := wanted[k]
			if len(is) == 0 {
				continue
			}
			as, err := p.answers[k].Attestations(is)
			if err != nil {
				e.log.Error("cut attestations", "err", err)
				continue
			}
			for j, i := range is {
				o := e.outs[p.outs[i]]
				o.won = append(o.won, as[j])
			}
		}
	}
	e.finalize(ctx)
}

// prefer moves the ledger to id.
func (e *Engine) prefer(ctx context.Context, id dag.TxID) {
	if err := e.cfg.Graph.Prefer(ctx, id); err != nil {
		e.log.Info("vote prefers a side the ledger cannot take yet", "tx", id, "err", err)
	}
}

// finalize makes final, parents first, every tracked transaction whose
// inputs' votes are all decided for it, with a certificate of the votes
// that decided them.
func (e *Engine) finalize(ctx context.Context) {
	var ready []dag.TxID
	for id, t := range e.txs {
		ok := len(t.inputs) > 0
		for _, op := range t.inputs {
			o := e.outs[op]
			if o == nil || !o.set.Decided() {
				ok = false
				break
			}
			if pref := o.set.Preference(); pref != id {
				ok = false
				if st, err := e.cfg.Graph.State(pref); err == nil && !st.Accepted() {
					e.prefer(ctx, pref) // decided, but the ledger has not followed
				}
				break
			}
		}
		if ok {
			ready = append(ready, id)
		}
	}
	if len(ready) == 0 {
		return
	}
	slices.SortFunc(ready, func(a, b dag.TxID) int { return cmp.Compare(e.txs[a].order, e.txs[b].order) })
	// Only those whose parents are final, or become final in this batch.
	var ds []dag.Decision
	batch := make(map[dag.TxID]bool)
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, id := range ready {
			t := e.txs[id]
			ok := true
			for _, op := range t.inputs {
				if batch[op.TxID] {
					continue
				}
				st, err := r.State(op.TxID)
				if err != nil {
					return err
				}
				ok = ok && st == dag.StateFinal
			}
			if !ok {
				continue
			}
			cert, err := e.certificate(id, t)
			if err != nil {
				e.log.Error("build certificate", "tx", id, "err", err)
				continue
			}
			ds = append(ds, dag.Decision{ID: id, Cert: cert})
			batch[id] = true
		}
		return nil
	})
	if err != nil || len(ds) == 0 {
		return
	}
	if err := e.cfg.Graph.Finalize(ctx, ds); err != nil {
		e.log.Info("finalize", "txs", len(ds), "err", err)
		return
	}
	for _, d := range ds {
		for _, op := range e.txs[d.ID].inputs {
			delete(e.outs, op)
		}
		delete(e.txs, d.ID)
	}
}

// certificate encodes the votes that decided t's inputs.
func (e *Engine) certificate(id dag.TxID, t *txState) ([]byte, error) {
	c := &vote.Certificate{Network: e.net, Tx: id, Inputs: t.inputs}
	for _, op := range t.inputs {
		o := e.outs[op]
		// The certificate claims the smallest poll size of its inputs.
		if c.K == 0 || o.params.K < c.K {
			c.K, c.Alpha = o.params.K, o.params.Alpha
		}
		c.Attestations = append(c.Attestations, o.won...)
	}
	return c.MarshalBinary()
}

// answerLoop answers peers' polls with the node's preferences: for each
// output, the accepted transaction that spends it, or none.
func (e *Engine) answerLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-e.asks:
			if err := e.answer(a); err != nil {
				e.log.Debug("answer poll", "peer", fmt.Sprintf("%x", a.from[:8]), "err", err)
			}
		}
	}
}

func (e *Engine) answer(a ask) error {
	votes := make([]vote.Vote, len(a.outs))
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for i, op := range a.outs {
			votes[i].Out = op
			by, err := r.SpentBy(op)
			if errors.Is(err, dag.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			votes[i].Pref = by
		}
		return nil
	})
	if err != nil {
		return err
	}
	b, err := vote.Sign(e.cfg.Key, e.net, e.cfg.Now().UnixMilli(), votes)
	if err != nil {
		return err
	}
	raw, err := b.MarshalBinary()
	if err != nil {
		return err
	}
	if err := e.cfg.Transport.Answer(a.from, a.req, raw); err != nil {
		return err
	}
	return nil
}

// seed returns a random seed for the default sampler.
func seed() [32]byte {
	var b [32]byte
	crand.Read(b[:])
	return b
}

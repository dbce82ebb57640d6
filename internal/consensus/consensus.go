// Package consensus runs the network's vote on the node's ledger: it polls
// peers about the outputs that the transactions it holds spend, answers
// their polls with signed batches of votes, moves the ledger to the side a
// vote prefers (dag.Graph.Prefer), and makes transactions final
// (dag.Graph.Finalize) with the signed votes that decided them as their
// certificate. The voting rules are package vote's; this package owns the
// timing and the bookkeeping.
//
// A transaction is polled once the quiet period since the node accepted it
// has passed with no conflict (Config.Quiet, ended on a grid of
// Config.Gather so that transactions share polls), or at once when a
// double spend of one of its inputs is known. Each round (Config.Interval) sends
// one poll, covering every output whose vote is open and has fewer than
// four polls open, to K nodes sampled from the node's directory (its
// connected peers and the nodes it learned of, vote.Directory); their
// answers, or the timeout, close it. A poll names the sides of each
// contested output by ID; a polled node that lacks one fetches it from the
// poller, so it learns both sides without every poll carrying them. After
// a poll in which too few answers named a transaction for any side to
// succeed (the polled nodes have not taken the spend in yet), the output
// waits before it is polled again: twice Interval, doubling with each such
// poll in a row, up to a second. An output with one known spend is decided
// by one successful poll (BetaVirtuous), a contested one by BetaRogue in a
// row. A transaction is final when the votes on all its
// inputs are decided for it and its parents are final.
package consensus

import (
	"context"
	"crypto/ed25519"
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
	// DefaultGather is the grid quiet periods end on (Config.Gather).
	DefaultGather  = 250 * time.Millisecond
	DefaultTimeout = time.Second
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
	// Gather (default DefaultGather) rounds the end of each quiet period
	// up to a multiple of it since the zero time: the uncontested
	// transactions a node accepted within one Gather share one poll, and
	// nodes that accepted them at about the same moment poll about the
	// same outputs, which a polled node answers with one signature.
	Gather time.Duration
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

	// check holds the txs finalize should look at; waiting, for a parent
	// that is not final yet, the ready txs that wait for it (finalize).
	check   map[dag.TxID]struct{}
	waiting map[dag.TxID][]dag.TxID
}

// output is the vote on one output.
type output struct {
	set    *vote.Set
	params vote.Params
	// won holds Alpha attestations of the poll that decided the vote:
	// the certificate's votes on this input.
	won      []vote.Attestation
	inflight int // open polls that cover it
	// misses counts the polls in a row in which too few answers named a
	// transaction for any side to succeed: the polled nodes had not taken
	// the spend in yet, or did not answer. The output is not polled again
	// before retry (see missWait).
	misses int
	retry  time.Time
}

// maxMissWait caps the wait after polls that missed (missWait).
const maxMissWait = time.Second

// missWait is how long an output waits for its next poll after misses
// polls in a row missed: twice Interval after one, doubling with each
// more, up to maxMissWait. A network that has fallen behind takes a spend
// in seconds after it was made; polled about it every Interval meanwhile,
// each node would answer the same question twenty times a second for
// every output it has not caught up on, and fall further behind.
func (e *Engine) missWait(misses int) time.Duration {
	return min(e.cfg.Interval<<min(misses, 16), maxMissWait)
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
	if cfg.Gather <= 0 {
		cfg.Gather = DefaultGather
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
		check:   make(map[dag.TxID]struct{}),
		waiting: make(map[dag.TxID][]dag.TxID),
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

package dag

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// GraphConfig configures a Graph.
type GraphConfig struct {
	Network *Network
	Store   Store
	// Now is the clock (default time.Now). FirstSeen = Now().UnixNano(),
	// and orphans expire by it.
	Now func() time.Time
	// Logger gets rule rejections at Debug and the node's own faults at
	// Error (default: discard). Lines carry subsystem=dag.
	Logger *slog.Logger
	// Orphans bounds the orphan pool; zero fields get defaults.
	Orphans OrphanLimits
	// OnChange is called after every durable commit with the state changes it
	// made (accepted, conflicted, rejected-as-evidence, and orphans released by
	// it), in commit order, from the committer goroutine. It must not block or
	// call back into the Graph.
	OnChange func([]Change)
}

// Change is one state change made by a commit.
type Change struct {
	ID TxID
	// State is the new state. An orphan that leaves the pool without being
	// stored (its parent was rejected, a rule failed, or it expired) is
	// reported as StateRejected with its Code.
	State State
	// Code says why, when State is StateRejected.
	Code ErrorCode
	// Conflicts lists the other sides of the double spends this change
	// records: the winners for a rejected loser, the new loser for a
	// winner that became conflicted, the stored losers it contests for a
	// tx accepted as conflicted (it spends an output that evidence names,
	// see ReadTx.Claims), and that tx for each such stored loser.
	Conflicts []TxID
	// Raw is the transaction's bytes when it is new to the node's ledger
	// (accepted, stored as evidence, or leaving the orphan pool), and nil
	// for a stored transaction that became conflicted or, as evidence,
	// gained a conflict.
	Raw []byte
}

// Result is the outcome of adding one transaction.
type Result struct {
	// ID is zero only if the bytes could not be decoded.
	ID TxID
	// State is StateAccepted, StateConflicted, StateRejected, or
	// StatePending (waiting in the orphan pool).
	State State
	// Err is the RuleError when State is StateRejected.
	Err error
	// Known is set if the node already held the transaction before this
	// call: stored, pending, remembered as rejected, or earlier in the same
	// AddBatch.
	Known bool
	// Missing lists, when State is StatePending, the parents that are
	// neither stored nor pending: the ones to fetch.
	Missing []TxID
}

// Graph applies the contextual rules to transactions and stores them: the
// ledger's single writer. Decoding and signature checks run in the callers'
// goroutines (AddBatch fans out over GOMAXPROCS workers); every write goes
// through one committer goroutine that applies whatever is queued, up to
// commitMax transactions, in one Store.Update (group commit), and reports
// nothing before that Update returned nil.
type Graph struct {
	net      *Network
	store    Store
	now      func() time.Time
	log      *slog.Logger
	onChange func([]Change)

	queue     chan *job
	quit      chan struct{} // closed by Close
	done      chan struct{} // closed when the committer has exited
	closeOnce sync.Once

	// lookups is read-held by prepareAll's read transaction and held by
	// the committer until its write transaction has begun: bbolt reuses
	// the pages earlier commits freed only if no reader that saw them is
	// open when a write transaction begins, and the next chunk's lookups
	// would otherwise now and then overlap that moment and make the
	// commit grow the file by its size.
	lookups sync.RWMutex

	// mu guards the orphan pool and the reject and recent caches. The
	// committer holds it for one request at a time, inside the store's
	// write lock; no one waits for a store lock while holding it.
	mu      sync.Mutex
	orphans *orphanPool
	// rejects remembers recently rejected transactions that are not
	// stored (a rejected parent, a broken contextual rule, a failed sanity
	// check), so they are neither fetched nor verified again.
	rejects *fifo[TxID, RuleError]
	// recent holds the transactions accepted lately, parsed, for
	// Finalize: the vote makes a transaction final about a second after
	// it came, and reading it back (the store rebuilds its bytes, which
	// are then decoded again) was most of what a decision cost. A
	// transaction's bytes never change, so an entry is never stale; one
	// whose commit failed is not stored, which Finalize checks first.
	recent *fifo[TxID, *Parsed]
}

// recentSize bounds Graph.recent: about ten seconds of a flood's
// transactions, a few MiB.
const recentSize = 4096

// request is one transaction on its way to the committer.
type request struct {
	p         *Parsed
	src       string
	firstSeen int64
	// sanity is set for a tx that failed CheckSanity while orphans wait
	// for it: the committer only rejects them.
	sanity *RuleError
	res    Result // written by the committer; valid once its job is done
}

// job is a group of requests that a caller waits for, or one decision:
// a Prefer, which the committer commits on its own, or a part of a
// Finalize, which shares a commit with others.
type job struct {
	reqs   []*request
	decide func(b *batch) error
	// alone: decide may write before it refuses, so its commit holds
	// nothing else (a refusal rolls the commit back). Otherwise decide
	// writes nothing when it refuses, and decisions counts what it
	// decides.
	alone     bool
	decisions int
	done      chan struct{}
	err       error // the node's own fault, ErrClosed, or a refused decision
}

// NewGraph returns a Graph over cfg.Store. It stores the network's genesis as
// accepted if the store is empty, and fails if the store holds another
// network. The caller keeps ownership of the Store: Close does not close it.
func NewGraph(cfg GraphConfig) (*Graph, error) {
	if cfg.Network == nil || cfg.Store == nil {
		return nil, errors.New("dag: new graph: Network and Store are required")
	}
	g := &Graph{
		net:      cfg.Network,
		store:    cfg.Store,
		now:      cfg.Now,
		log:      cfg.Logger,
		onChange: cfg.OnChange,
		queue:    make(chan *job, 256),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		orphans:  newOrphanPool(cfg.Orphans.withDefaults()),
		rejects:  newFIFO[TxID, RuleError](rejectCacheSize),
		recent:   newFIFO[TxID, *Parsed](recentSize),
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.log = g.log.With(logSubsystem, "dag")
	if err := g.initGenesis(); err != nil {
		return nil, err
	}
	go g.run()
	return g, nil
}

// initGenesis stores the genesis in an empty store, or checks that the
// store's first record is this network's genesis.
func (g *Graph) initGenesis() error {
	var first *Record
	err := g.store.View(func(r ReadTx) error {
		return r.Since(0, func(rec *Record) bool { first = rec; return false })
	})
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	if first != nil {
		if first.ID != g.net.ID {
			return fmt.Errorf("dag: the store holds network %s, not %s", first.ID, g.net.ID)
		}
		return nil
	}
	gen := g.net.Genesis
	err = g.store.Update(func(w WriteTx) error {
		return w.Put(gen, &Record{ID: gen.ID, Raw: gen.Raw, State: StateFinal, FirstSeen: g.now().UnixNano()})
	})
	if err != nil {
		return fmt.Errorf("store genesis: %w", err)
	}
	return nil
}

// Add decodes, checks and stores one transaction received from src (a peer,
// or "" for the node itself) and returns its outcome. The error is only for
// the node's own faults (storage, ErrClosed, ctx); rule outcomes are in the
// Result. If ctx ends while the commit is under way, the transaction may
// still be stored. Add keeps no reference to raw.
func (g *Graph) Add(ctx context.Context, raw []byte, src string) (Result, error) {
	if g.closed() {
		return Result{}, ErrClosed
	}
	results := make([]Result, 1)
	reqs, err := g.prepareAll([]Hashed{hash(raw)}, src, results)
	if err != nil || reqs[0] == nil {
		return results[0], err
	}
	req := reqs[0]
	j := &job{reqs: []*request{req}, done: make(chan struct{})}
	if err := g.submit(ctx, j); err != nil {
		return Result{}, err
	}
	if err := g.wait(ctx, j); err != nil {
		return Result{}, err
	}
	return req.res, nil
}

// AddBatch is Add for many transactions from one source: it decodes and
// verifies them on GOMAXPROCS workers and commits them in input order, so
// a parent earlier in raws counts as known. Results are in input order.
func (g *Graph) AddBatch(ctx context.Context, raws [][]byte, src string) ([]Result, error) {
	b, err := g.Submit(ctx, raws, src)
	if err != nil {
		return nil, err
	}
	return b.Wait(ctx)
}

// Batch is an AddBatch under way: decoded, verified and queued for the
// committer. Wait gives its results.
type Batch struct {
	g       *Graph
	results []Result
	reqs    []*request // index for index with results; nil where prepare answered
	jobs    []*job
}

// Submit is the first half of AddBatch: it returns once the transactions
// are decoded, verified and queued, without waiting for the commit. The
// committer takes batches in the order they were submitted, so a parent in
// an earlier batch counts as known for a later one, and a caller that
// receives transactions in messages can verify the next message while the
// last one is being committed. Submit blocks while the committer's queue
// is full.
func (g *Graph) Submit(ctx context.Context, raws [][]byte, src string) (*Batch, error) {
	// Each chunk is hashed just before it is prepared, so that the
	// committer has the first chunk to commit while the rest are hashed.
	return g.submitChunks(ctx, len(raws), src, func(start, end int) []Hashed {
		txs := make([]Hashed, end-start)
		parallel(len(txs), func(i int) { txs[i] = hash(raws[start+i]) })
		return txs
	})
}

// SubmitHashed is Submit for transactions already hashed (by Claimed, for
// a sender's claimed IDs), which it does not hash again.
func (g *Graph) SubmitHashed(ctx context.Context, txs []Hashed, src string) (*Batch, error) {
	return g.submitChunks(ctx, len(txs), src, func(start, end int) []Hashed { return txs[start:end] })
}

// submitChunks prepares and queues n transactions in chunks of
// commitMax; chunk returns the hashed transactions from start to end.
func (g *Graph) submitChunks(ctx context.Context, n int, src string, chunk func(start, end int) []Hashed) (*Batch, error) {
	if g.closed() {
		return nil, ErrClosed
	}
	b := &Batch{g: g, results: make([]Result, n), reqs: make([]*request, n)}
	for start := 0; start < n; start += commitMax {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(start+commitMax, n)
		reqs, err := g.prepareAll(chunk(start, end), src, b.results[start:end])
		if err != nil {
			return nil, err
		}
		copy(b.reqs[start:end], reqs)
		j := &job{done: make(chan struct{})}
		for _, req := range reqs {
			if req != nil {
				j.reqs = append(j.reqs, req)
			}
		}
		if len(j.reqs) == 0 {
			continue
		}
		if err := g.submit(ctx, j); err != nil {
			return nil, err
		}
		b.jobs = append(b.jobs, j)
	}
	return b, nil
}

// Wait returns the results, in the order of Submit's raws, once they are
// committed.
func (b *Batch) Wait(ctx context.Context) ([]Result, error) {
	for _, j := range b.jobs {
		if err := b.g.wait(ctx, j); err != nil {
			return nil, err
		}
	}
	for i, req := range b.reqs {
		if req != nil {
			b.results[i] = req.res
		}
	}
	b.jobs = nil
	return b.results, nil
}

// prepareAll prepares txs: it looks their IDs up in one short read
// transaction and then in the pool (a transaction already held is known
// from its ID alone, and in a mesh most pushes are copies of what the node
// has), then decodes and verifies the others in parallel. It fills results for the transactions that need no commit and
// returns the requests of the others (nil where none), index for index.
//
// No read transaction stays open while signatures are checked or while
// g.mu is awaited: bbolt can reuse the pages a commit frees only once no
// reader began before it, so readers that span commits make the file
// grow.
func (g *Graph) prepareAll(txs []Hashed, src string, results []Result) ([]*request, error) {
	known := make([]bool, len(txs))
	g.lookups.RLock()
	err := g.store.View(func(r ReadTx) error {
		for i, tx := range txs {
			if tx.ids.ID.IsZero() {
				continue
			}
			var err error
			if results[i], known[i], err = g.storedResult(r, tx.ids.ID); err != nil {
				return fmt.Errorf("look up %s: %w", tx.ids.ID, err)
			}
		}
		return nil
	})
	g.lookups.RUnlock()
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	now := g.now().UnixNano()
	for i, tx := range txs {
		if !tx.ids.ID.IsZero() && !known[i] {
			results[i], known[i] = g.poolResult(tx.ids.ID, now, nil)
		}
	}
	g.mu.Unlock()
	cs := g.checkAll(txs, func(i int) bool { return known[i] })
	reqs := make([]*request, len(txs))
	for i := range txs {
		if !known[i] {
			results[i], reqs[i] = g.admit(&cs[i], src)
		}
	}
	return reqs, nil
}

// checked is a transaction decoded and checked by CheckSanity, signature
// included, by the Graph g: Check keeps it in the Hashed it checked, and
// prepareAll takes it from there instead of checking again.
type checked struct {
	g   *Graph
	p   *Parsed // nil if the bytes did not decode
	err error   // the rule broken, or nil
}

// Check decodes txs and checks them by CheckSanity, signatures in
// batches, on GOMAXPROCS workers, ahead of their submission, and keeps the
// outcome in each Hashed: SubmitHashed of them does not check them again.
// It changes nothing else: a transaction that fails is rejected (and
// remembered as such) only once submitted. A Hashed with zero IDs (the
// zero value, or bytes of a size Decode rejects) is left as it is. A
// caller that holds transactions back before submitting them (gossip's
// ingest caps) calls it first, so that they are verified while earlier
// ones are committed, not after.
func (g *Graph) Check(txs []Hashed) {
	cs := g.checkAll(txs, func(i int) bool { return txs[i].ids.ID.IsZero() })
	for i := range txs {
		if cs[i].g != nil {
			txs[i].checked = &cs[i]
		}
	}
}

// checkAll checks each of txs that skip does not name, by CheckSanity on
// GOMAXPROCS workers and then its signature in batches (verifySigs); one
// this Graph checked already (Check) is taken as it is. A worker yields
// between transactions, so that the committer gets a core as soon as it
// has work; not after the last one, whose caller (a peer relaying one
// payment) would wait behind every runnable goroutine for nothing.
func (g *Graph) checkAll(txs []Hashed, skip func(i int) bool) []checked {
	cs := make([]checked, len(txs))
	msgs := make([][]byte, len(txs))
	parallel(len(txs), func(i int) {
		if skip(i) {
			return
		}
		if c := txs[i].checked; c != nil && c.g == g {
			cs[i] = *c
			return
		}
		cs[i], msgs[i] = g.check(&txs[i])
		if i < len(txs)-1 {
			runtime.Gosched()
		}
	})
	g.verifySigs(cs, msgs)
	return cs
}

// verifySigs checks, in batches of sigBatchSize on GOMAXPROCS workers, the
// signature of each transaction with signing bytes msgs[i] (nil where
// there is none to check) and turns each bad one into the error of cs[i],
// as check does for the other CheckSanity rules.
func (g *Graph) verifySigs(cs []checked, msgs [][]byte) {
	var signed []int
	for i, msg := range msgs {
		if msg != nil {
			signed = append(signed, i)
		}
	}
	chunks := (len(signed) + sigBatchSize - 1) / sigBatchSize
	parallel(chunks, func(c int) {
		part := signed[c*sigBatchSize : min(len(signed), (c+1)*sigBatchSize)]
		b := NewSigBatch(len(part))
		for _, i := range part {
			b.Add(cs[i].p.From, msgs[i], cs[i].p.Sig)
		}
		ok, valid := b.Verify()
		for k, i := range part {
			if !ok && !valid[k] {
				cs[i].err = g.net.badSignature(cs[i].p)
			}
		}
		if c < chunks-1 {
			runtime.Gosched()
		}
	})
}

// parallel calls fn(0) … fn(n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// check decodes tx and checks it by CheckSanity but the signature, whose
// signing bytes it returns for verifySigs (nil if a rule failed first).
func (g *Graph) check(tx *Hashed) (checked, []byte) {
	p, err := decoded.decode(tx.raw, &tx.ids)
	if err != nil {
		return checked{g: g, err: err}, nil
	}
	msg, err := g.net.checkUnsigned(p)
	if err != nil {
		return checked{g: g, p: p, err: err}, nil
	}
	p.Raw = bytes.Clone(p.Raw)
	return checked{g: g, p: p}, msg
}

// admit turns a checked transaction that is not known into its final
// Result, or a request for the committer.
func (g *Graph) admit(c *checked, src string) (Result, *request) {
	switch {
	case c.p == nil:
		g.logReject(TxID{}, src, c.err)
		return Result{State: StateRejected, Err: c.err}, nil
	case c.err != nil:
		return g.refuse(c.p, src, c.err)
	}
	return Result{}, &request{p: c.p, src: src, firstSeen: g.now().UnixNano()}
}

// refuse rejects p, which failed CheckSanity with err, and remembers it as
// rejected. It returns the Result and, if orphans wait for p, a request for
// the committer to reject them.
func (g *Graph) refuse(p *Parsed, src string, err error) (Result, *request) {
	g.logReject(p.ID, src, err)
	res := Result{ID: p.ID, State: StateRejected, Err: err}
	re, _ := IsRuleError(err)
	g.mu.Lock()
	g.rejects.add(p.ID, re)
	waited := len(g.orphans.waiting[p.ID]) > 0
	g.mu.Unlock()
	if waited {
		return res, &request{p: p, src: src, sanity: &re, res: res}
	}
	return res, nil
}

// storedResult returns the Result for a stored transaction.
func (g *Graph) storedResult(r ReadTx, id TxID) (Result, bool, error) {
	st, err := r.State(id)
	if err != nil || st == StateUnknown {
		return Result{}, false, err
	}
	res := Result{ID: id, State: st, Known: true}
	if st == StateRejected {
		rec, err := r.Get(id)
		if err != nil {
			return Result{}, false, err
		}
		res.Err = ruleError(rec.Code, "transaction %s was rejected (%v)", id, rec.Code)
	}
	return res, true, nil
}

// poolResult returns the Result for a transaction that is pending (and not
// expired at now) or remembered as rejected; b, if not nil, adds the
// rejections of the commit under way. It must be called with g.mu held.
func (g *Graph) poolResult(id TxID, now int64, b *batch) (Result, bool) {
	if e := g.orphans.get(id); e != nil && !g.orphans.expired(e, now) {
		return Result{ID: id, State: StatePending, Known: true, Missing: g.orphans.missingOf(e)}, true
	}
	if re, ok := b.rejected(id); ok {
		return Result{ID: id, State: StateRejected, Err: re, Known: true}, true
	}
	if re, ok := g.rejects.get(id); ok {
		return Result{ID: id, State: StateRejected, Err: re, Known: true}, true
	}
	return Result{}, false
}

func (g *Graph) closed() bool {
	select {
	case <-g.quit:
		return true
	default:
		return false
	}
}

func (g *Graph) submit(ctx context.Context, j *job) error {
	select {
	case g.queue <- j:
		return nil
	case <-g.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Graph) wait(ctx context.Context, j *job) error {
	select {
	case <-j.done:
		return j.err
	case <-g.done:
		select { // the last commit may have answered it
		case <-j.done:
			return j.err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// State returns the stored state of id, StatePending if it waits in the
// orphan pool, StateRejected if it is remembered as rejected without being
// stored, or StateUnknown.
func (g *Graph) State(id TxID) (State, error) {
	var st State
	err := g.store.View(func(r ReadTx) error {
		var err error
		st, err = r.State(id)
		return err
	})
	if err != nil || st != StateUnknown {
		return st, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	res, _ := g.poolResult(id, g.now().UnixNano(), nil)
	return res.State, nil
}

// Missing returns, in ID order, the parents the orphan pool waits for that
// are not pending themselves: what the node should fetch.
func (g *Graph) Missing() []TxID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.orphans.missing(g.now().UnixNano())
}

// Close stops the committer after the commit under way; queued and later
// calls fail with ErrClosed. It does not close the Store.
func (g *Graph) Close() error {
	g.closeOnce.Do(func() { close(g.quit) })
	<-g.done
	return nil
}

// Pending returns the number of transactions waiting in the orphan pool.
func (g *Graph) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.orphans.byID)
}

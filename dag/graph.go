package dag

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// commitMax is about the most transactions one commit applies: the
// committer stops draining its queue once it holds this many, and AddBatch
// submits in chunks of this size.
const commitMax = 4096

// Group commit under load: when the last commit held at least
// lingerAfter transactions, the committer waits up to lingerFor for
// lingerUntil before it commits what it has.
const (
	lingerAfter = 64
	lingerUntil = 1024
	lingerFor   = 3 * time.Millisecond
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

	dec decoder // prepare's; it remembers addresses

	// lookups is read-held by prepareAll's read transaction and held by
	// the committer until its write transaction has begun: bbolt reuses
	// the pages earlier commits freed only if no reader that saw them is
	// open when a write transaction begins, and the next chunk's lookups
	// would otherwise now and then overlap that moment and make the
	// commit grow the file by its size.
	lookups sync.RWMutex

	// mu guards the orphan pool and the reject cache. The committer holds
	// it for one request at a time, inside the store's write lock; no one
	// waits for a store lock while holding it.
	mu      sync.Mutex
	orphans *orphanPool
	// rejects remembers recently rejected transactions that are not
	// stored (a rejected parent, a broken contextual rule, a failed sanity
	// check), so they are neither fetched nor verified again.
	rejects *fifo[TxID, RuleError]
}

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

// job is a group of requests that a caller waits for, or one decision
// (Prefer, Finalize), which the committer commits on its own.
type job struct {
	reqs   []*request
	decide func(b *batch) error
	done   chan struct{}
	err    error // the node's own fault, ErrClosed, or a refused decision
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
	reqs := make([]*request, len(txs))
	parallel(len(txs), func(i int) {
		if !known[i] {
			results[i], reqs[i] = g.prepare(&txs[i], src)
			runtime.Gosched()
		}
	})
	return reqs, nil
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

// prepare does the work outside the commit for a transaction that is not
// known: decode and CheckSanity (the signature). It returns the final
// Result, or a request for the committer.
func (g *Graph) prepare(tx *Hashed, src string) (Result, *request) {
	p, err := g.dec.decode(tx.raw, &tx.ids)
	if err != nil {
		g.logReject(TxID{}, src, err)
		return Result{State: StateRejected, Err: err}, nil
	}
	if err := g.net.CheckSanity(p); err != nil {
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
	p.Raw = bytes.Clone(p.Raw)
	return Result{}, &request{p: p, src: src, firstSeen: g.now().UnixNano()}
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

// run is the committer: it takes what is queued, up to about commitMax
// transactions, and commits it in one Store.Update.
func (g *Graph) run() {
	defer close(g.done)
	lastCommit := 0 // transactions in the last commit
	for {
		var jobs []*job
		select {
		case j := <-g.queue:
			jobs = append(jobs, j)
		case <-g.quit:
			g.failQueued()
			return
		}
		n := len(jobs[0].reqs)
		// Under load, wait a moment for more: a commit has a fixed cost
		// (fsync, spilling the trees), and in the hash-keyed indexes a
		// small commit rewrites a page per key where a large one shares
		// pages, so while transactions keep coming, larger commits leave
		// more CPU for verifying them. A lone payment is committed at
		// once.
		var linger <-chan time.Time
		if lastCommit >= lingerAfter && n < lingerUntil {
			linger = time.After(lingerFor)
		}
	drain:
		for n < commitMax {
			select {
			case j := <-g.queue:
				jobs = append(jobs, j)
				n += len(j.reqs)
				continue
			default:
			}
			if linger == nil || n >= lingerUntil {
				break drain
			}
			select {
			case j := <-g.queue:
				jobs = append(jobs, j)
				n += len(j.reqs)
			case <-linger:
				break drain
			case <-g.quit:
				break drain
			}
		}
		lastCommit = n
		// A decision is committed on its own, so that one refused rolls
		// back nothing else; the order stays the queue's.
		for len(jobs) > 0 {
			k := 1
			for jobs[0].decide == nil && k < len(jobs) && jobs[k].decide == nil {
				k++
			}
			g.commit(jobs[:k])
			jobs = jobs[k:]
		}
	}
}

func (g *Graph) failQueued() {
	for {
		select {
		case j := <-g.queue:
			j.err = ErrClosed
			close(j.done)
		default:
			return
		}
	}
}

// commit applies jobs in one Store.Update, then answers them and calls
// OnChange. If the Update fails, the orphan pool is restored and every
// job gets the error.
func (g *Graph) commit(jobs []*job) {
	b := &batch{}
	g.lookups.Lock()
	var begun sync.Once
	unlock := func() { begun.Do(g.lookups.Unlock) }
	err := g.store.Update(func(w WriteTx) error {
		unlock()
		g.mu.Lock()
		b.rollback() // in case the Store runs fn more than once
		*b = batch{w: w, now: g.now().UnixNano()}
		g.expire(b)
		g.mu.Unlock()
		// g.mu is held for one request at a time, so that lookups of the
		// pool (prepare's above all) wait for one transaction, not for a
		// whole commit.
		for _, j := range jobs {
			if j.decide != nil {
				g.mu.Lock()
				err := j.decide(b)
				if err == nil {
					err = g.cascade(b)
				}
				g.mu.Unlock()
				if err != nil {
					return err
				}
			}
			for _, req := range j.reqs {
				g.mu.Lock()
				err := g.process(b, req)
				g.mu.Unlock()
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	unlock() // if the Update failed before it began
	g.mu.Lock()
	if err != nil {
		b.rollback()
	} else {
		for _, r := range b.rejects {
			g.rejects.add(r.id, r.err)
		}
		for _, e := range b.added {
			e.req = nil
		}
	}
	g.mu.Unlock()
	var refused errDecision
	switch {
	case errors.As(err, &refused):
		err = refused.err
	case err != nil:
		g.log.Error("commit transactions", logErr, err, logCount, len(jobs))
		err = fmt.Errorf("commit transactions: %w", err)
	case g.onChange != nil && len(b.changes) > 0:
		g.onChange(b.changes)
	}
	for _, j := range jobs {
		j.err = err
		close(j.done)
	}
}

// batch is the state of one commit. It must be used with g.mu held.
type batch struct {
	w       WriteTx
	now     int64
	changes []Change
	// rejects are reject-cache entries, added to the cache only if the
	// commit succeeds; rejectSet indexes them.
	rejects   []rejection
	rejectSet map[TxID]RuleError
	// undo restores the orphan pool if the commit fails.
	undo []func()
	// added are the orphans this commit put in the pool (their req is
	// cleared once answered).
	added []*entry
	// released are orphans to reconsider (a parent was accepted) and
	// doomed are orphans to reject (a parent was rejected), in order.
	released, doomed []*entry
}

type rejection struct {
	id  TxID
	err RuleError
}

func (b *batch) rejected(id TxID) (RuleError, bool) {
	if b == nil {
		return RuleError{}, false
	}
	re, ok := b.rejectSet[id]
	return re, ok
}

func (b *batch) remember(id TxID, re RuleError) {
	if b.rejectSet == nil {
		b.rejectSet = make(map[TxID]RuleError)
	}
	b.rejectSet[id] = re
	b.rejects = append(b.rejects, rejection{id, re})
}

func (b *batch) rollback() {
	for i := len(b.undo) - 1; i >= 0; i-- {
		b.undo[i]()
	}
	b.undo = nil
}

func (g *Graph) poolAdd(b *batch, e *entry) {
	g.orphans.add(e)
	b.undo = append(b.undo, func() { g.orphans.remove(e) })
}

func (g *Graph) poolRemove(b *batch, e *entry) {
	g.orphans.remove(e)
	waits := e.waits // orphan may change them before a rollback
	b.undo = append(b.undo, func() {
		e.waits = waits
		g.orphans.add(e)
	})
}

// expire drops the orphans that waited longer than the TTL.
func (g *Graph) expire(b *batch) {
	for _, e := range g.orphans.expiredAt(b.now) {
		g.poolRemove(b, e)
		re := ruleError(ErrOrphanLimit, "orphan expired before its parents arrived")
		g.logReject(e.p.ID, e.src, re)
		b.changes = append(b.changes, Change{ID: e.p.ID, State: StateRejected, Code: ErrOrphanLimit, Raw: e.p.Raw})
	}
}

// process applies one request, and everything it releases, in the commit.
func (g *Graph) process(b *batch, req *request) error {
	id := req.p.ID
	if req.sanity != nil {
		g.doom(b, id)
		return g.cascade(b)
	}
	res, known, err := g.storedResult(b.w, id)
	if err != nil {
		return err
	}
	if !known {
		// expire has removed every orphan expired at b.now, so whatever
		// the pool holds counts as known.
		res, known = g.poolResult(id, b.now, b)
	}
	if known {
		req.res = res
		return nil
	}
	e := &entry{p: req.p, src: req.src, firstSeen: req.firstSeen, req: req}
	if err := g.consider(b, e); err != nil {
		return err
	}
	return g.cascade(b)
}

// cascade works through the orphans released or doomed so far, and the
// ones they release or doom in turn.
func (g *Graph) cascade(b *batch) error {
	for len(b.released) > 0 || len(b.doomed) > 0 {
		if len(b.doomed) > 0 {
			e := b.doomed[0]
			b.doomed = b.doomed[1:]
			if g.orphans.get(e.p.ID) != e {
				continue
			}
			g.poolRemove(b, e)
			g.reject(b, e, ruleError(ErrParentRejected, "a parent of %s is rejected", e.p.ID))
			continue
		}
		e := b.released[0]
		b.released = b.released[1:]
		if g.orphans.get(e.p.ID) != e {
			continue
		}
		g.poolRemove(b, e)
		if err := g.consider(b, e); err != nil {
			return err
		}
	}
	return nil
}

// consider applies the contextual rules to e, which is neither stored nor
// in the pool, and acts on the verdict.
func (g *Graph) consider(b *batch, e *entry) error {
	p := e.p
	v, err := checkContext(b.w, p, func(id TxID) bool {
		if _, ok := b.rejected(id); ok {
			return true
		}
		_, ok := g.rejects.get(id)
		return ok
	})
	if err != nil {
		return err
	}
	switch {
	case v.reject != nil:
		if v.reject.Code == ErrParentRejected {
			if kept, err := g.shadow(b, e); err != nil || kept {
				return err
			}
		}
		g.reject(b, e, *v.reject)
	case len(v.waits) > 0:
		g.orphan(b, e, v.waits)
	case len(v.winners) > 0:
		return g.storeEvidence(b, e, v.winners)
	default:
		return g.accept(b, e)
	}
	return nil
}

func (g *Graph) accept(b *batch, e *entry) error {
	p := e.p
	if err := b.w.Put(p, &Record{ID: p.ID, Raw: p.Raw, State: StateAccepted, FirstSeen: e.firstSeen}); err != nil {
		return fmt.Errorf("store %s: %w", p.ID, err)
	}
	g.log.Debug("tx accepted", logTx, p.ID, logPeer, e.src)
	claims, err := g.contest(b, p)
	if err != nil {
		return err
	}
	st := StateAccepted
	if len(claims) > 0 {
		st = StateConflicted
	}
	b.changes = append(b.changes, Change{ID: p.ID, State: st, Conflicts: claims, Raw: p.Raw})
	for _, l := range claims {
		b.changes = append(b.changes, Change{ID: l, State: StateRejected, Code: ErrDoubleSpend, Conflicts: []TxID{p.ID}})
	}
	e.setResult(Result{ID: p.ID, State: st})
	b.released = append(b.released, g.orphans.waitingFor(p.ID)...)
	return nil
}

// contest marks p, just stored as accepted, as conflicting with the stored
// evidence that names one of its prevs (a loser of an earlier double spend
// of another of its inputs), and returns that evidence.
func (g *Graph) contest(b *batch, p *Parsed) ([]TxID, error) {
	var claims []TxID
	for _, op := range p.Prev {
		ids, err := b.w.Claims(op)
		if err != nil {
			return nil, fmt.Errorf("read claims on %s: %w", op, err)
		}
		for _, l := range ids {
			if slices.Contains(claims, l) {
				continue
			}
			if err := b.w.AddConflict(p.ID, l); err != nil {
				return nil, fmt.Errorf("record conflict %s %s: %w", p.ID, l, err)
			}
			claims = append(claims, l)
		}
	}
	return claims, nil
}

// storeEvidence stores e, a valid double spend of winners, as rejected, and
// marks each pair as conflicting: a candidate of the vote on the outputs it
// contests (ErrDoubleSpend), or, against a final winner, a loser without
// a vote (ErrLateConflict). A spend of an output that already has
// MaxCandidates sides is rejected without being stored.
func (g *Graph) storeEvidence(b *batch, e *entry, winners []TxID) error {
	p := e.p
	for _, op := range p.Prev {
		claims, err := b.w.Claims(op)
		if err != nil {
			return err
		}
		if 1+len(claims) >= MaxCandidates {
			g.reject(b, e, ruleError(ErrTooManyCandidates, "output %s already has %d double spends", op, MaxCandidates))
			return nil
		}
	}
	code := ErrDoubleSpend
	re := ruleError(code, "an input is already spent by %s (first seen wins until the vote decides)", winners[0])
	for _, w := range winners {
		st, err := b.w.State(w)
		if err != nil {
			return err
		}
		if st == StateFinal {
			code = ErrLateConflict
			re = ruleError(code, "an input is spent by %s, which is final", w)
			break
		}
	}
	rec := &Record{ID: p.ID, Raw: p.Raw, State: StateRejected, Code: code, FirstSeen: e.firstSeen}
	if err := b.w.Put(p, rec); err != nil {
		return fmt.Errorf("store evidence %s: %w", p.ID, err)
	}
	b.changes = append(b.changes, Change{ID: p.ID, State: StateRejected, Code: code, Conflicts: winners, Raw: p.Raw})
	for _, w := range winners {
		if err := b.w.AddConflict(w, p.ID); err != nil {
			return fmt.Errorf("record conflict %s %s: %w", w, p.ID, err)
		}
		b.changes = append(b.changes, Change{ID: w, State: StateConflicted, Conflicts: []TxID{p.ID}})
	}
	g.logReject(p.ID, e.src, re)
	e.setResult(Result{ID: p.ID, State: StateRejected, Err: re})
	// Its children are kept too, if they qualify (shadow).
	b.released = append(b.released, g.orphans.waitingFor(p.ID)...)
	return nil
}

// shadow stores e, a child of a stored rejected transaction (a side of a
// double spend, or a child of one) that is valid against its parents'
// outputs, as rejected with ErrParentRejected, so that a flip of the vote
// accepts it again without a download. It keeps at most one such child per
// output (none if the output has any claim already) and reports whether it
// stored e.
func (g *Graph) shadow(b *batch, e *entry) (bool, error) {
	p := e.p
	var sum Amount
	for _, op := range p.Prev {
		rec, pp, err := parsed(b.w, op.TxID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch {
		case rec.State == StateRejected && rec.Code != ErrDoubleSpend && rec.Code != ErrLostVote && rec.Code != ErrParentRejected:
			return false, nil
		case int64(op.Index) >= int64(len(pp.Out)) || pp.Out[op.Index].Owner != p.From:
			return false, nil
		}
		if rec.State.Accepted() {
			if _, err := b.w.Unspent(op); errors.Is(err, ErrNotFound) {
				return false, nil
			} else if err != nil {
				return false, err
			}
		}
		claims, err := b.w.Claims(op)
		if err != nil || len(claims) > 0 {
			return false, err
		}
		if sum, err = sum.Add(pp.Out[op.Index].Amount); err != nil {
			return false, nil
		}
	}
	if sum != p.Total() {
		return false, nil
	}
	rec := &Record{ID: p.ID, Raw: p.Raw, State: StateRejected, Code: ErrParentRejected, FirstSeen: e.firstSeen}
	if err := b.w.Put(p, rec); err != nil {
		return false, fmt.Errorf("store %s: %w", p.ID, err)
	}
	re := ruleError(ErrParentRejected, "a parent of %s is rejected (kept in case the vote turns)", p.ID)
	g.logReject(p.ID, e.src, re)
	e.setResult(Result{ID: p.ID, State: StateRejected, Err: re})
	b.changes = append(b.changes, Change{ID: p.ID, State: StateRejected, Code: ErrParentRejected, Raw: p.Raw})
	b.released = append(b.released, g.orphans.waitingFor(p.ID)...)
	return true, nil
}

// reject rejects e without storing it. Unless the reason is transient (the
// orphan pool is full), it is remembered, and orphans waiting for e are
// rejected too.
func (g *Graph) reject(b *batch, e *entry, re RuleError) {
	p := e.p
	g.logReject(p.ID, e.src, re)
	e.setResult(Result{ID: p.ID, State: StateRejected, Err: re})
	if e.pooled {
		b.changes = append(b.changes, Change{ID: p.ID, State: StateRejected, Code: re.Code, Raw: p.Raw})
	}
	if re.Code != ErrOrphanLimit {
		b.remember(p.ID, re)
		g.doom(b, p.ID)
	}
}

// doom queues the orphans waiting for id for rejection.
func (g *Graph) doom(b *batch, id TxID) {
	b.doomed = append(b.doomed, g.orphans.waitingFor(id)...)
}

// orphan puts e in the pool to wait for parents. A transaction new to the
// pool must fit its limits; one coming back (released, but still missing
// another parent) keeps its place.
func (g *Graph) orphan(b *batch, e *entry, waits []TxID) {
	if !e.pooled {
		if re, ok := g.orphans.admit(e); !ok {
			g.reject(b, e, re)
			return
		}
		b.added = append(b.added, e)
	}
	e.waits = waits
	g.poolAdd(b, e)
	missing := g.orphans.missingOf(e)
	g.log.Debug("tx orphaned", logTx, e.p.ID, logPeer, e.src, logCount, len(missing))
	e.setResult(Result{ID: e.p.ID, State: StatePending, Missing: missing})
}

// setResult records the outcome for e's caller, if it waits on this commit.
func (e *entry) setResult(res Result) {
	if e.req != nil {
		e.req.res = res
	}
}

func (g *Graph) logReject(id TxID, src string, err error) {
	re, _ := IsRuleError(err)
	g.log.Debug("tx rejected", logTx, id, logPeer, src, logCode, re.Code, logErr, err)
}

// Pending returns the number of transactions waiting in the orphan pool.
func (g *Graph) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.orphans.byID)
}

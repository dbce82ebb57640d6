package dag_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// fixture is a Graph over a MemStore on a three-key test network
// (alice = key 0, bob = 1, carol = 2), with a settable clock and a log of
// every Change reported.
type fixture struct {
	t     *testing.T
	net   *dag.Network
	keys  []ed25519.PrivateKey
	store *dag.MemStore
	g     *dag.Graph
	clock *clock

	mu      sync.Mutex
	changes [][]dag.Change
}

const (
	alice = 0
	bob   = 1
	carol = 2
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newFixture starts a fixture; tweak, if not nil, adjusts the config.
func newFixture(t *testing.T, tweak func(*dag.GraphConfig)) *fixture {
	t.Helper()
	f := &fixture{t: t, store: dag.NewMemStore(), clock: &clock{now: time.Unix(dagtest.Time+100, 0)}}
	f.net, f.keys = dagtest.NewNetwork(t, 3)
	t.Cleanup(func() { f.store.Close() }) // runs after NewGraph's cleanup
	cfg := dag.GraphConfig{
		Network: f.net,
		Store:   f.store,
		Now:     f.clock.Now,
		OnChange: func(cs []dag.Change) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.changes = append(f.changes, cs)
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	f.g = dagtest.NewGraph(t, cfg)
	return f
}

// spend signs a tx by key spending prevs into outs.
func (f *fixture) spend(key int, prevs []dag.OutPoint, outs ...dag.Output) *dag.Parsed {
	f.t.Helper()
	return dagtest.Spend(f.t, f.net, f.keys[key], prevs, outs...)
}

// pay returns an output paying amount to key.
func (f *fixture) pay(key int, amount dag.Amount) dag.Output {
	return dagtest.Out(f.net, f.keys[key], amount)
}

func (f *fixture) gen(i int) dag.OutPoint { return dagtest.GenesisOut(f.net, i) }

func out(p *dag.Parsed, i uint32) dag.OutPoint { return dag.OutPoint{TxID: p.ID, Index: i} }

func (f *fixture) add(p *dag.Parsed) dag.Result {
	f.t.Helper()
	return f.addFrom(p, "")
}

func (f *fixture) addFrom(p *dag.Parsed, src string) dag.Result {
	f.t.Helper()
	res, err := f.g.Add(context.Background(), p.Raw, src)
	if err != nil {
		f.t.Fatalf("Add(%s): %v", p.ID, err)
	}
	if res.ID != p.ID {
		f.t.Fatalf("Add(%s) returned ID %s", p.ID, res.ID)
	}
	return res
}

// state returns the graph's state of id.
func (f *fixture) state(id dag.TxID) dag.State {
	f.t.Helper()
	st, err := f.g.State(id)
	if err != nil {
		f.t.Fatalf("State(%s): %v", id, err)
	}
	return st
}

// record returns the stored record of id, or nil.
func (f *fixture) record(id dag.TxID) *dag.Record {
	f.t.Helper()
	var rec *dag.Record
	err := f.store.View(func(r dag.ReadTx) error {
		var err error
		rec, err = r.Get(id)
		if errors.Is(err, dag.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		f.t.Fatalf("Get(%s): %v", id, err)
	}
	return rec
}

// allChanges returns every Change reported so far, flattened.
func (f *fixture) allChanges() []dag.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []dag.Change
	for _, cs := range f.changes {
		all = append(all, cs...)
	}
	return all
}

func code(err error) dag.ErrorCode {
	re, _ := dag.IsRuleError(err)
	return re.Code
}

func wantResult(t *testing.T, what string, got dag.Result, state dag.State, c dag.ErrorCode) {
	t.Helper()
	if got.State != state || code(got.Err) != c {
		t.Errorf("%s: state %v code %v (%v), want %v %v", what, got.State, code(got.Err), got.Err, state, c)
	}
}

func TestGraphGenesis(t *testing.T) {
	f := newFixture(t, nil)
	if st := f.state(f.net.ID); st != dag.StateFinal {
		t.Errorf("genesis state = %v, want final", st)
	}
	res := f.add(f.net.Genesis)
	if !res.Known || res.State != dag.StateFinal {
		t.Errorf("Add(genesis) = %+v, want known and final", res)
	}

	// A Graph over the same store starts again; one of another network fails.
	g2, err := dag.NewGraph(dag.GraphConfig{Network: f.net, Store: f.store})
	if err != nil {
		t.Fatalf("NewGraph over a store of the same network: %v", err)
	}
	g2.Close()
	other, _ := dagtest.NewNetwork(t, 4)
	if _, err := dag.NewGraph(dag.GraphConfig{Network: other, Store: f.store}); err == nil {
		t.Error("NewGraph over a store of another network succeeded")
	}
	if _, err := dag.NewGraph(dag.GraphConfig{Network: f.net}); err == nil {
		t.Error("NewGraph without a Store succeeded")
	}
}

func TestGraphAcceptAndKnown(t *testing.T) {
	f := newFixture(t, nil)
	t1 := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, 100), f.pay(alice, dagtest.Funds-100))
	res := f.add(t1)
	if res.Known || res.State != dag.StateAccepted || res.Err != nil {
		t.Fatalf("Add(t1) = %+v, want new and accepted", res)
	}
	rec := f.record(t1.ID)
	if rec == nil || rec.State != dag.StateAccepted || rec.FirstSeen != f.clock.Now().UnixNano() {
		t.Errorf("record of t1 = %+v, want accepted, first seen now", rec)
	}
	f.clock.advance(time.Minute)
	res = f.add(t1)
	if !res.Known || res.State != dag.StateAccepted {
		t.Errorf("Add(t1) again = %+v, want known and accepted", res)
	}
	if got := f.record(t1.ID).FirstSeen; got != rec.FirstSeen {
		t.Errorf("FirstSeen changed on a second Add: %d, was %d", got, rec.FirstSeen)
	}
	cs := f.allChanges()
	if len(cs) != 1 || cs[0].ID != t1.ID || cs[0].State != dag.StateAccepted || !slices.Equal(cs[0].Raw, t1.Raw) {
		t.Errorf("changes = %+v, want one: t1 accepted with its bytes", cs)
	}
}

// chain returns n transactions, each spending the previous one's only
// output, starting from alice's genesis output.
func (f *fixture) chain(n int) []*dag.Parsed {
	var txs []*dag.Parsed
	prev := f.gen(alice)
	for range n {
		p := f.spend(alice, []dag.OutPoint{prev}, f.pay(alice, dagtest.Funds))
		txs = append(txs, p)
		prev = out(p, 0)
	}
	return txs
}

func TestGraphChildBeforeParent(t *testing.T) {
	f := newFixture(t, nil)
	txs := f.chain(20)
	// Deliver the chain newest first: each waits for its parent.
	for i := len(txs) - 1; i >= 1; i-- {
		res := f.add(txs[i])
		if res.State != dag.StatePending || !slices.Equal(res.Missing, []dag.TxID{txs[i-1].ID}) {
			t.Fatalf("Add(tx %d) = %+v, want pending, missing tx %d", i, res, i-1)
		}
		// Only the newest unknown parent is missing: the others are pending.
		if got := f.g.Missing(); !slices.Equal(got, []dag.TxID{txs[i-1].ID}) {
			t.Fatalf("Missing() = %v, want [tx %d]", got, i-1)
		}
		if st := f.state(txs[i].ID); st != dag.StatePending {
			t.Fatalf("State(tx %d) = %v, want pending", i, st)
		}
	}
	if len(f.allChanges()) != 0 {
		t.Fatalf("orphans produced changes: %+v", f.allChanges())
	}
	// A pending tx offered again is known and still pending.
	if res := f.add(txs[5]); !res.Known || res.State != dag.StatePending || len(res.Missing) != 0 {
		t.Errorf("Add(pending tx 5) = %+v, want known, pending, nothing to fetch", res)
	}

	// The root releases the whole chain in one commit, in order.
	if res := f.add(txs[0]); res.State != dag.StateAccepted {
		t.Fatalf("Add(root) = %+v, want accepted", res)
	}
	for i, p := range txs {
		if st := f.state(p.ID); st != dag.StateAccepted {
			t.Errorf("State(tx %d) = %v, want accepted", i, st)
		}
	}
	if got := f.g.Missing(); len(got) != 0 {
		t.Errorf("Missing() after release = %v", got)
	}
	f.mu.Lock()
	last := f.changes[len(f.changes)-1]
	f.mu.Unlock()
	if len(last) != len(txs) {
		t.Fatalf("the release commit reported %d changes, want %d", len(last), len(txs))
	}
	for i, c := range last {
		if c.ID != txs[i].ID || c.State != dag.StateAccepted {
			t.Errorf("change %d = %s %v, want tx %d accepted", i, c.ID, c.State, i)
		}
	}
}

func TestGraphAddBatchReversed(t *testing.T) {
	f := newFixture(t, nil)
	txs := f.chain(50)
	raws := make([][]byte, len(txs))
	for i, p := range txs {
		raws[len(txs)-1-i] = p.Raw
	}
	results, err := f.g.AddBatch(context.Background(), raws, "peer")
	if err != nil {
		t.Fatal(err)
	}
	// Every child waited only within the batch: all end accepted.
	for i, res := range results {
		if res.State != dag.StateAccepted || res.Known || len(res.Missing) != 0 {
			t.Errorf("result %d = %+v, want new and accepted", i, res)
		}
	}
	results, err = f.g.AddBatch(context.Background(), raws[:3], "peer")
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range results {
		if res.State != dag.StateAccepted || !res.Known {
			t.Errorf("second batch result %d = %+v, want known and accepted", i, res)
		}
	}
	if results, err := f.g.AddBatch(context.Background(), nil, "peer"); err != nil || len(results) != 0 {
		t.Errorf("AddBatch(nil) = %v, %v", results, err)
	}
}

func TestGraphDoubleSpend(t *testing.T) {
	f := newFixture(t, nil)
	g0 := f.gen(alice)
	winner := f.spend(alice, []dag.OutPoint{g0}, f.pay(bob, dagtest.Funds))
	loser := f.spend(alice, []dag.OutPoint{g0}, f.pay(carol, dagtest.Funds))
	third := f.spend(alice, []dag.OutPoint{g0}, f.pay(alice, dagtest.Funds))
	// A child of the loser that arrives first waits, then is kept as
	// rejected with it, in case the vote turns.
	early := f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(carol, dagtest.Funds))
	// The winner's outputs stay spendable.
	spendWin := f.spend(bob, []dag.OutPoint{out(winner, 0)}, f.pay(carol, dagtest.Funds))

	wantResult(t, "winner", f.add(winner), dag.StateAccepted, 0)
	wantResult(t, "early child of loser", f.add(early), dag.StatePending, 0)
	wantResult(t, "loser", f.add(loser), dag.StateRejected, dag.ErrDoubleSpend)
	wantResult(t, "third", f.add(third), dag.StateRejected, dag.ErrDoubleSpend)
	// Another child of the loser that spends the same output is rejected
	// at once and not kept: one kept child per output.
	late := f.spend(carol, []dag.OutPoint{out(loser, 0)}, f.pay(bob, dagtest.Funds))
	wantResult(t, "late child of loser", f.add(late), dag.StateRejected, dag.ErrParentRejected)
	wantResult(t, "child of winner", f.add(spendWin), dag.StateAccepted, 0)

	tests := []struct {
		name      string
		p         *dag.Parsed
		state     dag.State // stored state; StateUnknown: not stored
		code      dag.ErrorCode
		conflicts []*dag.Parsed
	}{
		{"winner", winner, dag.StateConflicted, 0, []*dag.Parsed{loser, third}},
		{"loser", loser, dag.StateRejected, dag.ErrDoubleSpend, []*dag.Parsed{winner}},
		{"third", third, dag.StateRejected, dag.ErrDoubleSpend, []*dag.Parsed{winner}},
		{"early child", early, dag.StateRejected, dag.ErrParentRejected, nil},
		{"late child", late, dag.StateUnknown, 0, nil},
		{"child of winner", spendWin, dag.StateAccepted, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.record(tc.p.ID)
			if tc.state == dag.StateUnknown {
				if rec != nil {
					t.Errorf("stored as %v, want not stored", rec.State)
				}
				if st := f.state(tc.p.ID); st != dag.StateRejected {
					t.Errorf("State = %v, want rejected (remembered)", st)
				}
				return
			}
			if rec == nil {
				t.Fatal("not stored")
			}
			var want []dag.TxID
			for _, p := range tc.conflicts {
				want = append(want, p.ID)
			}
			if rec.State != tc.state || rec.Code != tc.code || !slices.Equal(rec.Conflicts, want) {
				t.Errorf("record = %v %v conflicts %v, want %v %v conflicts %v", rec.State, rec.Code, rec.Conflicts, tc.state, tc.code, want)
			}
		})
	}

	// The early child is reported when it leaves the pool; the winner's
	// state change is reported with the new loser.
	var sawEarly, sawWinner bool
	for _, c := range f.allChanges() {
		switch {
		case c.ID == early.ID:
			sawEarly = c.State == dag.StateRejected && c.Code == dag.ErrParentRejected && slices.Equal(c.Raw, early.Raw)
		case c.ID == winner.ID && c.State == dag.StateConflicted:
			sawWinner = sawWinner || slices.Equal(c.Conflicts, []dag.TxID{loser.ID}) && c.Raw == nil
		case c.ID == loser.ID:
			if c.State != dag.StateRejected || c.Code != dag.ErrDoubleSpend || !slices.Equal(c.Conflicts, []dag.TxID{winner.ID}) {
				t.Errorf("loser's change = %+v", c)
			}
		}
	}
	if !sawEarly || !sawWinner {
		t.Errorf("changes miss the early child's rejection (%v) or the winner's conflict (%v): %+v", sawEarly, sawWinner, f.allChanges())
	}
	if res := f.add(early); !res.Known || res.State != dag.StateRejected || code(res.Err) != dag.ErrParentRejected {
		t.Errorf("Add(early child) again = %+v, want known and rejected", res)
	}
}

// TestGraphEvidenceClaimsOtherInputs: a loser L spends {o1, o2} and loses
// o1 to W; a later D that spends o2 is accepted but conflicted with L, and
// the commit reports both sides.
func TestGraphEvidenceClaimsOtherInputs(t *testing.T) {
	f := newFixture(t, nil)
	split := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(alice, 600), f.pay(alice, dagtest.Funds-600))
	o1, o2 := out(split, 0), out(split, 1)
	w := f.spend(alice, []dag.OutPoint{o1}, f.pay(bob, 600))
	l := f.spend(alice, []dag.OutPoint{o1, o2}, f.pay(carol, dagtest.Funds))
	d := f.spend(alice, []dag.OutPoint{o2}, f.pay(bob, dagtest.Funds-600))
	child := f.spend(bob, []dag.OutPoint{out(d, 0)}, f.pay(carol, dagtest.Funds-600))

	wantResult(t, "split", f.add(split), dag.StateAccepted, 0)
	wantResult(t, "W", f.add(w), dag.StateAccepted, 0)
	wantResult(t, "L", f.add(l), dag.StateRejected, dag.ErrDoubleSpend)
	before := len(f.allChanges())
	wantResult(t, "D", f.add(d), dag.StateConflicted, 0)
	dChanges := f.allChanges()[before:]
	wantResult(t, "child of D", f.add(child), dag.StateAccepted, 0)

	tests := []struct {
		name      string
		p         *dag.Parsed
		state     dag.State
		code      dag.ErrorCode
		conflicts []*dag.Parsed
	}{
		{"W", w, dag.StateConflicted, 0, []*dag.Parsed{l}},
		{"L", l, dag.StateRejected, dag.ErrDoubleSpend, []*dag.Parsed{w, d}},
		{"D", d, dag.StateConflicted, 0, []*dag.Parsed{l}},
		{"child of D", child, dag.StateAccepted, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.record(tc.p.ID)
			if rec == nil {
				t.Fatal("not stored")
			}
			want := make([]dag.TxID, 0, len(tc.conflicts))
			for _, p := range tc.conflicts {
				want = append(want, p.ID)
			}
			if rec.State != tc.state || rec.Code != tc.code || !slices.Equal(rec.Conflicts, want) {
				t.Errorf("record = %v %v conflicts %v, want %v %v conflicts %v", rec.State, rec.Code, rec.Conflicts, tc.state, tc.code, want)
			}
		})
	}

	wantChanges := []dag.Change{
		{ID: d.ID, State: dag.StateConflicted, Conflicts: []dag.TxID{l.ID}, Raw: d.Raw},
		{ID: l.ID, State: dag.StateRejected, Code: dag.ErrDoubleSpend, Conflicts: []dag.TxID{d.ID}},
	}
	if len(dChanges) != len(wantChanges) {
		t.Fatalf("adding D reported %+v, want %+v", dChanges, wantChanges)
	}
	for i, c := range dChanges {
		want := wantChanges[i]
		if c.ID != want.ID || c.State != want.State || c.Code != want.Code ||
			!slices.Equal(c.Conflicts, want.Conflicts) || !slices.Equal(c.Raw, want.Raw) || (c.Raw == nil) != (want.Raw == nil) {
			t.Errorf("change %d = %+v, want %+v", i, c, want)
		}
	}
}

// TestGraphFirstSeenAmongOrphans: two spends of one output wait for the
// same parent; the one seen first wins when it arrives.
func TestGraphFirstSeenAmongOrphans(t *testing.T) {
	f := newFixture(t, nil)
	parent := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, dagtest.Funds))
	first := f.spend(bob, []dag.OutPoint{out(parent, 0)}, f.pay(carol, dagtest.Funds))
	second := f.spend(bob, []dag.OutPoint{out(parent, 0)}, f.pay(alice, dagtest.Funds))
	wantResult(t, "first", f.add(first), dag.StatePending, 0)
	f.clock.advance(time.Second)
	wantResult(t, "second", f.add(second), dag.StatePending, 0)
	wantResult(t, "parent", f.add(parent), dag.StateAccepted, 0)
	if st := f.state(first.ID); st != dag.StateConflicted {
		t.Errorf("first = %v, want conflicted", st)
	}
	if st := f.state(second.ID); st != dag.StateRejected {
		t.Errorf("second = %v, want rejected", st)
	}
}

// failStore fails every Update after fn ran, while fail is set: a commit
// that broke after the rules were applied.
type failStore struct {
	*dag.MemStore
	mu   sync.Mutex
	fail bool
}

var errInjected = errors.New("injected store failure")

func (s *failStore) setFail(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = v
}

func (s *failStore) Update(fn func(dag.WriteTx) error) error {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if !fail {
		return s.MemStore.Update(fn)
	}
	return s.MemStore.Update(func(w dag.WriteTx) error {
		if err := fn(w); err != nil {
			return err
		}
		return errInjected
	})
}

func TestGraphStoreFailureRollsBack(t *testing.T) {
	fs := &failStore{MemStore: dag.NewMemStore()}
	f := newFixture(t, func(cfg *dag.GraphConfig) {
		cfg.Store = fs
		cfg.Logger = slog.New(slog.DiscardHandler) // the failure is logged at Error on purpose
	})
	f.store = fs.MemStore
	txs := f.chain(3)
	wantResult(t, "tx 2", f.add(txs[2]), dag.StatePending, 0)
	wantResult(t, "tx 1", f.add(txs[1]), dag.StatePending, 0)

	fs.setFail(true)
	stray := f.spend(bob, []dag.OutPoint{{TxID: dag.TxID{7}}}, f.pay(bob, 1))
	for _, p := range []*dag.Parsed{txs[0], stray} {
		if _, err := f.g.Add(context.Background(), p.Raw, ""); !errors.Is(err, errInjected) {
			t.Fatalf("Add during a store failure: %v, want the injected error", err)
		}
	}
	if len(f.allChanges()) != 0 {
		t.Errorf("a failed commit reported changes: %+v", f.allChanges())
	}
	for i, want := range []dag.State{dag.StateUnknown, dag.StatePending, dag.StatePending} {
		if st := f.state(txs[i].ID); st != want {
			t.Errorf("after the failure, tx %d is %v, want %v", i, st, want)
		}
	}
	if st := f.state(stray.ID); st != dag.StateUnknown {
		t.Errorf("the orphan of a failed commit is %v, want unknown", st)
	}
	if got := f.g.Missing(); !slices.Equal(got, []dag.TxID{txs[0].ID}) {
		t.Errorf("Missing() after the failure = %v, want [tx 0]", got)
	}

	fs.setFail(false)
	wantResult(t, "tx 0 again", f.add(txs[0]), dag.StateAccepted, 0)
	for i, p := range txs {
		if st := f.state(p.ID); st != dag.StateAccepted {
			t.Errorf("tx %d is %v, want accepted", i, st)
		}
	}
}

func TestGraphClose(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: dag.NewMemStore()})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := g.Add(context.Background(), net.Genesis.Raw, ""); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("Add after Close: %v, want ErrClosed", err)
	}
	if _, err := g.AddBatch(context.Background(), [][]byte{net.Genesis.Raw}, ""); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("AddBatch after Close: %v, want ErrClosed", err)
	}
}

func TestGraphCanceledContext(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, dagtest.Funds))
	if _, err := f.g.AddBatch(ctx, [][]byte{p.Raw}, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("AddBatch with a canceled context: %v", err)
	}
}

// TestGraphConservation feeds thousands of random valid transactions and
// double spends in random order (so many wait as orphans), in batches and
// from concurrent callers; the ledger invariants (checked at cleanup by
// dagtest.NewGraph) must hold and nothing may stay pending.
func TestGraphConservation(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 800
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			net, keys := dagtest.NewNetwork(t, 30)
			g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Orphans: dag.OrphanLimits{MaxCount: n, MaxPerSource: n}})
			gen := dagtest.NewGen(t, net, keys, seed)
			gen.DoubleSpendRate = 0.05
			txs := gen.Next(n)
			rng := rand.New(rand.NewPCG(seed, 99))
			rng.Shuffle(len(txs), func(i, j int) { txs[i], txs[j] = txs[j], txs[i] })

			var wg sync.WaitGroup
			for w := range 4 { // four callers, each with its share in random batches
				wg.Go(func() {
					var share [][]byte
					for i := w; i < len(txs); i += 4 {
						share = append(share, txs[i].Raw)
					}
					sizes := rand.New(rand.NewPCG(seed, uint64(w)))
					for len(share) > 0 {
						k := min(len(share), 1+sizes.IntN(200))
						if _, err := g.AddBatch(context.Background(), share[:k], "peer"); err != nil {
							t.Errorf("AddBatch: %v", err)
							return
						}
						share = share[k:]
					}
				})
			}
			wg.Wait()

			counts := map[dag.State]int{}
			for _, tx := range txs {
				st, err := g.State(tx.ID)
				if err != nil {
					t.Fatal(err)
				}
				counts[st]++
			}
			if counts[dag.StatePending]+counts[dag.StateUnknown] != 0 || len(g.Missing()) != 0 {
				t.Errorf("after every tx arrived: %v, missing %d", counts, len(g.Missing()))
			}
			if counts[dag.StateConflicted] == 0 || counts[dag.StateRejected] == 0 {
				t.Errorf("no double spend was settled: %v", counts)
			}
			t.Logf("%d txs: %v", n, counts)
		})
	}
}

// TestGraphDigestIndependence: two stores fed the same transactions in
// different orders hold the same set.
func TestGraphDigestIndependence(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 10)
	raws := dagtest.NewGen(t, net, keys, 7).Raws(1500)
	shuffled := slices.Clone(raws)
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	var digests []dag.Digest
	for _, order := range [][][]byte{raws, shuffled} {
		s := dag.NewMemStore()
		t.Cleanup(func() { s.Close() })
		g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: s, Orphans: dag.OrphanLimits{MaxCount: len(raws), MaxPerSource: len(raws)}})
		for len(order) > 0 {
			k := min(len(order), 100)
			if _, err := g.AddBatch(context.Background(), order[:k], ""); err != nil {
				t.Fatal(err)
			}
			order = order[k:]
		}
		var d dag.Digest
		if err := s.View(func(r dag.ReadTx) error { var err error; d, err = r.Digest(); return err }); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	if digests[0] != digests[1] || digests[0].Count != uint64(len(raws))+1 {
		t.Errorf("digests %v and %v, want equal with %d IDs", digests[0], digests[1], len(raws)+1)
	}
}

// TestGraphConcurrentAdd: many goroutines add the same transactions one by
// one in their own orders, while others read. Run with -race.
func TestGraphConcurrentAdd(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 10)
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net})
	txs := dagtest.NewGen(t, net, keys, 11).Next(300)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			order := slices.Clone(txs)
			rand.New(rand.NewPCG(uint64(w), 1)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, tx := range order {
				res, err := g.Add(context.Background(), tx.Raw, "peer"+string(rune('a'+w)))
				if err != nil || res.ID != tx.ID || res.State == dag.StateRejected {
					t.Errorf("Add = %+v, %v", res, err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			g.Missing()
			if _, err := g.State(txs[len(txs)-1].ID); err != nil {
				t.Errorf("State: %v", err)
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	for i, tx := range txs {
		if st, err := g.State(tx.ID); err != nil || st != dag.StateAccepted {
			t.Errorf("tx %d: %v, %v; want accepted", i, st, err)
		}
	}
}

// BenchmarkGraphIngest adds 20,000 generated transactions (5% double
// spends, parents first) to a fresh Graph over a MemStore per iteration,
// in AddBatch calls of 1,000, and reports transactions per second: decode,
// signature check, rules and commit.
func BenchmarkGraphIngest(b *testing.B) {
	const n = 20_000
	net, keys := dagtest.NewNetwork(b, 50)
	gen := dagtest.NewGen(b, net, keys, 1)
	gen.DoubleSpendRate = 0.05
	raws := gen.Raws(n)
	b.ResetTimer()
	for b.Loop() {
		g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: dag.NewMemStore()})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i += 1000 {
			if _, err := g.AddBatch(context.Background(), raws[i:i+1000], ""); err != nil {
				b.Fatal(err)
			}
		}
		g.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkGen reports how fast dagtest.Gen makes signed transactions.
func BenchmarkGen(b *testing.B) {
	net, keys := dagtest.NewNetwork(b, 50)
	gen := dagtest.NewGen(b, net, keys, 1)
	gen.DoubleSpendRate = 0.05
	for b.Loop() {
		gen.Next(1000)
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// TestGraphAddBatchBadSignatures checks the batch signature check of
// AddBatch: forged signatures spread over several batches, two of them in
// one, are each rejected with ErrBadSignature, and every other transaction
// is accepted as if they were not there. An orphan that waits for a forged
// transaction is rejected with it.
func TestGraphAddBatchBadSignatures(t *testing.T) {
	f := newFixture(t, nil)
	gen := dagtest.NewGen(t, f.net, f.keys, 5)
	txs := gen.Next(400)
	spent := map[dag.TxID]bool{}
	for _, tx := range txs {
		p, err := dag.Decode(tx.Raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range p.Prev {
			spent[op.TxID] = true
		}
	}
	// Forge only transactions nothing in the stream spends, so that the
	// others must all be accepted.
	var leaves []int
	for i, tx := range txs {
		if !spent[tx.ID] && !tx.DoubleSpend {
			leaves = append(leaves, i)
		}
	}
	if len(leaves) < 20 {
		t.Fatalf("set-up: only %d unspent transactions in the stream", len(leaves))
	}
	forged := map[int]bool{leaves[0]: true, leaves[1]: true, leaves[len(leaves)/2]: true, leaves[len(leaves)-1]: true}
	raws := make([][]byte, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Raw
		if forged[i] {
			p, _ := dag.Decode(tx.Raw)
			raws[i] = badSig(p)
		}
	}

	// A child of one forged transaction waits for it in the orphan pool.
	victim, err := dag.Decode(raws[leaves[1]])
	if err != nil {
		t.Fatal(err)
	}
	owner := slices.IndexFunc(f.keys, func(k ed25519.PrivateKey) bool {
		return f.net.Address(dagtest.PubKey(k)) == victim.Tx.Out[0].To
	})
	if owner < 0 {
		t.Fatal("set-up: the forged transaction pays no fixture key")
	}
	orphan := f.spend(owner, []dag.OutPoint{out(victim, 0)}, dagtest.Out(f.net, f.keys[owner], victim.Tx.Out[0].Amount))
	if res := f.add(orphan); res.State != dag.StatePending {
		t.Fatalf("set-up: the orphan is %+v, want pending", res)
	}

	res, err := f.g.AddBatch(context.Background(), raws, "peer")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		switch {
		case forged[i] && (r.State != dag.StateRejected || code(r.Err) != dag.ErrBadSignature):
			t.Errorf("forged tx %d = %v (%v), want rejected with ErrBadSignature", i, r.State, r.Err)
		case !forged[i] && r.State != dag.StateAccepted:
			t.Errorf("tx %d = %v (%v), want accepted", i, r.State, r.Err)
		}
	}
	if st := f.state(orphan.ID); st != dag.StateRejected {
		t.Errorf("the orphan of a forged transaction is %v, want rejected", st)
	}
}

package dag_test

import (
	"context"
	"crypto/ed25519"
	"errors"
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

// TestGraphCheck: Check verifies ahead of SubmitHashed and changes nothing
// else; what it found is what the submission reports; and a Graph does not
// trust what another Graph checked.
func TestGraphCheck(t *testing.T) {
	f := newFixture(t, nil)
	good := f.spend(alice, []dag.OutPoint{f.gen(alice)}, f.pay(bob, dagtest.Funds))
	forged := badSig(f.spend(bob, []dag.OutPoint{f.gen(bob)}, f.pay(carol, dagtest.Funds)))
	txs := make([]dag.Hashed, 3)
	for i, raw := range [][]byte{good.Raw, forged} {
		var err error
		if txs[i], err = dag.Claimed(raw, dag.IDs(raw).ID); err != nil {
			t.Fatal(err)
		}
	}
	// txs[2] is the zero Hashed, which Check leaves as it is.
	f.g.Check(txs)
	forgedID := dag.IDs(forged).ID
	for _, id := range []dag.TxID{good.ID, forgedID} {
		if st := f.state(id); st != dag.StateUnknown {
			t.Errorf("after Check alone %s is %v, want unknown", id, st)
		}
	}
	res := submitHashed(t, f.g, txs)
	if res[0].State != dag.StateAccepted {
		t.Errorf("checked good tx = %v (%v), want accepted", res[0].State, res[0].Err)
	}
	if res[1].State != dag.StateRejected || code(res[1].Err) != dag.ErrBadSignature {
		t.Errorf("checked forged tx = %v (%v), want rejected with ErrBadSignature", res[1].State, res[1].Err)
	}
	if res[2].State != dag.StateRejected || res[2].Err == nil {
		t.Errorf("zero Hashed = %v (%v), want rejected", res[2].State, res[2].Err)
	}
	if st := f.state(forgedID); st != dag.StateRejected {
		t.Errorf("forged tx once submitted is %v, want remembered as rejected", st)
	}

	// A Graph of the same ledger whose network wants a burn refuses a tx
	// without one that f.g checked and found valid.
	strict := *f.net
	strict.Params.BurnPerByte = 1
	g2 := dagtest.NewGraph(t, dag.GraphConfig{Network: &strict, Store: dag.NewMemStore()})
	free := f.spend(carol, []dag.OutPoint{f.gen(carol)}, f.pay(alice, dagtest.Funds))
	h, err := dag.Claimed(free.Raw, free.ID)
	if err != nil {
		t.Fatal(err)
	}
	hs := []dag.Hashed{h}
	f.g.Check(hs)
	if res := submitHashed(t, g2, hs); res[0].State != dag.StateRejected || code(res[0].Err) != dag.ErrBurnTooLow {
		t.Errorf("tx checked by another Graph = %v (%v), want rejected with ErrBurnTooLow", res[0].State, res[0].Err)
	}
}

func submitHashed(t *testing.T, g *dag.Graph, txs []dag.Hashed) []dag.Result {
	t.Helper()
	b, err := g.SubmitHashed(context.Background(), txs, "peer")
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

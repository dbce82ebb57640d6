package dag_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

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

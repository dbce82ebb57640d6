package consensus

import (
	"context"
	"crypto/ed25519"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/vote"
)

// pollLog is a Transport of three peers that records the polls sent and
// counts the times it was asked for its peers.
type pollLog struct {
	polls [][]dag.OutPoint // one per poll request, the first peer's
	reqs  map[uint64]bool
	asked int
}

func (l *pollLog) Peers() []vote.Peer {
	l.asked++
	var out []vote.Peer
	for i := range 3 {
		out = append(out, vote.Peer{Key: vote.NodeKey{byte(i + 1)}, Addr: netip.AddrFrom4([4]byte{10, byte(i), 0, 1})})
	}
	return out
}

func (l *pollLog) Poll(_ vote.NodeKey, req uint64, outs []dag.OutPoint, _ []dag.TxID) error {
	if !l.reqs[req] {
		l.reqs[req] = true
		l.polls = append(l.polls, slices.Clone(outs))
	}
	return nil
}

func (l *pollLog) Answer(vote.NodeKey, uint64, []byte) error { return nil }

// pollEngine starts an Engine over a memory ledger of a fresh network of
// keys genesis outputs, with a pollLog for its transport and cfg's
// timing; Network, Graph, Store, Key and Transport are set here.
func pollEngine(t *testing.T, keys int, cfg Config) (*Engine, *dag.Network, []ed25519.PrivateKey, *dag.Graph, *pollLog) {
	t.Helper()
	net, privs := dagtest.NewNetwork(t, keys)
	store := dag.NewMemStore()
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: store})
	_, priv, _ := ed25519.GenerateKey(nil)
	l := &pollLog{reqs: make(map[uint64]bool)}
	cfg.Network, cfg.Graph, cfg.Store, cfg.Key, cfg.Transport = net, g, store, priv, l
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e, net, privs, g, l
}

func TestReadyAt(t *testing.T) {
	e := &Engine{cfg: Config{Quiet: time.Second, Gather: 250 * time.Millisecond}}
	base := time.UnixMilli(1_700_000_000_000) // a multiple of 250 ms
	for _, tc := range []struct{ at, want time.Duration }{
		{0, time.Second},
		{1 * time.Millisecond, 1250 * time.Millisecond},
		{249 * time.Millisecond, 1250 * time.Millisecond},
		{250 * time.Millisecond, 1250 * time.Millisecond},
		{251 * time.Millisecond, 1500 * time.Millisecond},
	} {
		if got := e.readyAt(base.Add(tc.at)); !got.Equal(base.Add(tc.want)) {
			t.Errorf("accepted at +%v: ready at +%v, want +%v", tc.at, got.Sub(base), tc.want)
		}
	}
}

// TestGatherSharesPoll: uncontested transactions accepted within one
// Gather are polled together, once their common quiet period ends; one
// accepted in the next Gather waits for its own.
func TestGatherSharesPoll(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	e, net, keys, g, l := pollEngine(t, 3, Config{Now: func() time.Time { return now }, Quiet: time.Second, Gather: 250 * time.Millisecond})
	var txs []*dag.Parsed
	for i, at := range []time.Duration{10 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond} {
		p := dagtest.Spend(t, net, keys[i], []dag.OutPoint{dagtest.GenesisOut(net, i)}, dagtest.Out(net, keys[i], dagtest.Funds))
		if _, err := g.Add(context.Background(), p.Raw, ""); err != nil {
			t.Fatal(err)
		}
		e.addTx(p, now.Add(at))
		txs = append(txs, p)
	}
	ctx := context.Background()
	poll := func(at time.Duration) {
		now = time.UnixMilli(1_700_000_000_000).Add(at)
		e.round(ctx)
	}
	poll(1210 * time.Millisecond) // the first two are quiet at +1010 and +1200 ms: they wait for +1250
	if len(l.polls) != 0 {
		t.Fatalf("polls before the grid point: %v", l.polls)
	}
	if l.asked != 0 {
		t.Errorf("a round with nothing to poll asked for the peers %d times", l.asked)
	}
	poll(1260 * time.Millisecond)
	want := []dag.OutPoint{txs[0].Prev[0], txs[1].Prev[0]}
	slices.SortFunc(want, compareOut)
	if len(l.polls) != 1 || !slices.Equal(l.polls[0], want) {
		t.Fatalf("polls at +1260 ms = %v, want one of %v", l.polls, want)
	}
	poll(1490 * time.Millisecond)
	if len(l.polls) != 1 {
		t.Fatalf("the third (quiet at +1300 ms) polled before +1500 ms: %v", l.polls)
	}
	poll(1510 * time.Millisecond)
	if len(l.polls) != 2 || !slices.Equal(l.polls[1], txs[2].Prev) {
		t.Errorf("polls at +1510 ms = %v, want a second of %v", l.polls, txs[2].Prev)
	}
}

// TestMissWaits: an output whose polls go unanswered (the polled nodes
// have not taken the spend in yet) is polled again only after a wait that
// doubles with each miss, from Interval up to maxMissWait.
func TestMissWaits(t *testing.T) {
	base := time.UnixMilli(1_700_000_000_000)
	now := base
	const interval, timeout = 50 * time.Millisecond, 300 * time.Millisecond
	e, net, keys, g, l := pollEngine(t, 1, Config{Now: func() time.Time { return now },
		Interval: interval, Timeout: timeout, Quiet: time.Millisecond, Gather: time.Millisecond})
	p := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, dagtest.Out(net, keys[0], dagtest.Funds))
	if _, err := g.Add(context.Background(), p.Raw, ""); err != nil {
		t.Fatal(err)
	}
	e.addTx(p, base)
	// Run the rounds every Interval for 6 s and note when each poll went.
	var sent []time.Duration
	for at := 10 * time.Millisecond; at < 6*time.Second; at += interval {
		now = base.Add(at)
		k := len(l.polls)
		e.round(context.Background())
		if len(l.polls) > k {
			sent = append(sent, at)
		}
	}
	if len(sent) < 3 {
		t.Fatalf("polls at %v: want several", sent)
	}
	// Each poll times out; the next goes missWait(misses) later.
	for i := 1; i < len(sent); i++ {
		wait := min(interval<<i, maxMissWait)
		gap := sent[i] - sent[i-1]
		if gap < timeout+wait || gap > timeout+wait+interval {
			t.Errorf("poll %d went %v after the one before, want %v (timeout) + %v (miss %d) within one round; polls at %v", i, gap, timeout, wait, i, sent)
		}
	}
}

// TestWaitForParent: a child whose vote is decided while its parent is not
// final waits for the parent, and finalize looks at it again once the
// parent is final; a parent that leaves the ledger takes its waiting
// children's wait with it.
func TestWaitForParent(t *testing.T) {
	e, net, keys, g, _ := pollEngine(t, 1, Config{})
	parent := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, dagtest.Out(net, keys[0], dagtest.Funds))
	child := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: parent.ID}}, dagtest.Out(net, keys[0], dagtest.Funds))
	for _, p := range []*dag.Parsed{parent, child} {
		if _, err := g.Add(context.Background(), p.Raw, ""); err != nil {
			t.Fatal(err)
		}
		e.addTx(p, time.Now())
	}
	// The vote on the child's input is decided for it; the parent's is open.
	params := vote.ParamsFor(3)
	set, err := vote.NewSet(params, child.ID)
	if err != nil {
		t.Fatal(err)
	}
	for !set.Decided() {
		set.RecordPoll(map[dag.TxID]int{child.ID: params.K})
	}
	e.outs[child.Prev[0]] = &output{set: set, params: params}
	e.finalize(context.Background())
	if _, ok := e.check[child.ID]; ok || !slices.Contains(e.waiting[parent.ID], child.ID) {
		t.Fatalf("after finalize: check %v, waiting %v; want the child waiting for its parent only", e.check, e.waiting)
	}
	e.onChanges([]dag.Change{{ID: parent.ID, State: dag.StateFinal}})
	if _, ok := e.check[child.ID]; !ok || len(e.waiting) != 0 {
		t.Errorf("once the parent is final: check %v, waiting %v; want the child in check", e.check, e.waiting)
	}
	e.waiting[parent.ID], e.check = []dag.TxID{child.ID}, map[dag.TxID]struct{}{}
	e.onChanges([]dag.Change{{ID: parent.ID, State: dag.StateRejected, Code: dag.ErrLostVote}})
	if len(e.check) != 0 || len(e.waiting) != 0 {
		t.Errorf("once the parent is rejected: check %v, waiting %v; want both empty", e.check, e.waiting)
	}
}

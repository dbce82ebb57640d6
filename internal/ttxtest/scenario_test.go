package ttxtest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/store"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

// timeout bounds each wait for a payment to spread over loopback. Spreading
// takes milliseconds; the margin is for -race on a busy machine.
const timeout = 20 * time.Second

// wantBalances checks that every running node sees each owner's balance.
func wantBalances(t *testing.T, n *ttxtest.Network, want map[string]dag.Amount) {
	t.Helper()
	for _, at := range n.Names() {
		for owner, w := range want {
			if got := n.Balance(at, owner); got != w {
				t.Errorf("%s sees %s's balance %s, want %s", at, owner, got, w)
			}
		}
	}
}

func TestTwoNodeExchange(t *testing.T) {
	n := ttxtest.NewNetwork(t, "alice", "bob")
	n.Connect("alice", "bob")

	pay := n.Send("alice", "bob", 5*dag.Unit)
	n.WaitState("bob", pay, dag.StateAccepted, timeout)
	back := n.Send("bob", "alice", 2*dag.Unit)
	n.WaitState("alice", back, dag.StateAccepted, timeout)
	n.WaitConverged(timeout)

	wantBalances(t, n, map[string]dag.Amount{
		"alice": dagtest.Funds - 3*dag.Unit,
		"bob":   dagtest.Funds + 3*dag.Unit,
	})
}

func TestLinePropagation(t *testing.T) {
	names := []string{"n0", "n1", "n2", "n3", "n4"}
	n := ttxtest.NewNetwork(t, names...)
	for i := range len(names) - 1 {
		n.Connect(names[i], names[i+1])
	}

	there := n.Send("n0", "n4", 7*dag.Unit)
	for _, name := range names {
		n.WaitState(name, there, dag.StateAccepted, timeout)
	}
	back := n.Send("n4", "n0", 1*dag.Unit)
	for _, name := range names {
		n.WaitState(name, back, dag.StateAccepted, timeout)
	}
	n.WaitConverged(timeout)
	wantBalances(t, n, map[string]dag.Amount{
		"n0": dagtest.Funds - 6*dag.Unit,
		"n2": dagtest.Funds,
		"n4": dagtest.Funds + 6*dag.Unit,
	})
}

// TestChildBeforeParent: a node that gets a child before its parent holds
// it pending, and accepts it once the parent arrives from a peer.
func TestChildBeforeParent(t *testing.T) {
	ctx := t.Context()
	n := ttxtest.NewNetwork(t, "alice", "bob", "carol")
	n.ConnectAll()
	key := n.Key("alice")
	parent := dagtest.Spend(t, n.Net, key, []dag.OutPoint{dagtest.GenesisOut(n.Net, 0)}, dagtest.Out(n.Net, key, dagtest.Funds))
	child := dagtest.Spend(t, n.Net, key, []dag.OutPoint{{TxID: parent.ID}}, dagtest.Out(n.Net, n.Key("carol"), dagtest.Funds))

	res, err := n.Node("bob").Graph().Add(ctx, child.Raw, "test")
	if err != nil || res.State != dag.StatePending {
		t.Fatalf("bob adds the child first: %+v, %v; want pending", res, err)
	}
	if _, err := n.Node("alice").Graph().Add(ctx, parent.Raw, "test"); err != nil {
		t.Fatal(err)
	}
	for _, name := range n.Names() {
		n.WaitState(name, child.ID, dag.StateAccepted, timeout)
	}
	n.WaitConverged(timeout)
	wantBalances(t, n, map[string]dag.Amount{"alice": 0, "carol": 2 * dagtest.Funds})
}

// TestRestart: a node that restarts keeps its ledger, redials the peers it
// remembered, and catches up on what it missed while down.
func TestRestart(t *testing.T) {
	n := ttxtest.NewNetwork(t, "alice", "bob", "carol")
	n.ConnectAll()
	first := n.Send("alice", "bob", 5*dag.Unit)
	n.WaitConverged(timeout)

	n.Stop("bob")
	missed := []dag.TxID{
		n.Send("alice", "carol", 3*dag.Unit),
		n.Send("carol", "alice", 1*dag.Unit),
	}
	n.WaitState("carol", missed[0], dag.StateAccepted, timeout)
	n.WaitState("alice", missed[1], dag.StateAccepted, timeout)

	n.Start("bob") // no Connect: bob dials the peers it remembered
	if st, err := n.Node("bob").Graph().State(first); err != nil || st != dag.StateAccepted {
		t.Fatalf("after restart bob holds %s as %v (%v), want accepted", first, st, err)
	}
	for _, id := range missed {
		n.WaitState("bob", id, dag.StateAccepted, timeout)
	}
	// bob spends what it received before the restart.
	spend := n.Send("bob", "carol", dagtest.Funds+4*dag.Unit)
	n.WaitState("carol", spend, dag.StateAccepted, timeout)
	n.WaitConverged(timeout)
	wantBalances(t, n, map[string]dag.Amount{
		"alice": dagtest.Funds - 7*dag.Unit,
		"bob":   1 * dag.Unit,
		"carol": 2*dagtest.Funds + 6*dag.Unit,
	})
}

// TestStopRemembersPeers: a node that stops remembers where to dial its
// ttx peers next time, also the ones that dialled it (whose connection
// address is an ephemeral port nobody listens on).
func TestStopRemembersPeers(t *testing.T) {
	n := ttxtest.NewNetwork(t, "alice", "bob")
	n.Connect("alice", "bob") // alice dials bob
	want := n.Node("alice").ListenAddr()
	// bob learns alice's listen port from her hello, which may come a
	// moment after the connection.
	ttxtest.Wait(t, ttxtest.ConnectTimeout, func() error {
		peers, err := n.Node("bob").Peers(t.Context())
		if err != nil {
			return err
		}
		for _, p := range peers {
			if p.TTX && p.Digest != "" {
				return nil
			}
		}
		return fmt.Errorf("bob has no ttx peer whose hello arrived: %+v", peers)
	})
	n.Stop("bob")
	st, err := store.Open(filepath.Join(n.DataDir("bob"), node.StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	peers, err := st.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(peers, want) {
		t.Errorf("bob remembers peers %v, want alice's listen address %s among them", peers, want)
	}
}

// TestPartitionHeal: two halves that share a history make different
// payments, and a double spend of one output, while apart; once joined,
// every node holds everything, and each side keeps the side of the double
// spend it saw first.
func TestPartitionHeal(t *testing.T) {
	ctx := t.Context()
	n := ttxtest.NewNetwork(t, "alice", "bob", "carol", "dave")
	shared := dagtest.NewGen(t, n.Net, n.Keys(), 1).Raws(200)
	for _, name := range n.Names() {
		if _, err := n.Node(name).Graph().AddBatch(ctx, shared, "test"); err != nil {
			t.Fatalf("add the shared history to %s: %v", name, err)
		}
	}
	n.WaitConverged(timeout)
	n.Connect("alice", "bob")
	n.Connect("carol", "dave")

	// alice signs away one of her outputs on each side.
	var coin dag.OutPoint
	var value dag.Amount
	err := n.Node("alice").Store().View(func(r dag.ReadTx) error {
		return r.UnspentOf(n.PubKey("alice"), func(op dag.OutPoint, o dag.TxOut) bool {
			coin, value = op, o.Amount
			return false
		})
	})
	if err != nil || value == 0 {
		t.Fatalf("find a coin of alice: %v", err)
	}
	left := dagtest.Spend(t, n.Net, n.Key("alice"), []dag.OutPoint{coin}, dagtest.Out(n.Net, n.Key("bob"), value))
	right := dagtest.Spend(t, n.Net, n.Key("alice"), []dag.OutPoint{coin}, dagtest.Out(n.Net, n.Key("dave"), value))
	if _, err := n.Node("alice").Graph().Add(ctx, left.Raw, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Node("carol").Graph().Add(ctx, right.Raw, "test"); err != nil {
		t.Fatal(err)
	}
	payments := []struct {
		from, to, peer string // peer: the sender's other half
		id             dag.TxID
	}{
		{from: "alice", to: "carol", peer: "bob"},
		{from: "bob", to: "dave", peer: "alice"},
		{from: "carol", to: "alice", peer: "dave"},
		{from: "dave", to: "bob", peer: "carol"},
	}
	for i, p := range payments {
		payments[i].id = n.Send(p.from, p.to, dag.Amount(i+1)*dag.Unit)
	}
	// Each half agrees within itself before the halves meet.
	for _, p := range payments {
		n.WaitState(p.peer, p.id, dag.StateAccepted, timeout)
	}
	n.WaitState("bob", left.ID, dag.StateAccepted, timeout)
	n.WaitState("dave", right.ID, dag.StateAccepted, timeout)

	n.Connect("bob", "carol")
	n.WaitConverged(timeout)
	for _, name := range n.Names() {
		for _, p := range payments {
			n.WaitState(name, p.id, dag.StateAccepted, timeout)
		}
	}
	for name, first := range map[string]*dag.Parsed{"alice": left, "bob": left, "carol": right, "dave": right} {
		second := left
		if first == left {
			second = right
		}
		checkRace(t, n, name, first.ID, second.ID)
	}
}

// checkRace checks that node at holds winner as conflicted and loser as
// rejected double-spend evidence, each listing the other.
func checkRace(t *testing.T, n *ttxtest.Network, at string, winner, loser dag.TxID) {
	t.Helper()
	w, _, err := n.Node(at).Tx(t.Context(), winner)
	if err != nil {
		t.Fatalf("%s: winner %s: %v", at, winner, err)
	}
	l, _, err := n.Node(at).Tx(t.Context(), loser)
	if err != nil {
		t.Fatalf("%s: loser %s: %v", at, loser, err)
	}
	if w.State != dag.StateConflicted || !slices.Contains(w.Conflicts, loser) {
		t.Errorf("%s holds the winner %s as %s with conflicts %v, want conflicted with %s", at, winner, w.State, w.Conflicts, loser)
	}
	if l.State != dag.StateRejected || l.Code != dag.ErrDoubleSpend || !slices.Contains(l.Conflicts, winner) {
		t.Errorf("%s holds the loser %s as %s (%v) with conflicts %v, want rejected ErrDoubleSpend with %s", at, loser, l.State, l.Code, l.Conflicts, winner)
	}
}

// TestDoubleSpendRace injects the two sides of a double spend at two nodes
// at the same moment, 20 times. No node accepts both; every node ends with
// both, one conflicted and one rejected (which one may differ between
// nodes: each keeps what it saw first). The cleanup checks the ledger
// invariants, supply included, on every node.
func TestDoubleSpendRace(t *testing.T) {
	const rounds = 20
	ctx := t.Context()
	n := ttxtest.NewNetwork(t, "alice", "bob", "carol")
	n.ConnectAll()

	// alice makes one output per round.
	key := n.Key("alice")
	outs := []dag.Output{dagtest.Out(n.Net, key, dagtest.Funds-rounds*dag.Unit)}
	for range rounds {
		outs = append(outs, dagtest.Out(n.Net, key, dag.Unit))
	}
	fund := dagtest.Spend(t, n.Net, key, []dag.OutPoint{dagtest.GenesisOut(n.Net, 0)}, outs...)
	if _, err := n.Node("alice").Graph().Add(ctx, fund.Raw, "test"); err != nil {
		t.Fatal(err)
	}
	n.WaitConverged(timeout)

	names := n.Names()
	for r := range rounds {
		coin := []dag.OutPoint{{TxID: fund.ID, Index: uint32(r + 1)}}
		a := dagtest.Spend(t, n.Net, key, coin, dagtest.Out(n.Net, n.Key("bob"), dag.Unit))
		b := dagtest.Spend(t, n.Net, key, coin, dagtest.Out(n.Net, n.Key("carol"), dag.Unit))
		// Rotate the pair of nodes the sides enter at.
		atA, atB := names[r%len(names)], names[(r+1)%len(names)]
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, in := range []struct {
			at  string
			raw []byte
		}{{atA, a.Raw}, {atB, b.Raw}} {
			g := n.Node(in.at).Graph()
			wg.Go(func() {
				<-start
				_, errs[i] = g.Add(ctx, in.raw, "test")
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: add: %v", r, err)
			}
		}
		n.WaitConverged(timeout)
		for _, at := range names {
			sa, err := n.Node(at).Graph().State(a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sa == dag.StateConflicted {
				checkRace(t, n, at, a.ID, b.ID)
			} else {
				checkRace(t, n, at, b.ID, a.ID)
			}
		}
		if t.Failed() {
			t.Fatalf("round %d (sides entered at %s and %s) failed", r, atA, atB)
		}
	}
}

// TestProofImportWithoutPeers: a node with no peers at all learns of a
// payment from its proof and can spend it.
func TestProofImportWithoutPeers(t *testing.T) {
	ctx := t.Context()
	n := ttxtest.NewNetwork(t, "alice", "bob")
	id := n.Send("alice", "bob", 5*dag.Unit)
	proof, err := n.Node("alice").ExportProof(ctx, id)
	if err != nil {
		t.Fatalf("export: %v", err)
	}

	bob := n.Node("bob")
	if st, err := bob.Status(ctx); err != nil || st.Peers != 0 {
		t.Fatalf("bob's status: %+v, %v; want no peers", st, err)
	}
	res, err := bob.ImportProof(ctx, proof)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.ID != id || res.State != dag.StateAccepted.String() || res.Added != 1 {
		t.Fatalf("import result %+v, want %s accepted with 1 added", res, id)
	}
	if got, want := n.Balance("bob", "bob"), dagtest.Funds+5*dag.Unit; got != want {
		t.Fatalf("bob's balance %s, want %s", got, want)
	}
	// Paying more than the genesis gave bob needs the imported output.
	n.Send("bob", "alice", dagtest.Funds+1*dag.Unit)
	if got, want := n.Balance("bob", "bob"), 4*dag.Unit; got != want {
		t.Fatalf("bob's balance after spending %s, want %s", got, want)
	}
}

// TestLateJoiner: a fresh node that connects to one holding 10,000
// transactions (1,000 with -short), double-spend evidence included, gets
// them all.
func TestLateJoiner(t *testing.T) {
	size := 10_000
	if testing.Short() {
		size = 1_000
	}
	const syncTimeout = 90 * time.Second
	n := ttxtest.NewNetwork(t, "alice", "bob")
	gen := dagtest.NewGen(t, n.Net, n.Keys(), 7)
	gen.DoubleSpendRate = 0.01
	raws := gen.Raws(size)
	ctx, cancel := context.WithTimeout(t.Context(), syncTimeout)
	defer cancel()
	results, err := n.Node("alice").Graph().AddBatch(ctx, raws, "test")
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	var accepted, rejected int
	for i, r := range results {
		switch {
		case r.State.Accepted():
			accepted++
		case r.State == dag.StateRejected:
			rejected++
		default:
			t.Fatalf("tx %d: %s (%v)", i, r.State, r.Err)
		}
	}
	t.Logf("alice holds %d accepted and %d rejected generated transactions", accepted, rejected)

	start := time.Now()
	n.Connect("bob", "alice")
	n.WaitConverged(syncTimeout)
	t.Logf("bob caught up on %d transactions in %v", size, time.Since(start).Round(time.Millisecond))
}

// TestNetworkOffline checks the harness itself without any gossip: fresh
// nodes agree (genesis only), Restart keeps a node's ledger and listen
// address, and the helpers see the same balances as the nodes.
func TestNetworkOffline(t *testing.T) {
	n := ttxtest.NewNetwork(t, "alice", "bob")
	n.WaitConverged(time.Second)
	id := n.Send("alice", "bob", 2*dag.Unit)
	addr := n.Node("alice").ListenAddr()
	n.Restart("alice")
	if got := n.Node("alice").ListenAddr(); got != addr {
		t.Errorf("restarted alice listens on %s, want %s", got, addr)
	}
	n.WaitState("alice", id, dag.StateAccepted, time.Second)
	if got, want := n.Balance("alice", "alice"), dagtest.Funds-2*dag.Unit; got != want {
		t.Errorf("alice's balance %s, want %s", got, want)
	}
	if got := n.Balance("bob", "alice"); got != dagtest.Funds {
		t.Errorf("bob, unconnected, sees alice's balance %s, want %s", got, dag.Amount(dagtest.Funds))
	}
	for i, name := range n.Names() {
		if pk, want := n.PubKey(name), dagtest.PubKey(n.Keys()[i]); pk != want {
			t.Errorf("%s: PubKey %x, Keys()[%d] %x", name, pk, i, want)
		}
	}
	if got := n.Names(); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Errorf("Names() = %v, want [alice bob]", got)
	}
}

// TestInSyncFresh: after a payment, every node reports all its peers in
// sync within a second or two, long before the 30 s keep-alive ping: each
// ledger change pings the peers with the new digest.
func TestInSyncFresh(t *testing.T) {
	n := ttxtest.NewNetwork(t, "alice", "bob", "carol")
	n.ConnectAll()
	n.WaitInSync(2, timeout)
	for _, to := range []string{"bob", "carol"} {
		start := time.Now()
		n.Send("alice", to, dag.Unit)
		n.WaitInSync(2, 2*time.Second)
		t.Logf("all in sync %v after the payment to %s", time.Since(start).Round(time.Millisecond), to)
	}
}

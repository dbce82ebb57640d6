package ttxtest_test

import (
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
	"github.com/torrenttx/ttx/internal/wallet"
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
// every node holds everything, the vote settles the double spend on one
// side, final on every node, and every node holds the same ledger and
// balances.
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
	// Each half agrees within itself before the halves meet. With one
	// peer each, no node has the peers a final decision needs
	// (node.Config.VoteMinPeers), so both sides stay open.
	for _, p := range payments {
		n.WaitState(p.peer, p.id, dag.StateAccepted, timeout)
	}
	n.WaitState("bob", left.ID, dag.StateAccepted, timeout)
	n.WaitState("dave", right.ID, dag.StateAccepted, timeout)

	n.ConnectAll()
	winner := n.WaitDecided(left.ID, right.ID, timeout)
	n.WaitConverged(timeout)
	for _, name := range n.Names() {
		for _, p := range payments {
			n.WaitState(name, p.id, dag.StateFinal, timeout)
		}
	}
	payee := "bob"
	if winner == right.ID {
		payee = "dave"
	}
	want := map[string]dag.Amount{}
	for _, who := range n.Names() {
		want[who] = n.Balance(payee, who)
	}
	wantBalances(t, n, want)
}

// checkRace checks that node at holds winner in state win and loser as
// rejected with code lose, each listing the other as its conflict.
func checkRace(t *testing.T, n *ttxtest.Network, at string, winner, loser dag.TxID, win dag.State, lose dag.ErrorCode) {
	t.Helper()
	w, _, err := n.Node(at).Tx(t.Context(), winner)
	if err != nil {
		t.Fatalf("%s: winner %s: %v", at, winner, err)
	}
	l, _, err := n.Node(at).Tx(t.Context(), loser)
	if err != nil {
		t.Fatalf("%s: loser %s: %v", at, loser, err)
	}
	if w.State != win || !slices.Contains(w.Conflicts, loser) {
		t.Errorf("%s holds the winner %s as %s with conflicts %v, want %s with %s", at, winner, w.State, w.Conflicts, win, loser)
	}
	if l.State != dag.StateRejected || l.Code != lose || !slices.Contains(l.Conflicts, winner) {
		t.Errorf("%s holds the loser %s as %s (%v) with conflicts %v, want rejected %v with %s", at, loser, l.State, l.Code, l.Conflicts, lose, winner)
	}
}

// TestDoubleSpendRace injects the two sides of a double spend at two nodes
// of ten at the same moment, 50 times (10 with -short). Every node ends
// with the same side final and the other rejected, equal digests and
// equal balances. The side a node saw first may lose: a loser is rejected
// with ErrDoubleSpend where it arrived second and ErrLostVote where the
// vote turned it. Final is never revisited, so a loser that ends rejected
// was never final anywhere. The cleanup checks the ledger invariants,
// supply included, on every node.
func TestDoubleSpendRace(t *testing.T) {
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	ctx := t.Context()
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}
	n := ttxtest.NewNetwork(t, names...)
	n.ConnectAll()

	// alice makes one output per round.
	key := n.Key("alice")
	outs := []dag.Output{dagtest.Out(n.Net, key, dagtest.Funds-dag.Amount(rounds)*dag.Unit)}
	for range rounds {
		outs = append(outs, dagtest.Out(n.Net, key, dag.Unit))
	}
	fund := dagtest.Spend(t, n.Net, key, []dag.OutPoint{dagtest.GenesisOut(n.Net, 0)}, outs...)
	if _, err := n.Node("alice").Graph().Add(ctx, fund.Raw, "test"); err != nil {
		t.Fatal(err)
	}
	for _, at := range names {
		n.WaitState(at, fund.ID, dag.StateFinal, timeout)
	}

	var times []time.Duration
	flipped := 0
	for r := range rounds {
		coin := []dag.OutPoint{{TxID: fund.ID, Index: uint32(r + 1)}}
		a := dagtest.Spend(t, n.Net, key, coin, dagtest.Out(n.Net, n.Key("bob"), dag.Unit))
		b := dagtest.Spend(t, n.Net, key, coin, dagtest.Out(n.Net, n.Key("carol"), dag.Unit))
		// Rotate the pair of nodes the sides enter at.
		atA, atB := names[r%len(names)], names[(r+3)%len(names)]
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
		began := time.Now()
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: add: %v", r, err)
			}
		}
		winner := n.WaitDecided(a.ID, b.ID, timeout)
		times = append(times, time.Since(began))
		n.WaitConverged(timeout)
		loser := b.ID
		if winner == b.ID {
			loser = a.ID
		}
		for _, at := range names {
			rec, _, err := n.Node(at).Tx(ctx, loser)
			if err != nil {
				t.Fatal(err)
			}
			switch rec.Code {
			case dag.ErrLostVote:
				flipped++
			case dag.ErrDoubleSpend:
			default:
				t.Errorf("round %d: %s holds the loser as %s %v", r, at, rec.State, rec.Code)
			}
		}
		bob, carol := n.Balance("alice", "bob"), n.Balance("alice", "carol")
		for _, at := range names[1:] {
			if b, c := n.Balance(at, "bob"), n.Balance(at, "carol"); b != bob || c != carol {
				t.Fatalf("round %d: %s says bob %s carol %s, alice says %s %s", r, at, b, c, bob, carol)
			}
		}
	}
	slices.Sort(times)
	t.Logf("%d races on %d nodes: final on every node after p50 %v, max %v; %d node-races turned by the vote",
		rounds, len(names), times[len(times)/2], times[len(times)-1], flipped)
}

// TestFaucetRace: a newcomer that uses the faucet before it has peers
// spends the same faucet coin that the network has spent, and made final,
// meanwhile. Once it connects, the others hold its payment as a late
// conflict and it follows their vote: one ledger, the same balances on
// every node.
func TestFaucetRace(t *testing.T) {
	ctx := t.Context()
	n := ttxtest.NewNetwork(t, "faucet", "bob", "carol", "dave", "newcomer")
	faucetKey, err := wallet.KeyFromSeed(n.Key("faucet").Seed())
	if err != nil {
		t.Fatal(err)
	}
	n.Tweak = func(_ string, cfg *node.Config) { cfg.Faucet = faucetKey }
	for _, name := range []string{"bob", "newcomer"} {
		n.Restart(name)
	}
	for _, a := range []string{"faucet", "bob", "carol", "dave"} {
		for _, b := range []string{"faucet", "bob", "carol", "dave"} {
			if a < b {
				n.Connect(a, b)
			}
		}
	}
	// The faucet key holds one genesis output, so both spend it.
	online, err := n.Node("bob").Faucet(ctx, n.PubKey("carol"))
	if err != nil {
		t.Fatal(err)
	}
	offline, err := n.Node("newcomer").Faucet(ctx, n.PubKey("newcomer"))
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"faucet", "bob", "carol", "dave"} {
		n.WaitState(at, online, dag.StateFinal, timeout)
	}
	n.ConnectAll()
	if winner := n.WaitDecided(online, offline, timeout); winner != online {
		t.Errorf("the newcomer's faucet payment won")
	}
	n.WaitConverged(timeout)
	want := map[string]dag.Amount{}
	for _, who := range n.Names() {
		want[who] = n.Balance("faucet", who)
	}
	wantBalances(t, n, want)
}

package node

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/wallet"
)

// seeded returns a generator that gives the same picks on every run, so
// that the statistical tests below are deterministic; their bounds hold
// for almost every seed (see each test), not only for this one.
func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// genesisCoins returns the outputs of net's genesis as coins.
func genesisCoins(net *dag.Network) []wallet.Coin {
	coins := make([]wallet.Coin, len(net.Genesis.Out))
	for i, o := range net.Genesis.Out {
		coins[i] = wallet.Coin{OutPoint: dag.OutPoint{TxID: net.ID, Index: uint32(i)}, Amount: o.Amount}
	}
	return coins
}

func faucetKey(t *testing.T) *wallet.Key {
	t.Helper()
	k, err := wallet.OpenPlaintext(genesis.FaucetKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// spentBy decodes a one-input transaction and returns what it spends.
func spentBy(t *testing.T, raw []byte) dag.OutPoint {
	t.Helper()
	p, err := dag.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Prev) != 1 {
		t.Fatalf("faucet transaction spends %d outputs, want 1", len(p.Prev))
	}
	return p.Prev[0]
}

// TestFaucetPicksAtRandom draws the faucet's choice among the 168 outputs
// of the default genesis for 2,000 pairs of fresh nodes (one generator
// each). Picking the first output, as a plain wallet send does, makes
// every pair collide; a uniform pick collides with probability 1/168, so
// about 12 of 2,000 pairs, and more than 40 has a probability below 1e-9.
// The 4,000 picks also reach every output: that one is missed has a
// probability below 1e-8.
func TestFaucetPicksAtRandom(t *testing.T) {
	net := genesis.Default()
	key := faucetKey(t)
	coins := genesisCoins(net)
	pick := func(r *rand.Rand) dag.OutPoint {
		n := &Node{cfg: Config{Network: net, Now: time.Now, FaucetRand: r}}
		raw, err := n.buildFromRandomCoin(t.Context(), key, coins, dag.PubKey{1}, 100*dag.Unit, "")
		if err != nil {
			t.Fatal(err)
		}
		return spentBy(t, raw)
	}
	const pairs = 2000
	collisions := 0
	seen := make(map[dag.OutPoint]bool)
	for i := range uint64(pairs) {
		a, b := pick(seeded(2*i)), pick(seeded(2*i+1))
		if a == b {
			collisions++
		}
		seen[a], seen[b] = true, true
	}
	t.Logf("%d of %d pairs collide (1/%d expected: %.1f)", collisions, pairs, len(coins), float64(pairs)/float64(len(coins)))
	if collisions > 40 {
		t.Errorf("%d of %d pairs of picks collide, want about %d", collisions, pairs, pairs/len(coins))
	}
	if len(seen) != len(coins) {
		t.Errorf("%d picks reached %d of the %d outputs", 2*pairs, len(seen), len(coins))
	}
}

// TestFaucetEmpty checks that the faucet says it is empty when no single
// coin pays the amount and the burn, and that it
// skips a coin that holds the amount but not the burn.
func TestFaucetEmpty(t *testing.T) {
	key := faucetKey(t)
	p := genesis.DefaultParams("burnnet", "burn")
	p.BurnPerByte = 1
	raw, err := genesis.New(p, []genesis.Alloc{{To: key.PubKey(), Amount: 100}, {To: key.PubKey(), Amount: 99}, {To: key.PubKey(), Amount: 5000}}, time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	net, err := dag.NewNetwork(raw)
	if err != nil {
		t.Fatal(err)
	}
	coins := genesisCoins(net)
	for seed := range uint64(20) {
		n := &Node{cfg: Config{Network: net, Now: time.Now, FaucetRand: seeded(seed)}}
		// Only the 5000 coin pays 100 plus a burn of one unit a byte.
		tx, err := n.buildFromRandomCoin(t.Context(), key, coins, dag.PubKey{1}, 100, "")
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if got := spentBy(t, tx); got.Index != 2 {
			t.Fatalf("seed %d: spent output %d, want 2, the only one that pays the burn", seed, got.Index)
		}
		// No coin pays 4900 plus the burn, though the 5000 coin holds 4900.
		_, err = n.buildFromRandomCoin(t.Context(), key, coins, dag.PubKey{1}, 4900, "")
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "faucet is empty") {
			t.Fatalf("seed %d: err = %v, want 503 faucet is empty", seed, err)
		}
	}
}

// faucetNode opens a loopback-only node on the default network with the
// faucet key and a seeded generator for its picks.
func faucetNode(t *testing.T, seed uint64) *Node {
	t.Helper()
	w, err := wallet.KeyFromSeed(append(make([]byte, wallet.SeedSize-1), byte(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return openLoopback(t, Config{
		DataDir:    t.TempDir(),
		Network:    genesis.Default(),
		Wallet:     w,
		Faucet:     faucetKey(t),
		FaucetRand: seeded(seed),
	})
}

// spentByTx returns what the node's transaction id spends.
func spentByTx(t *testing.T, n *Node, id dag.TxID) dag.OutPoint {
	t.Helper()
	rec, _, err := n.Tx(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return spentBy(t, rec.Raw)
}

// TestFaucetTwoNodes has two newcomers ask two nodes, which have not seen
// each other's payment, for test coins at the same time: they spend
// different genesis outputs, so when the payments meet both stay accepted
// and neither is a double spend.
func TestFaucetTwoNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := faucetNode(t, 1), faucetNode(t, 2)
	defer a.Close(ctx)
	defer b.Close(ctx)
	alice, bob := dag.PubKey{0xa}, dag.PubKey{0xb}
	idA, err := a.Faucet(ctx, alice)
	if err != nil {
		t.Fatalf("faucet on A: %v", err)
	}
	idB, err := b.Faucet(ctx, bob)
	if err != nil {
		t.Fatalf("faucet on B: %v", err)
	}
	if sa, sb := spentByTx(t, a, idA), spentByTx(t, b, idB); sa == sb || sa.TxID != genesis.Default().ID || sb.TxID != genesis.Default().ID {
		t.Fatalf("A spent %s, B spent %s: want two different genesis outputs", sa, sb)
	}
	proof, err := a.ExportProof(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.ImportProof(ctx, proof)
	if err != nil || res.State != "accepted" {
		t.Fatalf("B imports A's payment: %+v, %v; want accepted", res, err)
	}
	rec, _, err := b.Tx(ctx, idB)
	if err != nil || rec.State != dag.StateAccepted || len(rec.Conflicts) != 0 {
		t.Fatalf("B's own payment after A's arrived: %+v, %v; want accepted without conflicts", rec, err)
	}
	if got := balance(t, b, alice); got != 100*dag.Unit {
		t.Errorf("B sees alice's balance %s, want 100", got)
	}
}

// TestFaucetSpreads makes 40 faucet payments on one node. Each spends one
// of the faucet's 168 unspent outputs at random (a genesis output or the
// change of an earlier payment), so most spend a genesis output of their
// own; a wallet's usual choice would spend the last change every time.
// Fewer than 20 distinct genesis outputs among 40 payments has a
// probability below 1e-10 for any seed.
func TestFaucetSpreads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := faucetNode(t, 3)
	defer n.Close(ctx)
	net := genesis.Default()
	fromGenesis := make(map[dag.OutPoint]bool)
	const calls = 40
	for i := range calls {
		id, err := n.Faucet(ctx, dag.PubKey{byte(i), 0xfa})
		if err != nil {
			t.Fatalf("faucet call %d: %v", i, err)
		}
		if op := spentByTx(t, n, id); op.TxID == net.ID {
			fromGenesis[op] = true
		}
	}
	t.Logf("%d payments spent %d distinct genesis outputs", calls, len(fromGenesis))
	if len(fromGenesis) < 20 {
		t.Errorf("%d payments spent only %d distinct genesis outputs", calls, len(fromGenesis))
	}
	f, err := n.Balance(ctx, faucetKey(t).PubKey())
	if count := f.FinalOutputs + f.NotFinalOutputs; err != nil || count != genesis.TestnetFaucetOutputs {
		t.Errorf("the faucet holds %d outputs, %v; want %d (each payment returns change)", f.FinalOutputs+f.NotFinalOutputs, err, genesis.TestnetFaucetOutputs)
	}
}

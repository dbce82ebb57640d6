package node

import (
	"context"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/wallet"
)

// testNode opens a loopback-only node (no DHT, no trackers) on net with key.
func testNode(t *testing.T, net *dag.Network, key *wallet.Key, dir string) *Node {
	t.Helper()
	return openLoopback(t, Config{DataDir: dir, Network: net, Wallet: key})
}

// openLoopback opens a node with cfg on loopback addresses and no DHT.
func openLoopback(t *testing.T, cfg Config) *Node {
	t.Helper()
	cfg.ListenAddr, cfg.APIAddr, cfg.NoDHT = "127.0.0.1:0", "127.0.0.1:0", true
	n, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	return n
}

func testKeys(t *testing.T, nkeys int) (*dag.Network, []*wallet.Key) {
	t.Helper()
	net, privs := dagtest.NewNetwork(t, nkeys)
	keys := make([]*wallet.Key, nkeys)
	for i, p := range privs {
		k, err := wallet.KeyFromSeed(p.Seed())
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return net, keys
}

func balance(t *testing.T, n *Node, pk dag.PubKey) dag.Amount {
	t.Helper()
	b, _, err := n.Balance(context.Background(), pk)
	if err != nil {
		t.Fatalf("balance: %v", err)
	}
	return b
}

func TestSendProofImportRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testKeys(t, 2)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := testNode(t, net, keys[0], dirA)
	b := testNode(t, net, keys[1], dirB)
	defer b.Close(ctx)

	before := balance(t, a, keys[1].PubKey())
	id, err := a.Send(ctx, keys[1].PubKey(), 5*dag.Unit, "rent")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if got, want := balance(t, a, keys[1].PubKey()), before+5*dag.Unit; got != want {
		t.Fatalf("A sees B's balance %s, want %s", got, want)
	}
	proof, err := a.ExportProof(ctx, id)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	res, err := b.ImportProof(ctx, proof)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.ID != id || res.State != "accepted" || res.Added != 1 {
		t.Fatalf("import result %+v, want %s accepted, 1 added", res, id)
	}
	if res.Final == (res.NotFinal != "") || res.Final != (res.Votes > 0) {
		t.Errorf("import result %+v: final, its reason and its votes disagree", res)
	}
	if got, want := balance(t, b, keys[1].PubKey()), before+5*dag.Unit; got != want {
		t.Fatalf("B sees its balance %s, want %s", got, want)
	}

	// Restart A: the send is still there, with the same digest.
	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	a = testNode(t, net, keys[0], dirA)
	defer a.Close(ctx)
	st2, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Digest != st.Digest || st2.Accepted != 2 {
		t.Fatalf("after restart digest %s accepted %d, want %s and 2", st2.Digest, st2.Accepted, st.Digest)
	}
	rec, _, err := a.Tx(ctx, id)
	if err != nil || rec.State != dag.StateAccepted {
		t.Fatalf("after restart tx %s: %v %v", id, rec, err)
	}
}

func TestSendRefusesSpentFunds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testKeys(t, 2)
	a := testNode(t, net, keys[0], t.TempDir())
	defer a.Close(ctx)
	all := balance(t, a, keys[0].PubKey())
	// Pay nearly everything; the same funds cannot be sent again.
	if _, err := a.Send(ctx, keys[1].PubKey(), all-dag.Unit, ""); err != nil {
		t.Fatalf("first send: %v", err)
	}
	if _, err := a.Send(ctx, keys[1].PubKey(), all-dag.Unit, ""); err == nil {
		t.Fatal("second send of the same funds succeeded")
	}
}

package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
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
	f, err := n.Balance(context.Background(), pk)
	if err != nil {
		t.Fatalf("balance: %v", err)
	}
	return f.Final + f.NotFinal
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

// TestSendRefusals: the wallet alone checks a send's amount and memo (the
// API only parses them); its refusals reach an API client as 400s in the
// wallet's own words, and nothing is spent. Funds once sent cannot be sent
// again.
func TestSendRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testKeys(t, 2)
	a := testNode(t, net, keys[0], t.TempDir())
	defer a.Close(ctx)
	c := api.NewClient(a.APIURL(), a.Token())
	to := net.Address(keys[1].PubKey())
	long := strings.Repeat("m", net.Params.MaxMemo+1)
	tests := []struct {
		name      string
		req       api.SendRequest
		code, msg string
	}{
		{"zero amount", api.SendRequest{To: to, Amount: "0"}, "ErrBadAmount", "amount is zero: nothing to send"},
		{"memo too long", api.SendRequest{To: to, Amount: "1", Memo: long}, "ErrBadField",
			fmt.Sprintf("memo too long: %d bytes, network max_memo is %d", len(long), net.Params.MaxMemo)},
		{"memo control char", api.SendRequest{To: to, Amount: "1", Memo: "a\nb"}, "ErrBadField", "memo must be printable ASCII"},
	}
	before, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Send(ctx, tc.req)
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != tc.code || ae.Message != tc.msg {
				t.Fatalf("send %+v: %v (%+v), want 400 %s %q", tc.req, err, ae, tc.code, tc.msg)
			}
		})
	}
	if after, err := a.Status(ctx); err != nil || after.Digest != before.Digest {
		t.Errorf("the refused sends changed the ledger: %v -> %v (%v)", before.Digest, after.Digest, err)
	}

	all := balance(t, a, keys[0].PubKey())
	// Pay nearly everything; the same funds cannot be sent again.
	if _, err := a.Send(ctx, keys[1].PubKey(), all-dag.Unit, ""); err != nil {
		t.Fatalf("first send: %v", err)
	}
	if _, err := a.Send(ctx, keys[1].PubKey(), all-dag.Unit, ""); err == nil {
		t.Fatal("second send of the same funds succeeded")
	}
}

// TestBalanceSplitsFinal: an output counts as final once its transaction
// is, and a payment that loses the vote leaves the payee's balance.
func TestBalanceSplitsFinal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testKeys(t, 3)
	a := testNode(t, net, keys[0], t.TempDir())
	defer a.Close(ctx)
	bob := keys[1].PubKey()
	funds := func(pk dag.PubKey) string {
		t.Helper()
		f, err := a.Balance(ctx, pk)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("final %s in %d, not final %s in %d", f.Final, f.FinalOutputs, f.NotFinal, f.NotFinalOutputs)
	}
	if got, want := funds(bob), "final 1000000 in 1, not final 0 in 0"; got != want {
		t.Errorf("bob's genesis funds: %s, want %s", got, want)
	}
	pay, err := a.Send(ctx, bob, 5*dag.Unit, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := funds(bob), "final 1000000 in 1, not final 5 in 1"; got != want {
		t.Errorf("bob paid: %s, want %s", got, want)
	}
	if err := a.Graph().Finalize(ctx, []dag.Decision{{ID: pay}}); err != nil {
		t.Fatal(err)
	}
	if got, want := funds(bob), "final 1000005 in 2, not final 0 in 0"; got != want {
		t.Errorf("the payment final: %s, want %s", got, want)
	}

	// Carol pays bob, and from the same coin herself: the vote for the
	// second takes bob's payment away.
	coin := []wallet.Coin{{OutPoint: dagtest.GenesisOut(net, 2), Amount: dagtest.Funds}}
	var ids []dag.TxID
	for _, to := range []dag.PubKey{bob, keys[2].PubKey()} {
		raw, _, err := wallet.BuildSend(ctx, net, keys[2], coin, to, 7*dag.Unit, "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Graph().Add(ctx, raw, "test")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	if got, want := funds(bob), "final 1000005 in 2, not final 7 in 1"; got != want {
		t.Errorf("bob paid by a double spender: %s, want %s", got, want)
	}
	if err := a.Graph().Prefer(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if got, want := funds(bob), "final 1000005 in 2, not final 0 in 0"; got != want {
		t.Errorf("bob's payment lost the vote: %s, want %s", got, want)
	}
	st, err := a.Status(ctx)
	if err != nil || st.Final != 2 || st.Accepted != 3 || st.Rejected != 1 {
		t.Errorf("status %+v, %v; want 2 final of 3 accepted (the genesis, the payment, the winner), 1 rejected", st, err)
	}
}

// TestImportProofRejected: a proof that is valid on its own ancestry but
// double-spends what the node already holds is imported as rejected
// evidence with its reason; one the node does not even store (a fifth
// side of one race) is refused with ErrNotAccepted.
func TestImportProofRejected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testKeys(t, 2)
	a := testNode(t, net, keys[0], t.TempDir())
	defer a.Close(ctx)
	b := testNode(t, net, keys[1], t.TempDir())
	defer b.Close(ctx)
	c := testNode(t, net, keys[1], t.TempDir())
	defer c.Close(ctx)

	id, err := a.Send(ctx, keys[1].PubKey(), 5*dag.Unit, "first")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	proof, err := a.ExportProof(ctx, id)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	rec, _, err := a.Tx(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dag.Decode(rec.Raw)
	if err != nil {
		t.Fatal(err)
	}
	var coin dag.TxOut
	if err := b.store.View(func(r dag.ReadTx) error {
		coin, err = r.Output(p.Prev[0])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// B first sees another spend of the same coin; C sees as many as a
	// race may have sides.
	other := func(i int) []byte {
		raw, _, err := wallet.BuildSend(ctx, net, keys[0], []wallet.Coin{{OutPoint: p.Prev[0], Amount: coin.Amount}}, keys[0].PubKey(), dag.Amount(i+1)*dag.Unit, fmt.Sprint("other ", i), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	if _, err := b.Graph().Add(ctx, other(0), "test"); err != nil {
		t.Fatal(err)
	}
	for i := range dag.MaxCandidates {
		if _, err := c.Graph().Add(ctx, other(i), "test"); err != nil {
			t.Fatal(err)
		}
	}

	res, err := b.ImportProof(ctx, proof)
	if err != nil || res.State != "rejected" || res.Code != "ErrDoubleSpend" {
		t.Fatalf("import of a double spend B holds as evidence = %+v, %v; want rejected, ErrDoubleSpend", res, err)
	}
	res, err = c.ImportProof(ctx, proof)
	if !errors.Is(err, proofs.ErrNotAccepted) || res != nil {
		t.Fatalf("import of a side C does not store = %+v, %v; want ErrNotAccepted", res, err)
	}
	if re, ok := dag.IsRuleError(err); !ok || re.Code != dag.ErrTooManyCandidates {
		t.Errorf("import error %v does not carry ErrTooManyCandidates", err)
	}
}

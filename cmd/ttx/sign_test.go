package main

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/ttxtest"
	"github.com/torrenttx/ttx/internal/wallet"
)

// TestColdSigning: "cold"'s key lives only in a key file on an offline
// machine; a watch-only node follows its address. The watch-only node
// shows the balance the key holder's own node shows and exports the proofs
// of its coins; ttx sign, with no node running and no network settings,
// signs from those proofs; the online nodes take the result from ttx
// proof import and from ttx submit, and it spreads.
func TestColdSigning(t *testing.T) {
	isolate(t)
	n := ttxtest.NewNetwork(t, "payer", "cold", "watch")
	n.Stop("watch")
	n.Tweak = func(name string, cfg *node.Config) {
		if name == "watch" {
			cfg.Wallet, cfg.Watch = nil, n.PubKey("cold")
		}
	}
	n.Start("watch")
	n.ConnectAll()
	ctx := t.Context()

	// The key file on the offline machine, under a passphrase.
	offline := t.TempDir()
	keyFile := filepath.Join(offline, "wallet.key")
	coldKey, err := wallet.KeyFromSeed(n.Key("cold").Seed())
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.Save(keyFile, coldKey, n.Net, []byte("cold pass"), wallet.Options{}); err != nil {
		t.Fatal(err)
	}
	genesisFile := filepath.Join(offline, "genesis.json")
	if err := os.WriteFile(genesisFile, n.Net.Genesis.Raw, 0o644); err != nil {
		t.Fatal(err)
	}

	// Two payments to the cold address.
	pay1 := n.Send("payer", "cold", 5*dag.Unit)
	pay2 := n.Send("payer", "cold", 7*dag.Unit)
	n.WaitConverged(20 * time.Second)
	watch := n.Node("watch")
	if got, want := n.Balance("watch", "cold"), n.Balance("cold", "cold"); got != want {
		t.Fatalf("watch-only node shows %s TTX for cold, its own node %s", got, want)
	}
	if pk, _ := watch.Wallet(ctx); pk != n.PubKey("cold") || !watch.WatchOnly() {
		t.Fatalf("watch-only node's wallet is %x (watch-only %v), want cold's key", pk, watch.WatchOnly())
	}
	_, err = watch.Send(ctx, n.PubKey("payer"), dag.Unit, "")
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || !strings.Contains(ae.Message, "watch-only") {
		t.Fatalf("watch-only send: %v, want a 503 saying watch-only", err)
	}

	// The watch-only node exports the proofs of the coins.
	cookieDir := t.TempDir()
	if err := api.WriteCookie(cookieDir, watch.Token()); err != nil {
		t.Fatal(err)
	}
	watchFlags := []string{"--api", strings.TrimPrefix(watch.APIURL(), "http://"), "--datadir", cookieDir}
	proof1, proof2 := filepath.Join(offline, "coin1.torrent"), filepath.Join(offline, "coin2.torrent")
	for _, p := range []struct {
		id   dag.TxID
		file string
	}{{pay1, proof1}, {pay2, proof2}} {
		if _, stderr, err := runCmd(t, append(append([]string{"proof", "export"}, watchFlags...), "-o", p.file, p.id.String())...); err != nil {
			t.Fatalf("export proof: %v\n%s", err, stderr)
		}
	}

	// Offline: sign 3 TTX to payer from the first coin, as a proof.
	payer := n.Net.Address(n.PubKey("payer"))
	signed := filepath.Join(offline, "pay.torrent")
	sign := func(args ...string) (string, string, error) {
		base := []string{"sign", "--datadir", filepath.Join(offline, "nothing"), "--wallet", keyFile, "--genesis", genesisFile}
		return runCmdStdin(t, "cold pass\n", append(base, args...)...)
	}
	out, stderr, err := sign("--proof", proof1, "--to", payer, "--amount", "3", "-o", signed)
	if err != nil || !strings.Contains(out, "3 TTX to "+payer) || !strings.Contains(out, "ttx proof import "+signed) {
		t.Fatalf("sign: %v\n%s%s", err, out, stderr)
	}
	// The online (watch-only) node takes it with ttx proof import.
	out, stderr, err = runCmd(t, append(append([]string{"proof", "import"}, watchFlags...), signed)...)
	if err != nil || !strings.Contains(out, ": accepted, 1 new transaction(s)") {
		t.Fatalf("proof import: %v\n%s%s", err, out, stderr)
	}

	// The second coin as a bare tx.json, to ttx submit on the payer's node.
	rawFile := filepath.Join(offline, "pay.json")
	if out, stderr, err = sign("--raw", "--proof", proof2, "--to", payer, "--amount", "4", "-o", rawFile); err != nil {
		t.Fatalf("sign --raw: %v\n%s%s", err, out, stderr)
	}
	payerNode := n.Node("payer")
	payerCookie := t.TempDir()
	if err := api.WriteCookie(payerCookie, payerNode.Token()); err != nil {
		t.Fatal(err)
	}
	out, stderr, err = runCmd(t, "submit", "--api", strings.TrimPrefix(payerNode.APIURL(), "http://"), "--datadir", payerCookie, rawFile)
	if err != nil || !strings.Contains(out, ": accepted") {
		t.Fatalf("submit: %v\n%s%s", err, out, stderr)
	}

	// Both spread: every node sees cold's balance fall by 7 TTX (it had
	// its genesis funds, +5, +7, -3, -4, paying no burn on this network).
	n.WaitConverged(20 * time.Second)
	for _, at := range n.Names() {
		if got, want := n.Balance(at, "cold"), n.Balance("cold", "cold"); got != want {
			t.Errorf("%s shows %s TTX for cold, cold's node %s", at, got, want)
		}
	}
	if got, err := watch.Balance(ctx, n.PubKey("cold")); err != nil || got.NotFinal+got.Final != n.Balance("payer", "cold") {
		t.Errorf("watch-only balance %v (%v)", got, err)
	}

	// A proof whose transaction pays the key nothing, and a spent coin.
	other := n.Send("payer", "watch", dag.Unit)
	n.WaitConverged(20 * time.Second)
	otherProof := filepath.Join(offline, "other.torrent")
	if _, stderr, err := runCmd(t, append(append([]string{"proof", "export"}, watchFlags...), "-o", otherProof, other.String())...); err != nil {
		t.Fatalf("export: %v %s", err, stderr)
	}
	if _, stderr, err = sign("--proof", otherProof, "--to", payer, "--amount", "1"); err == nil || !strings.Contains(stderr, "pays nothing to your key") {
		t.Errorf("sign from a proof of someone else's coin: %v %q", err, stderr)
	}
	if _, stderr, err = sign("--raw", "--proof", proof1, "--to", payer, "--amount", "1", "-o", filepath.Join(offline, "again.json")); err != nil {
		t.Fatalf("sign again: %v %s", err, stderr)
	}
	_, stderr, err = runCmd(t, "submit", "--api", strings.TrimPrefix(payerNode.APIURL(), "http://"), "--datadir", payerCookie, filepath.Join(offline, "again.json"))
	if err == nil || !strings.Contains(stderr, "Error: ") {
		t.Errorf("submit of a spent coin: %v %q, want refused", err, stderr)
	}
}

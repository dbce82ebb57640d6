package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/store"
)

// TestStoreCheck: ttx store check passes a healthy store with its counts,
// and reports a store with one flipped byte in a record as damaged, with
// exit code 1 and how to recover.
func TestStoreCheck(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	net, keys := dagtest.NewNetwork(t, 4)
	gpath := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(gpath, net.Genesis.Raw, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, node.StoreFile)
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	txs := dagtest.NewGen(t, net, keys, 7).Next(200)
	raws := make([][]byte, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Raw
	}
	if _, err := g.AddBatch(context.Background(), raws, "test"); err != nil {
		t.Fatal(err)
	}
	g.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	out, stderr, err := runCmd(t, "store", "check", "--datadir", dir, "--genesis", gpath)
	if err != nil || !strings.Contains(out, "is healthy: 201 transactions") {
		t.Fatalf("check of a healthy store: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(stderr, "checking the ledger's invariants") {
		t.Errorf("no progress shown:\n%s", stderr)
	}

	// One byte of a stored transaction's ID, flipped where it is a key.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, txs[100].ID[:])
	if i < 0 {
		t.Fatal("the transaction's ID is not in the file")
	}
	b[i+10] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "store", "check", "--datadir", dir, "--genesis", gpath)
	if exitCode(err) != 1 || !strings.Contains(out, "is damaged") || !strings.Contains(out, "move "+path+" away") {
		t.Errorf("check of a damaged store: exit %d\n%s", exitCode(err), out)
	}
}

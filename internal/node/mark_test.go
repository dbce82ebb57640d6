package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// TestStoreShrank: a ttx.db replaced by an older copy is refused at start
// with ErrStoreShrank; a missing one is a fresh start that syncs again.
func TestStoreShrank(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testKeys(t, 2)
	dir := t.TempDir()
	db := filepath.Join(dir, StoreFile)
	n := testNode(t, net, keys[0], dir)
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	n = testNode(t, net, keys[0], dir)
	if _, err := n.Send(ctx, keys[1].PubKey(), dag.Unit, "later"); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, old, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataDir: dir, Network: net, Wallet: keys[0]}
	if n, err := tryOpen(cfg); !errors.Is(err, ErrStoreShrank) {
		if n != nil {
			n.Close(ctx)
		}
		t.Fatalf("open with an older store: %v, want ErrStoreShrank", err)
	}
	// The refused start left the mark alone: still refused.
	if _, err := tryOpen(cfg); !errors.Is(err, ErrStoreShrank) {
		t.Fatalf("second open with the older store: %v, want ErrStoreShrank", err)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	n, err = tryOpen(cfg)
	if err != nil {
		t.Fatalf("open with the store moved away: %v", err)
	}
	n.Close(ctx)
}

func tryOpen(cfg Config) (*Node, error) {
	cfg.ListenAddr, cfg.APIAddr, cfg.NoDHT = "127.0.0.1:0", "127.0.0.1:0", true
	return Open(context.Background(), cfg)
}

package node

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/torrenttx/ttx/internal/nodekey"
)

// The node key is created at first start, kept across restarts, shown in
// the status, and each peer's appears in the peer list with its direction
// and listen port.
func TestNodeIdentity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	netw, keys := testKeys(t, 2)
	dirA := t.TempDir()
	a := testNode(t, netw, keys[0], dirA)
	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub := a.NodeKey().Public()
	if st.NodeKey != hex.EncodeToString(pub[:]) {
		t.Fatalf("status node key %q, want %x", st.NodeKey, pub)
	}
	if fi, err := os.Stat(filepath.Join(dirA, NodeKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("node.key: %v, %v; want mode 600", fi, err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	a = testNode(t, netw, keys[0], dirA)
	defer a.Close(ctx)
	if a.NodeKey().Public() != pub {
		t.Fatalf("node key changed across a restart: %x, was %x", a.NodeKey().Public(), pub)
	}

	b := testNode(t, netw, keys[1], t.TempDir())
	defer b.Close(ctx)
	if err := b.Connect(a.ListenAddr()); err != nil {
		t.Fatal(err)
	}
	check := func(n, peer *Node, inbound bool) error {
		ps, err := n.Peers(ctx)
		if err != nil {
			return err
		}
		key := peer.NodeKey().Public()
		_, port, _ := net.SplitHostPort(peer.ListenAddr())
		for _, p := range ps {
			if p.TTX && p.NodeKey == hex.EncodeToString(key[:]) && p.Inbound == inbound && strconv.Itoa(p.ListenPort) == port {
				return nil
			}
		}
		return fmt.Errorf("no ttx peer with key %x, inbound %v, listen port %s in %+v", key, inbound, port, ps)
	}
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last = errors.Join(check(a, b, true), check(b, a, false)); last == nil {
			break
		}
	}
	if last != nil {
		t.Fatal(last)
	}
}

// A damaged node.key stops the start and is left as it was.
func TestCorruptNodeKey(t *testing.T) {
	netw, keys := testKeys(t, 1)
	dir := t.TempDir()
	bad := []byte(`{"type":"ttx-node-key","version":1,"public":"00","seed":"00"}`)
	path := filepath.Join(dir, NodeKeyFile)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := Open(context.Background(), Config{DataDir: dir, Network: netw, Wallet: keys[0],
		ListenAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", NoDHT: true})
	if err == nil {
		n.Close(context.Background())
		t.Fatal("a node started on a damaged node.key")
	}
	if !errors.Is(err, nodekey.ErrMalformed) {
		t.Errorf("Open = %v, want nodekey.ErrMalformed", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, bad) {
		t.Errorf("node.key was rewritten: %s", now)
	}
}

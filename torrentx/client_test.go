package torrentx

import (
	"context"
	"errors"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

func TestNewConfigErrors(t *testing.T) {
	tn := newTestNet(t, 0)
	store := tn.store(t, 0)
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no network", Config{Store: store}},
		{"no store", Config{Network: tn.net}},
		{"negative cap", Config{Network: tn.net, Store: store, MaxTorrents: -1}},
		{"bad listen address", Config{Network: tn.net, Store: store, ListenAddr: "127.0.0.1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := New(tc.cfg); err == nil {
				c.Close()
				t.Error("New accepted the config")
			}
		})
	}
}

// TestAnnounce: a stored transaction is loaded once, an unknown one is an
// error wrapping dag.ErrNotFound.
func TestAnnounce(t *testing.T) {
	tn := newTestNet(t, 2)
	var r txRecv
	c := newTestClient(t, testConfig(tn.net, tn.store(t, 1), &r))
	for range 2 {
		if err := c.Announce(tn.txs[0].ID); err != nil {
			t.Fatalf("Announce(stored) = %v", err)
		}
	}
	if n := c.loaded(); n != 1 {
		t.Errorf("%d loaded after announcing one transaction twice, want 1", n)
	}
	if err := c.Announce(tn.txs[1].ID); !errors.Is(err, dag.ErrNotFound) {
		t.Errorf("Announce(unknown) = %v, want dag.ErrNotFound", err)
	}
	if err := c.AddPeers([]string{"no port"}); err == nil {
		t.Error("AddPeers accepted an address without a port")
	}
}

// TestClosed: Close is idempotent, and the Client refuses work after it.
func TestClosed(t *testing.T) {
	tn := newTestNet(t, 1)
	var r txRecv
	c, err := New(testConfig(tn.net, tn.store(t, 0), &r))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
	}
	if _, err := c.Fetch(context.Background(), tn.txs[0].ID, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Fetch after Close = %v, want ErrClosed", err)
	}
	if err := c.Announce(tn.net.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("Announce after Close = %v, want ErrClosed", err)
	}
}

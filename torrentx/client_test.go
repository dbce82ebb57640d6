package torrentx

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

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

// recordHandler keeps the records it is given.
type recordHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordHandler) find(prefix string) (slog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if strings.HasPrefix(r.Message, prefix) {
			return r, true
		}
	}
	return slog.Record{}, false
}

// TestBootstrapNodeLogs: a DHT node with no bootstrap nodes (the
// bootstrap node of a devnet) reports it as a warning, not an error.
func TestBootstrapNodeLogs(t *testing.T) {
	tn := newTestNet(t, 0)
	var r txRecv
	h := &recordHandler{}
	cfg := testConfig(tn.net, tn.store(t, 0), &r)
	cfg.NoDHT = false
	cfg.DHTBootstrap = []string{}
	cfg.Logger = slog.New(h)
	newTestClient(t, cfg)
	var rec slog.Record
	waitFor(t, 5*time.Second, "the bootstrap failure", func() (ok bool) {
		rec, ok = h.find("error bootstrapping")
		return ok
	})
	if rec.Level != slog.LevelWarn {
		t.Errorf("%q logged at %v, want WARN", rec.Message, rec.Level)
	}
}

package torrentx

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/storage"
	"golang.org/x/time/rate"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// testNet is a test network with some transactions to store.
type testNet struct {
	net *dag.Network
	txs []dagtest.GenTx
}

// newTestNet returns a network and n valid transactions of it.
func newTestNet(t testing.TB, n int) *testNet {
	t.Helper()
	net, keys := dagtest.NewNetwork(t, 4)
	return &testNet{net: net, txs: dagtest.NewGen(t, net, keys, 1).Next(n)}
}

// store returns a MemStore holding the genesis and the first n transactions.
func (tn *testNet) store(t testing.TB, n int) *dag.MemStore {
	t.Helper()
	s := dag.NewMemStore()
	raws := [][]byte{tn.net.Genesis.Raw}
	for _, tx := range tn.txs[:n] {
		raws = append(raws, tx.Raw)
	}
	if err := putAccepted(s, raws...); err != nil {
		t.Fatalf("fill store: %v", err)
	}
	return s
}

// putAccepted stores raws in s as accepted transactions, in order.
func putAccepted(s *dag.MemStore, raws ...[]byte) error {
	return s.Update(func(w dag.WriteTx) error {
		for i, raw := range raws {
			p, err := dag.Decode(raw)
			if err != nil {
				return err
			}
			rec := &dag.Record{ID: p.ID, Raw: raw, State: dag.StateAccepted, FirstSeen: int64(i + 1)}
			if err := w.Put(p, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// txRecv records what a Client handed to OnTx.
type txRecv struct {
	mu  sync.Mutex
	got []receivedTx
}

type receivedTx struct {
	raw []byte
	src string
}

func (r *txRecv) onTx(raw []byte, src string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, receivedTx{slices.Clone(raw), src})
}

func (r *txRecv) all() []receivedTx {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// testConfig is a loopback Config: no DHT, no trackers, no UPnP.
func testConfig(net *dag.Network, store dag.Store, r *txRecv) Config {
	return Config{
		Network:    net,
		Store:      store,
		OnTx:       r.onTx,
		ListenAddr: "127.0.0.1:0",
		NoDHT:      true,
	}
}

// newTestClient builds and starts a Client that is closed when the test
// ends. Unless
// cfg has a Logger, the test fails if the Client logs an error: errors are
// for our own faults.
func newTestClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	if cfg.Logger == nil {
		h := &errorHandler{}
		cfg.Logger = slog.New(h)
		t.Cleanup(func() {
			for _, msg := range h.errors() {
				t.Errorf("logged an error: %s", msg)
			}
		})
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := c.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return c
}

// errorHandler keeps the messages of ERROR records and drops the rest.
type errorHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *errorHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *errorHandler) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, msg)
	return nil
}
func (h *errorHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorHandler) WithGroup(string) slog.Handler      { return h }

func (h *errorHandler) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}

// plainClient is an ordinary anacrolix client with its own ut_metadata and
// file storage (by infohash: every tx torrent names its file tx.json), as
// any BitTorrent user would run: no ttx. PEX is off because the library
// races (a dial reads the infohash that metadata completion rewrites) when
// PEX makes it dial again mid-fetch, and keep-alives are short to bound its
// lost-wakeup stall.
func plainClient(t testing.TB) *torrent.Client {
	t.Helper()
	cfg := torrent.NewDefaultClientConfig()
	cfg.SetListenAddr("127.0.0.1:0")
	cfg.DisableIPv6 = true
	cfg.NoDHT = true
	cfg.DisableTrackers = true
	cfg.DisableWebseeds = true
	cfg.DisableWebtorrent = true
	cfg.NoDefaultPortForwarding = true
	cfg.DisableUTP = true
	cfg.HeaderObfuscationPolicy = torrent.HeaderObfuscationPolicy{}
	cfg.DialRateLimiter = rate.NewLimiter(rate.Inf, 0)
	cfg.DisablePEX = true
	cfg.KeepAliveTimeout = 2 * time.Second
	st := storage.NewFileByInfoHash(t.TempDir())
	cfg.DefaultStorage = st
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatalf("torrent.NewClient: %v", err)
	}
	t.Cleanup(func() {
		cl.Close()
		st.Close()
	})
	return cl
}

// waitFor polls cond every 10 ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loaded returns the number of transaction torrents c keeps loaded.
func (c *Client) loaded() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// conns counts c's connections on the torrent of id.
func (c *Client) conns(id dag.TxID) int {
	n := 0
	for _, p := range c.Peers() {
		if p.Torrent == id {
			n++
		}
	}
	return n
}

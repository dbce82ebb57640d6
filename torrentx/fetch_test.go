package torrentx

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// TestFetch: a transaction stored on A is fetched by B over BitTorrent, by
// ID (metadata over ut_metadata, handshake by the truncated v2 hash) and by
// info dict (handshake by the v1 hash). B hands it to OnTx once and drops
// the torrent afterwards.
func TestFetch(t *testing.T) {
	tn := newTestNet(t, 4)
	var ra txRecv
	a := newTestClient(t, testConfig(tn.net, tn.store(t, 4), &ra))
	cases := []struct {
		name  string
		tx    int
		fetch func(ctx context.Context, b *Client, raw []byte, peers []string) ([]byte, error)
	}{
		{"by id", 1, func(ctx context.Context, b *Client, raw []byte, peers []string) ([]byte, error) {
			return b.Fetch(ctx, dag.IDs(raw).ID, peers)
		}},
		{"by info dict", 2, func(ctx context.Context, b *Client, raw []byte, peers []string) ([]byte, error) {
			return b.FetchInfo(ctx, dag.InfoDict(raw), peers)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rb txRecv
			b := newTestClient(t, testConfig(tn.net, tn.store(t, 0), &rb))
			want := tn.txs[tc.tx].Raw
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := tc.fetch(ctx, b, want, []string{a.ListenAddr()})
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("fetched %q, want %q", got, want)
			}
			if rx := rb.all(); len(rx) != 1 || !bytes.Equal(rx[0].raw, want) || rx[0].src != a.ListenAddr() {
				t.Errorf("OnTx got %d calls (%+v), want one with the bytes from %s", len(rx), rx, a.ListenAddr())
			}
			id := tn.txs[tc.tx].ID
			if b.lookup(id.Short()) != nil || b.conns(id) != 0 {
				t.Errorf("B still has the torrent of %s loaded after the fetch", id)
			}
			waitFor(t, 5*time.Second, "A's connection to close", func() bool { return a.conns(id) == 0 })
		})
	}
}

// TestFetchShared: concurrent Fetch calls for one ID share one download,
// and OnTx runs once.
func TestFetchShared(t *testing.T) {
	tn := newTestNet(t, 1)
	var ra, rb txRecv
	a := newTestClient(t, testConfig(tn.net, tn.store(t, 1), &ra))
	bs := tn.store(t, 0)
	cfg := testConfig(tn.net, bs, &rb)
	// As a node does, b stores what OnTx hands it: a Fetch that starts
	// only after the shared one ended (a slow goroutine on a loaded box)
	// then reads the store instead of downloading and delivering again.
	cfg.OnTx = func(raw []byte, src string) {
		rb.onTx(raw, src)
		if err := putAccepted(bs, raw); err != nil {
			t.Errorf("store the fetched tx: %v", err)
		}
	}
	b := newTestClient(t, cfg)
	want := tn.txs[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			got, err := b.Fetch(ctx, want.ID, []string{a.ListenAddr()})
			if err == nil && !bytes.Equal(got, want.Raw) {
				err = errors.New("wrong bytes")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Fetch %d: %v", i, err)
		}
	}
	if n := len(rb.all()); n != 1 {
		t.Errorf("OnTx ran %d times, want 1", n)
	}
}

// TestFetchFromSwarm: with no peers given, Fetch asks the genesis peers.
func TestFetchFromSwarm(t *testing.T) {
	tn := newTestNet(t, 1)
	var ra, rb txRecv
	a := newTestClient(t, testConfig(tn.net, tn.store(t, 1), &ra))
	b := newTestClient(t, testConfig(tn.net, tn.store(t, 0), &rb))
	if err := a.AddPeers([]string{b.ListenAddr()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B's genesis connection", func() bool { return len(b.swarmAddrs()) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := b.Fetch(ctx, tn.txs[0].ID, nil)
	if err != nil || !bytes.Equal(got, tn.txs[0].Raw) {
		t.Fatalf("Fetch = %q, %v; want the bytes", got, err)
	}
}

// TestFetchLocal: a stored transaction (or the genesis) comes from the
// Store, without OnTx; an unreachable one ends with ctx.
func TestFetchLocal(t *testing.T) {
	tn := newTestNet(t, 2)
	var r txRecv
	c := newTestClient(t, testConfig(tn.net, tn.store(t, 1), &r))
	cases := []struct {
		name    string
		id      dag.TxID
		want    []byte
		wantErr error
	}{
		{"stored", tn.txs[0].ID, tn.txs[0].Raw, nil},
		{"genesis", tn.net.ID, tn.net.Genesis.Raw, nil},
		{"nobody has it", tn.txs[1].ID, nil, context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			got, err := c.Fetch(ctx, tc.id, nil)
			if !errors.Is(err, tc.wantErr) || !bytes.Equal(got, tc.want) {
				t.Errorf("Fetch = %.20q, %v; want %.20q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if n := len(r.all()); n != 0 {
		t.Errorf("OnTx ran %d times, want 0", n)
	}
	if c.lookup(tn.txs[1].ID.Short()) != nil {
		t.Error("the failed fetch left its torrent loaded")
	}
}

// TestFetchBusy: past MaxFetches downloads a Fetch of another ID fails at
// once with ErrBusy, one of an ID already downloading joins it, and a slot
// frees when its download ends; then a real fetch succeeds.
func TestFetchBusy(t *testing.T) {
	tn := newTestNet(t, 3)
	var ra, rb txRecv
	a := newTestClient(t, testConfig(tn.net, tn.store(t, 3), &ra))
	cfg := testConfig(tn.net, tn.store(t, 0), &rb)
	cfg.MaxFetches = 1
	b := newTestClient(t, cfg)
	// A fake ID nobody serves holds the only slot until ctx ends.
	fake := dag.TxID{1, 2, 3}
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan error, 2)
	go func() { _, err := b.Fetch(ctx, fake, []string{a.ListenAddr()}); held <- err }()
	waitFor(t, 5*time.Second, "the fake fetch to start", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.fetching == 1
	})
	short, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if _, err := b.Fetch(short, tn.txs[0].ID, []string{a.ListenAddr()}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second fetch: %v, want ErrBusy", err)
	}
	go func() { _, err := b.Fetch(ctx, fake, nil); held <- err }() // joins, no second slot
	cancel()
	for range 2 {
		if err := <-held; !errors.Is(err, context.Canceled) {
			t.Errorf("fake fetch ended with %v, want context.Canceled", err)
		}
	}
	waitFor(t, 5*time.Second, "the slot to free", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.fetching == 0
	})
	got, err := b.Fetch(short, tn.txs[0].ID, []string{a.ListenAddr()})
	if err != nil || !bytes.Equal(got, tn.txs[0].Raw) {
		t.Fatalf("fetch after the slot freed: %q, %v", got, err)
	}
}

package torrentx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/torrenttx/ttx/dag"
)

// plainGet downloads a torrent by infohash with a plain anacrolix client
// from addr, through its own ut_metadata, and returns the file's bytes.
func plainGet(ctx context.Context, cl *torrent.Client, ih [20]byte, addr string) ([]byte, error) {
	t, _ := cl.AddTorrentOpt(torrent.AddTorrentOpts{InfoHash: metainfo.Hash(ih)})
	defer t.Drop()
	t.AddPeers([]torrent.PeerInfo{{Addr: torrent.StringAddr(addr)}})
	select {
	case <-t.GotInfo():
	case <-ctx.Done():
		return nil, fmt.Errorf("get info of %x: %w", ih, ctx.Err())
	}
	t.DownloadAll()
	select {
	case <-t.Complete().On():
	case <-ctx.Done():
		return nil, fmt.Errorf("download %x: %w", ih, ctx.Err())
	}
	r := t.NewReader()
	defer r.Close()
	return io.ReadAll(r)
}

// TestLazyAdd: A stores 50 transactions and loads none; a plain BitTorrent
// client gets one by its v1 infohash and one by its truncated v2 infohash.
func TestLazyAdd(t *testing.T) {
	tn := newTestNet(t, 50)
	var r txRecv
	a := newTestClient(t, testConfig(tn.net, tn.store(t, 50), &r))
	if n := a.loaded(); n != 0 {
		t.Fatalf("A has %d transactions loaded at start, want 0", n)
	}
	cl := plainClient(t)
	cases := []struct {
		name string
		tx   int
		ih   [20]byte
	}{
		{"v1 infohash", 7, dag.IDs(tn.txs[7].Raw).V1},
		{"truncated v2 infohash", 31, tn.txs[31].ID.Short()},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := plainGet(ctx, cl, tc.ih, a.ListenAddr())
			if err != nil {
				t.Fatal(err)
			}
			if want := tn.txs[tc.tx].Raw; !bytes.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
			if n := a.loaded(); n != i+1 {
				t.Errorf("A has %d transactions loaded, want %d", n, i+1)
			}
		})
	}
}

// TestLRU: with MaxTorrents 5, serving 20 transactions keeps at most 5
// loaded, and an evicted one is loaded again on demand.
func TestLRU(t *testing.T) {
	const max = 5
	tn := newTestNet(t, 20)
	var r txRecv
	cfg := testConfig(tn.net, tn.store(t, 20), &r)
	cfg.MaxTorrents = max
	a := newTestClient(t, cfg)
	cl := plainClient(t)
	order := make([]int, 0, 21)
	for i := range 20 {
		order = append(order, i)
	}
	order = append(order, 0) // evicted by now
	for _, i := range order {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		got, err := plainGet(ctx, cl, tn.txs[i].ID.Short(), a.ListenAddr())
		cancel()
		if err != nil || !bytes.Equal(got, tn.txs[i].Raw) {
			t.Fatalf("tx %d: got %q, %v", i, got, err)
		}
		if n, all := a.loaded(), len(a.cl.Torrents()); n > max || all > max+1 {
			t.Fatalf("after tx %d: %d loaded, %d torrents in the library; cap %d (+ genesis)", i, n, all, max)
		}
	}
	if e := a.lookup(tn.txs[0].ID.Short()); e == nil {
		t.Error("the last transaction served is not loaded")
	}
	if e := a.lookup(tn.txs[1].ID.Short()); e != nil {
		t.Error("the least recently used transaction is still loaded")
	}
}

// TestSeedDuringFetch: a fetch by ID of a transaction (its torrent added
// under the truncated v2 infohash, no info dict yet) is running when the
// transaction reaches the Store by another path and a peer asks for it by
// its v1 infohash, which loads it a second time. When the fetch then ends,
// dropping its torrent must leave the seeded one in the table: announcing
// the transaction, and a plain client getting it by v1, still work.
func TestSeedDuringFetch(t *testing.T) {
	tn := newTestNet(t, 11)
	store := tn.store(t, 10)
	var r txRecv
	a := newTestClient(t, testConfig(tn.net, store, &r))
	tx := tn.txs[10]
	v1 := dag.IDs(tx.Raw).V1

	ctx, cancel := context.WithCancel(context.Background())
	fetched := make(chan error, 1)
	go func() {
		_, err := a.Fetch(ctx, tx.ID, []string{"127.0.0.1:1"}) // nobody serves it
		fetched <- err
	}()
	waitFor(t, 5*time.Second, "the fetch to start", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		e := a.byID[tx.ID]
		return e != nil && e.fetch != nil
	})
	if err := putAccepted(store, tx.Raw); err != nil {
		t.Fatal(err)
	}
	if err := a.seed(v1, nil); err != nil { // a peer's handshake by v1
		t.Fatalf("load by v1 during the fetch: %v", err)
	}
	cancel()
	select {
	case <-fetched:
	case <-time.After(10 * time.Second):
		t.Fatal("the fetch did not end when its context was cancelled")
	}
	if e := a.lookup(v1); e == nil || e.fetch != nil {
		t.Fatalf("after the fetch ended, the table holds %+v under the v1 infohash, want the seeded entry", e)
	}
	if err := a.Announce(tx.ID); err != nil {
		t.Fatalf("announce after the fetch ended: %v", err)
	}
	getCtx, getCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer getCancel()
	got, err := plainGet(getCtx, plainClient(t), v1, a.ListenAddr())
	if err != nil || !bytes.Equal(got, tx.Raw) {
		t.Fatalf("get by v1 after the fetch ended: %q, %v", got, err)
	}
}

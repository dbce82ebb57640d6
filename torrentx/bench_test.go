package torrentx

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/gossip"
)

// reportLatency reports the median, p99 and worst of ds, and how many took
// over a second (the library's lost-wakeup stall shows there).
func reportLatency(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	q := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	slow := 0
	for _, d := range ds {
		if d > time.Second {
			slow++
		}
	}
	b.ReportMetric(float64(slow), "over-1s")
}

// BenchmarkFetch times one transaction fetched over BitTorrent between two
// loopback nodes: a new torrent and a new connection per fetch.
func BenchmarkFetch(b *testing.B) {
	const pool = 200
	tn := newTestNet(b, pool)
	var r txRecv
	a := newTestClient(b, testConfig(tn.net, tn.store(b, pool), &r))
	cases := []struct {
		name  string
		fetch func(ctx context.Context, c *Client, raw []byte) ([]byte, error)
	}{
		{"by id", func(ctx context.Context, c *Client, raw []byte) ([]byte, error) {
			return c.Fetch(ctx, dag.IDs(raw).ID, []string{a.ListenAddr()})
		}},
		{"by info dict", func(ctx context.Context, c *Client, raw []byte) ([]byte, error) {
			return c.FetchInfo(ctx, dag.InfoDict(raw), []string{a.ListenAddr()})
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			c := newTestClient(b, testConfig(tn.net, dag.NewMemStore(), &txRecv{}))
			ds := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				start := time.Now()
				_, err := tc.fetch(ctx, c, tn.txs[i%pool].Raw)
				ds = append(ds, time.Since(start))
				cancel()
				if err != nil {
					b.Fatal(err)
				}
			}
			reportLatency(b, ds)
		})
	}
}

// echoHandler sends every message back.
type echoHandler struct{ testHandler }

func (h *echoHandler) Handle(p gossip.Peer, payload []byte) { p.Send(payload) }

// BenchmarkExtensionRoundTrip times a ttx message and its echo on an
// established connection.
func BenchmarkExtensionRoundTrip(b *testing.B) {
	tn := newTestNet(b, 0)
	var r txRecv
	echo, h := &echoHandler{}, &chanHandler{added: make(chan gossip.Peer, 1), msgs: make(chan []byte, 1)}
	cfgA := testConfig(tn.net, tn.store(b, 0), &r)
	cfgA.Gossip = echo
	cfgB := testConfig(tn.net, tn.store(b, 0), &r)
	cfgB.Gossip = h
	a, bc := newTestClient(b, cfgA), newTestClient(b, cfgB)
	if err := bc.AddPeers([]string{a.ListenAddr()}); err != nil {
		b.Fatal(err)
	}
	p := <-h.added
	msg := make([]byte, 200)
	ds := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		if err := p.Send(msg); err != nil {
			b.Fatal(err)
		}
		<-h.msgs
		ds = append(ds, time.Since(start))
	}
	reportLatency(b, ds)
}

// chanHandler passes peers and messages to channels.
type chanHandler struct {
	added chan gossip.Peer
	msgs  chan []byte
}

func (h *chanHandler) AddPeer(p gossip.Peer) {
	select {
	case h.added <- p:
	default:
	}
}

func (h *chanHandler) RemovePeer(gossip.Peer)               {}
func (h *chanHandler) Handle(_ gossip.Peer, payload []byte) { h.msgs <- payload }

package torrentx

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/torrenttx/ttx/dag"
)

// On-demand DHT announces of transaction torrents. Limits:
const (
	// demandQueue bounds the requests waiting for the worker; more are
	// dropped (the asker asks again).
	demandQueue = 256
	// demandRate and demandBurst bound the announces started per second.
	// An announce is one get_peers + announce_peer traversal per infohash.
	demandRate  = 1
	demandBurst = 8
	// demandParallel bounds the traversals running at once.
	demandParallel = 4
	// reannounceAfter is how long a transaction is not announced again:
	// half the time DHT nodes keep an announced peer (peerTTL).
	reannounceAfter = peerTTL / 2
	// demandRecent bounds the transactions remembered as announced.
	demandRecent = 4096
)

// demand holds the on-demand announce state. The queue carries 20-byte
// infohashes: a transaction's v1 infohash or truncated ID.
type demand struct {
	q   chan [20]byte
	lim *rate.Limiter

	mu   sync.Mutex
	last map[dag.TxID]time.Time // guarded by mu
}

func newDemand() *demand {
	return &demand{
		q:    make(chan [20]byte, demandQueue),
		lim:  rate.NewLimiter(demandRate, demandBurst),
		last: make(map[dag.TxID]time.Time),
	}
}

// AnnounceDHT asks for the stored transaction id to be announced on the
// DHT (both its infohashes, on every DHT server), so that a client that
// has only its magnet link finds this node. It does not wait: announces
// are rate-limited, a transaction is announced at most once every
// reannounceAfter, and a request that finds the queue full is dropped.
// It does nothing when the DHT is off or id is not stored. The node calls
// it whenever a transaction's magnet links are shown.
func (c *Client) AnnounceDHT(id dag.TxID) { c.wantAnnounce(id.Short()) }

// wantAnnounce queues an announce of the transaction with infohash ih. It
// never blocks: it runs in the DHT server's receive loop too (a get_peers
// query for ih reached this node, so someone is looking for it).
func (c *Client) wantAnnounce(ih [20]byte) {
	if c.cfg.NoDHT {
		return
	}
	select {
	case c.demand.q <- ih:
	default:
	}
}

// demandLoop runs the queued announces until ctx ends.
func (c *Client) demandLoop(ctx context.Context) {
	sem := make(chan struct{}, demandParallel)
	for {
		var ih [20]byte
		select {
		case <-ctx.Done():
			return
		case ih = <-c.demand.q:
		}
		id, ok := c.demandID(ih)
		if !ok || !c.demand.due(id, time.Now()) {
			continue
		}
		if err := c.demand.lim.Wait(ctx); err != nil {
			return
		}
		if err := c.seed(ih, &id); err != nil {
			if !errors.Is(err, ErrClosed) {
				c.log.Warn("load transaction to announce", "tx", id, "err", err)
			}
			continue
		}
		e := c.lookup(ih)
		if e == nil {
			continue // evicted already
		}
		c.mu.Lock()
		t := e.t
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		if len(c.cfg.Trackers) > 0 {
			t.AddTrackers([][]string{c.cfg.Trackers})
		}
		c.log.Debug("dht announce on demand", "tx", id)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer func() { <-sem }()
			c.announce(ctx, t)
		}()
	}
}

// demandID returns the ID of the stored transaction with infohash ih;
// false for the genesis (announced by announceLoop) and for what is not
// stored.
func (c *Client) demandID(ih [20]byte) (dag.TxID, bool) {
	if e := c.lookup(ih); e != nil {
		if e == c.genesis || e.fetch != nil {
			return dag.TxID{}, false
		}
		return e.id, true
	}
	var id dag.TxID
	err := c.cfg.Store.View(func(tx dag.ReadTx) error {
		var err error
		id, err = tx.Lookup(ih)
		return err
	})
	if err != nil {
		if !errors.Is(err, dag.ErrNotFound) {
			c.log.Warn("look up transaction to announce", "infohash", ih, "err", err)
		}
		return id, false
	}
	return id, true
}

// due reports whether id was not announced within reannounceAfter, and
// if so records it as announced at now. When demandRecent transactions
// are remembered, stale ones are forgotten first; if none is, it reports
// false.
func (d *demand) due(id dag.TxID, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at, ok := d.last[id]; ok && now.Sub(at) < reannounceAfter {
		return false
	}
	if len(d.last) >= demandRecent {
		for k, at := range d.last {
			if now.Sub(at) >= reannounceAfter {
				delete(d.last, k)
			}
		}
		if len(d.last) >= demandRecent {
			return false
		}
	}
	d.last[id] = now
	return true
}

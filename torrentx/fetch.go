package torrentx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/torrenttx/ttx/dag"
)

// Watchdog timing. The library sometimes loses the wakeup that sends a
// request, so a download not done after firstNudge is
// nudged (see nudge), then checked with doubling waits up to maxNudge. A fetch whose
// torrent was just replaced (gotInfo) redials from redialWait on: the
// seeder may refuse the new connection while it still holds the old one
// (same peer ID).
const (
	firstNudge = 500 * time.Millisecond
	maxNudge   = 8 * time.Second
	redialWait = 5 * time.Millisecond
)

// fetch is the state of a running download, shared by the Fetch calls
// that wait for it. Its fields are guarded by Client.mu.
type fetch struct {
	buf     []byte   // the piece as downloaded, before verification
	src     string   // the last peer that sent useful data
	refs    int      // Fetch calls waiting
	addrs   []string // peers to dial
	done    chan struct{}
	err     error         // set before done is closed; nil: entry.raw is the result
	stored  bool          // the result came from the Store, not the network
	kick    chan struct{} // gotInfo replaced the torrent
	deliver sync.Once
	stop    context.CancelFunc // ends the watchdog and DHT lookup
}

// finish records the result once. Safe with or without Client.mu held.
func (f *fetch) finish(err error) {
	select {
	case <-f.done:
	default:
		f.err = err
		close(f.done)
	}
}

// Fetch downloads the transaction id by plain BitTorrent, the repair path
// that works with any seeder, ttx node or not. It dials peers ("host:port";
// none: the node's genesis peers, and a DHT lookup). The info dict comes
// over ut_metadata and must be exactly a transaction's dict hashing to id
// (dag.ParseInfoDict) before the library parses it; the bytes must pass
// dag.CheckID. Config.OnTx (if set) receives them once, before Fetch
// returns them.
// A transaction already stored is returned from the Store. Concurrent
// calls for one ID share one download; past Config.MaxFetches downloads a
// new one fails with ErrBusy. ctx bounds the wait.
func (c *Client) Fetch(ctx context.Context, id dag.TxID, peers []string) ([]byte, error) {
	raw, err := c.fetch(ctx, id, nil, [20]byte{}, peers)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", id, err)
	}
	return raw, nil
}

// FetchInfo is Fetch when the transaction's info dict is already known,
// for example from a ttx message: info must pass dag.ParseInfoDict. No
// metadata is exchanged, and peers are asked by the v1 infohash.
func (c *Client) FetchInfo(ctx context.Context, info []byte, peers []string) ([]byte, error) {
	ids, err := dag.ParseInfoDict(info)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	raw, err := c.fetch(ctx, ids.ID, info, ids.V1, peers)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", ids.ID, err)
	}
	return raw, nil
}

func (c *Client) fetch(ctx context.Context, id dag.TxID, info []byte, v1 [20]byte, peers []string) ([]byte, error) {
	for _, a := range peers {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("peer address %q: %w", a, err)
		}
	}
	if raw, err := c.stored(id); !errors.Is(err, dag.ErrNotFound) {
		return raw, err
	}
	e, raw, err := c.joinFetch(id, info, v1, peers)
	if e == nil {
		return raw, err
	}
	defer c.leaveFetch(e)
	f := e.fetch
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.done:
	}
	c.mu.Lock()
	raw, src, stored, err := e.raw, f.src, f.stored, f.err
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !stored && c.cfg.OnTx != nil {
		f.deliver.Do(func() { c.cfg.OnTx(raw, src) })
	}
	return raw, nil
}

// joinFetch returns the running fetch of id, or starts one: an entry,
// never evicted, whose torrent dials peers. With info it downloads at once;
// without, gotInfo starts the download once a peer sent a valid dict. If
// id turns out to be loaded (stored, or the genesis) it returns its bytes
// and no entry.
func (c *Client) joinFetch(id dag.TxID, info []byte, v1 [20]byte, peers []string) (*entry, []byte, error) {
	c.addMu.Lock()
	defer c.addMu.Unlock()
	if c.closed {
		return nil, nil, ErrClosed
	}
	c.mu.Lock()
	e := c.byID[id]
	switch {
	case e != nil && e.raw != nil && e.fetch == nil:
		raw := e.raw
		c.mu.Unlock()
		return nil, raw, nil
	case e != nil && e.fetch == nil:
		c.mu.Unlock()
		raw, err := c.stored(id)
		return nil, raw, err
	case e != nil:
		e.fetch.refs++
		e.fetch.addrs = append(e.fetch.addrs, peers...)
		t := e.t
		c.mu.Unlock()
		t.AddPeers(peerInfos(peers))
		return e, nil, nil
	case c.fetching >= c.cfg.MaxFetches:
		c.mu.Unlock()
		return nil, nil, ErrBusy
	}
	c.fetching++
	c.mu.Unlock()
	given := len(peers) > 0
	if !given {
		peers = c.swarmAddrs()
	}
	ctx, stop := context.WithCancel(c.ctx)
	e = &entry{id: id, fetch: &fetch{refs: 1, addrs: peers, done: make(chan struct{}), kick: make(chan struct{}, 1), stop: stop}}
	if info != nil {
		e.info, e.v1 = info, v1
	}
	t, err := c.addTorrent(e)
	if err != nil {
		stop()
		c.mu.Lock()
		c.fetching--
		c.mu.Unlock()
		return nil, nil, err
	}
	if info != nil {
		t.DownloadAll()
	}
	if !given && !c.cfg.NoDHT {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.announce(ctx, t)
		}()
	}
	t.AddPeers(peerInfos(peers))
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.watchdog(ctx, e)
	}()
	return e, nil, nil
}

// leaveFetch drops the fetch's torrent, and so its connections, when the
// last waiting Fetch call leaves. A stored transaction is loaded again on
// demand by the next peer that asks.
func (c *Client) leaveFetch(e *entry) {
	c.addMu.Lock()
	defer c.addMu.Unlock()
	c.mu.Lock()
	e.fetch.refs--
	last := e.fetch.refs == 0
	if last {
		c.fetching--
	}
	c.mu.Unlock()
	if !last {
		return
	}
	e.fetch.stop()
	c.dropTorrent(e)
}

// watchdog redials the peers while the fetch has no connection, nudges a
// stalled download, and notices a transaction that reached the Store by
// another path (the gossip).
func (c *Client) watchdog(ctx context.Context, e *entry) {
	f := e.fetch
	wait, start := firstNudge, time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.done:
			return
		case <-f.kick:
			wait, start = redialWait, time.Now()
			continue
		case <-time.After(wait):
		}
		wait = min(2*wait, maxNudge)
		if raw, err := c.stored(e.id); err == nil {
			c.mu.Lock()
			if e.raw == nil {
				e.raw, f.stored = raw, true
			}
			c.mu.Unlock()
			f.finish(nil)
			return
		}
		c.mu.Lock()
		t, known, addrs := e.t, e.info != nil, slices.Clone(f.addrs)
		c.mu.Unlock()
		switch {
		case len(t.PeerConns()) == 0:
			t.AddPeers(peerInfos(addrs))
		case known && time.Since(start) >= firstNudge:
			c.nudge(t)
		}
	}
}

// nudge wakes the writers of t's connections. In the lost-wakeup stall the
// library has a request to send but its writer sleeps, and asking it again
// is a no-op while the first ask is pending; any message written wakes it.
// We write a ut_metadata request for the (known, tiny) info dict: harmless
// to any seeder, and its answer wakes the seeder's writer too.
func (c *Client) nudge(t *torrent.Torrent) {
	req := bencode.MustMarshal(pp.ExtendedMetadataRequestMsg{Type: pp.RequestMetadataExtensionMsgType})
	for _, pc := range t.PeerConns() {
		if err := pc.WriteExtendedMessage(extMetadata, req); err != nil {
			c.log.Debug("nudge", "peer", pc.RemoteAddr.String(), "err", err)
		}
	}
}

// stored returns the raw bytes of a stored transaction, or an error
// wrapping dag.ErrNotFound.
func (c *Client) stored(id dag.TxID) ([]byte, error) {
	var raw []byte
	err := c.cfg.Store.View(func(tx dag.ReadTx) error {
		rec, err := tx.Get(id)
		if err == nil {
			raw = rec.Raw
		}
		return err
	})
	return raw, err
}

// swarmAddrs returns where the node's genesis peers listen, and the
// addresses given to AddPeers.
func (c *Client) swarmAddrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.known)
	for _, sp := range c.swarm {
		if sp.dial != "" && !slices.Contains(out, sp.dial) {
			out = append(out, sp.dial)
		}
	}
	return out
}

func peerInfos(addrs []string) []torrent.PeerInfo {
	out := make([]torrent.PeerInfo, len(addrs))
	for i, a := range addrs {
		out[i] = torrent.PeerInfo{Addr: torrent.StringAddr(a), Source: torrent.PeerSourceDirect}
	}
	return out
}

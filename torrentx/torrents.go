package torrentx

import (
	"container/list"
	"errors"
	"fmt"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/torrenttx/ttx/dag"
)

// entry is a torrent the Client has loaded (or is adding): the genesis, a
// stored transaction being seeded, or a transaction being fetched.
type entry struct {
	id dag.TxID
	// Set once the info dict is known (always, except for a fetch by ID
	// before the dict arrived), then never changed. Guarded by Client.mu.
	v1   [20]byte
	info []byte
	// t is set by addTorrent, with Client.addMu and Client.mu held; read
	// it holding either. gotInfo replaces a fetch's torrent once.
	t *torrent.Torrent
	// lru is the position in Client.lru of a seeded transaction; nil for
	// the genesis and running fetches, which are never evicted.
	lru *list.Element
	// raw holds the bytes when they are not (yet) in the Store: the
	// genesis, and a fetched transaction once verified. Guarded by
	// Client.mu.
	raw   []byte
	fetch *fetch // non-nil while fetching
}

// lookup returns the entry registered under a 20-byte infohash.
func (c *Client) lookup(ih [20]byte) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byShort[ih]
}

// register makes e findable by its infohashes. Must be called with c.mu held.
func (c *Client) register(e *entry) {
	c.byID[e.id] = e
	c.byShort[e.id.Short()] = e
	if e.info != nil {
		c.byShort[e.v1] = e
	}
}

// unregister is the inverse of register, for the names that still lead to
// e: a peer asking by the v1 infohash while a fetch by ID has no info dict
// yet loads the stored transaction as a second entry under the same ID,
// and the fetch's end must not unregister that one. Must be called with
// c.mu held.
func (c *Client) unregister(e *entry) {
	if c.byID[e.id] == e {
		delete(c.byID, e.id)
	}
	if c.byShort[e.id.Short()] == e {
		delete(c.byShort, e.id.Short())
	}
	if e.info != nil && c.byShort[e.v1] == e {
		delete(c.byShort, e.v1)
	}
	if e.lru != nil {
		c.lru.Remove(e.lru)
		e.lru = nil
	}
}

// setInfo records a validated info dict for e. Must be called with c.mu held.
func (c *Client) setInfo(e *entry, info []byte, v1 [20]byte) {
	e.info, e.v1 = info, v1
	c.byShort[v1] = e
}

// addTorrent registers e and adds its torrent to the library: with our own
// info dict when e has one, as {InfoHash: v1, InfoBytes} (a
// torrent added with its v2 hash is unreachable by v2 peers), else by the
// truncated v2 hash passed as the v1 hash. Must be called with
// c.addMu held, not c.mu.
func (c *Client) addTorrent(e *entry) (*torrent.Torrent, error) {
	c.mu.Lock()
	c.register(e)
	opts := torrent.AddTorrentOpts{InfoHash: metainfo.Hash(e.id.Short())}
	if e.info != nil {
		opts = torrent.AddTorrentOpts{InfoHash: e.v1, InfoBytes: e.info}
	}
	c.mu.Unlock()
	t, isNew := c.cl.AddTorrentOpt(opts)
	if !isNew {
		// Only a torrent we dropped without unregistering could be here.
		c.mu.Lock()
		c.unregister(e)
		c.mu.Unlock()
		return nil, fmt.Errorf("add torrent %s: already loaded", e.id)
	}
	c.mu.Lock()
	e.t = t
	c.mu.Unlock()
	return t, nil
}

// dropTorrent unregisters e and drops its torrent, closing its
// connections. Must be called with c.addMu held, not c.mu.
func (c *Client) dropTorrent(e *entry) {
	c.mu.Lock()
	c.unregister(e)
	c.mu.Unlock()
	if e.t != nil {
		e.t.Drop()
	}
}

// seed makes sure the stored transaction with one of the given infohashes
// (v1 or truncated v2) is loaded, adding it with its info dict rebuilt
// from the stored bytes, and marks it recently used. It evicts the least
// recently used transaction torrents above MaxTorrents. The error wraps
// dag.ErrNotFound if the transaction is not stored.
func (c *Client) seed(ih [20]byte, id *dag.TxID) error {
	c.addMu.Lock()
	defer c.addMu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.mu.Lock()
	e := c.byShort[ih]
	if id != nil {
		e = c.byID[*id]
	}
	if e != nil {
		if e.lru != nil {
			c.lru.MoveToFront(e.lru)
		}
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	var raw []byte
	err := c.cfg.Store.View(func(tx dag.ReadTx) error {
		var err error
		if id == nil {
			var found dag.TxID
			if found, err = tx.Lookup(ih); err != nil {
				return err
			}
			id = &found
		}
		rec, err := tx.Get(*id)
		if err != nil {
			return err
		}
		raw = rec.Raw
		return nil
	})
	if err != nil {
		return err
	}
	if err := dag.CheckID(raw, *id); err != nil {
		// The store holds only checked transactions: this is our fault.
		return fmt.Errorf("seed %s: stored bytes: %w", *id, err)
	}
	ids := dag.IDs(raw)
	e = &entry{id: ids.ID, v1: ids.V1, info: dag.InfoDict(raw)}
	if _, err := c.addTorrent(e); err != nil {
		return err
	}
	c.mu.Lock()
	e.lru = c.lru.PushFront(e)
	var evict []*entry
	for c.lru.Len() > c.cfg.MaxTorrents {
		old := c.lru.Back().Value.(*entry)
		c.unregister(old)
		evict = append(evict, old)
	}
	c.mu.Unlock()
	for _, old := range evict {
		old.t.Drop()
	}
	return nil
}

// Announce makes sure the stored transaction id is loaded and seeding, and
// marks it recently used. Every stored transaction is served on demand
// anyway (a peer's handshake loads it); Announce is for transactions the
// node expects peers to ask for soon. It returns an error wrapping
// dag.ErrNotFound if id is not stored.
func (c *Client) Announce(id dag.TxID) error {
	if err := c.seed(id.Short(), &id); err != nil {
		return fmt.Errorf("announce %s: %w", id, err)
	}
	return nil
}

// onHandshake runs after a peer's BitTorrent handshake, without the
// library lock, before the library looks the infohash up. A stored
// transaction that is not loaded is loaded here (lazy add), so every
// stored transaction is seedable while only hot ones stay loaded.
func (c *Client) onHandshake(_ *torrent.PeerConn, ih metainfo.Hash) {
	err := c.seed(ih, nil)
	if err != nil && !errors.Is(err, dag.ErrNotFound) && !errors.Is(err, ErrClosed) {
		c.log.Error("load stored transaction", "infohash", ih.HexString(), "err", err)
	}
}

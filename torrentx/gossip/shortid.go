package gossip

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// Short IDs (protocol version 5). A node announces a transaction to a
// peer of version 5 by its wire.ShortID on that connection: 11 bytes for
// an inv of one, not 38. Both sides map a short ID back to full IDs the
// same way: the IDs they store that start with its 4-byte prefix (one
// range lookup), each compared by its short ID on the connection. So the
// sender serves a want by short ID from its store, with every transaction
// it holds of that short ID (two of its own sharing 48 bits on one
// connection cost a copy, never a miss), and remembers nothing per peer.
//
// The receiver also maps to the IDs on their way in (being added or
// wanted by full ID) and to those the ledger accepted lately, without a
// store read: in a mesh most invs name what the node has just taken. A
// mapped ID is then an inv of that ID. One it cannot map is wanted by
// short ID, once: the short wants are indexed by prefix,
// and a short ID of that prefix from another peer (its keyed bytes differ,
// the connections' keys do) is taken as the same transaction, another
// source, until the transaction arrives. Its full ID then tells which
// sources announced it; a source whose short ID does not match announced
// another transaction of the same prefix, which is wanted from it next:
// such a collision costs a round trip. A receiver that maps a short ID to
// a transaction it holds while the sender meant another (48 bits equal:
// with n stored, about n/2^48 per short ID) misses that one announcement;
// the transaction's other announcers, on other keys, still bring it, and
// digest comparison the rest.

// shortWant is a transaction wanted by short ID: its full ID is unknown
// until it arrives.
type shortWant struct {
	// sources announced a short ID of this prefix, in order; the first
	// is asked (from) once it is.
	sources  []shortSource
	from     *peer
	deadline time.Time
	owner    string // as want.owner
}

// shortSource is a peer and the short ID it announced.
type shortSource struct {
	ps  *peer
	sid wire.ShortID
}

// prefixOf is the key of id's candidates: its first 4 bytes, as
// wire.ShortID.Prefix reads them.
func prefixOf(id dag.TxID) uint32 { return wire.ShortID(id[:wire.ShortIDSize]).Prefix() }

// newSalt returns a connection's salt for our hello: random, not zero.
func newSalt() uint64 {
	for {
		if s := rand.Uint64(); s != 0 {
			return s
		}
	}
}

// shortKey returns the key of ps's short IDs; a peer that speaks a version
// before short IDs and sends them anyway is banned, as for any field its
// version lacks.
func (e *Engine) shortKey(ps *peer) (wire.ShortKey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !ps.short {
		err := fmt.Errorf("%w: short IDs at version %d", wire.ErrMalformed, ps.version)
		e.punishLocked(ps, banScore, err.Error())
		return wire.ShortKey{}, err
	}
	return ps.skey, nil
}

// shortFailed logs a failure to map short IDs that is ours (a store
// error); a peer's (short IDs it may not send) is punished already.
func (e *Engine) shortFailed(err error) {
	if !errors.Is(err, wire.ErrMalformed) {
		e.log.Error("map short IDs", logErr, err)
	}
}

// sendInv announces ids and short to ps, in messages of at most
// wire.MaxIDs.
func (e *Engine) sendInv(ps *peer, ids []dag.TxID, short []wire.ShortID) {
	for len(ids)+len(short) > 0 {
		var m wire.Inv
		n := min(len(ids), wire.MaxIDs)
		m.IDs, ids = ids[:n], ids[n:]
		k := min(len(short), wire.MaxIDs-n)
		m.Short, short = short[:k], short[k:]
		if e.send(ps, &m) {
			e.traffic.invIDsOut.Add(uint64(n + k))
		}
	}
}

// inflightLocked indexes id by prefix as being added or wanted by full
// ID, or accepted lately. Entries stay until pruneInflightLocked finds them
// none of these, so that the many places that end an adding or a want need
// not tell the index; a lookup checks that its candidate still is one. It
// must be called with e.mu held.
func (e *Engine) inflightLocked(id dag.TxID) {
	p := prefixOf(id)
	if !slices.Contains(e.inflight[p], id) {
		e.inflight[p] = append(e.inflight[p], id)
		e.inflightN++
	}
}

// inflightNowLocked reports whether id is being added or wanted by full
// ID, or was accepted lately. It must be called with e.mu held.
func (e *Engine) inflightNowLocked(id dag.TxID) bool {
	return e.adding[id] || e.wants[id] != nil || e.accepted.Has(id)
}

// pruneInflightLocked drops the index's ended entries once they are more
// than half of it. It must be called with e.mu held.
func (e *Engine) pruneInflightLocked() {
	if e.inflightN <= 2*(len(e.adding)+len(e.wants)+recentAccepted)+64 {
		return
	}
	e.inflightN = 0
	for p, ids := range e.inflight {
		ids = slices.DeleteFunc(ids, func(id dag.TxID) bool { return !e.inflightNowLocked(id) })
		if len(ids) == 0 {
			delete(e.inflight, p)
			continue
		}
		e.inflight[p] = ids
		e.inflightN += len(ids)
	}
}

// resolveShort maps the short IDs ps announced to the full IDs we store or
// have in flight; it returns those and the short IDs it could not map.
func (e *Engine) resolveShort(ps *peer, short []wire.ShortID) ([]dag.TxID, []wire.ShortID, error) {
	key, err := e.shortKey(ps)
	if err != nil {
		return nil, nil, err
	}
	e.mu.Lock()
	var ids []dag.TxID
	var rest []wire.ShortID
	for _, sid := range short {
		if i := slices.IndexFunc(e.inflight[sid.Prefix()], func(id dag.TxID) bool {
			return key.Short(id) == sid && e.inflightNowLocked(id)
		}); i >= 0 {
			ids = append(ids, e.inflight[sid.Prefix()][i])
		} else {
			rest = append(rest, sid)
		}
	}
	e.mu.Unlock()
	if len(rest) == 0 {
		return ids, nil, nil
	}
	stored, unknown, err := e.storedShort(key, rest)
	return append(ids, stored...), unknown, err
}

// wantShortLocked records that ps announced short IDs we could not map and
// returns those to ask it for now. A short ID whose prefix is wanted
// already only adds ps as a source. The limits of wantLocked apply, short
// wants counted with full ones. It must be called with e.mu held.
func (e *Engine) wantShortLocked(ps *peer, short []wire.ShortID, now time.Time) []wire.ShortID {
	var ask []wire.ShortID
	owner := addrKey(ps.id)
	for _, sid := range short {
		if sw := e.shorts[sid.Prefix()]; sw != nil {
			src := shortSource{ps, sid}
			if !slices.Contains(sw.sources, src) && len(sw.sources) < maxSources {
				sw.sources = append(sw.sources, src)
			}
			continue
		}
		if !ps.ready() || ps.wanted >= e.cfg.MaxWanted ||
			len(e.wants)+len(e.shorts) >= e.cfg.MaxWants || e.wantsBy[owner] >= e.cfg.MaxWantsPerAddr {
			continue
		}
		e.shorts[sid.Prefix()] = &shortWant{sources: []shortSource{{ps, sid}}, from: ps,
			deadline: now.Add(e.cfg.WantTimeout), owner: owner}
		e.wantsBy[owner]++
		ps.wanted++
		ask = append(ask, sid)
	}
	return ask
}

// deleteShortLocked forgets the short want of prefix p. It must be called
// with e.mu held.
func (e *Engine) deleteShortLocked(p uint32, sw *shortWant) {
	if sw.from != nil {
		sw.from.wanted--
	}
	if e.wantsBy[sw.owner]--; e.wantsBy[sw.owner] <= 0 {
		delete(e.wantsBy, sw.owner)
	}
	delete(e.shorts, p)
}

// gotShortLocked settles the short want of id's prefix once id arrived
// (from any peer): the sources whose short ID is id's on their connection
// hold it; the others announced another transaction of the prefix, which
// is wanted from the next of them at the next tick. It must be called
// with e.mu held.
func (e *Engine) gotShortLocked(id dag.TxID, now time.Time) {
	p := prefixOf(id)
	sw := e.shorts[p]
	if sw == nil {
		return
	}
	rest := sw.sources[:0]
	for _, src := range sw.sources {
		if src.ps.skey.Short(id) != src.sid {
			rest = append(rest, src)
			continue
		}
		src.ps.known.Add(id)
		if src.ps == sw.from {
			if src.ps.undelivered > 0 {
				src.ps.undelivered--
			}
			sw.from.wanted--
			sw.from = nil
		}
	}
	sw.sources = rest
	switch {
	case len(rest) == 0:
		e.deleteShortLocked(p, sw)
	case sw.from == nil:
		sw.deadline = now
	}
}

// notFoundShortLocked moves on at once the short wants ps says it cannot
// serve. It must be called with e.mu held.
func (e *Engine) notFoundShortLocked(ps *peer, short []wire.ShortID, now time.Time) {
	for _, sid := range short {
		if sw := e.shorts[sid.Prefix()]; sw != nil && sw.from == ps && sw.sources[0].sid == sid {
			sw.deadline = now
		}
	}
}

// expireShortsLocked moves each short want past its deadline to its next
// source; one that has none left is dropped (digest comparison finds what
// it named, if it exists). A source that let its own announcement expire
// unanswered counts as not delivering. It also prunes the index of IDs in
// flight. It returns what to ask once e.mu is released.
func (e *Engine) expireShortsLocked(now time.Time) map[*peer][]wire.ShortID {
	e.pruneInflightLocked()
	asks := make(map[*peer][]wire.ShortID)
	for p, sw := range e.shorts {
		if now.Before(sw.deadline) {
			continue
		}
		if ps := sw.from; ps != nil {
			ps.wanted--
			sw.from = nil
			sw.sources = sw.sources[1:]
			e.undeliveredLocked(ps) // a ban drops ps's sources, sw's perhaps
			if e.shorts[p] != sw {
				continue
			}
		}
		for len(sw.sources) > 0 {
			src := sw.sources[0]
			if src.ps.ready() && src.ps.wanted < e.cfg.MaxWanted {
				sw.from, sw.deadline = src.ps, now.Add(e.cfg.WantTimeout)
				src.ps.wanted++
				asks[src.ps] = append(asks[src.ps], src.sid)
				break
			}
			sw.sources = sw.sources[1:]
		}
		if sw.from == nil {
			e.deleteShortLocked(p, sw)
		}
	}
	return asks
}

// dropShortsLocked forgets ps as a source once it is gone; a short want
// asked of it moves to its next source at the next tick. It must be
// called with e.mu held.
func (e *Engine) dropShortsLocked(ps *peer, now time.Time) {
	for p, sw := range e.shorts {
		if sw.from == ps {
			ps.wanted--
			sw.from, sw.deadline = nil, now
		}
		sw.sources = slices.DeleteFunc(sw.sources, func(s shortSource) bool { return s.ps == ps })
		if len(sw.sources) == 0 {
			e.deleteShortLocked(p, sw)
		}
	}
}

// sendShortWants sends want messages of short IDs.
func (e *Engine) sendShortWants(asks map[*peer][]wire.ShortID) {
	for ps, short := range asks {
		for c := range slices.Chunk(short, wire.MaxIDs) {
			e.send(ps, &wire.Want{Short: c})
		}
	}
}

// wantedShort maps the short IDs ps wants to the transactions we store
// of those short IDs on the connection (storedShort); lost are those we
// hold none of. A short ID of no message is nothing to look up.
func (e *Engine) wantedShort(ps *peer, short []wire.ShortID) ([]dag.TxID, []wire.ShortID, error) {
	if len(short) == 0 {
		return nil, nil, nil
	}
	key, err := e.shortKey(ps)
	if err != nil {
		return nil, nil, err
	}
	return e.storedShort(key, short)
}

// storedShort returns the stored IDs whose short ID on the connection
// keyed by key is one of short (those that start with its prefix, one
// range lookup each, and hash to it), and the short IDs none is of.
func (e *Engine) storedShort(key wire.ShortKey, short []wire.ShortID) (ids []dag.TxID, none []wire.ShortID, err error) {
	err = e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, sid := range short {
			n := len(ids)
			from, to := sid.Range()
			err := r.Range(from, to, func(id dag.TxID) bool {
				if key.Short(id) == sid {
					ids = append(ids, id)
				}
				return true
			})
			if err != nil {
				return err
			}
			if len(ids) == n {
				none = append(none, sid)
			}
		}
		return nil
	})
	return ids, none, err
}

// handleShortInv maps the short IDs of an inv (see resolveShort), wants by
// short ID what it cannot map, and returns the inv of full IDs for
// handleInv: the inv's own with the mapped ones (none if the mapping
// failed).
func (e *Engine) handleShortInv(ps *peer, m *wire.Inv) *wire.Inv {
	ids, unknown, err := e.resolveShort(ps, m.Short)
	if err != nil {
		e.shortFailed(err)
		return &wire.Inv{}
	}
	if len(unknown) > 0 {
		now := e.cfg.Now()
		e.mu.Lock()
		ask := e.wantShortLocked(ps, unknown, now)
		e.mu.Unlock()
		if len(ask) > 0 {
			e.send(ps, &wire.Want{Short: ask})
		}
	}
	return &wire.Inv{IDs: append(ids, m.IDs...)}
}

package gossip

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// Short IDs (protocol version 5). A node announces a transaction to a
// peer of version 5 by its wire.ShortID on that connection: 11 bytes for
// an inv of one, not 38. The sender remembers what it announced by short
// ID to each peer (the latest KnownPerPeer), so that it can serve a want
// by short ID; a transaction whose short ID equals that of another it
// announced to the peer goes by full ID instead, so a sender's short IDs
// never name two transactions.
//
// The receiver maps a short ID to a full one through the IDs it stores
// (one range lookup on the ID's 4-byte prefix) and those on their way in
// (being added or wanted by full ID), comparing each candidate's short ID
// on the connection. A mapped ID is then an inv of that ID. One it cannot
// map is wanted by short ID, once: the short wants are indexed by prefix,
// and a short ID of that prefix from another peer (its keyed bytes differ,
// the connections' keys do) is taken as the same transaction, another
// source, until the transaction arrives. Its full ID then tells which
// sources announced it; a source whose short ID does not match announced
// another transaction of the same prefix, which is wanted from it next:
// such a collision costs a round trip. A receiver that maps a short ID to
// a transaction it knows while the sender meant another (48 bits equal,
// about 2^-48 per candidate of the prefix) misses that one announcement;
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

// shortSent maps the short IDs announced to one peer to their IDs: the
// latest max, oldest forgotten first.
type shortSent struct {
	ids   map[wire.ShortID]dag.TxID
	order []wire.ShortID
	next  int
	max   int
}

func (s *shortSent) put(sid wire.ShortID, id dag.TxID) {
	if s.ids == nil {
		s.ids = make(map[wire.ShortID]dag.TxID)
	}
	if _, ok := s.ids[sid]; ok {
		return
	}
	if len(s.order) < s.max {
		s.order = append(s.order, sid)
	} else {
		delete(s.ids, s.order[s.next])
		s.order[s.next] = sid
		s.next = (s.next + 1) % s.max
	}
	s.ids[sid] = id
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

// shortLocked returns the short ID to announce id by to ps, or false if
// id goes by full ID: ps is older than version 5, or another transaction
// we announced to it has that short ID. It must be called with e.mu held.
func (e *Engine) shortLocked(ps *peer, id dag.TxID) (wire.ShortID, bool) {
	if !ps.short {
		return wire.ShortID{}, false
	}
	sid := ps.skey.Short(id)
	if old, ok := ps.sent.ids[sid]; ok && old != id {
		return wire.ShortID{}, false
	}
	ps.sent.put(sid, id)
	return sid, true
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
// ID. Entries stay until pruneInflightLocked finds them neither, so that
// the many places that end an adding or a want need not tell the index;
// a lookup checks that its candidate is still one or the other. It must
// be called with e.mu held.
func (e *Engine) inflightLocked(id dag.TxID) {
	p := prefixOf(id)
	if !slices.Contains(e.inflight[p], id) {
		e.inflight[p] = append(e.inflight[p], id)
		e.inflightN++
	}
}

// inflightNowLocked reports whether id is being added or wanted by full
// ID. It must be called with e.mu held.
func (e *Engine) inflightNowLocked(id dag.TxID) bool { return e.adding[id] || e.wants[id] != nil }

// pruneInflightLocked drops the index's ended entries once they are more
// than half of it. It must be called with e.mu held.
func (e *Engine) pruneInflightLocked() {
	if e.inflightN <= 2*(len(e.adding)+len(e.wants))+64 {
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
	e.mu.Lock()
	key := ps.skey
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
	var unknown []wire.ShortID
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, sid := range rest {
			from, to := sid.Range()
			found := false
			err := r.Range(from, to, func(id dag.TxID) bool {
				if key.Short(id) == sid {
					ids, found = append(ids, id), true
				}
				return !found
			})
			if err != nil {
				return err
			}
			if !found {
				unknown = append(unknown, sid)
			}
		}
		return nil
	})
	return ids, unknown, err
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
		for len(short) > 0 {
			n := min(len(short), wire.MaxIDs)
			e.send(ps, &wire.Want{Short: short[:n]})
			short = short[n:]
		}
	}
}

// wantedShortLocked maps the short IDs ps wants to the transactions we
// announced to it by them; lost are those we cannot map (announced too
// long ago, or never). It must be called with e.mu held.
func (e *Engine) wantedShortLocked(ps *peer, short []wire.ShortID) (ids []dag.TxID, lost []wire.ShortID) {
	for _, sid := range short {
		if id, ok := ps.sent.ids[sid]; ok {
			ids = append(ids, id)
		} else {
			lost = append(lost, sid)
		}
	}
	return ids, lost
}

// handleShortInv maps the short IDs of an inv (see resolveShort), wants by
// short ID what it cannot map, and returns the inv's full IDs with the
// mapped ones.
func (e *Engine) handleShortInv(ps *peer, m *wire.Inv) []dag.TxID {
	ids, unknown, err := e.resolveShort(ps, m.Short)
	if err != nil {
		e.log.Error("map short IDs", logErr, err)
		return m.IDs
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
	return append(ids, m.IDs...)
}

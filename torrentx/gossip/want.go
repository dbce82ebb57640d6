package gossip

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// maxSources bounds the announcers remembered per wanted ID.
const maxSources = 8

// want is a transaction we asked for and have not received.
type want struct {
	from     *peer     // asked of; nil while unassigned or fetching
	sources  []string  // peers that announced it, in order
	tried    []string  // sources asked already
	deadline time.Time // when to ask elsewhere
	fetching bool      // a Fetcher call runs for it
	// owner is the source address (addrKey) of the peer whose inv or
	// sync created it, charged for it until it ends; "" for a missing
	// parent of a pending transaction, which the orphan pool bounds.
	owner string
	// inv: an inv created it, so its sources announced it themselves.
	inv bool
}

// wantKind says why wantLocked wants IDs of a peer.
type wantKind int

const (
	wantInv    wantKind = iota // the peer announced them by inv
	wantSync                   // reconciliation found the peer holds them
	wantParent                 // a pending tx the peer sent needs them
)

// addrKey is the source address a peer's wants are counted under: its IP,
// or its whole ID on loopback (where every test node shares one IP) and
// when the ID is not "ip:port". Bans use the same rule.
func addrKey(id string) string {
	if ap, err := netip.ParseAddrPort(id); err == nil && !ap.Addr().IsLoopback() {
		return ap.Addr().String()
	}
	return id
}

// fetchJob is a Fetcher call to start.
type fetchJob struct {
	id    dag.TxID
	peers []string
}

func (w *want) addSource(id string) {
	if len(w.sources) < maxSources && !slices.Contains(w.sources, id) {
		w.sources = append(w.sources, id)
	}
}

// wantLocked records that ps holds ids (which we lack) and returns the ones
// to ask it for now. An ID already wanted only gains ps as a source. New
// IDs past MaxWanted in flight from ps are left for a later inv or sync;
// so are, but for parents, those past MaxWantsPerAddr wanted on the word
// of ps's address or MaxWants wanted in all: what peers announce costs us
// bounded memory however much they lie. It must be called with e.mu held.
func (e *Engine) wantLocked(ps *peer, ids []dag.TxID, kind wantKind, now time.Time) []dag.TxID {
	var ask []dag.TxID
	owner := addrKey(ps.id)
	if kind == wantParent {
		owner = ""
	}
	for _, id := range ids {
		if w := e.wants[id]; w != nil {
			w.addSource(ps.id)
			continue
		}
		if !ps.ready() || ps.wanted >= e.cfg.MaxWanted ||
			owner != "" && (len(e.wants) >= e.cfg.MaxWants || e.wantsBy[owner] >= e.cfg.MaxWantsPerAddr) {
			continue
		}
		e.wants[id] = &want{from: ps, sources: []string{ps.id}, deadline: now.Add(e.cfg.WantTimeout), owner: owner, inv: kind == wantInv}
		e.inflightLocked(id)
		if owner != "" {
			e.wantsBy[owner]++
		}
		ps.wanted++
		ask = append(ask, id)
	}
	return ask
}

// deleteWantLocked forgets the want w of id. It must be called with e.mu
// held.
func (e *Engine) deleteWantLocked(id dag.TxID, w *want) {
	if w.from != nil {
		w.from.wanted--
	}
	if w.owner != "" {
		if e.wantsBy[w.owner]--; e.wantsBy[w.owner] <= 0 {
			delete(e.wantsBy, w.owner)
		}
	}
	delete(e.wants, id)
}

// gotLocked marks id as received from ps. A running fetch finishes on its
// own. It must be called with e.mu held.
func (e *Engine) gotLocked(ps *peer, id dag.TxID) {
	w := e.wants[id]
	if w == nil || w.fetching {
		return
	}
	if w.inv && ps.undelivered > 0 && slices.Contains(w.sources, ps.id) {
		ps.undelivered--
	}
	e.deleteWantLocked(id, w)
}

// undeliveredLocked counts one of its own announcements (by inv) that ps
// did not deliver when asked (a notfound, or no answer within
// WantTimeout). An honest peer delivers what it announces, but for a rare
// notfound past its serve budget or a late answer; each announced
// transaction it delivers takes one off the count. At MaxUndelivered
// the peer is banned: announcing what it cannot serve ties up our wants
// and fetches. It must be called with e.mu held.
func (e *Engine) undeliveredLocked(ps *peer) {
	if ps.undelivered++; ps.undelivered >= e.cfg.MaxUndelivered {
		e.punishLocked(ps, banScore, fmt.Sprintf("did not deliver %d transactions it announced", ps.undelivered))
	}
}

// dropWantsLocked forgets ps as a source, once it is gone: what was asked
// of it is asked elsewhere at the next tick, and a want that no other peer
// announced is dropped, for the departed peer's announcements are all we
// had for it. The orphan pool's missing parents stay (they go to the
// Fetcher); so do running fetches. It must be called with e.mu held.
func (e *Engine) dropWantsLocked(ps *peer, now time.Time) {
	for id, w := range e.wants {
		if w.fetching {
			continue
		}
		if w.from == ps {
			w.from, w.deadline = nil, now
			ps.wanted--
		}
		w.sources = slices.DeleteFunc(w.sources, func(s string) bool { return s == ps.id })
		if len(w.sources) == 0 && w.owner != "" {
			e.deleteWantLocked(id, w)
		}
	}
}

// expireWantsLocked moves each want past its deadline to its next source,
// or to the Fetcher once every source was asked (or gives up without one).
// A source that let a want it announced expire is counted as not
// delivering (undeliveredLocked). Fetcher slots (MaxFetches) go to
// missing parents first; any other want that finds no free slot is dropped
// rather than queued, so that lies cannot build a backlog of fetches in
// front of the parents we need. It returns what to
// ask and fetch once e.mu is released.
func (e *Engine) expireWantsLocked(now time.Time) (map[*peer][]dag.TxID, []fetchJob) {
	asks := make(map[*peer][]dag.TxID)
	var fetches []fetchJob
	var exhausted []dag.TxID
	for id, w := range e.wants {
		if w.fetching || now.Before(w.deadline) {
			continue
		}
		if ps := w.from; ps != nil {
			w.tried = append(w.tried, ps.id)
			ps.wanted--
			w.from = nil
			if w.inv && slices.Contains(w.sources, ps.id) {
				e.undeliveredLocked(ps) // a ban drops ps's wants, w perhaps
				if e.wants[id] != w {
					continue
				}
			}
		}
		for _, src := range w.sources {
			ps := e.peers[src]
			if ps == nil || !ps.ready() || ps.wanted >= e.cfg.MaxWanted || slices.Contains(w.tried, src) {
				continue
			}
			w.from, w.deadline = ps, now.Add(e.cfg.WantTimeout)
			ps.wanted++
			asks[ps] = append(asks[ps], id)
			break
		}
		if w.from == nil {
			exhausted = append(exhausted, id)
		}
	}
	// A ban in the loop may have dropped some; the rest go parents first,
	// then in ID order.
	exhausted = slices.DeleteFunc(exhausted, func(id dag.TxID) bool { return e.wants[id] == nil })
	slices.SortFunc(exhausted, func(a, b dag.TxID) int {
		wa, wb := e.wants[a], e.wants[b]
		if (wa.owner == "") != (wb.owner == "") {
			if wa.owner == "" {
				return -1
			}
			return 1
		}
		return compareIDs(a, b)
	})
	for _, id := range exhausted {
		w := e.wants[id]
		switch {
		case e.cfg.Fetcher != nil && e.fetches < e.cfg.MaxFetches:
			w.fetching = true
			e.fetches++
			fetches = append(fetches, fetchJob{id: id, peers: slices.Clone(w.sources)})
		case e.cfg.Fetcher != nil && w.owner == "":
			w.deadline = now.Add(e.cfg.WantTimeout)
		default:
			e.deleteWantLocked(id, w)
		}
	}
	return asks, fetches
}

// sendWants sends want messages.
func (e *Engine) sendWants(asks map[*peer][]dag.TxID) {
	for ps, ids := range asks {
		for len(ids) > 0 {
			n := min(len(ids), wire.MaxIDs)
			e.send(ps, &wire.Want{IDs: ids[:n]})
			ids = ids[n:]
		}
	}
}

// wantMissing wants the orphan pool's missing parents from the ready
// peers; the next tick asks them in turn, then the Fetcher.
func (e *Engine) wantMissing(ids []dag.TxID) {
	if len(ids) == 0 {
		return
	}
	now := e.cfg.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var sources []string
	for _, ps := range e.peers {
		if ps.ready() && len(sources) < maxSources {
			sources = append(sources, ps.id)
		}
	}
	slices.Sort(sources)
	for _, id := range ids {
		if e.wants[id] == nil && (len(sources) > 0 || e.cfg.Fetcher != nil) {
			e.wants[id] = &want{sources: slices.Clone(sources), deadline: now}
		}
	}
}

func (e *Engine) startFetches(jobs []fetchJob) {
	for _, j := range jobs {
		e.wg.Add(1)
		go e.fetch(j)
	}
}

// fetch runs one Fetcher call and adds what it got.
func (e *Engine) fetch(j fetchJob) {
	defer e.wg.Done()
	defer func() {
		e.mu.Lock()
		e.fetches--
		if w := e.wants[j.id]; w != nil {
			e.deleteWantLocked(j.id, w)
		}
		e.mu.Unlock()
	}()
	if st, err := e.cfg.Ledger.State(j.id); err != nil || st != dag.StateUnknown {
		return
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.FetchTimeout)
	defer cancel()
	raw, err := e.cfg.Fetcher.Fetch(ctx, j.id, j.peers)
	if err != nil {
		e.log.Debug("fetch", logTx, j.id, logErr, err)
		return
	}
	res, err := e.cfg.Ledger.Add(ctx, raw, "fetch")
	switch {
	case err != nil:
		e.log.Debug("add fetched tx", logTx, j.id, logErr, err)
	case res.ID != j.id:
		e.log.Debug("fetched bytes are another tx", logTx, j.id, "got", res.ID)
	case res.State == dag.StatePending:
		e.wantMissing(res.Missing)
	}
}

package gossip

import (
	"context"
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
// to ask it for now. An ID already wanted only gains ps as a source; past
// MaxWanted in flight from ps, new IDs are left for a later inv or sync.
// It must be called with e.mu held.
func (e *Engine) wantLocked(ps *peer, ids []dag.TxID, now time.Time) []dag.TxID {
	var ask []dag.TxID
	for _, id := range ids {
		if w := e.wants[id]; w != nil {
			w.addSource(ps.id)
			continue
		}
		if !ps.ready() || ps.wanted >= e.cfg.MaxWanted {
			continue
		}
		e.wants[id] = &want{from: ps, sources: []string{ps.id}, deadline: now.Add(e.cfg.WantTimeout)}
		ps.wanted++
		ask = append(ask, id)
	}
	return ask
}

// gotLocked marks id as received. A running fetch finishes on its own.
// It must be called with e.mu held.
func (e *Engine) gotLocked(id dag.TxID) {
	w := e.wants[id]
	if w == nil || w.fetching {
		return
	}
	if w.from != nil {
		w.from.wanted--
	}
	delete(e.wants, id)
}

// expireWantsLocked moves each want past its deadline to its next source,
// or to the Fetcher once every source was asked (or gives up without one).
// It returns what to ask and fetch once e.mu is released.
func (e *Engine) expireWantsLocked(now time.Time) (map[*peer][]dag.TxID, []fetchJob) {
	asks := make(map[*peer][]dag.TxID)
	var fetches []fetchJob
	for id, w := range e.wants {
		if w.fetching || now.Before(w.deadline) {
			continue
		}
		if w.from != nil {
			w.tried = append(w.tried, w.from.id)
			w.from.wanted--
			w.from = nil
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
		switch {
		case w.from != nil:
		case e.cfg.Fetcher == nil:
			delete(e.wants, id)
		case e.fetches < e.cfg.MaxFetches:
			w.fetching = true
			e.fetches++
			fetches = append(fetches, fetchJob{id: id, peers: slices.Clone(w.sources)})
		default:
			w.deadline = now.Add(e.cfg.WantTimeout)
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
		delete(e.wants, j.id)
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

package dag

import (
	"cmp"
	"slices"
	"time"
)

// Default orphan pool limits, used for zero fields of OrphanLimits.
const (
	DefaultOrphanCount = 10_000
	DefaultOrphanBytes = 32 << 20
	DefaultOrphanTTL   = 15 * time.Minute
)

// rejectCacheSize bounds how many rejected, unstored transaction IDs a Graph
// remembers so that it neither fetches nor verifies them again.
const rejectCacheSize = 10_000

// OrphanLimits bound the orphan pool: transactions whose parents are not
// all stored yet. A transaction that would break a limit is rejected with
// ErrOrphanLimit (and may be offered again later); one that waits longer
// than TTL is dropped.
type OrphanLimits struct {
	// MaxCount is the most orphans held (default DefaultOrphanCount).
	MaxCount int
	// MaxBytes bounds the sum of their sizes (default DefaultOrphanBytes).
	MaxBytes int
	// MaxPerSource is the most orphans one source may have in the pool
	// (default MaxCount/4), so one peer cannot fill it.
	MaxPerSource int
	// TTL is how long an orphan waits for its parents (default
	// DefaultOrphanTTL), counted from when it was first seen.
	TTL time.Duration
}

func (l OrphanLimits) withDefaults() OrphanLimits {
	if l.MaxCount <= 0 {
		l.MaxCount = DefaultOrphanCount
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultOrphanBytes
	}
	if l.MaxPerSource <= 0 {
		l.MaxPerSource = max(1, l.MaxCount/4)
	}
	if l.TTL <= 0 {
		l.TTL = DefaultOrphanTTL
	}
	return l
}

// entry is a transaction a commit considers, and what the orphan pool holds
// while it waits for its parents.
type entry struct {
	p         *Parsed
	src       string
	firstSeen int64    // Unix ns
	req       *request // the caller waiting on the current commit, if any
	// waits lists the parents that are not stored yet, while in the pool.
	waits []TxID
	// pooled is set once the entry has been in the pool: its fate is then
	// reported as a Change, since its caller was told "pending".
	pooled bool
}

// orphanPool holds orphans keyed by the parents they wait for, in the
// spirit of btcd's mempool orphan pool. The Graph guards it with g.mu.
type orphanPool struct {
	lim       OrphanLimits
	byID      map[TxID]*entry
	waiting   map[TxID][]*entry // parent -> orphans waiting for it, oldest first
	perSource map[string]int
	bytes     int
}

func newOrphanPool(lim OrphanLimits) *orphanPool {
	return &orphanPool{
		lim:       lim,
		byID:      make(map[TxID]*entry),
		waiting:   make(map[TxID][]*entry),
		perSource: make(map[string]int),
	}
}

func (pl *orphanPool) get(id TxID) *entry { return pl.byID[id] }

// expired reports whether e has waited longer than the TTL at now (Unix ns).
func (pl *orphanPool) expired(e *entry, now int64) bool {
	return now-e.firstSeen >= int64(pl.lim.TTL)
}

// admit reports whether a new orphan e fits the limits; if not, it also
// returns the RuleError that rejects it.
func (pl *orphanPool) admit(e *entry) (RuleError, bool) {
	switch {
	case pl.perSource[e.src] >= pl.lim.MaxPerSource:
		return ruleError(ErrOrphanLimit, "source %q has %d orphans, the limit", e.src, pl.perSource[e.src]), false
	case len(pl.byID) >= pl.lim.MaxCount:
		return ruleError(ErrOrphanLimit, "orphan pool holds %d transactions, the limit", len(pl.byID)), false
	case pl.bytes+len(e.p.Raw) > pl.lim.MaxBytes:
		return ruleError(ErrOrphanLimit, "orphan pool holds %d bytes, the limit is %d", pl.bytes, pl.lim.MaxBytes), false
	}
	return RuleError{}, true
}

// add puts e, with e.waits set, in the pool. It checks no limit.
func (pl *orphanPool) add(e *entry) {
	e.pooled = true
	pl.byID[e.p.ID] = e
	for _, parent := range e.waits {
		pl.waiting[parent] = append(pl.waiting[parent], e)
	}
	pl.perSource[e.src]++
	pl.bytes += len(e.p.Raw)
}

// remove takes e out of the pool.
func (pl *orphanPool) remove(e *entry) {
	delete(pl.byID, e.p.ID)
	for _, parent := range e.waits {
		w := slices.DeleteFunc(pl.waiting[parent], func(x *entry) bool { return x == e })
		if len(w) == 0 {
			delete(pl.waiting, parent)
		} else {
			pl.waiting[parent] = w
		}
	}
	if pl.perSource[e.src]--; pl.perSource[e.src] == 0 {
		delete(pl.perSource, e.src)
	}
	pl.bytes -= len(e.p.Raw)
}

// waitingFor returns the orphans waiting for parent, oldest first.
func (pl *orphanPool) waitingFor(parent TxID) []*entry {
	return slices.Clone(pl.waiting[parent])
}

// expiredAt returns the orphans that have expired at now, oldest first.
func (pl *orphanPool) expiredAt(now int64) []*entry {
	var out []*entry
	for _, e := range pl.byID {
		if pl.expired(e, now) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return cmp.Compare(a.firstSeen, b.firstSeen) })
	return out
}

// missingOf returns the parents e waits for that are not in the pool
// themselves: the ones to fetch.
func (pl *orphanPool) missingOf(e *entry) []TxID {
	var out []TxID
	for _, parent := range e.waits {
		if pl.byID[parent] == nil {
			out = append(out, parent)
		}
	}
	return out
}

// missing returns, in ID order, every parent that an unexpired orphan
// waits for and that is not in the pool itself.
func (pl *orphanPool) missing(now int64) []TxID {
	var out []TxID
	for parent, es := range pl.waiting {
		if pl.byID[parent] != nil {
			continue
		}
		if slices.ContainsFunc(es, func(e *entry) bool { return !pl.expired(e, now) }) {
			out = append(out, parent)
		}
	}
	slices.SortFunc(out, compareIDs)
	return out
}

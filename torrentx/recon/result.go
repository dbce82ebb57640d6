package recon

import (
	"bytes"
	"slices"
	"sort"

	"github.com/torrenttx/ttx/dag"
)

// Result is what a Session learned.
type Result struct {
	// Need lists the IDs the peer holds that we lack, ascending.
	Need []dag.TxID
	// Have lists, ascending, IDs we hold that the peer lacks; HaveRanges
	// covers the rest of them (see PeerLacks).
	Have []dag.TxID
	// HaveRanges are ranges in which the peer lacks every ID we hold
	// except those in the range's Except list, ordered by Lo.
	HaveRanges []HaveRange
	// Complete reports whether the session compared the whole ID space;
	// if false it stopped at a limit and another session should follow.
	Complete bool

	// reach[i] is the greatest Hi of HaveRanges[:i+1] (zero: no end), so
	// PeerLacks stops looking back once no earlier range reaches id.
	reach []dag.TxID
}

// HaveRange says the peer lacks every ID in [Lo, Hi) (Hi zero: no end)
// that is not in Except (ascending): the peer's IDs in the range.
type HaveRange struct {
	Lo, Hi dag.TxID
	Except []dag.TxID
}

// normalize sorts and deduplicates the lists (a range may be answered
// twice when a message was cut short).
func (r *Result) normalize() {
	cmp := func(a, b dag.TxID) int { return bytes.Compare(a[:], b[:]) }
	r.Need = slices.Compact(slices.SortedFunc(slices.Values(r.Need), cmp))
	r.Have = slices.Compact(slices.SortedFunc(slices.Values(r.Have), cmp))
	r.HaveRanges = slices.SortedStableFunc(slices.Values(r.HaveRanges), func(a, b HaveRange) int { return cmp(a.Lo, b.Lo) })
	r.reach = make([]dag.TxID, len(r.HaveRanges))
	for i, hr := range r.HaveRanges {
		r.reach[i] = hr.Hi
		if i > 0 && (r.reach[i-1].IsZero() || !hr.Hi.IsZero() && less(hr.Hi, r.reach[i-1])) {
			r.reach[i] = r.reach[i-1]
		}
	}
}

// PeerLacks reports whether the peer lacks id, one of our IDs: it is in
// Have, or in a HaveRange and not in its Except list.
func (r *Result) PeerLacks(id dag.TxID) bool {
	if _, ok := slices.BinarySearchFunc(r.Have, id, func(a, b dag.TxID) int { return bytes.Compare(a[:], b[:]) }); ok {
		return true
	}
	// The ranges are disjoint unless one was answered twice; check the
	// ranges starting at or below id, nearest first, while any reaches id.
	i := sort.Search(len(r.HaveRanges), func(i int) bool { return less(id, r.HaveRanges[i].Lo) })
	for i--; i >= 0 && (i >= len(r.reach) || r.reach[i].IsZero() || less(id, r.reach[i])); i-- {
		hr := &r.HaveRanges[i]
		if !inRange(id, hr.Lo, hr.Hi) {
			continue
		}
		_, listed := slices.BinarySearchFunc(hr.Except, id, func(a, b dag.TxID) int { return bytes.Compare(a[:], b[:]) })
		return !listed
	}
	return false
}

// Haves calls fn, in ascending order, for every ID of set that the peer
// lacks according to r, until fn returns false.
func (r *Result) Haves(set Set, fn func(dag.TxID) bool) error {
	return set.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool {
		if r.PeerLacks(id) {
			return fn(id)
		}
		return true
	})
}

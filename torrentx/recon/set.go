package recon

import (
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// Set is a sorted set of IDs, read one range at a time. dag.ReadTx
// satisfies it, so a session reads a Store snapshot directly.
type Set interface {
	// Range calls fn for every ID in [from, to) in ascending byte order,
	// a zero to meaning no upper bound, until fn returns false.
	Range(from, to dag.TxID, fn func(dag.TxID) bool) error
}

// summarize returns the accumulator of the IDs in [lo, hi).
func summarize(set Set, lo, hi dag.TxID) (dag.Accumulator, error) {
	var acc dag.Accumulator
	err := set.Range(lo, hi, func(id dag.TxID) bool {
		acc.Add(id)
		return true
	})
	if err != nil {
		return acc, fmt.Errorf("recon: read range: %w", err)
	}
	return acc, nil
}

// collect returns up to limit IDs of [lo, hi); more reports whether there
// are others, next being the first of them.
func collect(set Set, lo, hi dag.TxID, limit int) (ids []dag.TxID, more bool, next dag.TxID, err error) {
	err = set.Range(lo, hi, func(id dag.TxID) bool {
		if len(ids) == limit {
			more, next = true, id
			return false
		}
		ids = append(ids, id)
		return true
	})
	if err != nil {
		return nil, false, next, fmt.Errorf("recon: read range: %w", err)
	}
	return ids, more, next, nil
}

// split cuts [lo, hi), which holds n IDs, into at most buckets ranges of
// nearly equal counts and returns their fingerprints. Each inner bound is
// the shortest one between the last ID of a bucket and the first of the
// next.
func split(set Set, lo, hi dag.TxID, n uint64, buckets int) ([]Range, error) {
	nb := uint64(buckets)
	if n < nb {
		nb = max(n, 1)
	}
	per, extra := n/nb, n%nb
	out := make([]Range, 0, nb)
	var acc dag.Accumulator
	var prev dag.TxID
	size := func(i uint64) uint64 {
		if i < extra {
			return per + 1
		}
		return per
	}
	err := set.Range(lo, hi, func(id dag.TxID) bool {
		if i := uint64(len(out)); i < nb-1 && acc.Count == size(i) {
			out = append(out, Range{Upper: minimalBound(prev, id), Mode: ModeFingerprint, Count: acc.Count, Fingerprint: acc.Fingerprint()})
			acc = dag.Accumulator{}
		}
		acc.Add(id)
		prev = id
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("recon: read range: %w", err)
	}
	return append(out, Range{Upper: hi, Mode: ModeFingerprint, Count: acc.Count, Fingerprint: acc.Fingerprint()}), nil
}

package recon

import (
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// Respond answers a query from a Session on another node. The responder
// keeps no state between messages: each query carries everything needed.
// For each range of the query it replies:
//
//   - skip: nothing.
//   - fingerprint: nothing if its own fingerprint and count match; its ID
//     list if it holds at most cfg.IDListMax IDs there or the querier holds
//     none; else cfg.Buckets fingerprints of sub-ranges.
//   - idlist: an iddiff with its IDs missing from the list and a bitmap of
//     the listed IDs it lacks (nothing if the sets are equal).
//
// A reply over cfg.MaxMessageSize stops early (an ID list may stop inside
// its range) and ends with the fingerprint of everything after the last
// range answered, so the querier carries on from there.
func Respond(set Set, query *Message, cfg Config) (*Message, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w := newWriter(&c)
	var lo dag.TxID
	for i := range query.Ranges {
		r := &query.Ranges[i]
		hi := r.Upper
		ok := true
		switch r.Mode {
		case ModeSkip:
		case ModeFingerprint:
			acc, err := summarize(set, lo, hi)
			if err != nil {
				return nil, err
			}
			switch {
			case acc.Count == r.Count && acc.Fingerprint() == r.Fingerprint:
			case acc.Count <= uint64(c.IDListMax) || r.Count == 0:
				ok, err = putDiff(w, set, lo, hi, nil, ModeIDList)
			default:
				var rs []Range
				if rs, err = split(set, lo, hi, acc.Count, c.Buckets); err == nil {
					ok = w.put(lo, rs...)
				}
			}
			if err != nil {
				return nil, err
			}
		case ModeIDList:
			var err error
			if ok, err = putDiff(w, set, lo, hi, r.IDs, ModeIDDiff); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: a query carries a %s range", ErrProtocol, r.Mode)
		}
		if !ok {
			if err := w.finish(set, lo); err != nil {
				return nil, err
			}
		}
		if w.stopped || hi.IsZero() {
			break
		}
		lo = hi
	}
	return &w.msg, nil
}

// putDiff writes the IDs of [lo, hi) that theirs lacks and, in ModeIDDiff,
// a bitmap of the IDs of theirs that the set lacks. In ModeIDList theirs is
// empty, so the range lists every ID. When the IDs do not fit, the range
// ends early at a bound after the last ID written, and the message is
// finished from there. ok is false, and nothing written, if not even one ID
// fits. Nothing is written either if the two sides are equal.
func putDiff(w *writer, set Set, lo, hi dag.TxID, theirs []dag.TxID, mode Mode) (ok bool, err error) {
	bitmap := make([]byte, (len(theirs)+7)/8)
	limit := (w.room() - listOverhead(len(bitmap))) / dag.TxIDSize
	if limit < 1 || w.full(1) {
		return false, nil
	}
	var extra []dag.TxID
	var prev, end dag.TxID // prev: the greatest ID seen on either side
	stopped := false
	j := 0 // theirs[:j] are below the current ID
	lack := func(to dag.TxID, all bool) {
		for ; j < len(theirs) && (all || less(theirs[j], to)); j++ {
			bitmap[j/8] |= 1 << (j % 8)
			prev = theirs[j]
		}
	}
	err = set.Range(lo, hi, func(id dag.TxID) bool {
		lack(id, false)
		if j < len(theirs) && theirs[j] == id {
			j++
			prev = id
			return true
		}
		if len(extra) == limit {
			end, stopped = minimalBound(prev, id), true
			return false
		}
		extra = append(extra, id)
		prev = id
		return true
	})
	if err != nil {
		return false, fmt.Errorf("recon: read range: %w", err)
	}
	if stopped {
		bitmap = bitmap[:(j+7)/8]
	} else {
		lack(dag.TxID{}, true)
		end = hi
		if len(extra) == 0 && mode == ModeIDDiff && isZero(bitmap) {
			return true, nil
		}
	}
	r := Range{Upper: end, Mode: mode, IDs: extra}
	if mode == ModeIDDiff {
		r.Bitmap = bitmap
	}
	w.force(lo, r)
	if stopped {
		return true, w.finish(set, end)
	}
	return true, nil
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

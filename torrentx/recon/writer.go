package recon

import "github.com/torrenttx/ttx/dag"

// Worst-case encoded sizes, for budgeting.
const (
	// maxBoundSize is a 32-byte bound with its 2-byte head.
	maxBoundSize = 2 + dag.TxIDSize
	// maxSkipSize is [bound, 0].
	maxSkipSize = 1 + maxBoundSize + 1
	// maxFingerprintSize is [bound, 1, count, fingerprint].
	maxFingerprintSize = 1 + maxBoundSize + 1 + 9 + 1 + dag.FingerprintSize
	// reserve keeps room for the closing skip and remainder fingerprint,
	// and for the message's own array head.
	reserve = maxSkipSize + maxFingerprintSize + 3
)

// headSize is the size of a CBOR head carrying n.
func headSize(n uint64) int {
	switch {
	case n < 24:
		return 1
	case n < 1<<8:
		return 2
	case n < 1<<16:
		return 3
	case n < 1<<32:
		return 5
	}
	return 9
}

// rangeSize is the encoded size of r.
func rangeSize(r *Range) int {
	n := len(r.Upper)
	for n > 0 && r.Upper[n-1] == 0 {
		n--
	}
	size := 1 + headSize(uint64(n)) + n + 1
	switch r.Mode {
	case ModeFingerprint:
		size += headSize(r.Count) + 1 + dag.FingerprintSize
	case ModeIDList, ModeIDDiff:
		ids := len(r.IDs) * dag.TxIDSize
		size += headSize(uint64(ids)) + ids
		if r.Mode == ModeIDDiff {
			size += headSize(uint64(len(r.Bitmap))) + len(r.Bitmap)
		}
	}
	return size
}

// listOverhead is the worst-case size of an ID-carrying range without its
// IDs, for a bitmap of bitmapLen bytes.
func listOverhead(bitmapLen int) int {
	return 1 + maxBoundSize + 1 + 5 + headSize(uint64(bitmapLen)) + bitmapLen
}

// writer builds a Message within a byte budget. Ranges are put in
// ascending order; a skip range is inserted wherever a put range does not
// start where the previous one ended, and a message never ends with one.
type writer struct {
	budget int
	ranges int
	msg    Message
	size   int
	end    dag.TxID // upper bound of the last range written
	// stopped is set once the message is finished before the end of the
	// input it answers.
	stopped bool
}

func newWriter(c *Config) *writer {
	return &writer{budget: c.MaxMessageSize - reserve, ranges: MaxRanges - 2}
}

// room is how many bytes a put may still use, including its skip.
func (w *writer) room() int { return w.budget - w.size - maxSkipSize }

// needsSkip reports whether a range starting at lo needs a skip first.
func (w *writer) needsSkip(lo dag.TxID) bool { return lo != w.end }

// full reports whether n more ranges (and a skip) would pass the range cap.
func (w *writer) full(n int) bool { return len(w.msg.Ranges)+n+1 > w.ranges }

// put appends rs, which start at lo and are consecutive, if they fit. It
// reports whether it did.
func (w *writer) put(lo dag.TxID, rs ...Range) bool {
	size := 0
	for i := range rs {
		size += rangeSize(&rs[i])
	}
	if size > w.room() || w.full(len(rs)) {
		return false
	}
	w.force(lo, rs...)
	return true
}

// force appends rs without checking the budget (used for the remainder,
// whose room is reserved).
func (w *writer) force(lo dag.TxID, rs ...Range) {
	if w.needsSkip(lo) {
		skip := Range{Upper: lo, Mode: ModeSkip}
		w.size += rangeSize(&skip)
		w.msg.Ranges = append(w.msg.Ranges, skip)
	}
	for i := range rs {
		w.size += rangeSize(&rs[i])
		w.msg.Ranges = append(w.msg.Ranges, rs[i])
	}
	w.end = rs[len(rs)-1].Upper
}

// finish closes the message with the fingerprint of everything from lo to
// the end of the ID space, so the peer takes up where this message stopped.
func (w *writer) finish(set Set, lo dag.TxID) error {
	acc, err := summarize(set, lo, dag.TxID{})
	if err != nil {
		return err
	}
	w.force(lo, Range{Mode: ModeFingerprint, Count: acc.Count, Fingerprint: acc.Fingerprint()})
	w.stopped = true
	return nil
}

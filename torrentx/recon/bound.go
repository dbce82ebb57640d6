package recon

import (
	"bytes"
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// A bound is a TxID used as the exclusive upper end of a range. The zero
// TxID is the end of the ID space, as for dag.ReadTx.Range. On the wire a
// bound is its shortest prefix: the TxID with trailing zero bytes removed.

// boundBytes returns the wire form of bound b.
func boundBytes(b dag.TxID) []byte {
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return bytes.Clone(b[:n])
}

// parseBound is the inverse of boundBytes.
func parseBound(p []byte) (dag.TxID, error) {
	var b dag.TxID
	if len(p) > dag.TxIDSize {
		return b, fmt.Errorf("%w: bound of %d bytes, limit %d", ErrMalformed, len(p), dag.TxIDSize)
	}
	if len(p) > 0 && p[len(p)-1] == 0 {
		return b, fmt.Errorf("%w: bound ends with a zero byte", ErrMalformed)
	}
	copy(b[:], p)
	return b, nil
}

// minimalBound returns the bound with the shortest wire form that lies in
// (prev, curr]: curr's prefix up to and including its first byte that
// differs from prev. prev must be less than curr.
func minimalBound(prev, curr dag.TxID) dag.TxID {
	var b dag.TxID
	for i := range b {
		b[i] = curr[i]
		if curr[i] != prev[i] {
			break
		}
	}
	return b
}

// inRange reports whether lower <= id < upper, a zero upper meaning no end.
func inRange(id, lower, upper dag.TxID) bool {
	return bytes.Compare(id[:], lower[:]) >= 0 && (upper.IsZero() || bytes.Compare(id[:], upper[:]) < 0)
}

// less orders TxIDs bytewise.
func less(a, b dag.TxID) bool { return bytes.Compare(a[:], b[:]) < 0 }

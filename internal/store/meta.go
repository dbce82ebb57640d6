package store

import (
	"bytes"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/torrenttx/ttx/dag"
)

// meta is the store's running state, the value of metaStateKey: updated by
// every Update that writes, so that nothing needs a scan.
type meta struct {
	// LastSeq is the Seq of the newest record (0: none).
	LastSeq uint64 `cbor:"1,keyasint"`
	// LastAccount is the newest account number (0: none).
	LastAccount uint32 `cbor:"2,keyasint"`
	// Sum and Count are the dag.Accumulator of every stored record (see
	// dag.Accumulator.AddRecord: a rejected one counts as its RejectedKey).
	Sum   []byte `cbor:"3,keyasint"`
	Count uint64 `cbor:"4,keyasint"`
	// Records per state.
	Accepted   uint64 `cbor:"5,keyasint"`
	Conflicted uint64 `cbor:"6,keyasint"`
	Rejected   uint64 `cbor:"7,keyasint"`
	// EpochBits splits the epoch-keyed indexes (keys.go); fixed when the
	// file is made.
	EpochBits uint8 `cbor:"8,keyasint"`
	// Swept and SweepAt say which spends have been removed from utxo: all
	// those of children in epochs before Swept, and those of epoch Swept
	// whose utxo key is at most SweepAt (none if it is empty).
	Swept   uint32 `cbor:"9,keyasint"`
	SweepAt []byte `cbor:"10,keyasint,omitempty"`
	// Final counts the records in StateFinal.
	Final uint64 `cbor:"11,keyasint"`
	// Tally has the count and checksum sum of each of countedBuckets, in
	// that order (sum.go).
	Tally []tally `cbor:"12,keyasint"`
}

// encMode and decMode are immutable after init. decMode rejects what a
// canonical encoding never holds and bounds what it may allocate.
var (
	encMode = mustEncMode()
	decMode = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}

func mustDecMode() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxNestedLevels:   4,
		MaxArrayElements:  1024,
		MaxMapPairs:       64,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}

// counter returns the per-state counter of s.
func (m *meta) counter(s dag.State) *uint64 {
	switch s {
	case dag.StateAccepted:
		return &m.Accepted
	case dag.StateConflicted:
		return &m.Conflicted
	case dag.StateFinal:
		return &m.Final
	default:
		return &m.Rejected
	}
}

func (m *meta) acc() dag.Accumulator {
	a := dag.Accumulator{Count: m.Count}
	copy(a.Sum[:], m.Sum)
	return a
}

func (m *meta) setAcc(a *dag.Accumulator) {
	m.Sum, m.Count = append(m.Sum[:0], a.Sum[:]...), a.Count
}

func encodeMeta(m *meta) ([]byte, error) {
	if len(m.Sum) == 0 {
		m.Sum = make([]byte, dag.TxIDSize)
	}
	if m.Tally == nil {
		m.Tally = make([]tally, numCounted)
	}
	b, err := encMode.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode meta: %w", err)
	}
	return b, nil
}

// decodeMeta decodes and checks a meta value. Only the canonical encoding
// of a consistent meta is accepted.
func decodeMeta(b []byte) (*meta, error) {
	m := new(meta)
	if err := decMode.Unmarshal(b, m); err != nil {
		return nil, corruptf("meta: %v", err)
	}
	if len(m.Sum) != dag.TxIDSize {
		return nil, corruptf("meta: accumulator sum of %d bytes", len(m.Sum))
	}
	if m.Count != m.LastSeq || m.Accepted+m.Conflicted+m.Rejected+m.Final != m.LastSeq {
		return nil, corruptf("meta: %d records but count %d and %d+%d+%d+%d by state",
			m.LastSeq, m.Count, m.Accepted, m.Conflicted, m.Rejected, m.Final)
	}
	if len(m.Tally) != numCounted {
		return nil, corruptf("meta: %d bucket tallies", len(m.Tally))
	}
	if m.EpochBits < 1 || m.EpochBits > 32 {
		return nil, corruptf("meta: %d epoch bits", m.EpochBits)
	}
	if cur := epochOf(m.LastSeq, m.EpochBits); m.Swept > cur || len(m.SweepAt) != 0 && (len(m.SweepAt) != utxoKeySize || m.Swept == cur) {
		return nil, corruptf("meta: swept to epoch %d, key %x, in epoch %d", m.Swept, m.SweepAt, cur)
	}
	if canon, err := encodeMeta(m); err != nil || !bytes.Equal(canon, b) {
		return nil, corruptf("meta: not in canonical form")
	}
	return m, nil
}

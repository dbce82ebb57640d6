package store

import (
	"encoding/binary"
	"math"

	"github.com/torrenttx/ttx/dag"
)

// Fixed-size keys and values (big-endian, so byte order is numeric order).
// The layouts are listed in doc.go.

const (
	seqSize     = 8
	acctSize    = 4
	idxSize     = 2
	utxoKeySize = acctSize + seqSize + idxSize
)

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, seqSize), seq) }

func acctValue(acct uint32) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 0, acctSize), acct)
}

// Epochs: the hash-keyed indexes (ids, v1) and spent put a new key at a
// random place, so keyed by hash alone every commit would rewrite about
// one page of the whole index per key. They are keyed by epoch first,
// the seq of the tx that adds the key shifted right by the store's epoch
// bits (meta.EpochBits, DefaultEpochBits unless a test asks for fewer), so
// that new keys land in the newest epoch's small range. A lookup then
// looks in each epoch (ids through its filters; see filter.go).
const (
	DefaultEpochBits = 16
	epochSize        = 4
)

func epochOf(seq uint64, bits uint8) uint32 { return uint32(seq >> bits) }

// epochKey is epoch u32: the prefix of one epoch's keys.
func epochKey(e uint32) []byte { return withEpoch(e, 0) }

// withEpoch starts an epoch-keyed key of n more bytes.
func withEpoch(e uint32, n int) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 0, epochSize+n), e)
}

// idKey is epoch u32 | txID.
func idKey(e uint32, id *dag.TxID) []byte { return append(withEpoch(e, len(id)), id[:]...) }

// shortKey is epoch u32 | 20 bytes: the prefix of the v1 keys of a v1
// infohash, and of the ids keys of a truncated v2 infohash.
func shortKey(e uint32, short [20]byte) []byte {
	return append(withEpoch(e, len(short)+seqSize), short[:]...)
}

// v1Key is epoch u32 | v1 infohash | seq.
func v1Key(e uint32, v1 [20]byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(shortKey(e, v1), seq)
}

// outKey is parentSeq | index: an output, the key of claims' prefix.
func outKey(parent uint64, idx uint16) []byte {
	b := make([]byte, 0, seqSize+idxSize)
	b = binary.BigEndian.AppendUint64(b, parent)
	return binary.BigEndian.AppendUint16(b, idx)
}

// childPrefix is epoch u32 | parentSeq: the spent keys of one parent's
// outputs spent in epoch e.
func childPrefix(e uint32, parent uint64) []byte {
	return binary.BigEndian.AppendUint64(withEpoch(e, seqSize+idxSize), parent)
}

// spentKey is epoch of the child u32 | parentSeq | index.
func spentKey(e uint32, parent uint64, idx uint16) []byte {
	return binary.BigEndian.AppendUint16(childPrefix(e, parent), idx)
}

// claimKey is parentSeq | index | evidenceSeq.
func claimKey(parent uint64, idx uint16, evidence uint64) []byte {
	return binary.BigEndian.AppendUint64(outKey(parent, idx), evidence)
}

// conflictKey is seq | otherSeq.
func conflictKey(seq, other uint64) []byte {
	b := make([]byte, 0, 2*seqSize)
	b = binary.BigEndian.AppendUint64(b, seq)
	return binary.BigEndian.AppendUint64(b, other)
}

// historyKey is account | seq.
func historyKey(acct uint32, seq uint64) []byte {
	b := make([]byte, 0, acctSize+seqSize)
	b = binary.BigEndian.AppendUint32(b, acct)
	return binary.BigEndian.AppendUint64(b, seq)
}

// utxoKey is account | seq | index.
func utxoKey(acct uint32, seq uint64, idx uint16) []byte {
	b := make([]byte, 0, acctSize+seqSize+idxSize)
	b = binary.BigEndian.AppendUint32(b, acct)
	b = binary.BigEndian.AppendUint64(b, seq)
	return binary.BigEndian.AppendUint16(b, idx)
}

// decodeSeq decodes a seq value (ids, v1 and spent buckets) or key (txs).
func decodeSeq(b []byte) (uint64, error) {
	if len(b) != seqSize {
		return 0, corruptf("seq of %d bytes", len(b))
	}
	seq := binary.BigEndian.Uint64(b)
	if seq == 0 || seq == math.MaxUint64 {
		return 0, corruptf("seq %d", seq)
	}
	return seq, nil
}

// spentValue is child seq | owner account of the spent output.
func spentValue(child uint64, acct uint32) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, seqSize+acctSize), child)
	return binary.BigEndian.AppendUint32(b, acct)
}

// decodeSpent decodes a spent value. The account is 0 for an output whose
// owner had no account (one of a rejected tx; Put does not check rules).
func decodeSpent(v []byte) (child uint64, acct uint32, err error) {
	if len(v) != seqSize+acctSize {
		return 0, 0, corruptf("spent value of %d bytes", len(v))
	}
	child, err = decodeSeq(v[:seqSize])
	return child, binary.BigEndian.Uint32(v[seqSize:]), err
}

// decodeSpentKey decodes a spent key.
func decodeSpentKey(k []byte) (e uint32, parent uint64, idx uint16, err error) {
	if len(k) != epochSize+seqSize+idxSize {
		return 0, 0, 0, corruptf("spent key of %d bytes", len(k))
	}
	if parent, err = decodeSeq(k[epochSize : epochSize+seqSize]); err != nil {
		return 0, 0, 0, err
	}
	return binary.BigEndian.Uint32(k), parent, binary.BigEndian.Uint16(k[epochSize+seqSize:]), nil
}

// decodeIDKey decodes an ids key.
func decodeIDKey(k []byte) (dag.TxID, error) {
	if len(k) != epochSize+dag.TxIDSize {
		return dag.TxID{}, corruptf("ids key of %d bytes", len(k))
	}
	return dag.TxID(k[epochSize:]), nil
}

// decodeAcct decodes an account number (accounts bucket).
func decodeAcct(b []byte) (uint32, error) {
	if len(b) != acctSize {
		return 0, corruptf("account of %d bytes", len(b))
	}
	acct := binary.BigEndian.Uint32(b)
	if acct == 0 {
		return 0, corruptf("account 0")
	}
	return acct, nil
}

// decodeAmount decodes a utxo value.
func decodeAmount(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, corruptf("amount of %d bytes", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// decodeTail decodes the seq that follows a prefix of n bytes in a
// claims, conflicts or history key.
func decodeTail(k []byte, n int) (uint64, error) {
	if len(k) != n+seqSize {
		return 0, corruptf("key of %d bytes, want %d", len(k), n+seqSize)
	}
	return decodeSeq(k[n:])
}

// decodeUTXOKey decodes a utxo key.
func decodeUTXOKey(k []byte) (acct uint32, seq uint64, idx uint16, err error) {
	if len(k) != acctSize+seqSize+idxSize {
		return 0, 0, 0, corruptf("utxo key of %d bytes", len(k))
	}
	if acct, err = decodeAcct(k[:acctSize]); err != nil {
		return 0, 0, 0, err
	}
	if seq, err = decodeSeq(k[acctSize : acctSize+seqSize]); err != nil {
		return 0, 0, 0, err
	}
	return acct, seq, binary.BigEndian.Uint16(k[acctSize+seqSize:]), nil
}

package store

import (
	"encoding/binary"
	"math"
)

// Fixed-size keys and values (big-endian, so byte order is numeric order).
// The layouts are listed in doc.go.

const (
	seqSize  = 8
	acctSize = 4
	idxSize  = 2
)

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, seqSize), seq) }

func acctValue(acct uint32) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 0, acctSize), acct)
}

// v1EpochBits sets the epochs of the v1 index: seqs that agree above
// their low v1EpochBits bits share a key range. A new v1 infohash is
// random, so keying by it alone would make every commit rewrite a page of
// the whole index per tx; within the newest epoch's 65,536 keys it
// rewrites far fewer. Lookup by v1 then costs one Get per epoch.
const v1EpochBits = 16

// v1Key is epoch u32 | v1 infohash.
func v1Key(epoch uint64, v1 [20]byte) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(v1)), uint32(epoch))
	return append(b, v1[:]...)
}

// spentKey is parentSeq | index.
func spentKey(parent uint64, idx uint16) []byte {
	b := make([]byte, 0, seqSize+idxSize)
	b = binary.BigEndian.AppendUint64(b, parent)
	return binary.BigEndian.AppendUint16(b, idx)
}

// claimKey is parentSeq | index | evidenceSeq.
func claimKey(parent uint64, idx uint16, evidence uint64) []byte {
	return binary.BigEndian.AppendUint64(spentKey(parent, idx), evidence)
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

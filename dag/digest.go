package dag

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"strconv"
)

// FingerprintSize is the size of a set fingerprint.
const FingerprintSize = 16

// Digest summarises a ledger: two nodes that hold the same set of
// transaction IDs, and accept the same ones among them, have the same
// Digest, whatever order they learned them in. Count is the number of IDs;
// the fingerprint covers each accepted ID as itself and each rejected one
// as RejectedKey(id), so two nodes that hold the same IDs but chose
// opposite sides of a double spend differ.
type Digest struct {
	Count       uint64
	Fingerprint [FingerprintSize]byte
}

// String returns "count/fingerprint-hex".
func (d Digest) String() string {
	return strconv.FormatUint(d.Count, 10) + "/" + hex.EncodeToString(d.Fingerprint[:])
}

// Accumulator builds the fingerprint of a set of IDs incrementally, as
// negentropy does: the IDs are summed as little-endian 256-bit integers
// (mod 2^256), and the fingerprint is SHA-256(sum || count as 8-byte LE)
// truncated to 16 bytes. Adding and removing commute, so the result does not
// depend on order. The zero value is the empty set.
type Accumulator struct {
	Sum   [TxIDSize]byte
	Count uint64
}

// Add adds id to the set.
func (a *Accumulator) Add(id TxID) {
	var carry uint64
	for i := 0; i < TxIDSize; i += 8 {
		x := binary.LittleEndian.Uint64(a.Sum[i:])
		y := binary.LittleEndian.Uint64(id[i:])
		var s uint64
		s, carry = bits.Add64(x, y, carry)
		binary.LittleEndian.PutUint64(a.Sum[i:], s)
	}
	a.Count++
}

// Remove removes id, which must have been added.
func (a *Accumulator) Remove(id TxID) {
	var borrow uint64
	for i := 0; i < TxIDSize; i += 8 {
		x := binary.LittleEndian.Uint64(a.Sum[i:])
		y := binary.LittleEndian.Uint64(id[i:])
		var d uint64
		d, borrow = bits.Sub64(x, y, borrow)
		binary.LittleEndian.PutUint64(a.Sum[i:], d)
	}
	a.Count--
}

// RejectedKey is what the ledger fingerprint adds for a rejected id:
// SHA-256("ttx-rejected" || id). Set reconciliation works on the IDs
// alone, so a difference in state alone shows in the Digest and not in
// reconciliation.
func RejectedKey(id TxID) TxID {
	h := sha256.New()
	h.Write([]byte("ttx-rejected"))
	h.Write(id[:])
	var k TxID
	h.Sum(k[:0])
	return k
}

// AddRecord adds id to a ledger accumulator: as itself if accepted, else
// as RejectedKey(id).
func (a *Accumulator) AddRecord(id TxID, accepted bool) {
	if accepted {
		a.Add(id)
	} else {
		a.Add(RejectedKey(id))
	}
}

// RemoveRecord removes what AddRecord(id, accepted) added.
func (a *Accumulator) RemoveRecord(id TxID, accepted bool) {
	if accepted {
		a.Remove(id)
	} else {
		a.Remove(RejectedKey(id))
	}
}

// Fingerprint returns the set's fingerprint.
func (a *Accumulator) Fingerprint() [FingerprintSize]byte {
	var buf [TxIDSize + 8]byte
	copy(buf[:], a.Sum[:])
	binary.LittleEndian.PutUint64(buf[TxIDSize:], a.Count)
	h := sha256.Sum256(buf[:])
	var fp [FingerprintSize]byte
	copy(fp[:], h[:])
	return fp
}

// Digest returns the set's Digest.
func (a *Accumulator) Digest() Digest {
	return Digest{Count: a.Count, Fingerprint: a.Fingerprint()}
}

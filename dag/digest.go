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

// Digest summarises a set of transaction IDs: two nodes that hold the same
// set have the same Digest, whatever order they learned it in.
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

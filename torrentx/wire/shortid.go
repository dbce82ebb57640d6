package wire

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/torrenttx/ttx/dag"
)

// ShortIDSize is the size of a ShortID.
const ShortIDSize = 6

// shortPrefixSize is how much of a ShortID is the transaction ID's own
// first bytes; the rest is keyed by the connection.
const shortPrefixSize = 4

// ShortID names a transaction in an inv, want or notfound between two
// peers of ShortIDVersion or later: the first 4 bytes of its ID, then 2
// bytes of a hash keyed by the connection (ShortKey.Short). It is not
// dag.TxID.Short, the 20-byte truncated infohash of the BitTorrent side.
//
// The unkeyed prefix lets a receiver find the candidates among the IDs it
// stores by a range lookup, and tell that short IDs from two connections
// may name one transaction (they share the prefix), so that it wants the
// transaction once. The keyed part makes the 48 bits differ per
// connection: an attacker can grind two transactions whose IDs share 4
// bytes, but not ones whose short IDs are equal on connections it does
// not know the key of, so a collision misleads at most the one connection
// and the transaction's other announcers still bring it.
type ShortID [ShortIDSize]byte

// Prefix returns the ID bytes s starts with, as a big-endian integer.
func (s ShortID) Prefix() uint32 { return binary.BigEndian.Uint32(s[:]) }

// Range returns the IDs that start with s's prefix: [from, to), a zero to
// meaning no upper bound (dag.ReadTx.Range's convention).
func (s ShortID) Range() (from, to dag.TxID) {
	copy(from[:], s[:shortPrefixSize])
	if p := s.Prefix(); p != ^uint32(0) {
		binary.BigEndian.PutUint32(to[:], p+1)
	}
	return from, to
}

// ShortKey keys the short IDs of one connection.
type ShortKey [16]byte

// NewShortKey derives a connection's key from the salts of its two
// hellos; both sides get the same key whichever order they pass them in.
func NewShortKey(a, b uint64) ShortKey {
	lo, hi := min(a, b), max(a, b)
	buf := make([]byte, 0, 11+16)
	buf = append(buf, "ttx-shortid"...)
	buf = binary.BigEndian.AppendUint64(buf, lo)
	buf = binary.BigEndian.AppendUint64(buf, hi)
	sum := sha256.Sum256(buf)
	var k ShortKey
	copy(k[:], sum[:])
	return k
}

// Short returns id's short ID on the connection keyed by k: id's first 4
// bytes, then the first 2 bytes of SHA-256(k || id).
func (k ShortKey) Short(id dag.TxID) ShortID {
	var buf [len(k) + dag.TxIDSize]byte
	copy(buf[:], k[:])
	copy(buf[len(k):], id[:])
	sum := sha256.Sum256(buf[:])
	var s ShortID
	copy(s[:], id[:shortPrefixSize])
	copy(s[shortPrefixSize:], sum[:ShortIDSize-shortPrefixSize])
	return s
}

// parseShortIDs splits a byte string of concatenated short IDs, at most
// MaxIDs.
func parseShortIDs(b []byte) ([]ShortID, error) {
	return splitFixed(b, ShortIDSize, MaxIDs, "short ID", func(e []byte) ShortID { return ShortID(e) })
}

func packShortIDs(s []ShortID) []byte {
	if len(s) == 0 {
		return nil
	}
	b := make([]byte, 0, len(s)*ShortIDSize)
	for _, x := range s {
		b = append(b, x[:]...)
	}
	return b
}

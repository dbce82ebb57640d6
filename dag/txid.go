package dag

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// TxIDSize is the size of a TxID in bytes.
const TxIDSize = sha256.Size

// TxID identifies a transaction: the BitTorrent v2 infohash (SHA-256 of the
// bencoded info dict) of the transaction's hybrid v1+v2 torrent. It is
// always derived from the bytes (see IDs), never trusted from a peer.
type TxID [TxIDSize]byte

// String returns the ID as 64 lowercase hex characters.
func (id TxID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 20 bytes of the ID: the truncated v2 infohash that
// BitTorrent v2 peers use in the wire handshake and the DHT.
func (id TxID) Short() [20]byte {
	var s [20]byte
	copy(s[:], id[:20])
	return s
}

// IsZero reports whether id is the zero ID.
func (id TxID) IsZero() bool { return id == TxID{} }

// MarshalText implements encoding.TextMarshaler (hex).
func (id TxID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (id *TxID) UnmarshalText(b []byte) error {
	v, err := ParseTxID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseTxID parses 64 lowercase hex characters.
func ParseTxID(s string) (TxID, error) {
	var id TxID
	if len(s) != 2*TxIDSize {
		return id, fmt.Errorf("dag: transaction ID must be %d hex characters, got %d", 2*TxIDSize, len(s))
	}
	if !isLowerHex(s) {
		return id, fmt.Errorf("dag: transaction ID %q is not lowercase hex", s)
	}
	hex.Decode(id[:], []byte(s))
	return id, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// TxIDs is the set of hashes derived from a transaction's bytes.
type TxIDs struct {
	// ID is the v2 infohash, the transaction's identity.
	ID TxID
	// V1 is the v1 infohash (SHA-1 of the same info dict), an alias for
	// v1-only BitTorrent clients.
	V1 [20]byte
}

// InfoDict returns the bencoded info dict of the single-file hybrid
// (BEP 3 + BEP 52) torrent of tx.json with the given bytes:
//
//	d9:file treed7:tx.jsond0:d6:lengthiNe11:pieces root32:<sha256>eee
//	 6:lengthiNe12:meta versioni2e4:name7:tx.json12:piece lengthi16384e
//	 6:pieces20:<sha1>e
//
// Keys are in bencode order and nothing else is in it, so anyone can rebuild
// it from the bytes alone. raw must be 1..MaxTxSize bytes: the file is then
// one piece and one 16 KiB block, so its pieces root is SHA-256(raw).
func InfoDict(raw []byte) []byte {
	if len(raw) == 0 || len(raw) > MaxTxSize {
		panic("dag: InfoDict of " + strconv.Itoa(len(raw)) + " bytes")
	}
	return infoDict(strconv.Itoa(len(raw)), sha256.Sum256(raw), sha1.Sum(raw))
}

// Fixed parts of the info dict, around the length n, the pieces root and
// the SHA-1 piece hash.
const (
	infoDictHead = "d9:file treed7:tx.jsond0:d6:lengthi"
	infoDictRoot = "e11:pieces root32:"
	infoDictLen  = "eee6:lengthi"
	infoDictSHA1 = "e12:meta versioni2e4:name7:tx.json12:piece lengthi16384e6:pieces20:"
	// infoDictFixed is the dict's size less the two copies of n.
	infoDictFixed = len(infoDictHead) + len(infoDictRoot) + sha256.Size + len(infoDictLen) + len(infoDictSHA1) + sha1.Size + 1
)

func infoDict(n string, root [sha256.Size]byte, p1 [sha1.Size]byte) []byte {
	b := make([]byte, 0, 200)
	b = append(b, infoDictHead...)
	b = append(b, n...)
	b = append(b, infoDictRoot...)
	b = append(b, root[:]...)
	b = append(b, infoDictLen...)
	b = append(b, n...)
	b = append(b, infoDictSHA1...)
	b = append(b, p1[:]...)
	return append(b, 'e')
}

// ParseInfoDict is the strict parser for info dicts that come from peers:
// it accepts b only if it is byte for byte the dict InfoDict builds for
// some file of 1..MaxTxSize bytes, and returns the IDs b hashes to. Any
// other dict, however valid as bencode, is a RuleError (ErrMalformed).
// It does not prove that a file with those hashes exists: only the bytes,
// checked with CheckID, do.
func ParseInfoDict(b []byte) (TxIDs, error) {
	bad := func(why string) (TxIDs, error) {
		return TxIDs{}, ruleError(ErrMalformed, "not a transaction info dict: %s", why)
	}
	rest, ok := bytes.CutPrefix(b, []byte(infoDictHead))
	if !ok {
		return bad("wrong start")
	}
	i := bytes.IndexByte(rest, 'e')
	if i < 1 || i > len(strconv.Itoa(MaxTxSize)) {
		return bad("bad length")
	}
	n := string(rest[:i])
	if v, err := strconv.Atoi(n); err != nil || v < 1 || v > MaxTxSize || !allDigits(n) || n[0] == '0' {
		return bad("bad length")
	}
	if len(b) != infoDictFixed+2*len(n) {
		return bad("wrong size")
	}
	var root [sha256.Size]byte
	var p1 [sha1.Size]byte
	at := len(infoDictHead) + len(n) + len(infoDictRoot)
	copy(root[:], b[at:])
	copy(p1[:], b[len(b)-1-sha1.Size:])
	if !bytes.Equal(infoDict(n, root, p1), b) {
		return bad("unexpected keys or values")
	}
	return TxIDs{ID: sha256.Sum256(b), V1: sha1.Sum(b)}, nil
}

// IDs derives a transaction's ID and v1 alias from its bytes. This is the one
// function every caller uses; see also CheckID. Like InfoDict, it panics
// unless raw is 1..MaxTxSize bytes: check untrusted bytes with CheckID or
// Decode first.
func IDs(raw []byte) TxIDs {
	d := InfoDict(raw)
	return TxIDs{ID: sha256.Sum256(d), V1: sha1.Sum(d)}
}

// CheckID is the check every transaction passes, by every path: the info
// dict rebuilt from raw must hash (SHA-256) to id.
func CheckID(raw []byte, id TxID) error {
	_, err := Claimed(raw, id)
	return err
}

// Hashed is a transaction's bytes with the IDs they hash to. Only Claimed
// and the Graph make one, so whoever is handed one need not hash the bytes
// again.
type Hashed struct {
	raw []byte
	ids TxIDs // zero if raw is empty or larger than MaxTxSize
	// checked is Graph.Check's outcome, nil before.
	checked *checked
}

// Claimed checks raw, which a sender says is id, as CheckID does, and
// returns it hashed.
func Claimed(raw []byte, id TxID) (Hashed, error) {
	if err := checkSize(raw); err != nil {
		return Hashed{}, err
	}
	h := hash(raw)
	if h.ids.ID != id {
		return Hashed{}, ruleError(ErrIDMismatch, "bytes hash to %s, not %s", h.ids.ID, id)
	}
	return h, nil
}

// hash returns raw hashed, with zero IDs if it is of a size Decode rejects.
func hash(raw []byte) Hashed {
	h := Hashed{raw: raw}
	if checkSize(raw) == nil {
		h.ids = IDs(raw)
	}
	return h
}

// checkSize rejects an empty transaction or one over MaxTxSize bytes.
func checkSize(raw []byte) error {
	if len(raw) == 0 {
		return ruleError(ErrMalformed, "empty transaction")
	}
	if len(raw) > MaxTxSize {
		return ruleError(ErrTooLarge, "transaction is %d bytes, limit %d", len(raw), MaxTxSize)
	}
	return nil
}

// TorrentFile returns a minimal standard .torrent for the transaction:
// a dict holding only the info dict. Torrent clients open it as is.
func TorrentFile(raw []byte) []byte {
	d := InfoDict(raw)
	b := make([]byte, 0, len(d)+8)
	b = append(b, "d4:info"...)
	b = append(b, d...)
	return append(b, 'e')
}

// OutPoint names one output of an accepted transaction.
type OutPoint struct {
	TxID  TxID
	Index uint32
}

// String returns "<txid>:<index>", the form used in tx.json's prev.
func (op OutPoint) String() string {
	return op.TxID.String() + ":" + strconv.FormatUint(uint64(op.Index), 10)
}

// ParseOutPoint parses "<64 hex>:<index>" with a canonical decimal index.
func ParseOutPoint(s string) (OutPoint, error) {
	var op OutPoint
	if len(s) < 2*TxIDSize+2 || s[2*TxIDSize] != ':' {
		return op, fmt.Errorf("dag: outpoint %q is not <txid>:<index>", s)
	}
	id, err := ParseTxID(s[:2*TxIDSize])
	if err != nil {
		return op, err
	}
	is := s[2*TxIDSize+1:]
	idx, err := strconv.ParseUint(is, 10, 32)
	if err != nil || !allDigits(is) || (len(is) > 1 && is[0] == '0') {
		return op, fmt.Errorf("dag: outpoint %q has a bad index", s)
	}
	return OutPoint{TxID: id, Index: uint32(idx)}, nil
}

package recon

import (
	"bytes"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/torrenttx/ttx/dag"
)

// Message limits. A decoder rejects anything beyond them.
const (
	// MaxMessageSize bounds an encoded Message. Builders use the smaller
	// Config.MaxMessageSize so that the message fits its wire envelope.
	MaxMessageSize = 65000
	// MaxRanges bounds the ranges in one Message.
	MaxRanges = 4096
	// MaxBitmap bounds an IDDiff bitmap in bytes (1,024 queried IDs).
	MaxBitmap = 128
)

// Mode says what a Range carries.
type Mode uint8

// Range modes. The numbers are part of the protocol.
const (
	// ModeSkip: nothing to say about the range (equal, or resolved).
	ModeSkip Mode = iota
	// ModeFingerprint: Count and Fingerprint of the sender's IDs in the
	// range.
	ModeFingerprint
	// ModeIDList: IDs lists every ID the sender holds in the range.
	ModeIDList
	// ModeIDDiff answers an IDList: IDs lists the responder's IDs in the
	// range that the list lacks, and bit i of Bitmap (least significant
	// bit first) is set when the responder lacks the list's i-th ID below
	// Upper.
	ModeIDDiff
	maxMode
)

var modeNames = [...]string{"skip", "fingerprint", "idlist", "iddiff"}

// String returns the mode's lowercase name.
func (m Mode) String() string {
	if m < maxMode {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Range is one range of the ID space. Its lower bound is the previous
// range's Upper (the zero ID for the first range); Upper is exclusive, and
// the zero ID as Upper means the end of the ID space. Only the fields of
// its Mode are set.
type Range struct {
	Upper       dag.TxID
	Mode        Mode
	Count       uint64
	Fingerprint [dag.FingerprintSize]byte
	IDs         []dag.TxID
	Bitmap      []byte
}

// Message is one step of a reconciliation: consecutive ranges from the
// start of the ID space. The space after the last range is skipped.
//
// Encoding: a CBOR array of ranges, each a CBOR array whose first two items
// are the upper bound and the mode:
//
//	skip:        [upper, 0]
//	fingerprint: [upper, 1, count, fingerprint (16-byte bstr)]
//	idlist:      [upper, 2, ids]
//	iddiff:      [upper, 3, ids, bitmap]
//
// upper is a byte string of at most 32 bytes with no trailing zero byte:
// the bound is that prefix padded with zeros, and the empty string is the
// end of the ID space. ids is a byte string of 32-byte IDs, ascending,
// each inside the range.
type Message struct {
	Ranges []Range
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  4,
		MaxArrayElements: MaxRanges,
		MaxMapPairs:      16,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Encode returns the canonical encoding of m.
func Encode(m *Message) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b, err := encMode.Marshal(m.items())
	if err != nil {
		return nil, fmt.Errorf("recon: encode message: %w", err)
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxMessageSize)
	}
	return b, nil
}

// Decode parses an untrusted message. It accepts only the canonical
// encoding, so a message has exactly one byte form.
func Decode(b []byte) (*Message, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxMessageSize)
	}
	var items [][]cbor.RawMessage
	if err := decMode.Unmarshal(b, &items); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(items) > MaxRanges {
		return nil, fmt.Errorf("%w: %d ranges, limit %d", ErrTooLarge, len(items), MaxRanges)
	}
	m := &Message{}
	if len(items) > 0 {
		m.Ranges = make([]Range, len(items))
	}
	for i, it := range items {
		if err := decodeRange(it, &m.Ranges[i]); err != nil {
			return nil, fmt.Errorf("range %d: %w", i, err)
		}
	}
	canon, err := Encode(m)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, b) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrMalformed)
	}
	return m, nil
}

// MarshalCBOR implements cbor.Marshaler, so a Message can be a field of a
// wire message.
func (m *Message) MarshalCBOR() ([]byte, error) { return Encode(m) }

// UnmarshalCBOR implements cbor.Unmarshaler with Decode's checks.
func (m *Message) UnmarshalCBOR(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	*m = *d
	return nil
}

// items returns m as the generic CBOR value Encode writes.
func (m *Message) items() []any {
	items := make([]any, len(m.Ranges))
	for i := range m.Ranges {
		r := &m.Ranges[i]
		it := []any{boundBytes(r.Upper), uint64(r.Mode)}
		switch r.Mode {
		case ModeFingerprint:
			it = append(it, r.Count, r.Fingerprint[:])
		case ModeIDList:
			it = append(it, packIDs(r.IDs))
		case ModeIDDiff:
			it = append(it, packIDs(r.IDs), r.Bitmap)
		}
		items[i] = it
	}
	return items
}

// itemCount is the number of CBOR items of a range in each mode.
var itemCount = [...]int{ModeSkip: 2, ModeFingerprint: 4, ModeIDList: 3, ModeIDDiff: 4}

func decodeRange(it []cbor.RawMessage, r *Range) error {
	if len(it) < 2 {
		return fmt.Errorf("%w: a range has %d items", ErrMalformed, len(it))
	}
	var ub []byte
	if err := decMode.Unmarshal(it[0], &ub); err != nil {
		return fmt.Errorf("%w: upper bound: %v", ErrMalformed, err)
	}
	u, err := parseBound(ub)
	if err != nil {
		return err
	}
	r.Upper = u
	var mode uint64
	if err := decMode.Unmarshal(it[1], &mode); err != nil {
		return fmt.Errorf("%w: mode: %v", ErrMalformed, err)
	}
	if mode >= uint64(maxMode) {
		return fmt.Errorf("%w: unknown mode %d", ErrMalformed, mode)
	}
	r.Mode = Mode(mode)
	if len(it) != itemCount[r.Mode] {
		return fmt.Errorf("%w: %s range has %d items, want %d", ErrMalformed, r.Mode, len(it), itemCount[r.Mode])
	}
	switch r.Mode {
	case ModeFingerprint:
		if err := decMode.Unmarshal(it[2], &r.Count); err != nil {
			return fmt.Errorf("%w: count: %v", ErrMalformed, err)
		}
		var fp []byte
		if err := decMode.Unmarshal(it[3], &fp); err != nil || len(fp) != dag.FingerprintSize {
			return fmt.Errorf("%w: fingerprint must be a %d-byte string", ErrMalformed, dag.FingerprintSize)
		}
		copy(r.Fingerprint[:], fp)
	case ModeIDList, ModeIDDiff:
		var packed []byte
		if err := decMode.Unmarshal(it[2], &packed); err != nil {
			return fmt.Errorf("%w: ids: %v", ErrMalformed, err)
		}
		if r.IDs, err = unpackIDs(packed); err != nil {
			return err
		}
		if r.Mode == ModeIDDiff {
			if err := decMode.Unmarshal(it[3], &r.Bitmap); err != nil {
				return fmt.Errorf("%w: bitmap: %v", ErrMalformed, err)
			}
		}
	}
	return nil
}

// check enforces the structural rules Decode relies on.
func (m *Message) check() error {
	if len(m.Ranges) > MaxRanges {
		return fmt.Errorf("%w: %d ranges, limit %d", ErrTooLarge, len(m.Ranges), MaxRanges)
	}
	var lower dag.TxID
	for i := range m.Ranges {
		r := &m.Ranges[i]
		if i > 0 && m.Ranges[i-1].Upper.IsZero() {
			return fmt.Errorf("%w: range %d follows the end of the ID space", ErrMalformed, i)
		}
		if !r.Upper.IsZero() && bytes.Compare(r.Upper[:], lower[:]) <= 0 {
			return fmt.Errorf("%w: range %d: bounds not ascending", ErrMalformed, i)
		}
		if r.Mode >= maxMode {
			return fmt.Errorf("%w: range %d: unknown mode %d", ErrMalformed, i, r.Mode)
		}
		hasFP := r.Count != 0 || r.Fingerprint != [dag.FingerprintSize]byte{}
		hasIDs := len(r.IDs) != 0
		switch {
		case hasFP && r.Mode != ModeFingerprint,
			hasIDs && r.Mode != ModeIDList && r.Mode != ModeIDDiff,
			len(r.Bitmap) != 0 && r.Mode != ModeIDDiff:
			return fmt.Errorf("%w: range %d: fields that mode %s does not carry", ErrMalformed, i, r.Mode)
		}
		if len(r.Bitmap) > MaxBitmap {
			return fmt.Errorf("%w: range %d: bitmap of %d bytes, limit %d", ErrMalformed, i, len(r.Bitmap), MaxBitmap)
		}
		for j, id := range r.IDs {
			if !inRange(id, lower, r.Upper) || j > 0 && bytes.Compare(r.IDs[j-1][:], id[:]) >= 0 {
				return fmt.Errorf("%w: range %d: IDs not ascending inside the range", ErrMalformed, i)
			}
		}
		lower = r.Upper
	}
	return nil
}

func packIDs(ids []dag.TxID) []byte {
	b := make([]byte, 0, len(ids)*dag.TxIDSize)
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return b
}

func unpackIDs(b []byte) ([]dag.TxID, error) {
	if len(b)%dag.TxIDSize != 0 {
		return nil, fmt.Errorf("%w: ids length %d is not a multiple of %d", ErrMalformed, len(b), dag.TxIDSize)
	}
	if len(b) == 0 {
		return nil, nil
	}
	ids := make([]dag.TxID, len(b)/dag.TxIDSize)
	for i := range ids {
		copy(ids[i][:], b[i*dag.TxIDSize:])
	}
	return ids, nil
}

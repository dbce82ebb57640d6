package recon

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/torrenttx/ttx/dag"
)

func id(b ...byte) dag.TxID {
	var x dag.TxID
	copy(x[:], b)
	return x
}

// validMessages are well-formed messages; they also seed FuzzDecode.
func validMessages() map[string]*Message {
	return map[string]*Message{
		"empty": {},
		"skip then fingerprint": {Ranges: []Range{
			{Upper: id(0x10), Mode: ModeSkip},
			{Upper: id(0x20, 0x01), Mode: ModeFingerprint, Count: 300, Fingerprint: [16]byte{1, 2, 3}},
		}},
		"id list to the end": {Ranges: []Range{
			{Upper: id(0x80), Mode: ModeFingerprint},
			{Mode: ModeIDList, IDs: []dag.TxID{id(0x80), id(0x90, 1), id(0xff, 0xff)}},
		}},
		"empty id list": {Ranges: []Range{{Mode: ModeIDList}}},
		"iddiff":        {Ranges: []Range{{Upper: id(0x40), Mode: ModeIDDiff, IDs: []dag.TxID{id(0x01)}, Bitmap: []byte{0x05}}}},
		"32-byte bound": {Ranges: []Range{{Upper: func() dag.TxID {
			x := id(1)
			x[31] = 7
			return x
		}(), Mode: ModeSkip}}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for name, m := range validMessages() {
		t.Run(name, func(t *testing.T) {
			b, err := Encode(m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
			}
			if n := 1; len(m.Ranges) > 0 {
				for i := range m.Ranges {
					n += rangeSize(&m.Ranges[i])
				}
				if n != len(b) {
					t.Errorf("rangeSize total %d, encoded %d", n, len(b))
				}
			}
		})
	}
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := encMode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	fp := make([]byte, 16)
	ids := func(xs ...dag.TxID) []byte { return packIDs(xs) }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"not cbor", []byte{0xff}, ErrMalformed},
		{"not an array", []byte{0x01}, ErrMalformed},
		{"trailing bytes", []byte{0x80, 0x00}, ErrMalformed},
		{"indefinite array", []byte{0x9f, 0xff}, ErrMalformed},
		{"tag", []byte{0xc1, 0x80}, ErrMalformed},
		{"non-minimal length", []byte{0x98, 0x00}, ErrMalformed},
		{"range not an array", mustCBOR(t, []any{1}), ErrMalformed},
		{"range too short", mustCBOR(t, []any{[]any{[]byte{}}}), ErrMalformed},
		{"bound not bytes", mustCBOR(t, []any{[]any{"x", 0}}), ErrMalformed},
		{"bound too long", mustCBOR(t, []any{[]any{bytes.Repeat([]byte{1}, 33), 0}}), ErrMalformed},
		{"bound trailing zero", mustCBOR(t, []any{[]any{[]byte{1, 0}, 0}}), ErrMalformed},
		{"unknown mode", mustCBOR(t, []any{[]any{[]byte{}, 4}}), ErrMalformed},
		{"negative mode", mustCBOR(t, []any{[]any{[]byte{}, -1}}), ErrMalformed},
		{"skip with extra item", mustCBOR(t, []any{[]any{[]byte{}, 0, 1}}), ErrMalformed},
		{"fingerprint short", mustCBOR(t, []any{[]any{[]byte{}, 1, 5}}), ErrMalformed},
		{"fingerprint 15 bytes", mustCBOR(t, []any{[]any{[]byte{}, 1, 5, fp[:15]}}), ErrMalformed},
		{"non-minimal count", append(mustCBOR(t, []any{[]any{[]byte{}, 1}})[:4], 0x18, 0x05, 0x50), ErrMalformed},
		{"ids not multiple of 32", mustCBOR(t, []any{[]any{[]byte{}, 2, make([]byte, 33)}}), ErrMalformed},
		{"ids descending", mustCBOR(t, []any{[]any{[]byte{}, 2, ids(id(2), id(1))}}), ErrMalformed},
		{"ids repeated", mustCBOR(t, []any{[]any{[]byte{}, 2, ids(id(2), id(2))}}), ErrMalformed},
		{"id above range", mustCBOR(t, []any{[]any{[]byte{5}, 2, ids(id(5))}}), ErrMalformed},
		{"id below range", mustCBOR(t, []any{[]any{[]byte{5}, 0}, []any{[]byte{}, 2, ids(id(4))}}), ErrMalformed},
		{"bounds descending", mustCBOR(t, []any{[]any{[]byte{5}, 0}, []any{[]byte{4}, 0}}), ErrMalformed},
		{"bounds equal", mustCBOR(t, []any{[]any{[]byte{5}, 0}, []any{[]byte{5}, 0}}), ErrMalformed},
		{"range after the end", mustCBOR(t, []any{[]any{[]byte{}, 0}, []any{[]byte{}, 0}}), ErrMalformed},
		{"bitmap too large", mustCBOR(t, []any{[]any{[]byte{}, 3, []byte{}, make([]byte, MaxBitmap+1)}}), ErrMalformed},
		{"bitmap not bytes", mustCBOR(t, []any{[]any{[]byte{}, 3, []byte{}, 7}}), ErrMalformed},
		{"too many ranges", mustCBOR(t, make([]any, MaxRanges+1)), ErrMalformed},
		{"too large", make([]byte, MaxMessageSize+1), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %+v, %v; want %v", m, err, tc.want)
			}
			if m != nil {
				t.Errorf("Decode returned a message with an error")
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		m    *Message
	}{
		{"fingerprint on a skip", &Message{Ranges: []Range{{Mode: ModeSkip, Count: 1}}}},
		{"ids on a fingerprint", &Message{Ranges: []Range{{Mode: ModeFingerprint, IDs: []dag.TxID{id(1)}}}}},
		{"bitmap on a list", &Message{Ranges: []Range{{Mode: ModeIDList, Bitmap: []byte{1}}}}},
		{"unknown mode", &Message{Ranges: []Range{{Mode: maxMode}}}},
		{"too many ranges", &Message{Ranges: make([]Range, MaxRanges+1)}},
		{"too many bytes", &Message{Ranges: []Range{{Mode: ModeIDList, IDs: func() []dag.TxID {
			xs := make([]dag.TxID, 2100)
			for i := range xs {
				xs[i] = id(byte(i>>8)+1, byte(i))
			}
			return xs
		}()}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := Encode(tc.m); err == nil {
				t.Errorf("Encode = %d bytes, want an error", len(b))
			}
		})
	}
}

// A Message nested in another CBOR value decodes with the same checks.
func TestMessageNested(t *testing.T) {
	type outer struct {
		M *Message `cbor:"1,keyasint"`
	}
	in := outer{M: validMessages()["iddiff"]}
	b, err := encMode.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out outer
	if err := cbor.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("nested round trip = %+v, %v", out, err)
	}
	bad := mustCBOR(t, map[int]any{1: []any{[]any{[]byte{1, 0}, 0}}})
	if err := cbor.Unmarshal(bad, &out); !errors.Is(err, ErrMalformed) {
		t.Errorf("nested bad bound: %v, want ErrMalformed", err)
	}
}

package vote

import (
	"reflect"
	"testing"
)

// fuzzDecode checks that decoding data into fresh() never panics, that
// whatever decodes re-encodes to the same bytes, and that those decode to
// the same value.
func fuzzDecode(f *testing.F, seeds []binaryCodec, fresh func() binaryCodec) {
	for _, s := range seeds {
		raw := mustMarshal(f, s)
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := fresh()
		if err := v.UnmarshalBinary(data); err != nil {
			return
		}
		raw, err := v.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded %x but cannot encode it: %v", data, err)
		}
		if !reflect.DeepEqual(raw, data) {
			t.Fatalf("decoded %x, encodes to %x", data, raw)
		}
		w := fresh()
		if err := w.UnmarshalBinary(raw); err != nil || !reflect.DeepEqual(v, w) {
			t.Fatalf("round trip: %+v, %v, want %+v", w, err, v)
		}
	})
}

func seedsOf(f *testing.F, name string) []binaryCodec {
	var out []binaryCodec
	for _, tc := range encodingCases(f) {
		if tc.name == name || tc.name == "empty "+name {
			out = append(out, tc.v)
		}
	}
	return out
}

func FuzzBatch(f *testing.F) {
	fuzzDecode(f, seedsOf(f, "batch"), func() binaryCodec { return &Batch{} })
}

func FuzzAttestation(f *testing.F) {
	fuzzDecode(f, seedsOf(f, "attestation"), func() binaryCodec { return &Attestation{} })
}

func FuzzCertificate(f *testing.F) {
	fuzzDecode(f, seedsOf(f, "certificate"), func() binaryCodec { return &Certificate{} })
}

func FuzzPoll(f *testing.F) {
	fuzzDecode(f, seedsOf(f, "poll"), func() binaryCodec { return &Poll{} })
}

package vote

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// binaryCodec is what each encoded type implements.
type binaryCodec interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

func mustMarshal(t testing.TB, v binaryCodec) []byte {
	t.Helper()
	b, err := v.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encodingCases returns one value of each encoded type and a fresh
// value to decode it into.
func encodingCases(t testing.TB) []struct {
	name     string
	v, fresh binaryCodec
} {
	b := mustSign(t, testKey(1), testNet, -5, testVotes(9))
	a, err := b.Attestation(8)
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name     string
		v, fresh binaryCodec
	}{
		{"batch", b, &Batch{}},
		{"attestation", &a, &Attestation{}},
		{"certificate", certFrom(t, certTx, 1, 3, certTx), &Certificate{}},
		{"empty certificate", &Certificate{Network: testNet, Tx: certTx, Inputs: certIns, K: 1, Alpha: 1}, &Certificate{}},
		{"poll", &Poll{Outs: []dag.OutPoint{certIns[0], certIns[1], {Index: 7}}}, &Poll{}},
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	for _, tc := range encodingCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			raw := mustMarshal(t, tc.v)
			if err := tc.fresh.UnmarshalBinary(raw); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tc.fresh, tc.v) {
				t.Fatalf("decoded %+v, want %+v", tc.fresh, tc.v)
			}
			// Every cut and any trailing byte is an error.
			for n := range len(raw) {
				if err := tc.fresh.UnmarshalBinary(raw[:n]); err == nil {
					t.Fatalf("%d of %d bytes decoded", n, len(raw))
				}
			}
			if err := tc.fresh.UnmarshalBinary(append(raw, 0)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("trailing byte: %v, want ErrMalformed", err)
			}
			bad := append([]byte{2}, raw[1:]...)
			if err := tc.fresh.UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
				t.Fatalf("version 2: %v, want ErrMalformed", err)
			}
		})
	}
}

// TestBatchEncodingByteForByte pins the documented layout.
func TestBatchEncodingByteForByte(t *testing.T) {
	b := mustSign(t, testKey(1), testNet, 0x0102030405060708, testVotes(2))
	raw := mustMarshal(t, b)
	var want []byte
	want = append(want, 1)
	want = append(want, testNet[:]...)
	want = append(want, b.Key[:]...)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8, 0, 2)
	for _, v := range b.Votes {
		want = append(want, v.Out.TxID[:]...)
		want = binary.BigEndian.AppendUint32(want, v.Out.Index)
		want = append(want, v.Pref[:]...)
	}
	want = append(want, b.Sig[:]...)
	if !reflect.DeepEqual(raw, want) || len(raw) != 139+68*2 {
		t.Fatalf("encoding\n%x\nwant\n%x", raw, want)
	}
}

func TestBatchTamperAnyByte(t *testing.T) {
	b := mustSign(t, testKey(1), testNet, 1_700_000_000_000, testVotes(4))
	raw := mustMarshal(t, b)
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x10
		var c Batch
		if err := c.UnmarshalBinary(bad); err != nil {
			continue // the version or the count
		}
		if err := c.Verify(); err == nil {
			t.Fatalf("byte %d flipped: batch still verifies", i)
		}
	}
	a, err := b.Attestation(1)
	if err != nil {
		t.Fatal(err)
	}
	raw = mustMarshal(t, &a)
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x10
		var c Attestation
		if err := c.UnmarshalBinary(bad); err != nil {
			continue
		}
		if err := c.Verify(); err == nil {
			t.Fatalf("byte %d flipped: attestation still verifies", i)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	u16 := func(n int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(n)) }
	head := func(version byte) []byte { // a batch up to its count
		return append([]byte{version}, make([]byte, 32+32+8)...)
	}
	dupPoll := append([]byte{1}, u16(2)...)
	dupPoll = append(dupPoll, make([]byte, 2*outPointSize)...)
	cert := append([]byte{1}, make([]byte, 64)...)
	cert = append(cert, 20, 15)
	cert = append(cert, u16(1)...)
	cert = append(cert, make([]byte, outPointSize)...)
	certTail := func(n uint32) []byte { return binary.BigEndian.AppendUint32(append([]byte(nil), cert...), n) }
	tests := []struct {
		name string
		into binaryCodec
		raw  []byte
		want error
	}{
		{"empty batch input", &Batch{}, nil, ErrMalformed},
		{"batch without votes", &Batch{}, append(append(head(1), u16(0)...), make([]byte, 64)...), ErrEmpty},
		{"batch over MaxVotes", &Batch{}, append(head(1), u16(MaxVotes+1)...), ErrTooLarge},
		{"batch count past the end", &Batch{}, append(append(head(1), u16(3)...), make([]byte, 2*voteSize+64)...), ErrMalformed},
		{"batch with one output twice", &Batch{}, append(append(head(1), u16(2)...), make([]byte, 2*voteSize+64)...), ErrDuplicate},
		{"poll over MaxPollOuts", &Poll{}, append([]byte{1}, u16(MaxPollOuts+1)...), ErrTooLarge},
		{"poll without outputs", &Poll{}, append([]byte{1}, u16(0)...), ErrEmpty},
		{"poll with one output twice", &Poll{}, dupPoll, ErrDuplicate},
		{"certificate with too many attestations", &Certificate{}, certTail(MaxCertAttestations + 1), ErrTooLarge},
		{"certificate count past the end", &Certificate{}, certTail(1000), ErrMalformed},
		{"certificate for the zero ID", &Certificate{}, certTail(0), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.into.UnmarshalBinary(tc.raw)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("UnmarshalBinary = %v, want %v", err, tc.want)
			}
		})
	}
	// An attestation whose path length does not fit its index and count.
	b := mustSign(t, testKey(1), testNet, 1, testVotes(4))
	a, _ := b.Attestation(0)
	raw := mustMarshal(t, &a)
	raw[1+headerSize+1] = 3 // count 3: vote 0 still has two siblings, but
	raw[1+headerSize+3] = 2 // index 2 is carried up once
	if err := new(Attestation).UnmarshalBinary(raw); !errors.Is(err, ErrBadPath) {
		t.Errorf("bad path length: %v, want ErrBadPath", err)
	}
	if _, err := (&Attestation{Count: 2, Index: 0}).MarshalBinary(); !errors.Is(err, ErrBadPath) {
		t.Errorf("MarshalBinary of a short path: %v, want ErrBadPath", err)
	}
}

package recon

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics, never returns a nil message
// without an error, and that whatever it accepts encodes back to the same
// bytes and decodes to the same value.
func FuzzDecode(f *testing.F) {
	for _, m := range validMessages() {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x81, 0x82, 0x40, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Decode(in)
		if err != nil {
			if m != nil {
				t.Fatalf("Decode returned a message and %v", err)
			}
			return
		}
		if m == nil {
			t.Fatal("Decode returned nil, nil")
		}
		out, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", in, out)
		}
		m2, err := Decode(out)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("second decode = %+v, %v; want %+v", m2, err, m)
		}
	})
}

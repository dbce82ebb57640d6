package nodekey

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics, returns exactly one of a key
// and an error, and that a parsed key writes back to a file that parses to
// the same key.
func FuzzParse(f *testing.F) {
	k, err := Generate(bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.Bytes())
	f.Add([]byte(`{"type":"ttx-node-key","version":1,"public":"00","seed":"00"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Parse(b)
		if (k == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one", k, err)
		}
		if err != nil {
			return
		}
		k2, err := Parse(k.Bytes())
		if err != nil || k2.Public() != k.Public() {
			t.Fatalf("round trip = %v, %v; want %v", k2, err, k)
		}
	})
}

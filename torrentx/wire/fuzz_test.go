package wire

import (
	"bytes"
	"reflect"
	"testing"
)

// harness is the one check every fuzz target runs (lnd lnwire style):
// Decode never panics and returns exactly one of a message and an error,
// and a decoded message encodes back to the same bytes and decodes to an
// equal value.
func harness(t *testing.T, in []byte) {
	m, err := Decode(in)
	if (m == nil) == (err == nil) {
		t.Fatalf("Decode = %v, %v: want exactly one of them", m, err)
	}
	if err != nil {
		return
	}
	out, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode of a decoded %s: %v", m.Type(), err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("%s re-encodes differently:\n in %x\nout %x", m.Type(), in, out)
	}
	m2, err := Decode(out)
	if err != nil || !reflect.DeepEqual(m, m2) {
		t.Fatalf("second decode = %+v, %v; want %+v", m2, err, m)
	}
}

// fuzzType seeds a target with the valid messages of one type.
func fuzzType(f *testing.F, typ Type) {
	for _, m := range validMessages()[typ] {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(harness)
}

func FuzzHello(f *testing.F)      { fuzzType(f, TypeHello) }
func FuzzInv(f *testing.F)        { fuzzType(f, TypeInv) }
func FuzzWant(f *testing.F)       { fuzzType(f, TypeWant) }
func FuzzTx(f *testing.F)         { fuzzType(f, TypeTx) }
func FuzzNotFound(f *testing.F)   { fuzzType(f, TypeNotFound) }
func FuzzQuery(f *testing.F)      { fuzzType(f, TypeQuery) }
func FuzzAnswer(f *testing.F)     { fuzzType(f, TypeAnswer) }
func FuzzPing(f *testing.F)       { fuzzType(f, TypePing) }
func FuzzPong(f *testing.F)       { fuzzType(f, TypePong) }
func FuzzReconQuery(f *testing.F) { fuzzType(f, TypeReconQuery) }
func FuzzReconReply(f *testing.F) { fuzzType(f, TypeReconReply) }
func FuzzPoll(f *testing.F)       { fuzzType(f, TypePoll) }
func FuzzVotes(f *testing.F)      { fuzzType(f, TypeVotes) }

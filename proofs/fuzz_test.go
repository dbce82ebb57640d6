package proofs

import (
	"bytes"
	"testing"

	"github.com/torrenttx/ttx/vote"
	"github.com/torrenttx/ttx/vote/votetest"
)

// fuzzSeeds returns valid proofs and damaged variants of them.
func fuzzSeeds(f *testing.F) (*fixture, [][]byte) {
	fx := newFixture(f)
	var seeds [][]byte
	for _, id := range [][32]byte{fx.b.ID, fx.c.ID, fx.d.ID, fx.net.ID} {
		b := fx.export(f, id)
		seeds = append(seeds, b, b[:len(b)/2], append(bytes.Clone(b), 'e'))
	}
	seeds = append(seeds, []byte("de"), []byte("d4:infod0:0:ee"), []byte("d5:nodesll1:ai1eeee"))
	return fx, seeds
}

// FuzzParse checks the strict proof parser: it never panics, and whatever
// it accepts encodes back to the identical bytes.
func FuzzParse(f *testing.F) {
	_, seeds := fuzzSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := parse(b)
		if err != nil {
			if pf != nil {
				t.Fatal("parse returned a file and an error")
			}
			return
		}
		if pf == nil {
			t.Fatal("parse returned (nil, nil)")
		}
		again, err := pf.encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip: %v\n in: %q\nout: %q", err, b, again)
		}
	})
}

// FuzzVerify runs the whole offline check on arbitrary input: it never
// panics, never returns (nil, nil), and a proof it accepts verifies again
// to the same transaction.
func FuzzVerify(f *testing.F) {
	fx, seeds := fuzzSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Verify(b, fx.net)
		if err != nil {
			if p != nil {
				t.Fatal("Verify returned a proof and an error")
			}
			return
		}
		if p == nil {
			t.Fatal("Verify returned (nil, nil)")
		}
		p2, err := Verify(b, fx.net)
		if err != nil || p2.ID != p.ID || p2.State != p.State || p2.Final != p.Final {
			t.Fatalf("second Verify: %v", err)
		}
	})
}

// FuzzCertificate puts arbitrary bytes in the certificate field of an
// otherwise valid proof of the fixture's tx b (with a matching checksum,
// so the fuzzer reaches the certificate checks): Verify never panics, and
// if it calls the proof final, the bytes are a certificate for b whose
// votes make it final.
func FuzzCertificate(f *testing.F) {
	fx := newFixture(f)
	good := votetest.Encode(f, fx.certify(f, fx.voters, fx.b, fx.b.ID))
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(votetest.Encode(f, fx.certify(f, fx.voters[:1], fx.b, fx.b.ID)))
	f.Add(votetest.Encode(f, fx.certify(f, fx.voters, fx.a, fx.a.ID)))
	f.Add([]byte{1})
	txs := raws(fx.net.Genesis, fx.a, fx.b)
	f.Fuzz(func(t *testing.T, cert []byte) {
		proof := build(t, fx.net, fx.b.Raw, txs, func(f *file) { f.Certs = [][]byte{cert} })
		p, err := Verify(proof, fx.net)
		if err != nil {
			if p != nil {
				t.Fatal("Verify returned a proof and an error")
			}
			return
		}
		if !p.Final {
			if p.NotFinal == "" {
				t.Fatal("not final, with no reason")
			}
			return
		}
		var c vote.Certificate
		if err := c.UnmarshalBinary(cert); err != nil {
			t.Fatalf("final on a certificate that does not decode: %v", err)
		}
		if res, err := c.Verify(nil); err != nil || !res.Final || c.Tx != fx.b.ID {
			t.Fatalf("final on a certificate for %s that verifies %+v, %v", c.Tx, res, err)
		}
	})
}

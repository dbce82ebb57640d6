package dag

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchGolden loads the golden network and tx.
func benchGolden(b *testing.B) (*Network, []byte) {
	b.Helper()
	g, err := os.ReadFile(filepath.Join("testdata", "golden", "genesis.json"))
	if err != nil {
		b.Fatal(err)
	}
	n, err := NewNetwork(g)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "golden", "tx.json"))
	if err != nil {
		b.Fatal(err)
	}
	return n, raw
}

func BenchmarkDecode(b *testing.B) {
	_, raw := benchGolden(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckSanity measures the context-free checks of a decoded tx:
// limits, burn, an 8-bit proof of work and the Ed25519 signature.
func BenchmarkCheckSanity(b *testing.B) {
	n, raw := benchGolden(b)
	p, err := Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := n.CheckSanity(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIDs(b *testing.B) {
	_, golden := benchGolden(b)
	for _, bc := range []struct {
		name string
		raw  []byte
	}{
		{"golden", golden},
		{"16KiB", make([]byte, MaxTxSize)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.raw)))
			for b.Loop() {
				IDs(bc.raw)
			}
		})
	}
}

// BenchmarkSign measures Network.Sign without proof of work, and with the
// golden network's 8 bits (about 256 encodings and hashes per tx).
func BenchmarkSign(b *testing.B) {
	key := codecKey(1)
	for _, bc := range []struct {
		name string
		pr   Params
	}{
		{"pow0", sanityParams},
		{"pow8", goldenParams},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := codecNetwork(b, bc.pr, codecPub(key), goldenSupply)
			tx := goldenTx(n)
			b.ReportAllocs()
			for b.Loop() {
				tx.Time++ // a new tx each time, so the nonce search varies
				if _, err := n.Sign(context.Background(), tx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProofOfWork prices pow_bits: the mean time to sign one tx on
// one core (the nonce search, as Sign does it, and the signature) for each
// candidate bit count, and so the tx/s one flooding core can sustain.
// A search is geometric: p99 is about 4.6 times the mean.
func BenchmarkProofOfWork(b *testing.B) {
	key := codecKey(1)
	for _, bitCount := range []uint8{12, 14, 16, 17, 18, 20} {
		b.Run(fmt.Sprintf("bits=%d", bitCount), func(b *testing.B) {
			pr := goldenParams
			pr.PowBits = bitCount
			n := codecNetwork(b, pr, codecPub(key), goldenSupply)
			tx := goldenTx(n)
			for b.Loop() {
				tx.Time++
				if _, err := n.Sign(context.Background(), tx, key); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(per*1e3, "ms/tx")
			b.ReportMetric(1/per, "tx/s/core")
		})
	}
}

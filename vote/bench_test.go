package vote

import "testing"

func BenchmarkSign256(b *testing.B) {
	priv, votes := testKey(1), testVotes(256)
	for b.Loop() {
		if _, err := Sign(priv, testNet, 1, votes); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/vote")
}

func BenchmarkVerify256(b *testing.B) {
	batch := mustSign(b, testKey(1), testNet, 1, testVotes(256))
	for b.Loop() {
		if err := batch.Verify(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/vote")
}

// BenchmarkCertificateVerify verifies the certificate of a two-input
// transaction carrying 20 keys' votes on both inputs, each key's two votes
// cut from one batch.
func BenchmarkCertificateVerify(b *testing.B) {
	c := certFrom(b, certTx, 1, 20, certTx)
	for b.Loop() {
		r, err := c.Verify(nil)
		if err != nil || !r.Final {
			b.Fatal(r, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.Attestations)), "ns/attestation")
}

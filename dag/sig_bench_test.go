package dag_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// BenchmarkVerify is the raw Ed25519 verify rate on all cores, the
// ceiling of how fast a node can check signatures: Go's crypto/ed25519
// (std, the rate the ingest benchmarks compare with), ttx's rule one at a
// time (single) and in SigBatches of 2 to 1,024 (batch/N). Each signature
// is by its own key over its own 600-byte message, as in an ingest. Besides
// the wall-clock rate it reports the process's CPU time per signature,
// which other loads on a shared machine disturb far less.
//
//	go test ./dag -run '^$' -bench BenchmarkVerify$
func BenchmarkVerify(b *testing.B) {
	const n = 1024
	type sig struct {
		pub      dag.PubKey
		msg, sig []byte
	}
	sigs := make([]sig, n)
	for i := range sigs {
		key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i), byte(i >> 8)}, ed25519.SeedSize/2))
		msg := bytes.Repeat([]byte{byte(i)}, 600)
		sigs[i] = sig{dagtest.PubKey(key), msg, ed25519.Sign(key, msg)}
	}
	// run verifies sigs in groups of size on all cores with check.
	run := func(b *testing.B, size int, check func(part []sig) bool) {
		var next atomic.Int64
		cpu := dagtest.CPUTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(int64(size))-int64(size)) % n
				if !check(sigs[i:min(i+size, n)]) {
					b.Error("verify failed")
					return
				}
			}
		})
		cpu = dagtest.CPUTime() - cpu
		b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "verify/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/1000/float64(b.N*size), "cpu-µs/verify")
	}
	b.Run("std", func(b *testing.B) {
		run(b, 1, func(s []sig) bool { return ed25519.Verify(s[0].pub[:], s[0].msg, s[0].sig) })
	})
	b.Run("single", func(b *testing.B) {
		run(b, 1, func(s []sig) bool { return dag.VerifySig(s[0].pub, s[0].msg, s[0].sig) })
	})
	for _, size := range []int{2, 8, 32, 64, 128, 256, 1024} {
		b.Run(fmt.Sprintf("batch/%d", size), func(b *testing.B) {
			run(b, size, func(s []sig) bool {
				sb := dag.NewSigBatch(len(s))
				for _, x := range s {
					sb.Add(x.pub, x.msg, x.sig)
				}
				ok, _ := sb.Verify()
				return ok
			})
		})
	}
}

package dagtest

import (
	"crypto/ed25519"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// VerifyRates measures how fast the signatures of raws verify on all
// cores, in signatures per second: with Go's crypto/ed25519 (std), with
// dag.VerifySig one at a time (single), and with dag.SigBatch in batches
// of batch (batched). Each is the mean of two rounds, taken in the order
// std, single, batched, batched, single, std, so that a drift of a shared
// machine's speed weighs on the three alike. It fails tb if a signature
// does not verify.
func VerifyRates(tb testing.TB, net *dag.Network, raws [][]byte, batch int) (std, single, batched float64) {
	tb.Helper()
	type sig struct {
		pub      dag.PubKey
		msg, sig []byte
	}
	sigs := make([]sig, len(raws))
	for i, raw := range raws {
		p, err := dag.Decode(raw)
		if err != nil {
			tb.Fatal(err)
		}
		msg, err := dag.SigningBytes(net.ID, &p.Tx)
		if err != nil {
			tb.Fatal(err)
		}
		sigs[i] = sig{p.From, msg, p.Sig}
	}
	// rate runs check over sigs in chunks of size on GOMAXPROCS workers.
	rate := func(size int, check func(part []sig) bool) float64 {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for {
					i := int(next.Add(1)-1) * size
					if i >= len(sigs) {
						return
					}
					if !check(sigs[i:min(i+size, len(sigs))]) {
						tb.Error("dagtest: a signature does not verify")
						return
					}
				}
			})
		}
		wg.Wait()
		return float64(len(sigs)) / time.Since(start).Seconds()
	}
	stdRound := func() float64 {
		return rate(1, func(s []sig) bool { return ed25519.Verify(s[0].pub[:], s[0].msg, s[0].sig) })
	}
	singleRound := func() float64 {
		return rate(1, func(s []sig) bool { return dag.VerifySig(s[0].pub, s[0].msg, s[0].sig) })
	}
	batchRound := func() float64 {
		return rate(batch, func(s []sig) bool {
			b := dag.NewSigBatch(len(s))
			for _, x := range s {
				b.Add(x.pub, x.msg, x.sig)
			}
			ok, _ := b.Verify()
			return ok
		})
	}
	std, single, batched = stdRound(), singleRound(), batchRound()
	batched, single, std = (batched+batchRound())/2, (single+singleRound())/2, (std+stdRound())/2
	return std, single, batched
}

package dag

import (
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// sigOptions is ttx's one signature rule, ZIP-215: the cofactored
// verification equation [8][S]B = [8]R + [8][k]A, any encoding of A and R
// that decodes to a curve point (non-canonical and small-order ones
// included), and S < L. Under it a signature is valid in a batch iff it is
// valid alone, which the standard library's cofactorless rule does not
// give; signature validity is consensus, so every check uses this rule.
var sigOptions = &voi.Options{Verify: voi.VerifyOptionsZIP_215}

// sigBatchSize is how many signatures one SigBatch of the Graph's prepare
// step holds. Per signature, a batch costs less the larger it is (measured
// in CPU time with BenchmarkVerify: about 0.8 of a single check at 8, 0.6
// at 64, 0.5 at 256, 0.45 at 1,024), while one bad signature makes the
// whole batch be checked again one by one; 256 takes most of the gain.
const sigBatchSize = 256

// VerifySig reports whether sig is a valid Ed25519 signature of msg by pub
// under ttx's rule (ZIP-215, see PROTOCOL.md "Signatures"). A sig that is
// not 64 bytes is invalid. Signing stays the standard library's: every
// signature it makes is valid under this rule.
func VerifySig(pub PubKey, msg, sig []byte) bool {
	return voi.VerifyWithOptions(pub[:], msg, sig, sigOptions)
}

// SigBatch verifies many signatures at once, under the same rule as
// VerifySig: each one is valid in the batch iff VerifySig accepts it. In a
// batch of valid signatures each costs a fraction of a VerifySig (see
// sigBatchSize); a batch with a bad one costs a failed batch check plus a
// single check of each, which finds the bad ones. It is not safe for
// concurrent use.
type SigBatch struct {
	v *voi.BatchVerifier // from the second Add on
	n int
	// first is the first signature, kept aside so that a batch of one is
	// checked by VerifySig.
	first struct {
		pub      PubKey
		msg, sig []byte
	}
}

// NewSigBatch returns an empty batch with room for n signatures.
//
// The library would precompute a table for each key of a batch below 94
// signatures; without, every batch size measured faster, so it is off.
func NewSigBatch(n int) *SigBatch {
	return &SigBatch{v: voi.NewBatchVerifierWithCapacity(n).ForceNoPublicKeyExpansion()}
}

// Add adds the signature sig of msg by pub. The batch may keep msg and sig
// until Verify: the caller must not change them before.
func (b *SigBatch) Add(pub PubKey, msg, sig []byte) {
	b.n++
	switch b.n {
	case 1:
		b.first.pub, b.first.msg, b.first.sig = pub, msg, sig
		return
	case 2:
		b.v.AddWithOptions(b.first.pub[:], b.first.msg, b.first.sig, sigOptions)
		b.first.msg, b.first.sig = nil, nil
	}
	b.v.AddWithOptions(pub[:], msg, sig, sigOptions)
}

// Len returns the number of signatures added.
func (b *SigBatch) Len() int { return b.n }

// Verify reports whether every signature added is valid and, if not all
// are, which: valid[i] for the i-th Add. An empty batch is valid.
func (b *SigBatch) Verify() (ok bool, valid []bool) {
	switch b.n {
	case 0:
		return true, nil
	case 1:
		ok := VerifySig(b.first.pub, b.first.msg, b.first.sig)
		return ok, []bool{ok}
	}
	return b.v.Verify(nil)
}

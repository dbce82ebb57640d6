package dag

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"fmt"
	"math/bits"
	"strconv"
)

// nonceKey is how the nonce field starts in canonical form; it comes last
// before sig, so the unsigned body of a tx with a nonce ends in
// `"nonce":<digits>}`.
const nonceKey = `,"nonce":`

// solve returns the first nonce, counting up from 1, whose signing bytes
// have at least need leading zero bits. body is the unsigned canonical
// body of tx with Nonce 1. The bytes before the nonce are hashed once and
// the hash state is copied for each try, so a try costs one or two SHA-256
// blocks whatever the size of the tx: this is the rate a flooder reaches on
// one core, and what pow_bits is priced by (BenchmarkProofOfWork).
func (n *Network) solve(ctx context.Context, body []byte, need int) (uint64, error) {
	i := bytes.LastIndex(body, []byte(nonceKey))
	if i < 0 || !bytes.HasSuffix(body, []byte(nonceKey+"1}")) {
		return 0, fmt.Errorf("proof of work: body does not end in a nonce")
	}
	prefix := signingBytes(n.ID, body[:i+len(nonceKey)])
	h := sha256.New()
	h.Write(prefix)
	mid, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return 0, fmt.Errorf("proof of work: %w", err)
	}
	try := sha256.New()
	var tail [24]byte
	var sum [sha256.Size]byte
	for nonce := uint64(1); nonce != 0; nonce++ {
		if nonce%65536 == 0 && ctx.Err() != nil {
			return 0, fmt.Errorf("proof of work: %w", ctx.Err())
		}
		if err := try.(encoding.BinaryUnmarshaler).UnmarshalBinary(mid); err != nil {
			return 0, fmt.Errorf("proof of work: %w", err)
		}
		t := append(strconv.AppendUint(tail[:0], nonce, 10), '}')
		try.Write(t)
		if leadingZeros(try.Sum(sum[:0])) >= need {
			return nonce, nil
		}
	}
	return 0, fmt.Errorf("proof of work: no nonce has %d bits", need)
}

// leadingZeros returns the number of leading zero bits of h.
func leadingZeros(h []byte) int {
	n := 0
	for _, b := range h {
		if b != 0 {
			return n + bits.LeadingZeros8(b)
		}
		n += 8
	}
	return n
}

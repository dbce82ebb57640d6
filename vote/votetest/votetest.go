// Package votetest makes real signed votes and finality certificates for
// tests, without running the vote: each voter key signs a batch, as a
// node answering a poll does.
package votetest

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/vote"
)

// Keys returns n node keys, the same ones on every call (key i has the
// seed of 32 bytes i+1).
func Keys(n int) []ed25519.PrivateKey {
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		keys[i] = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, ed25519.SeedSize))
	}
	return keys
}

// Certificate returns the certificate for tx on network that voters'
// votes make: voter i signs, at Unix millisecond i+1, one batch preferring
// pref on every input of tx, and the certificate holds every vote, in
// voter order. K and Alpha are those of vote.ParamsFor(peers).
func Certificate(t testing.TB, network dag.TxID, voters []ed25519.PrivateKey, tx *dag.Parsed, pref dag.TxID, peers int) *vote.Certificate {
	t.Helper()
	params := vote.ParamsFor(peers)
	c := &vote.Certificate{Network: network, Tx: tx.ID, Inputs: tx.Prev, K: params.K, Alpha: params.Alpha}
	votes := make([]vote.Vote, len(tx.Prev))
	for i, op := range tx.Prev {
		votes[i] = vote.Vote{Out: op, Pref: pref}
	}
	for i, key := range voters {
		b, err := vote.Sign(key, network, int64(i+1), votes)
		if err != nil {
			t.Fatal(err)
		}
		for j := range votes {
			a, err := b.Attestation(j)
			if err != nil {
				t.Fatal(err)
			}
			c.Attestations = append(c.Attestations, a)
		}
	}
	return c
}

// Encode encodes c, failing the test on an error.
func Encode(t testing.TB, c *vote.Certificate) []byte {
	t.Helper()
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

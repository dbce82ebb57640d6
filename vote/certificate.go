package vote

import (
	"errors"
	"fmt"
	"slices"

	"github.com/torrenttx/ttx/dag"
)

// Certificate limits.
const (
	// MaxCertInputs is the most inputs a certificate covers: a
	// transaction's own limit on prev.
	MaxCertInputs = dag.HardMaxPrev
	// MaxCertAttestations is the most attestations a certificate holds: K
	// votes for each of MaxCertInputs inputs at the default K.
	MaxCertAttestations = MaxCertInputs * DefaultK
)

// Certificate is the evidence that a transaction is final: signed votes,
// from distinct node keys, that prefer Tx for each of its inputs. K and
// Alpha are the poll size and quorum it claims to meet.
//
// Every input counts, contested or not: a transaction no conflict is
// known for is final on the same evidence as the winner of a race, Alpha
// votes for it on each input. So a certificate always names at least one
// input; a genesis transaction has none and needs no certificate.
// Verify checks only the votes: the caller checks that Inputs are the
// prev outputs of Tx's tx.json. A builder puts in one vote per key and
// input, the one that made the decision: two votes of one key on one
// output with different preferences (a node that changed its mind between
// polls looks the same) leave that key out.
type Certificate struct {
	Network      dag.TxID
	Tx           dag.TxID
	Inputs       []dag.OutPoint
	K, Alpha     int
	Attestations []Attestation
}

// Result is what a Certificate proves.
type Result struct {
	// Final reports whether every input has at least Alpha counted keys.
	Final bool
	// Votes is the number of (key, input) votes for Tx counted.
	Votes int
	// Keys is the number of distinct node keys counted on any input.
	Keys int
	// Weakest is the fewest keys counted on one input.
	Weakest int
	// Equivocators is the number of keys left out because they signed two
	// different preferences for one output.
	Equivocators int
}

// check checks the certificate's fields other than its attestations.
func (c *Certificate) check() error {
	switch {
	case c.Tx.IsZero():
		return errors.New("vote: certificate for the zero transaction ID")
	case len(c.Attestations) > MaxCertAttestations:
		return fmt.Errorf("%w: %d attestations, limit %d", ErrTooLarge, len(c.Attestations), MaxCertAttestations)
	case c.K < 1 || c.K > MaxK:
		return fmt.Errorf("%w: certificate k = %d, want 1..%d", ErrParams, c.K, MaxK)
	case c.Alpha < alphaFor(c.K) || c.Alpha > c.K:
		return fmt.Errorf("%w: certificate alpha = %d, want %d..%d for k = %d", ErrParams, c.Alpha, alphaFor(c.K), c.K, c.K)
	}
	return checkOutputs(c.Inputs, MaxCertInputs, "inputs", func(o dag.OutPoint) dag.OutPoint { return o })
}

// Verify checks every attestation (signature, Merkle path, network, and
// that it votes on one of Inputs; the signatures of the distinct headers in
// one dag.SigBatch) and counts, for each input, the distinct
// node keys whose attestation prefers Tx. A key that signed two different
// preferences for one output anywhere in the certificate is an
// equivocator and counts nowhere. With trusted non-nil, only its keys
// count. One bad attestation makes the whole certificate an error: a
// certificate is built by one node, which checked what it put in.
func (c *Certificate) Verify(trusted map[NodeKey]bool) (Result, error) {
	if err := c.check(); err != nil {
		return Result{}, fmt.Errorf("verify certificate: %w", err)
	}
	inputs := make(map[dag.OutPoint]int, len(c.Inputs))
	for i, in := range c.Inputs {
		inputs[in] = i
	}
	type keyOut struct {
		key NodeKey
		out dag.OutPoint
	}
	prefs := make(map[keyOut]dag.TxID, len(c.Attestations))
	equivocal := map[NodeKey]bool{}
	signed := map[Header]bool{} // headers added to sigs
	sigs := dag.NewSigBatch(len(c.Attestations))
	var first []int // the attestation that brought each header of sigs
	for i := range c.Attestations {
		a := &c.Attestations[i]
		if a.Network != c.Network {
			return Result{}, fmt.Errorf("verify certificate: attestation %d: %w", i, ErrWrongNetwork)
		}
		if _, ok := inputs[a.Vote.Out]; !ok {
			return Result{}, fmt.Errorf("verify certificate: attestation %d: %w: %s", i, ErrUnknownOutput, a.Vote.Out)
		}
		if err := a.checkPath(); err != nil {
			return Result{}, fmt.Errorf("verify certificate: attestation %d: %w", i, err)
		}
		if !signed[a.Header] {
			signed[a.Header] = true
			sigs.Add(dag.PubKey(a.Key), a.Header.signed(), a.Sig[:])
			first = append(first, i)
		}
		ko := keyOut{a.Key, a.Vote.Out}
		if p, ok := prefs[ko]; ok && p != a.Vote.Pref {
			equivocal[a.Key] = true
		}
		prefs[ko] = a.Vote.Pref
	}
	if ok, valid := sigs.Verify(); !ok {
		i := first[slices.Index(valid, false)]
		return Result{}, fmt.Errorf("verify certificate: attestation %d: %w", i, ErrBadSignature)
	}
	counts := make([]int, len(c.Inputs))
	keys := map[NodeKey]bool{}
	r := Result{Equivocators: len(equivocal)}
	for ko, pref := range prefs {
		if pref != c.Tx || equivocal[ko.key] || (trusted != nil && !trusted[ko.key]) {
			continue
		}
		counts[inputs[ko.out]]++
		keys[ko.key] = true
		r.Votes++
	}
	r.Keys = len(keys)
	r.Weakest = counts[0]
	for _, n := range counts {
		r.Weakest = min(r.Weakest, n)
	}
	r.Final = r.Weakest >= c.Alpha
	return r, nil
}

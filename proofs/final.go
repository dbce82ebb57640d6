package proofs

import (
	"fmt"
	"slices"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/vote"
)

// Finality is what one finality certificate in a proof shows.
type Finality struct {
	// ID is the transaction the certificate is for.
	ID dag.TxID
	// Result counts the certificate's votes for ID (zero if Err is set):
	// Final reports whether every input of ID has at least Alpha counted
	// node keys.
	vote.Result
	// K and Alpha are the poll size and quorum the certificate claims.
	K, Alpha int
	// Err is why the certificate's votes do not verify (a bad signature or
	// Merkle path, a vote on an output it does not list), or nil.
	Err error
}

// decodeCert decodes a proof's certificate strictly; it does not verify
// the votes.
func decodeCert(raw []byte) (*vote.Certificate, error) {
	c := new(vote.Certificate)
	if err := c.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return c, nil
}

// checkCert checks that c belongs with tx: it is for tx, on net, and its
// inputs are tx's prev outputs in order.
func checkCert(c *vote.Certificate, net *dag.Network, tx *dag.Parsed) error {
	switch {
	case c.Network != net.ID:
		return fmt.Errorf("%w: certificate of %s is for network %s", ErrWrongNetwork, c.Tx, c.Network)
	case c.Tx != tx.ID:
		return fmt.Errorf("%w: certificate for %s, not %s", ErrMalformed, c.Tx, tx.ID)
	case !slices.Equal(c.Inputs, tx.Prev):
		return fmt.Errorf("%w: certificate of %s lists other inputs than the transaction spends", ErrMalformed, c.Tx)
	}
	return nil
}

// verifyCerts checks the proof's certificates (each names a transaction
// of the proof, in proof order, at most once, and passes checkCert) and
// verifies each one's votes, counting only trusted keys if trusted is not
// nil. A certificate whose votes do not verify makes no error: its
// Finality says why, and it counts as not final.
func verifyCerts(f *file, net *dag.Network, txs []*dag.Parsed, index map[dag.TxID]int, trusted map[vote.NodeKey]bool) ([]Finality, error) {
	out := make([]Finality, 0, len(f.Certs))
	last := -1
	for i, raw := range f.Certs {
		c, err := decodeCert(raw)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i, err)
		}
		ti, ok := index[c.Tx]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: certificate %d is for %s, which the proof does not hold", ErrMalformed, i, c.Tx)
		case ti <= last:
			return nil, fmt.Errorf("%w: certificate %d (of %s) is out of order or listed twice", ErrMalformed, i, c.Tx)
		}
		last = ti
		if err := checkCert(c, net, txs[ti]); err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i, err)
		}
		res, err := c.Verify(trusted)
		out = append(out, Finality{ID: c.Tx, Result: res, K: c.K, Alpha: c.Alpha, Err: err})
	}
	return out, nil
}

// Votes returns the proven transaction's counted votes and the distinct
// node keys that cast them: its certificate's Votes and Keys, or 0, 0 if
// the proof carries none.
func (p *Proof) Votes() (votes, keys int) {
	if c := p.Certificate; c != nil {
		return c.Votes, c.Keys
	}
	return 0, 0
}

// finality decides whether the proof shows p's transaction final and sets
// p.Final, p.NotFinal and p.Certificate from p.Certificates.
func (p *Proof) finality() {
	for i := range p.Certificates {
		if p.Certificates[i].ID == p.ID {
			p.Certificate = &p.Certificates[i]
		}
	}
	for _, e := range p.Certificates {
		if e.Final && slices.Contains(p.Evidence, e.ID) {
			p.NotFinal = fmt.Sprintf("the double spend %s, against it or an ancestor, has a final certificate", e.ID)
			return
		}
	}
	c := p.Certificate
	switch {
	case p.Tx.IsGenesis():
		p.Final = true // the genesis spends nothing: there is no vote to win
	case c == nil:
		p.NotFinal = "the proof carries no finality certificate for it"
	case c.Err != nil:
		p.NotFinal = fmt.Sprintf("its certificate does not verify: %v", c.Err)
	case !c.Final:
		p.NotFinal = fmt.Sprintf("its certificate counts %d of the %d votes needed on its weakest input", c.Weakest, c.Alpha)
	default:
		p.Final = true
	}
}

package vote

import "fmt"

// Sampling limits.
const (
	// DefaultK is the poll size of a large network (avalanchego's k).
	DefaultK = 20
	// MaxK is the largest poll size Validate accepts: a certificate
	// stores K and Alpha in one byte each.
	MaxK = 255
	// DefaultBetaRogue is the BetaRogue of ParamsFor, chosen by the
	// simulations in the package doc.
	DefaultBetaRogue = 8
)

// Params are the Snowball parameters of a node.
type Params struct {
	// K is the number of peers asked in one poll.
	K int
	// AlphaPreference is the majority that moves a preference: a poll in
	// which at least AlphaPreference of the K answers name one side is a
	// success for that side.
	AlphaPreference int
	// Alpha is the quorum that builds confidence (avalanchego's
	// AlphaConfidence): only a success with at least Alpha answers for the
	// side extends its run of consecutive successes, and a certificate
	// needs Alpha signed votes.
	Alpha int
	// BetaVirtuous is the number of consecutive successful polls that
	// finalize a transaction no conflict is known for.
	BetaVirtuous int
	// BetaRogue is the number of consecutive successful polls for one side
	// that finalize a contested output.
	BetaRogue int
}

// Validate reports whether p can run a vote: 1 <= K <= MaxK,
// K/2 < AlphaPreference <= Alpha <= K (two sides can never both win one
// poll) and 1 <= BetaVirtuous <= BetaRogue. Errors wrap ErrParams.
func (p Params) Validate() error {
	switch {
	case p.K < 1 || p.K > MaxK:
		return fmt.Errorf("%w: k = %d, want 1..%d", ErrParams, p.K, MaxK)
	case p.AlphaPreference <= p.K/2 || p.AlphaPreference > p.K:
		return fmt.Errorf("%w: alpha preference = %d, want %d..%d for k = %d", ErrParams, p.AlphaPreference, p.K/2+1, p.K, p.K)
	case p.Alpha < p.AlphaPreference || p.Alpha > p.K:
		return fmt.Errorf("%w: alpha = %d, want %d..%d for k = %d and alpha preference = %d", ErrParams, p.Alpha, p.AlphaPreference, p.K, p.K, p.AlphaPreference)
	case p.BetaVirtuous < 1:
		return fmt.Errorf("%w: beta virtuous = %d, want >= 1", ErrParams, p.BetaVirtuous)
	case p.BetaRogue < p.BetaVirtuous:
		return fmt.Errorf("%w: beta rogue = %d, want >= beta virtuous = %d", ErrParams, p.BetaRogue, p.BetaVirtuous)
	}
	return nil
}

// alphaFor is the quorum for a poll of k answers: a strict majority, and at
// least three quarters (avalanchego's 15 of 20).
func alphaFor(k int) int { return max(k/2+1, (3*k+3)/4) }

// ParamsFor returns the parameters for a node that knows the given number
// of peers: K = min(DefaultK, peers) and at least 1, AlphaPreference = a
// strict majority of K, Alpha = alphaFor(K), BetaVirtuous = 1 and
// BetaRogue = DefaultBetaRogue (see the package doc for the simulations
// behind it).
func ParamsFor(peers int) Params {
	k := min(DefaultK, max(1, peers))
	return Params{K: k, AlphaPreference: k/2 + 1, Alpha: alphaFor(k), BetaVirtuous: 1, BetaRogue: DefaultBetaRogue}
}

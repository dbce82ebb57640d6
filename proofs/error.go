package proofs

import "errors"

// Sentinel errors. Verify wraps them (and dag.RuleErrors) in a *ProofError.
var (
	// ErrTooLarge: the proof exceeds MaxSize bytes or MaxTxs transactions.
	ErrTooLarge = errors.New("proofs: proof is too large")
	// ErrMalformed: the file is not the one canonical bencoding of a proof
	// (bad bencode, unknown or missing key, wrong type, bad checksum, ...).
	ErrMalformed = errors.New("proofs: malformed proof file")
	// ErrWrongNetwork: the proof is for another network than the verifier's.
	ErrWrongNetwork = errors.New("proofs: proof is for another network")
	// ErrIncomplete: a transaction spends an output of one the proof does
	// not hold before it, so the ancestry back to genesis is not complete.
	ErrIncomplete = errors.New("proofs: ancestry is incomplete")
	// ErrUnrelated: the proof holds a transaction that is neither an
	// ancestor of the proven one nor double-spend evidence against one.
	ErrUnrelated = errors.New("proofs: proof holds an unrelated transaction")
	// ErrNotAccepted: the proven transaction does not end accepted when the
	// proof is replayed, or (Export) is not accepted on this node.
	ErrNotAccepted = errors.New("proofs: transaction is not accepted")
)

// ProofError reports a failed proof operation: Op is what was being done
// ("verify proof", "read proof", "write proof"), Path the file if there is
// one. Err is a sentinel above, a dag.RuleError or an I/O error.
type ProofError struct {
	Op   string
	Path string
	Err  error
}

func (e *ProofError) Error() string {
	if e.Path == "" {
		return e.Op + ": " + e.Err.Error()
	}
	return e.Op + " " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *ProofError) Unwrap() error { return e.Err }

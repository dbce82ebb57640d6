package vote

import "errors"

// Sentinel errors. Every error a decoder or verifier returns wraps one of
// them, so a caller can tell a bad peer (any of these) from its own fault.
var (
	// ErrParams: a Params value breaks a rule of Params.Validate.
	ErrParams = errors.New("vote: invalid parameters")
	// ErrMalformed: an encoding has a bad version, length, count or
	// trailing bytes.
	ErrMalformed = errors.New("vote: malformed encoding")
	// ErrTooLarge: a batch, poll or certificate holds more items than its
	// limit (MaxVotes, MaxPollOuts, MaxCertInputs, MaxCertAttestations).
	ErrTooLarge = errors.New("vote: too many items")
	// ErrEmpty: a batch or certificate with nothing in it.
	ErrEmpty = errors.New("vote: empty")
	// ErrDuplicate: one output named twice in a batch, a poll or a
	// certificate's inputs.
	ErrDuplicate = errors.New("vote: duplicate output")
	// ErrBadSignature: a signature does not verify over the signed message.
	ErrBadSignature = errors.New("vote: bad signature")
	// ErrBadPath: a Merkle path does not lead from the vote to the signed
	// root, or has the wrong length for its index.
	ErrBadPath = errors.New("vote: bad merkle path")
	// ErrWrongNetwork: an attestation signed for another network than its
	// certificate's.
	ErrWrongNetwork = errors.New("vote: wrong network")
	// ErrUnknownOutput: a certificate's attestation votes on an output the
	// certificate does not list as an input.
	ErrUnknownOutput = errors.New("vote: attestation for an output not in the certificate")
)

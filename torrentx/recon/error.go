package recon

import "errors"

// Sentinel errors. Decode errors wrap ErrMalformed; a reply that does not
// fit the session's last query wraps ErrProtocol.
var (
	// ErrMalformed is returned for a message that is not well-formed CBOR,
	// not in canonical form, or breaks a structural rule (bounds out of
	// order, IDs outside their range, a bad length).
	ErrMalformed = errors.New("recon: malformed message")
	// ErrTooLarge is returned for a message over MaxMessageSize or with
	// more than MaxRanges ranges.
	ErrTooLarge = errors.New("recon: message too large")
	// ErrProtocol is returned by Session.Reconcile for a reply that does
	// not answer the session's last query.
	ErrProtocol = errors.New("recon: protocol violation")
	// ErrDone is returned by Session.Reconcile after the session ended.
	ErrDone = errors.New("recon: session is done")
)

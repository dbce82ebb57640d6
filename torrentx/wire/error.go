package wire

import "errors"

// Sentinel errors; Encode and Decode wrap them with details.
var (
	// ErrTooLarge: the message is over MaxMessageSize.
	ErrTooLarge = errors.New("wire: message too large")
	// ErrMalformed: not well-formed CBOR, not the canonical encoding, an
	// unknown or duplicate field, or a field of the wrong type or length.
	ErrMalformed = errors.New("wire: malformed message")
	// ErrUnknownType: a message type this version does not know.
	ErrUnknownType = errors.New("wire: unknown message type")
	// ErrInvalid: a field breaks a protocol limit (too many IDs, an empty
	// list, a bad version, an oversized transaction or agent string).
	ErrInvalid = errors.New("wire: invalid message")
)

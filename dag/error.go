package dag

import (
	"errors"
	"fmt"
)

// Sentinel errors that are not rule violations.
var (
	// ErrNotFound is returned by Store lookups for an unknown transaction or output.
	ErrNotFound = errors.New("dag: not found")
	// ErrClosed is returned by a Graph or Store used after Close.
	ErrClosed = errors.New("dag: closed")
)

// ErrorCode identifies a kind of rule violation. The numeric values are
// part of the wire protocol (query answers carry them) and never change.
type ErrorCode uint8

// Rule violation codes. A RuleError with any of these means the transaction
// (not the node) is at fault.
const (
	// ErrMalformed: not a canonical tx.json (bad JSON, unknown or duplicate
	// field, wrong field order, whitespace, escapes, a float, ...).
	ErrMalformed ErrorCode = iota + 1
	// ErrTooLarge: the encoding exceeds MaxTxSize.
	ErrTooLarge
	// ErrBadField: a field is out of range or has the wrong shape
	// (version, time, memo, counts, hex, index).
	ErrBadField
	// ErrBadAddress: an address fails to decode, has a bad checksum or the
	// wrong network prefix.
	ErrBadAddress
	// ErrBadAmount: a zero output, or a sum that overflows uint64.
	ErrBadAmount
	// ErrBadSignature: the Ed25519 signature does not verify over the
	// signing bytes (which include the network ID).
	ErrBadSignature
	// ErrBurnTooLow: burn < size * burn_per_byte.
	ErrBurnTooLow
	// ErrInsufficientWork: the proof of work has fewer than pow_bits
	// leading zero bits.
	ErrInsufficientWork
	// ErrDuplicatePrev: one output is listed twice in prev.
	ErrDuplicatePrev
	// ErrUnknownOutput: prev names an output index the parent does not have.
	ErrUnknownOutput
	// ErrNotOwner: a prev output does not belong to the signer.
	ErrNotOwner
	// ErrUnbalanced: sum(prev) != sum(out) + burn.
	ErrUnbalanced
	// ErrDoubleSpend: a prev output is already spent by another accepted
	// transaction; this one lost (first seen wins) and is kept as evidence.
	ErrDoubleSpend
	// ErrParentRejected: a parent is known but rejected, so this
	// transaction can never be accepted.
	ErrParentRejected
	// ErrGenesis: a transaction shaped as a genesis that is not this
	// network's genesis, or a genesis with invalid parameters.
	ErrGenesis
	// ErrIDMismatch: the bytes do not hash to the ID they were offered under.
	ErrIDMismatch
	// ErrOrphanLimit: the orphan pool is full (per source or in total), or
	// the orphan expired before its parents arrived.
	ErrOrphanLimit
	// ErrLostVote: the network's vote chose another side of a double
	// spend of one of its inputs.
	ErrLostVote
	// ErrLateConflict: it double-spends an input that this node already
	// holds spent by a final transaction; it loses without a vote.
	ErrLateConflict
	// ErrTooManyCandidates: its input already has the most double spends
	// a node keeps (MaxCandidates); it is neither stored nor relayed.
	ErrTooManyCandidates
)

var codeNames = [...]string{
	ErrMalformed:         "ErrMalformed",
	ErrTooLarge:          "ErrTooLarge",
	ErrBadField:          "ErrBadField",
	ErrBadAddress:        "ErrBadAddress",
	ErrBadAmount:         "ErrBadAmount",
	ErrBadSignature:      "ErrBadSignature",
	ErrBurnTooLow:        "ErrBurnTooLow",
	ErrInsufficientWork:  "ErrInsufficientWork",
	ErrDuplicatePrev:     "ErrDuplicatePrev",
	ErrUnknownOutput:     "ErrUnknownOutput",
	ErrNotOwner:          "ErrNotOwner",
	ErrUnbalanced:        "ErrUnbalanced",
	ErrDoubleSpend:       "ErrDoubleSpend",
	ErrParentRejected:    "ErrParentRejected",
	ErrGenesis:           "ErrGenesis",
	ErrIDMismatch:        "ErrIDMismatch",
	ErrOrphanLimit:       "ErrOrphanLimit",
	ErrLostVote:          "ErrLostVote",
	ErrLateConflict:      "ErrLateConflict",
	ErrTooManyCandidates: "ErrTooManyCandidates",
}

// String returns the code's name, e.g. "ErrDoubleSpend".
func (c ErrorCode) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return fmt.Sprintf("ErrorCode(%d)", uint8(c))
}

// RuleError reports a transaction that breaks a protocol rule. The node
// drops such a transaction and may score the peer that sent it; any error
// that is not a RuleError is the node's own fault (I/O, a broken invariant).
type RuleError struct {
	Code ErrorCode
	Desc string
}

func (e RuleError) Error() string { return "dag: " + e.Desc }

func ruleError(c ErrorCode, format string, args ...any) RuleError {
	return RuleError{Code: c, Desc: fmt.Sprintf(format, args...)}
}

// IsRuleError reports whether err is (or wraps) a RuleError, and returns it.
func IsRuleError(err error) (RuleError, bool) {
	var re RuleError
	ok := errors.As(err, &re)
	return re, ok
}

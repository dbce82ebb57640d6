// Package vote settles a race between transactions that spend one output:
// the Snowball vote every node runs (Set, Params), how a node picks whom to
// ask (Sample), and the signed, batched votes whose collection makes a
// transaction's finality certificate.
//
// The package is pure: no network, no storage, no goroutines. Given the
// same inputs and the same *rand.Rand it does the same thing, so a
// simulator can run it on hundreds of nodes deterministically.
//
// # Errors
//
// Invalid parameters wrap ErrParams. RecordPoll panics on counts that
// cannot come from one poll (a programmer error).
package vote

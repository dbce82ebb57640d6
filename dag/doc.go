// Package dag is the ttx ledger: the transaction format, its IDs, and the
// rules that order transactions into a DAG of spends.
//
// A transaction is one canonical tx.json file (Tx, Encode, Decode). Its ID is
// the BitTorrent v2 infohash of the hybrid v1+v2 single-file torrent built
// from its bytes alone (InfoDict, IDs); a v1 infohash is derived as an alias.
// Outputs are spent by naming them in prev as "<txid>:<index>" (OutPoint).
// Amounts are uint64 base units (Amount), 1 TTX = 10^8, never floats.
// Addresses are Ed25519 public keys in bech32m with a network prefix.
//
// Validation has two steps. Decode and Network.CheckSanity need no ledger:
// canonical form, sizes, limits, burn, proof of work and the signature,
// which covers the network ID. Signatures, here and in votes, verify under
// one rule, ZIP-215's (VerifySig), under which a batch check (SigBatch)
// agrees with single checks on every signature. Graph applies the contextual rules against a
// Store: every parent accepted first (else the tx waits in a bounded orphan
// pool), prev outputs exist, are unspent and belong to the signer, and
// sum(prev) = sum(out) + burn. Double spends: first seen wins; the loser is
// stored as evidence, rejected with ErrDoubleSpend, and both sides list each
// other as conflicts. The evidence also claims the other outputs it names: a
// tx accepted later that spends one of them is conflicted with it too. Only a spend that passes every other rule counts as a
// double spend, so nobody can mark a payment conflicted with a transaction
// that could never have been accepted.
//
// # Graph
//
// Graph is the ledger's single writer. Add, AddBatch and Submit hash the
// transactions (SubmitHashed takes them hashed by Claimed, which checked a
// sender's claimed IDs), look the IDs up, then decode (with a decoder that remembers addresses) and verify
// signatures (in SigBatches of 256) in the callers' goroutines, in parallel, with no read
// transaction open; one committer goroutine then applies whatever is queued
// in one Store.Update (group commit; under load it waits up to 3 ms to group
// more) and answers every caller, and OnChange, only after that Update
// returned nil. Submit returns once its transactions are queued, so a
// caller can verify the next ones while these are committed.
// A parent earlier in the same commit counts as known. When a parent is
// accepted, the orphans waiting for it are reconsidered in the same commit,
// cascading down chains; when it is rejected, they are rejected too
// (ErrParentRejected). Rejected transactions that are not stored are kept in
// a bounded memory so they are neither fetched nor verified again. The orphan
// pool (OrphanLimits) bounds count, bytes, share per source and age; a
// transaction turned away for lack of room (ErrOrphanLimit) may come back.
//
// MemStore is a Store in memory: for tests, and for checking a proof's
// ancestry offline with a Graph.
//
// # Invariants
//
//   - Every stored transaction passed CheckID: its bytes hash to its ID.
//   - No output is spent by two accepted transactions.
//   - Every parent of an accepted transaction is accepted.
//   - Σ unspent + Σ burned = the genesis supply.
//   - A Store's Digest depends only on the set of stored IDs.
//
// This package imports no networking or storage code; torrentx, proofs and
// internal/store build on it.
//
// # Errors
//
// Rule violations are RuleError values with an ErrorCode (ErrMalformed,
// ErrBadSignature, ErrDoubleSpend, ...): the transaction is at fault, and a
// peer that sent it may be scored. ErrNotFound and ErrClosed are sentinels.
// Any other error (storage I/O) is the node's own fault. Graph reports rule
// outcomes in Result (Err holds the RuleError) and returns an error only for
// its own faults: the store, ErrClosed, or the caller's context.
package dag

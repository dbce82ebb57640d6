// Package dagtest helps test code built on package dag: a test network with
// funded keys (NewNetwork), transaction builders (Sign, Spend, Out), a Graph
// that checks the ledger invariants when the test ends (NewGraph,
// CheckInvariants), a deterministic generator of valid transaction
// streams with double spends (Gen), the Store conformance suite
// (TestStore) that every dag.Store implementation runs, the process's CPU
// time for benchmarks (CPUTime) and a test log line format (LogLine).
//
// # Invariants
//
// CheckInvariants verifies what package dag promises of a stored ledger:
// every record hashes to its ID and decodes; Seqs run 1..n with parents
// before children; every parent of an accepted transaction is accepted and
// records that transaction as the spender; no output is spent twice; the
// unspent outputs plus everything burned add up to the genesis supply;
// Output finds every output of an accepted transaction, spent or not, and
// none of a rejected one;
// conflicts are listed on both sides, and stored evidence conflicts with
// exactly the accepted spenders of its prevs and is indexed as a claim on
// them; and the Digest matches the stored IDs.
//
// # Errors
//
// Helpers report failures through testing.TB (Fatal for set-up, Error for
// broken invariants) and return no errors.
package dagtest

// Package store is the node's durable ledger: a dag.Store on one bbolt
// file, the only package that imports bbolt.
//
// Every Update is one bbolt read-write transaction, committed with fsync
// before Update returns, so a crash loses nothing Update reported written.
// Nothing is kept in memory per transaction: Open reads one meta value and
// every query walks bbolt's B+trees.
//
// # Layout
//
// Transactions are numbered by arrival (Seq, from 1) and the indexes refer
// to them by that 8-byte number instead of the 32-byte ID. Public keys get
// a 4-byte account number the first time they sign or own something.
// Integers are big-endian so that byte order is numeric order. Buckets:
//
//	meta:      "version" -> u32 format version (1)
//	           "state"   -> cbor(meta): last seq, last account, Digest
//	                        accumulator (sum, count), records per state
//	txs:       seq -> record: state u8 | code u8 | firstSeen i64 | id [32] |
//	                 kind u8 | tx (raw tx.json, or its compact binary form;
//	                 see record.go). Append-only, pages filled to 100%.
//	ids:       txID [32] -> seq
//	v1:        epoch u32 (seq >> 16) | v1 infohash [20] -> seq (split
//	           by epoch so that new keys land in one small range)
//	spent:     parentSeq | index u16 -> child seq (accepted spenders only;
//	           Children is a prefix scan on parentSeq)
//	claims:    parentSeq | index u16 | evidenceSeq -> empty (the prevs of
//	           rejected evidence whose parent was stored; Claims is a prefix
//	           scan on parentSeq | index)
//	conflicts: seq | otherSeq -> empty (both directions)
//	accounts:  pubkey [32] -> account u32
//	keys:      account u32 -> pubkey [32] (append-only)
//	history:   account u32 | seq -> empty (signer of any stored tx; owners
//	           of the outputs of accepted ones)
//	utxo:      account u32 | seq | index u16 -> amount u64 (unspent outputs
//	           of accepted txs, by owner)
//	peers:     address -> empty (SavePeers replaces the set)
//
// The compact form stores the signature in binary and keys and parents as
// account numbers and seqs, and rebuilds the canonical tx.json on read
// (so Put needs p as dag.Decode returned it); every read checks that the
// rebuilt bytes hash to the stored ID. It is about a third of the size
// of the JSON. The genesis (and any tx with a prev that is not stored) is
// stored raw.
//
// Buckets whose keys only grow (txs, keys) or grow at the end of each
// account's range (history, utxo) fill their pages completely; the
// hash-keyed ones (ids, v1) and spent keep bbolt's half-full splits.
// A commit of k new transactions rewrites about min(k, leaves) pages of
// each index with random keys (ids, and spent and utxo for spends of old
// outputs), so commits get slower as the store grows (see
// docs/BENCHMARKS.md); the v1 index avoids that with its epochs.
//
// # Invariants
//
//   - meta.state's seq is the highest txs key; seqs are 1..n with no gaps.
//   - The accumulator holds exactly the IDs in ids; its count is n, and n
//     is the sum of the per-state counts.
//   - ids, v1 and txs describe the same n transactions.
//   - A utxo entry exists for an output of an accepted tx iff it has no
//     spent entry.
//   - A claims entry exists for each prev of a rejected tx whose parent
//     was stored before it, and for no other.
//
// # Errors
//
// Open fails with ErrInUse when another process holds the file (bbolt's
// exclusive lock) and with ErrVersion for a file in another layout. A value
// that does not decode, or a stored tx that no longer hashes to its ID,
// gives ErrCorrupt. Put of a stored ID gives ErrExists. Lookups of unknown
// IDs give dag.ErrNotFound; use after Close gives dag.ErrClosed.
package store

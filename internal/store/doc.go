// Package store is the node's durable ledger: a dag.Store on one bbolt
// file, the only package that imports bbolt.
//
// Every Update is one bbolt read-write transaction, committed with fsync
// before Update returns, so a crash loses nothing Update reported written.
// In memory it keeps only Bloom filters: one per epoch of the ids index
// (about 2 bytes per tx) and one per epoch of the spent index that is not
// swept yet (filter.go); every query walks bbolt's B+trees.
//
// # Layout
//
// Transactions are numbered by arrival (Seq, from 1) and the indexes refer
// to them by that 8-byte number instead of the 32-byte ID. Public keys get
// a 4-byte account number the first time they sign or own something.
// Integers are big-endian so that byte order is numeric order. The epoch
// of a seq is seq >> meta's EpochBits (16: 65,536 seqs an epoch). Buckets:
//
//	meta:      "version" -> u32 format version (5)
//	           "state"   -> cbor(meta): last seq, last account, Digest
//	                        accumulator (sum, count; a rejected record
//	                        counts as dag.RejectedKey), records per state,
//	                        epoch bits, how far utxo is swept
//	txs:       seq -> record: state u8 | code u8 | firstSeen i64 | id [32] |
//	                 kind u8 | tx (raw tx.json, or its compact binary form;
//	                 see record.go). Append-only, pages filled to 100%.
//	ids:       epoch u32 | txID [32] -> seq
//	filters:   epoch u32 -> Bloom filter of that epoch's ids keys (only
//	           for finished epochs)
//	v1:        epoch u32 | v1 infohash [20] | seq -> empty (one key per
//	           tx, even for two with one v1 infohash; a lookup takes the
//	           first of the prefix)
//	spent:     epoch u32 | parentSeq | index u16 -> child seq | owner
//	           account u32 (accepted spenders only; the epoch is the
//	           child's, or the newest when SetState accepted the child
//	           later; Children is a prefix scan on epoch | parentSeq in
//	           each epoch from the parent's on)
//	claims:    parentSeq | index u16 | evidenceSeq -> empty (the prevs of
//	           rejected evidence whose parent was stored; Claims is a prefix
//	           scan on parentSeq | index)
//	conflicts: seq | otherSeq -> empty (both directions)
//	accounts:  pubkey [32] -> account u32
//	keys:      account u32 -> pubkey [32] (append-only)
//	history:   account u32 | seq -> empty (signer and output owners of
//	           any stored tx)
//	utxo:      account u32 | seq | index u16 -> amount u64 (outputs of
//	           accepted txs, by owner, until a sweep removes the spent
//	           ones; see sweep.go)
//	certs:     seq -> finality certificate (opaque bytes)
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
// account's range (history, utxo) fill their pages completely; the others
// keep bbolt's half-full splits. A commit of k new transactions rewrites
// about min(k, leaves) pages of an index it adds k random keys to. Keyed
// by hash or parent alone, ids, v1 and spent would grow without bound and
// commits would slow down as the store grows; keyed by epoch first, each
// commit's keys land in the newest epoch's range of at most 65,536 IDs
// (ids, v1) or their spends. The lookups pay for it: by ID, one Get in
// each epoch whose filter may hold it (parents are mostly in the newest);
// by v1 infohash or truncated v2 infohash, one in each epoch; the spender
// of an output, one in each epoch from its tx's. utxo, keyed by owner,
// would still take a delete at a random place for every spend of an old
// output; instead a spend only adds its spent entry, and the commits after
// every four finished epochs delete those epochs' spent outputs from utxo
// in key order (sweep.go). Unspent reads the utxo entry and, through their
// filters, the spent entries of the epochs not swept yet.
//
// # Invariants
//
//   - meta.state's seq is the highest txs key; seqs are 1..n with no gaps.
//   - The accumulator holds exactly the IDs in ids; its count is n, and n
//     is the sum of the per-state counts.
//   - ids, v1 and txs describe the same n transactions, each keyed in the
//     epoch of its seq; the filter of every finished epoch holds all of
//     that epoch's ids keys.
//   - A utxo entry exists for an output of an accepted tx iff it has no
//     spent entry in an epoch before meta's Swept, and none in the group
//     from Swept with a utxo key at most meta's SweepAt. The spent filter
//     of every epoch from Swept on holds all its keys.
//   - A claims entry exists for each prev of a rejected tx whose parent
//     was stored before it (or, for a tx SetState rejected, stored at
//     all), and for no other.
//
// SetState undoes and redoes what Put did for an accepted record (see
// state.go): unspending an output deletes its spent entry and lists it in
// utxo again, since the sweep may have removed it; spending one again
// puts its spent entry in the newest epoch, which the sweep has not
// reached.
//
// # Errors
//
// Open fails with ErrInUse when another process holds the file (bbolt's
// exclusive lock) and with ErrVersion for a file in another layout. A value
// that does not decode, or a stored tx that no longer hashes to its ID,
// gives ErrCorrupt. Put of a stored ID gives ErrExists. Lookups of unknown
// IDs give dag.ErrNotFound; use after Close gives dag.ErrClosed.
package store

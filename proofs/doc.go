// Package proofs exports and verifies payment proofs: a transaction's
// .torrent that also carries everything needed to check it offline.
//
// A proof of transaction T is a standard .torrent whose "info" dict is
// exactly dag.InfoDict(T), so any BitTorrent client opens it as T's torrent
// (its v2 infohash is T's ID), whose "nodes" are the exporter's DHT nodes
// as BEP 5 [host, port] pairs, and whose extra top-level keys, which other
// clients ignore, carry the proof:
//
//	ttx checksum   SHA-256 of the file's encoding without this key
//	ttx network    the network ID (its genesis ID)
//	ttx txs        raw tx.json of T, of every ancestor back to genesis
//	               (genesis included) and of any double spend the exporter
//	               knows against one of them (with that spend's ancestors),
//	               in the exporter's arrival order: parents first
//	ttx version    1
//
// There is no creation date: Export's output depends only on the ledger,
// so two exports of one transaction are byte-identical.
//
// Verify needs only the network (no data dir, no peers). It replays the
// transactions through a dag.Graph over a dag.MemStore, so a proof is
// checked by exactly the rules a node applies, and reports T's state:
// accepted, or conflicted if the proof shows a double spend T won.
//
// # Invariants
//
//   - A proof parses only if it is byte for byte the encoding of what it
//     decodes to, with a matching checksum: any one-byte change fails.
//   - Every transaction decodes canonically and passes the network's
//     CheckSanity; the first is this network's genesis; every prev names a
//     transaction earlier in the list.
//   - T and its ancestors end accepted (or conflicted) after the replay;
//     every other transaction is double-spend evidence against one of
//     them, or an ancestor of such evidence.
//   - Parsing is bounded: MaxSize bytes, MaxTxs transactions, MaxNodes
//     nodes, nesting depth 5, string lengths within the input.
//
// # Errors
//
// Verify, VerifyFile, Import, ReadFile and WriteFile return *ProofError
// (Op, Path, Err) wrapping a sentinel (ErrMalformed, ErrTooLarge,
// ErrWrongNetwork, ErrIncomplete, ErrUnrelated, ErrNotAccepted), a
// dag.RuleError or an I/O error. Export returns wrapped errors: ErrNotAccepted
// for a transaction that is not accepted, dag.ErrNotFound for an unknown
// one, and the store's errors.
package proofs

// Package proofs exports and verifies payment proofs: a transaction's
// .torrent that also carries everything needed to check it offline.
//
// A proof of transaction T is a standard .torrent whose "info" dict is
// exactly dag.InfoDict(T), so any BitTorrent client opens it as T's torrent
// (its v2 infohash is T's ID), whose "nodes" are the exporter's DHT nodes
// as BEP 5 [host, port] pairs, and whose extra top-level keys, which other
// clients ignore, carry the proof:
//
//	ttx certs      finality certificates (vote.Certificate encodings) of
//	               T and of every other transaction of the proof that is
//	               part of a double spend, as the exporter stores them, in
//	               proof order; absent if there are none
//	ttx checksum   SHA-256 of the file's encoding without this key
//	ttx network    the network ID (its genesis ID)
//	ttx txs        raw tx.json of T, of every ancestor back to genesis
//	               (genesis included) and of any double spend the exporter
//	               knows against one of them (with that spend's ancestors),
//	               in the exporter's arrival order: parents first
//	ttx version    2 (version 1, without certificates, still verifies)
//
// There is no creation date: Export's output depends only on the ledger,
// so two exports of one transaction are byte-identical.
//
// Verify needs only the network (no data dir, no peers). It replays the
// transactions through a dag.Graph over a dag.MemStore, so a proof is
// checked by exactly the rules a node applies, and reports T's state:
// accepted, or conflicted if the proof shows a double spend T won. It then
// counts the certificates' signed votes (all node keys, or only trusted
// ones with VerifyTrusted) and reports whether T is final: its certificate
// gives every input Alpha distinct keys voting for T, and no double spend
// in the proof has a final certificate. A certificate whose votes do not
// verify leaves the proof valid and T not final.
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
//   - Every certificate decodes strictly, is for this network and for a
//     transaction of the proof (each at most once, in proof order), and
//     lists that transaction's prev outputs as its inputs.
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

// Package recon finds the difference between two nodes' sets of
// transaction IDs without sending either set: range-based set
// reconciliation as the negentropy protocol does it, over the 32-byte IDs
// of a dag.Store (any Set: dag.ReadTx is one).
//
// # Protocol
//
// The ID space is ordered bytewise. A Message is a list of consecutive
// ranges from the zero ID; each range ends at an exclusive upper bound (the
// zero ID as a bound is the end of the space) and has a mode:
//
//   - skip: nothing to say about it.
//   - fingerprint: the sender's count of IDs in the range and their
//     fingerprint (dag.Accumulator: SHA-256 of their sum mod 2^256 and the
//     count, 16 bytes).
//   - idlist: every ID the sender holds in the range.
//   - iddiff: the answer to an idlist: the responder's IDs missing from
//     the list, and a bitmap of the listed IDs the responder lacks.
//
// One side, the initiator, runs a Session; the other answers each query
// with Respond and keeps no state. The initiator opens with the whole
// space cut into Config.Buckets fingerprinted ranges of equal counts (or
// its ID list, if it holds at most Config.IDListMax IDs). On each message,
// for each range whose fingerprint differs, a side sends its ID list if it
// holds at most IDListMax IDs there (the whole list if the other side
// holds none), or splits the range again; the initiator asks for the
// responder's list with an empty list when it holds none there or the
// responder holds at most IDListMax. ID lists resolve a range: from the
// responder's list or iddiff, the initiator learns which IDs it lacks and
// which the responder lacks. The session ends when the initiator has
// nothing left to send. Each round trip narrows the mismatching ranges by
// a factor of Buckets, so a session takes about log_Buckets(n/IDListMax)
// round trips, plus one per ~1,800 IDs a side must list when the
// differences are large.
//
// Bounds are sent as their shortest prefix (the bound between two adjacent
// buckets is the shortest prefix that separates their IDs), so the bytes
// spent grow with the number of differences, not with the sets. A message
// that would pass Config.MaxMessageSize stops early and ends with the
// fingerprint of everything after its last range, and the other side takes
// up from there.
//
// Encoding: a Message is a CBOR array of ranges, each an array
// [upper, mode, ...] (see Message); only the canonical (core deterministic)
// encoding is accepted, so a message has exactly one byte form.
//
// # Invariants
//
//   - A complete Session's Result is exact for the two sets as they were
//     read: Need is what the peer holds and we lack, and PeerLacks holds
//     for exactly the IDs we hold and the peer lacks.
//   - An incomplete Result (a limit was hit) holds only true differences.
//   - Memory per session is bounded by Config.MaxIDs and one message,
//     whatever the size of the sets; every message built fits
//     Config.MaxMessageSize.
//
// # Errors
//
// Decode returns errors wrapping ErrMalformed (not canonical CBOR, or a
// structural rule broken: bounds not ascending, IDs outside their range,
// bad lengths) or ErrTooLarge. Session.Reconcile returns ErrProtocol for a
// reply that does not answer the last query, and ErrDone once the session
// has ended. Errors from reading the Set are wrapped as they come.
package recon

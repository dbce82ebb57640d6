// Package wire defines the messages of the ttx BitTorrent extension (BEP
// 10, registered as "ttx"): their Go types, their CBOR encoding and their
// limits. It knows nothing of connections; package gossip speaks it.
//
// # Encoding
//
// Every message is one CBOR map with small integer keys, in the core
// deterministic encoding (RFC 8949 §4.2.1: shortest forms, keys sorted,
// definite lengths, no tags). Key 0 is the message type; the other keys are
// shared by the types that carry the field, and a field whose value is zero
// or empty is left out:
//
//	key  field        types             CBOR
//	0    type         all               uint (see Type)
//	1    version      hello             uint, >= 1
//	2    network      hello             bstr, 32 bytes
//	3    count        hello ping pong   uint: digest count
//	4    fingerprint  hello ping pong   bstr, 16 bytes: digest fingerprint
//	5    agent        hello             tstr, printable ASCII, <= 64 bytes
//	6    port         hello             uint, <= 65535: BitTorrent listen port
//	7    ids          inv want notfound query
//	                                    bstr: IDs of 32 bytes, concatenated
//	8    txs          tx                array of [id bstr 32, raw bstr 1..16384]
//	9    nonce        query answer ping pong poll votes
//	                                    uint (the Req of poll and votes)
//	10   statuses     answer            array of 1..1000 [id bstr 32, state uint,
//	                                    code uint, conflicts bstr: 0..16 IDs]
//	11   session      reconquery reconreply
//	                                    uint
//	12   recon        reconquery reconreply
//	                                    recon.Message (an array, see package recon)
//	13   nodekey      hello             bstr, 32 bytes: Ed25519 node public key
//	                                    (version >= 2 only, and required there)
//	14   outs         poll              bstr: 1..1024 distinct outputs of 36 bytes
//	                                    (tx ID, index as big-endian uint32 < 1000),
//	                                    concatenated
//	15   raws         poll              array of 1..64 bstr of 1..16384 bytes: tx.json
//	16   batch        votes             bstr, 1..MaxBatchSize bytes: a signed vote
//	                                    batch (package vote), opaque here
//	17   salt         hello             uint: random, per connection (version
//	                                    >= 5 only, and required there)
//	18   short        inv want notfound bstr: short IDs of 6 bytes, concatenated
//	                                    (ids and short: 1..1000 in all)
//
// Types: 1 hello, 2 inv, 3 want, 4 tx, 5 notfound, 6 query, 7 answer,
// 8 ping, 9 pong, 10 reconquery, 11 reconreply, 12 poll, 13 votes.
//
// # Messages
//
//   - hello: sent first by each side: the highest protocol version it
//     speaks, its network ID (genesis tx ID), the digest of its stored IDs,
//     an agent string, its listen port and, from version 2 on, its node
//     key (the Ed25519 public key the node signs its statements with) and,
//     from version 5 on, a random salt for the connection. A version 2
//     hello without a key, a version 1 hello with one, and a key that is
//     not 32 bytes are rejected, and so are a version 5 hello without a
//     salt and an older one with one. Peers speak the lower version.
//   - inv: IDs the sender holds and announces: full IDs or (version 5)
//     ShortIDs, keyed by the two hellos' salts (NewShortKey).
//   - want: IDs the sender asks for, full or short (the short IDs the peer
//     announced on this connection); answered by tx messages, which carry
//     full IDs (and notfound for the IDs the peer does not hold or short
//     IDs it cannot map).
//   - tx: transactions, each as the ID it is sent as and its tx.json bytes.
//     The receiver recomputes the ID from the bytes; a mismatch is a
//     protocol violation. A tx message may be sent unasked, to push new
//     transactions.
//   - query / answer: "what do you hold these IDs to be?"; the answer
//     gives, per ID, the state, the rejection code and known conflicts. One
//     query may be answered by several answers with its nonce.
//   - ping / pong: keep idle connections open, carry each side's current
//     digest, and (peers handle messages in order) tell the pinger that
//     everything it sent before the ping has been processed.
//   - reconquery / reconreply: one round of a set reconciliation
//     (package recon) of session number session.
//   - poll / votes (version 3): "which side do you prefer for each of these
//     outputs?", answered by one votes message of the same nonce whose
//     batch is signed with the answerer's node key. A poll may name the
//     conflicting sides by ID (version 4), which the receiver wants from
//     the poller if it lacks them, or carry their tx.json, which the
//     receiver adds to its ledger first.
//
// # Limits
//
// A message is at most MaxMessageSize (65,000) bytes: anacrolix/torrent
// drops a connection on a longer extended message. Lists of IDs (inv,
// want, notfound, query) and answers hold 1..MaxIDs (1,000) entries;
// a transaction is 1..dag.MaxTxSize bytes. A poll names 1..MaxPollOuts
// (1,024) outputs, up to MaxPollIDs (1,000) IDs and carries up to
// MaxPollTxs (64) transactions; a vote
// batch is 1..MaxBatchSize (64,983) bytes. Decoding limits nesting,
// array and map sizes, rejects duplicate keys, indefinite lengths, tags,
// unknown keys and invalid UTF-8, checks every length before allocating,
// and accepts only the canonical encoding: a message has one byte form.
//
// # Invariants
//
//   - Encode never produces what Decode rejects, and Decode(b) succeeds
//     only if Encode of the result gives back b.
//   - Decode never panics and returns a message or an error, never both or
//     neither.
//
// # Errors
//
// Encode and Decode wrap ErrTooLarge (over MaxMessageSize), ErrMalformed
// (not well-formed or not canonical CBOR, unknown or misplaced fields,
// wrong field types or lengths, a malformed recon message), ErrUnknownType
// (a type this version does not know) or ErrInvalid (a field beyond a
// protocol limit), as "decode <type>: <sentinel>: <detail>".
package wire

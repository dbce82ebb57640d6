// Package vote settles a race between transactions that spend one output:
// the Snowball vote every node runs (Set, Params), how a node picks whom to
// ask (Sample, from its peers and a Directory of nodes it learned of), and the signed, batched votes whose collection is a
// transaction's finality certificate (Batch, Attestation, Certificate).
//
// The package is pure: no network, no storage, no goroutines. Given the
// same inputs and the same *rand.Rand it does the same thing, so a
// simulator can run it on hundreds of nodes deterministically.
//
// # The vote
//
// A node keeps one Set per output that some transaction it holds spends.
// The first spend it saw is its initial preference. It polls K peers
// (Sample: distinct node keys, one per /16 or /32 network prefix before
// any prefix gets a second seat) and records the answers with RecordPoll:
//
//   - a side named by at least AlphaPreference answers (a strict majority)
//     gets a success; the preference follows the side with the most
//     successes, a tie keeping it;
//   - if that side got at least Alpha answers (three quarters), its run of
//     consecutive successes grows; a poll won by another side starts that
//     side's run, and any other poll ends the run;
//   - a run of BetaRogue decides a contested output (BetaVirtuous, 1, an
//     output with one known spend), and a decided Set never changes again.
//
// Abstentions (the zero ID), answers that never came and votes for
// transactions that are not candidates count for nobody. A Set keeps the
// first MaxCandidates (4) spends in arrival order and refuses the rest.
//
// The two thresholds are avalanchego's AlphaPreference and
// AlphaConfidence. With one threshold a small network can deadlock: when
// every poll asks every peer, 2 nodes on each side of 4 never see 3 of 3
// agree, so no poll ever succeeds (measured: every race of 4, 7, 10 or 15
// nodes split in halves stayed undecided).
//
// # Parameters
//
// ParamsFor(peers) gives K = min(20, peers), AlphaPreference = K/2+1,
// Alpha = max(K/2+1, ⌈3K/4⌉), BetaVirtuous = 1 and BetaRogue = 8. The
// simulations in sim_test.go (answers delayed 0-3 rounds, a share lost,
// races split 50/50, 60/40 and 75/25, 1,000 races per row, each node
// polling every other node or 20 of them) chose BetaRogue:
//
//	nodes  k  alpha   splits (of 1,000 races) at beta 1 / 2 / 3 / 8
//	                  2% lost                 10% lost
//	  3    2   2/2    0 / 0 / 0 / 0           0 / 0 / 0 / 0
//	  4    3   2/3   30 / 0 / 0 / 0           5 / 0 / 0 / 0
//	  6    5   3/4  111 / 0 / 0 / 0          38 / 1 / 0 / 0
//	  8    7   4/6    2 / 0 / 0 / 0           0 / 0 / 0 / 0
//	 10    9   5/7    0 / 0 / 0 / 0           0 / 0 / 0 / 0
//	 20   19  10/15   0 / 0 / 0 / 0           0 / 0 / 0 / 0
//
// On 200 nodes of which 20% are byzantine (answering the opposite of their
// preference, at random, or each poller its own preference), 3,000 races
// split 114 times at beta 2, once at beta 3, never at 4 or 5: the rate
// falls about a hundredfold per step, so beta 8 leaves some five steps of
// margin, and takes about half the rounds of avalanchego's beta 20 (p50
// 104 rounds against 308 for the last honest node to decide). At beta 8,
// 1,000 such races gave 0 splits and 0 undecided nodes, deciding in p50
// 96, p99 180, max 232 rounds; on 20 honest nodes, p50 40-76 rounds.
//
// # Signed votes
//
// A node signs its answers in batches: one Ed25519 signature over a
// Merkle root covers up to MaxVotes (1024) votes. A vote names an output
// and the preferred spend (zero: no preference). The tree's leaves are
//
//	SHA-256(0x00 || out txid (32) || out index (u32 BE) || pref (32))
//
// in batch order; each level hashes pairs left to right as
// SHA-256(0x01 || left || right) and carries an odd last node up
// unchanged; one vote's root is its leaf. The signed message is
//
//	"ttx-vote-v1" || network (32) || time (i64 BE, Unix ms) || root (32)
//
// and it verifies under ttx's one signature rule (dag.VerifySig, ZIP-215);
// a Certificate checks the signatures of its distinct headers in one
// dag.SigBatch.
//
// where network is the genesis transaction's ID. An Attestation is one
// vote with its batch's header and its Merkle path (the siblings from the
// leaf up, none on a level where the node is carried), and verifies alone.
//
// # Finality certificates
//
// A Certificate for Tx lists Tx's inputs, the K and Alpha it claims
// (1 <= K <= 255, ⌈3K/4⌉ and K/2+1 <= Alpha <= K) and attestations. It is
// final when every input has at least Alpha distinct node keys whose
// attestation prefers Tx. A key that signed two different preferences for
// one output anywhere in the certificate counts nowhere; a trusted set of
// keys, if given, is the only one that counts. Every input counts,
// contested or not, so a certificate has at least one input, and an
// uncontested transaction is final on Alpha votes per input as a race
// winner is; a genesis transaction needs none.
//
// # Encodings
//
// All integers are big-endian; counts are checked against their limits
// and the bytes left before decoding allocates; trailing bytes, a bad
// version or a bad count are errors.
//
//	Batch (139 + 68n bytes)
//	  0x01 version
//	  network [32] | key [32] | time i64
//	  n u16 (1..1024)
//	  n × vote: out txid [32] | out index u32 | pref [32]
//	  sig [64]
//
//	Attestation (242 + 32p bytes)
//	  0x01 version
//	  header: network [32] | key [32] | time i64 | root [32] | sig [64]
//	  count u16 (1..1024, the votes in the batch) | index u16 (< count)
//	  vote: out txid [32] | out index u32 | pref [32]
//	  p u8 (the path length for index and count, at most 10)
//	  p × sibling [32]
//
//	Certificate (73 + 36n bytes + the attestations)
//	  0x01 version
//	  network [32] | tx [32] | k u8 | alpha u8
//	  n u16 (1..1000) | n × input: txid [32] | index u32
//	  m u32 (0..20000) | m × attestation, each encoded as above
//
//	Poll (3 + 36n bytes): the question; the answer is a Batch with one
//	vote per output, in the poll's order.
//	  0x01 version
//	  n u16 (1..1024) | n × output: txid [32] | index u32
//
// Batches and polls name each output at most once; a certificate names
// each input once.
//
// # Errors
//
// Decoders and verifiers return errors wrapping the sentinels of
// error.go: ErrMalformed, ErrTooLarge, ErrEmpty, ErrDuplicate (the
// encoding is at fault), ErrBadSignature, ErrBadPath, ErrWrongNetwork,
// ErrUnknownOutput (a vote is at fault) and ErrParams. Any of them means
// the sender is at fault. RecordPoll panics on counts that cannot come
// from one poll of K answers, a programmer error.
package vote

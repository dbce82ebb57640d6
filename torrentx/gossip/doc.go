// Package gossip runs the ttx extension protocol (package wire) over any
// transport: it spreads new transactions, fetches missing ones, answers
// queries, catches peers up by set reconciliation (package recon) and
// scores peers. torrentx carries its messages over BitTorrent; tests carry
// them over in-memory pipes. It imports dag and never the torrent client.
//
// # Protocol
//
// Connection. Each side sends hello first (protocol version, network ID,
// digest of its stored IDs, agent, listen port, node key) and nothing
// before it. A peer whose hello names another network is dropped; one below
// Config.MinVersion (default 2, the first version with a node key) too;
// otherwise both speak the lower version. Any other message before hello,
// and a hello that does not decode (a node key that is not 32 bytes, say),
// ban the sender. The node key in a hello is a claim: Peers reports it and
// SendTo addresses a peer by it, but only what the key signs proves
// anything.
//
// Propagation. When the ledger stores a new transaction (Announce, wired
// to dag.GraphConfig.OnChange), it goes to every ready peer not known to
// have it (a peer is known to have what it announced, sent or was sent).
// If no peer is known to have it, this node is its first announcer (it
// was made or submitted here, or fetched by BitTorrent): it is pushed
// whole in a tx message to Config.PushFanout peers chosen at random, if
// it is at most Config.PushMax bytes, and announced by inv to the rest.
// A transaction that came from a peer is announced by inv only: the
// others may have it already, and in a mesh a push from every relay was a
// copy from every neighbour. So each node receives the bytes about once:
// pushed by the first announcer, or wanted from the first peer that
// announced it (an inv of what is stored, wanted or being added from
// another message asks for nothing). Engine.Stats counts the copies
// received and the bytes in and out. Double-spend evidence (a transaction
// stored as rejected with ErrDoubleSpend, or ErrLateConflict against a
// final side) and the kept children of a losing side (ErrParentRejected)
// are relayed the same way, once: the ledger reports a transaction as new
// only once, so when two nodes accepted opposite sides, each learns the
// other side as evidence, and the vote (package consensus) settles which
// one every node keeps. An inv of
// unknown IDs is answered by a want; the peer answers with tx messages (in
// its Seq order, parents first) and notfound for what it lacks. Each tx
// entry carries the ID it is sent as. The receiver drops the entries whose
// ID it stores, or is adding from an earlier message (from any peer):
// their bytes are never read. It rebuilds the ID of every other entry from
// the bytes (dag.Claimed) and bans the sender on a mismatch; then it
// submits them to the ledger (dag.Graph.SubmitHashed: verified, queued in
// order) and goes on to the next message while they are committed. A settler
// goroutine per peer handles the results in arrival order as commits land
// (bans for invalid transactions, wants for missing parents) and answers
// the peer's pings, each only once what came before it is committed; up to
// 32 messages per peer wait for it. Missing parents of a pending
// transaction are wanted from the same peer. A want not answered within
// Config.WantTimeout (or answered by notfound) moves to the next peer that
// announced the ID, then to Config.Fetcher (plain BitTorrent); the orphan
// pool's missing parents are wanted the same way every WantTimeout.
//
// Catch-up sync. Digests are compared in pairs that both sides see alike:
// the two hellos, and each ping with its pong (pings carry the pinger's
// digest, pongs the ponger's). When the pair differs, the side with the
// larger digest (count, then fingerprint) starts a sync; the other only
// answers. A ping's pair must differ twice in a row (the first difference
// has the peer pinged again at the next tick): once is most often a relay
// in flight. The initiator reconciles (reconquery/reconreply, stateless on
// the answering side) until it knows the IDs it lacks and the ones the
// peer lacks, without either set crossing the wire. Then it runs steps:
// each wants up to 1,000 of the IDs it lacks and pushes up to
// Config.SyncWindow bytes of what the peer lacks in its own Seq order (so
// parents arrive first), then pings; the pong (sent once everything
// before the ping is committed) means the step was processed. Up to three
// steps await their pongs, so the peer verifies one while it commits
// another; steps are paced at Config.PushRate. A sync that keeps finding the same differences backs
// off (the peer refuses them, e.g. children of what it holds as evidence).
//
// Queries. Query asks peers what they hold IDs to be (state, rejection
// code, known conflicts) for a receiver's confidence; one query may be
// answered in several messages.
//
// Votes. Engine.Poll sends a poll (wire.Poll: outputs, and optionally the
// tx.json of the conflicting sides) to the peer with a given node key and
// awaits its votes for Config.PollTimeout (5 s), at most Config.MaxPolls
// (256) per peer; Engine.Answer sends the answer. A received poll's
// transactions go the way of pushed ones (same checks, same scoring), and
// the settler hands the poll to Config.Voter once they are committed, so
// the Voter sees the conflict in the ledger. A votes message is handed to
// the Voter only if it answers a poll awaited from that peer, once; a
// late one (by up to another PollTimeout) is dropped, any other costs 5
// points. Poll asks only peers speaking wire.VoteVersion. Without a Voter,
// polls and votes are dropped unread. PeerInfo counts them (PollsIn,
// VotesOut, VoteBytesIn, ...).
//
// Keep-alive. Each ready peer is pinged every Config.PingInterval (30 s):
// this keeps idle seed-to-seed connections open (anacrolix closes them
// after 150 s) and compares digests. A peer is also pinged as soon as its
// hello arrives if our digest has moved since the hello we sent it: what we
// accepted in between was not pushed to it. And when the ledger changes,
// every ready peer not yet told the new digest is pinged at the next tick
// (Config.Tick, 250 ms): changes within a tick share one ping, so a busy
// node pings each peer at most four times a second. The ping tells the
// peer our digest and its pong tells us the peer's, so both sides' "in
// sync" follow a change within a tick and a round trip, not PingInterval.
// A pong that answers a ping of our own digest tells the peer too: of two
// peers that reach the same ledger, only the first to tick pings.
//
// # Limits and scoring
//
// Per peer, token buckets bound the messages and bytes it may send
// (Config.MsgRate, ByteRate), its reconciliation queries (ReconRate), its
// polls (PollRate, 50 a second, bursts of 100), and
// the transaction bytes we serve it (ByteRate; wants past it get
// notfound). Each message past a limit is dropped and costs 10 points. A
// peer is banned at 100 points for Config.BanDuration, by ID and, unless
// loopback, by IP, and closed. Malformed or oversized messages, a message
// before hello, a wrong ID and an invalid transaction cost 100 at once; a
// reconciliation protocol error 50. Policy rejections cost nothing: a duplicate, a pending
// transaction, a full orphan pool (ErrOrphanLimit), double-spend evidence
// (ErrDoubleSpend, ErrLateConflict, ErrTooManyCandidates), a side the
// vote turned down (ErrLostVote) and a child of a transaction we hold as
// rejected (ErrParentRejected). Unknown message types are ignored.
//
// What a peer announces costs us bounded work however much it lies. Wants
// are capped per peer in flight (Config.MaxWanted), per source address over
// all its connections (MaxWantsPerAddr) and in all (MaxWants), but for the
// missing parents of pending transactions, which the orphan pool bounds.
// A departed peer's wants that no other peer announced are dropped. Wants
// that every announcer failed go to the Fetcher only while one of its
// MaxFetches slots is free, parents first; the rest are dropped, not
// queued. A peer that does not deliver what it announced by inv (a
// notfound, or no answer within WantTimeout) MaxUndelivered times more
// than it delivered is banned.
//
// Ingest is fair: at most MaxPeerInFlight transactions pushed by one peer,
// and MaxSignerInFlight signed by one key through any peers, wait in the
// ledger's queue at once; the rest wait for room, and so does the
// flooder's connection, while other peers' and signers' transactions go
// past (ingest.go).
//
// # Invariants
//
//   - For one peer, Handle runs in arrival order from one goroutine (the
//     transport's contract), and its settler answers pings in that order
//     after the commits they follow, so a pong proves the messages before
//     its ping were processed.
//   - The engine never holds its lock while it calls the Ledger, the Store
//     or Peer.Close; Announce does not block and never calls the Ledger,
//     so it may run in the Graph's committer.
//   - Memory is bounded per peer (known set, wanted count, one sync with a
//     bounded recon.Session) and in total by the number of peers; wants
//     by MaxWants and the orphan pool.
//
// # Errors
//
// Peers are closed with reasons wrapping ErrWrongNetwork, ErrVersion or
// ErrBanned (with what the peer did). Query returns ErrNoPeers or
// ErrClosed; SendTo, Answer and Poll ErrUnknownPeer or ErrClosed, and Poll
// also ErrPollLimit. The node's own faults (storage) are logged at Error; peer
// misbehaviour at Debug.
package gossip

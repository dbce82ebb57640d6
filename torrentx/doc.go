// Package torrentx is the node's BitTorrent client, built on
// anacrolix/torrent and its mainline DHT. It is the only package that
// imports them.
//
// One Client per node listens on one port: plaintext TCP and uTP for
// peers, the DHT on the uTP socket (Listen). It seeds the network's genesis torrent, the meeting point:
// the torrent is announced on the DHT at start, every AnnounceInterval and
// sooner while peers are few. Peers on the genesis torrent that offer
// the BEP 10 extension "ttx" are handed to the gossip Handler as gossip.Peers;
// the others are plain BitTorrent peers and are served as such.
//
// The genesis connections are a bounded set (MaxPeers, of which
// MaxOutbound dialled by the node): the DHT and peer exchange (ut_pex,
// spoken here, not by the library) bring candidates, a peer loop fills
// the outbound slots from them and, while all are full, now and then
// replaces the outbound peer that serves it least by a random candidate
// (rotate), so that the graph keeps mixing; an inbound peer past the cap
// evicts another as Bitcoin Core does (selectEviction), or is turned
// away. The library itself would dial every address PEX or the DHT
// brings, up to 50 connections per torrent: any topology became a full
// mesh.
//
// Every stored transaction can be downloaded by any BitTorrent client, by
// magnet link (v1 or v2 infohash) or .torrent file, whether it is loaded
// or not: a peer's handshake for an unloaded one loads it (lazy add), and
// only the MaxTorrents most recently used stay loaded. MagnetLinks gives a
// transaction's links with the node's address (x.pe) and trackers, and
// AnnounceDHT announces it on the DHT on demand, rate-limited (also done
// when a DHT get_peers query for it reaches the node), so a client with
// only the magnet finds the node. Piece data is read
// straight from the node's dag.Store. Fetch and FetchInfo download a
// transaction by infohash from any seeder: the repair path next to the
// gossip's push.
//
// # Invariants
//
//   - The library never parses an info dict we did not build (dag.InfoDict
//     of stored bytes) or validate (dag.ParseInfoDict, and its SHA-256 is
//     the ID). We answer and consume ut_metadata (BEP 9) ourselves, since
//     anacrolix v1.59.1 crashes on a crafted dict.
//   - Every downloaded transaction passes dag.CheckID before it is used:
//     the piece hash check is ours (SelfHash), because the library checks
//     hybrid pieces with SHA-1 only. A piece that fails it gets
//     the sender banned.
//   - Downloaded bytes are never written to the Store here: Fetch returns
//     them (and hands them to Config.OnTx, once, if set); the ledger alone
//     stores transactions.
//   - Seeders are added as {InfoHash: v1, InfoBytes}, and a fetch
//     by ID as {InfoHash: the truncated ID}.
//   - No ttx payload exceeds MaxMessageSize; callbacks that run under the
//     library's lock never call back into it: messages cross through
//     queues and goroutines.
//
// # Errors
//
// ErrClosed: the Client (or a peer) is closed. ErrMessageTooLarge and
// ErrQueueFull come from a peer's Send; a peer that outpaces the Handler is
// slowed down (reading from it pauses), and ErrPeerFlood is the reason one
// is closed if that cannot hold it. Fetch returns dag.RuleError values when
// the ID names no transaction (a dict that is not a transaction's) and
// ctx's error when no peer delivered in time. Announce wraps
// dag.ErrNotFound for a transaction that is not stored.
package torrentx

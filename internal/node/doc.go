// Package node wires a ttx node together: the bbolt store, the dag.Graph that
// is the ledger's single writer, the gossip engine, the BitTorrent client and
// the local API. It owns the data dir and implements api.Backend. It holds no
// protocol logic of its own: every transaction, from any path (gossip push or
// BitTorrent download, both through the gossip engine; proof import; a local
// send), enters through Graph.Add,
// and every change the Graph commits is announced through the gossip engine.
//
// Around the ledger it keeps what an operator watches: Prometheus metrics
// (metrics.go, served as GET /metrics), the sync progress against the ttx
// peer that holds the most (syncmeter.go, in Status), and the optional
// notify command for the wallet's payments (notify.go). A node started with
// Config.Watch and no Wallet is watch-only: it follows an address and
// refuses to send.
//
// # Data dir
//
//	ttx.db      the bbolt store (exclusive lock: one node per data dir)
//	wallet.key  the node's key file (see internal/wallet)
//	node.key    the node's identity key, created at first start (see
//	            internal/nodekey); a damaged one stops the start
//	.cookie     the API token for spending (rewritten at start, removed on exit)
//	proofs/     proof files dropped here are imported at start
//
// # Invariants
//
//   - A transaction reported sent or imported is durable: Graph.Add returns
//     only after the store committed it.
//   - Sends from the wallet are serialised, so two sends never pick the same
//     coin: the second sees the first's spend.
//
// # Errors
//
// Open fails with store.ErrInUse when another node holds the data dir. Send
// returns *wallet.InsufficientFundsError (as an *api.Error) when the wallet
// cannot pay; a watch-only node's Send returns a 503 ErrUnavailable
// *api.Error.
package node

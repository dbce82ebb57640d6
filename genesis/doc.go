// Package genesis defines ttx networks: it builds genesis transactions and
// embeds the default network.
//
// A network is its genesis transaction (DESIGN §4): a tx.json with the
// network's parameters (dag.Params) that mints the whole supply to one or
// more keys. The network ID is the genesis ID. New builds a genesis,
// NewNetwork writes one to a directory (tx.json and its tx.torrent) for
// `ttx genesis new`, and Load reads one back.
//
// # The default network: TEST MONEY ONLY
//
// Default is ttx-testnet, a public test network with address prefix "ttx"
// and TestnetParams: DefaultParams limits and TestnetPowBits of proof of
// work per transaction. Its files are embedded from testnet/:
// tx.json (the genesis), tx.torrent (dag.TorrentFile of it: the swarm every
// node joins) and faucet.key. Its whole supply, 21,000,000 TTX, belongs to
// the faucet key, which ships in this repository as a plaintext key file so
// that a newcomer can take coins and try a payment (FaucetKey). The supply
// sits in 168 outputs of 125,000 TTX, as many as fit in the 16 KiB of one
// transaction (16,294 bytes), so that faucets on many nodes, each paying
// from one output picked at random, rarely spend the same one. Everyone
// has that key: the coins of ttx-testnet are TEST MONEY ONLY, worthless,
// and anyone can spend the faucet's. Never use ttx-testnet for value; make
// your own network with its own supply key instead.
//
// The testnet files are generated, reproducibly, from the faucet key, the
// parameters and a fixed creation time:
//
//	go test ./genesis -run TestTestnetFiles -update
//
// The faucet key was made once and is kept: a new key would make a new
// network. DefaultID pins the network ID; tests recompute it from the
// bytes and check the .torrent with anacrolix's metainfo package.
//
// # Invariants
//
//   - Every genesis from New passes dag.NewNetwork; New is deterministic.
//   - DefaultID = the ID of testnet/tx.json = the v2 infohash of
//     testnet/tx.torrent, and the genesis pays TestnetSupply to the
//     faucet key in TestnetFaucetOutputs outputs of TestnetFaucetOutput.
//   - NewNetwork never overwrites a network's files and leaves none behind
//     when it fails.
//
// # Errors
//
// New and Load return dag.RuleErrors (wrapped) for an invalid genesis, and
// say so plainly for a file that is not one (too large, a trailing line
// break). NewNetwork returns ErrExists if the directory already holds a
// network. Default panics only if the embedded files are broken, which the
// tests rule out.
package genesis

package genesis

import (
	_ "embed"
	"fmt"
	"sync"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// The default network: the public test network ttx-testnet.
const (
	// TestnetName and TestnetPrefix name the default network and its
	// addresses ("ttx1…").
	TestnetName   = "ttx-testnet"
	TestnetPrefix = "ttx"
	// TestnetSupply is the whole supply of the default network, all of it
	// minted to the faucet key in TestnetFaucetOutputs outputs of
	// TestnetFaucetOutput each, so that faucets on different nodes can pay
	// at the same time from different outputs instead of racing for one.
	TestnetSupply = TestnetFaucetOutputs * TestnetFaucetOutput
	// TestnetFaucetOutputs is the number of outputs of the default genesis.
	// It is as many as fit in one transaction (dag.MaxTxSize) at this
	// amount: the genesis is 16,294 of at most 16,384 bytes.
	TestnetFaucetOutputs = 168
	// TestnetFaucetOutput is the amount of each genesis output.
	TestnetFaucetOutput = 125_000 * dag.Unit
	// TestnetPowBits is the default network's proof of work per
	// transaction, its spam guard: its faucet key is public, so coins cost
	// a flooder nothing, and work is what each transaction costs. 14 bits
	// (16,384 SHA-256 tries on average) take a few milliseconds on one core
	// (BenchmarkProofOfWork in package dag): nothing to a person, and a
	// core for every few hundred transactions per second of a flood.
	TestnetPowBits = 14
	// DefaultID is the network ID of the default network: the ID of its
	// genesis (testnet/tx.json). A test recomputes it from the bytes.
	DefaultID = "526547e9ed8ef4c615a646e0a0114907be10338f2c5c5b7d566500ab98e1b308"
)

// TestnetParams returns the default network's parameters: DefaultParams
// with TestnetPowBits of proof of work and no burn.
func TestnetParams() dag.Params {
	p := DefaultParams(TestnetName, TestnetPrefix)
	p.PowBits = TestnetPowBits
	return p
}

// testnetTime is the fixed creation time of the default genesis, so that
// regenerating it from the faucet key gives the same bytes.
var testnetTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// The embedded files are strings so that nobody can modify them.
var (
	//go:embed testnet/tx.json
	testnetTx string
	//go:embed testnet/tx.torrent
	testnetTorrent string
	//go:embed testnet/faucet.key
	faucetKeyFile string
)

// defaultNet parses the embedded genesis once.
var defaultNet = sync.OnceValue(func() *dag.Network {
	net, err := dag.NewNetwork([]byte(testnetTx))
	if err != nil {
		panic(fmt.Sprintf("genesis: embedded default genesis is broken: %v", err))
	}
	return net
})

// Default returns the default network, ttx-testnet, parsed once from the
// embedded testnet/tx.json. Every call returns the same value: callers must
// not modify it. It panics only if the embedded bytes are broken, which a
// test rules out.
func Default() *dag.Network { return defaultNet() }

// DefaultTorrent returns a copy of the default genesis's .torrent
// (dag.TorrentFile of its tx.json): the network's meeting point.
func DefaultTorrent() []byte { return []byte(testnetTorrent) }

// FaucetKeyFile returns a copy of the key file (a plaintext wallet key
// file, package wallet's format) of the key that holds the default
// network's supply. It is public (TEST MONEY ONLY): anyone may use it to
// hand out test coins. genesis holds it as data; the wallet opens it.
func FaucetKeyFile() []byte { return []byte(faucetKeyFile) }

package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/torrenttx/ttx/dag"
)

const startUsage = `Usage: ttx start [flags]

Runs a node until interrupted (Ctrl-C): it opens the data dir, joins the
network's genesis swarm through the mainline DHT, exchanges transactions
with its peers over the ttx BitTorrent extension, seeds every transaction
as a torrent, and serves the local API and web wallet on --api (loopback
only). Spending through the API needs the cookie file it writes to the
data dir; other ttx commands read it from there.

The network is the embedded public test network (ttx-testnet, TEST MONEY
ONLY) unless --genesis names another network's tx.json (see ttx genesis
new). Proof files dropped in <datadir>/proofs are imported at start.

Example:
  ttx start --datadir ~/.ttx --api 127.0.0.1:8347
`

// nodeOptions is what ttx start and ttx devnet hand to runNode.
type nodeOptions struct {
	// Name tells devnet nodes apart in logs; empty for ttx start.
	Name string
	// Config is the resolved configuration: data dir, API address,
	// BitTorrent listen address, bootstrap nodes.
	Config *Config
	// Network is the network to join (from Config.Genesis).
	Network *dag.Network
	// Wallet is the key file the node spends from; empty means
	// <datadir>/wallet.key, created at first start.
	Wallet string
	// Passphrase asks the user for the passphrase of the key file named by
	// what (prompting on the terminal with echo off, twice if confirm is set
	// for a new key, or reading a line from a pipe). Nil for devnet nodes,
	// whose keys are plaintext.
	Passphrase func(what string, confirm bool) ([]byte, error)
	// Loopback keeps the node off the internet: no public DHT routers,
	// trackers or port mapping; peers only from Config.Bootstrap.
	Loopback bool
	// VoteMinPeers is node.Config.VoteMinPeers (0: its default).
	VoteMinPeers int
	// Logger is where the node logs (its level and format come from the
	// --log-level and --log-format settings).
	Logger *slog.Logger
	// Out, if set, gets the node's address, URLs and a status line whenever
	// the node's state changes (ttx start).
	Out io.Writer
}

func runStart(e *env, args []string) error {
	fs := newFlagSet("start")
	cf := addConfigFlags(fs, "datadir", "api", "genesis", "listen", "bootstrap", "dht", "max-peers", "max-outbound", "log-level", "log-format")
	if help, err := e.parse(fs, args, startUsage, 0); help || err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	net, err := cfg.network()
	if err != nil {
		return err
	}
	return runNode(e.ctx, nodeOptions{
		Config:     cfg,
		Network:    net,
		Logger:     newLogger(e.stderr, cfg),
		Out:        e.stdout,
		Passphrase: func(what string, confirm bool) ([]byte, error) { return readPassphrase(e, what, confirm) },
	})
}

// newLogger returns the logger that cfg's log level and format ask for.
func newLogger(w io.Writer, cfg *Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		panic(fmt.Sprintf("log level %q passed Validate: %v", cfg.LogLevel, err))
	}
	o := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

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

The wallet's passphrase is asked on the terminal, or read from
--passphrase-file (mode 0600 or stricter) for a start with no terminal,
as from systemd (docs/ttx.service).

With --watch <address> the node is watch-only: it loads no key (and asks
no passphrase), shows that address's balance and history, and exports the
proofs of its coins that ttx sign needs on an offline machine; sending is
refused with a message that says so.

--notify CMD runs CMD through /bin/sh for each transaction that pays the
wallet (its own sends' change included) when it is accepted and again when
it becomes final, like bitcoind's -walletnotify: "%s" in CMD becomes the
transaction ID, and the environment has TTX_EVENT (accepted or final) and
TTX_TX. At most 4 run at once and 256 wait; each is killed after 30 s, and
events beyond the queue are dropped and logged (ttx_notify_total on
/metrics counts them), so a slow CMD never holds up the node.

While the node catches up with its peers, the status line says how many
transactions it lacks against the peer that holds the most, the rate and
an ETA.

Example:
  ttx start --datadir ~/.ttx --api 127.0.0.1:8347
  ttx start --passphrase-file /etc/ttx/passphrase    # unattended
  ttx start --datadir ~/.ttx-watch --watch ttx1...
  ttx start --notify 'echo "$TTX_EVENT %s" >> ~/payments.log'
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
	// Watch, if set, is the address a watch-only node follows instead of
	// loading a key (ttx start --watch).
	Watch string
	// Notify is node.Config.Notify (ttx start --notify).
	Notify string
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
	cf := addConfigFlags(fs, "datadir", "api", "genesis", "listen", "advertise", "bootstrap", "dht", "max-peers", "max-outbound", "log-level", "log-format", "passphrase-file")
	watch := fs.String("watch", "", "watch-only: follow this address with no key (sending is refused)")
	notify := fs.String("notify", "", `shell command run for each payment to the wallet, when accepted and when final; "%s" becomes the tx ID`)
	if help, err := e.parse(fs, args, startUsage, 0); help || err != nil {
		return err
	}
	cfg, net, err := cf.loadWithNetwork(e)
	if err != nil {
		return err
	}
	return runNode(e.ctx, nodeOptions{
		Config:     cfg,
		Network:    net,
		Watch:      *watch,
		Notify:     *notify,
		Logger:     newLogger(e.stderr, cfg),
		Out:        e.stdout,
		Passphrase: func(what string, confirm bool) ([]byte, error) { return e.passphrase(cfg, what, confirm) },
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

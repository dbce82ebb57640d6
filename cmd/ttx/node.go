package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/store"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/internal/web"
)

// shutdownTimeout bounds a clean shutdown after Ctrl-C.
const shutdownTimeout = 5 * time.Second

// statusEvery is how often ttx start looks at the node's state for its
// status line; a line is printed only when something changed.
const statusEvery = 2 * time.Second

// runNode runs one node with o until ctx is done, then shuts it down
// cleanly: the API stops (its cookie file is removed), then the network,
// then the ledger, so nothing accepted is lost.
func runNode(ctx context.Context, o nodeOptions) error {
	cfg := o.Config
	var key *wallet.Key
	var watch dag.PubKey
	var err error
	if o.Watch != "" {
		if watch, err = o.Network.ParseAddress(o.Watch); err != nil {
			return withHint(fmt.Errorf("--watch: %w", err), "--watch takes the address of the wallet to follow, for this network")
		}
	} else if key, err = openWallet(o); err != nil {
		return err
	}
	ws, err := web.New(web.Config{Logger: o.Logger})
	if err != nil {
		return err
	}
	nc := node.Config{
		DataDir:    cfg.DataDir,
		Network:    o.Network,
		Wallet:     key,
		Watch:      watch,
		Notify:     o.Notify,
		ListenAddr: cfg.Listen,
		APIAddr:    cfg.API,
		Web:        ws,
		APIAuth:    []api.Authenticator{ws.Authorized},
		Logger:     o.Logger,

		MaxPeers:     cfg.MaxPeers,
		MaxOutbound:  cfg.MaxOutbound,
		VoteMinPeers: o.VoteMinPeers,
	}
	nc.NoDHT = cfg.DHT == "off"
	nc.AdvertiseAddr = cfg.Advertise
	if o.Loopback {
		// A devnet: the other nodes are the DHT's only routers and the
		// first peers; nothing public is contacted.
		nc.DHTBootstrap = append([]string{}, cfg.Bootstrap...)
		nc.Peers = cfg.Bootstrap
	} else if len(cfg.Bootstrap) > 0 {
		nc.DHTBootstrap = cfg.Bootstrap
		nc.Peers = cfg.Bootstrap
	}
	if o.Network.ID == genesis.Default().ID {
		if nc.Faucet, err = wallet.OpenPlaintext(genesis.FaucetKeyFile()); err != nil {
			return fmt.Errorf("load the test network's faucet key: %w", err)
		}
	}
	n, err := node.Open(ctx, nc)
	if err != nil {
		return err
	}
	ws.Attach(n)
	// The login URL opens a session that can spend: it goes to the
	// terminal (or, for devnet nodes, to the log), like Jupyter's.
	login := ws.LoginURL(n.APIURL())
	if o.Out == nil {
		o.Logger.Info("web wallet", "url", login)
	} else {
		fmt.Fprintf(o.Out, "ttx %s on %s (%s)\n", node.Version, o.Network.Params.Name, o.Network.ID)
		if n.WatchOnly() {
			fmt.Fprintf(o.Out, "  address  %s  (watch-only: no key here, sending is refused; sign with ttx sign)\n", n.Address())
		} else {
			fmt.Fprintf(o.Out, "  address  %s\n", n.Address())
		}
		fmt.Fprintf(o.Out, "  API      %s\n", n.APIURL())
		fmt.Fprintf(o.Out, "  wallet   %s  (opens the web wallet with the right to spend; works once)\n", login)
		fmt.Fprintf(o.Out, "  peers    BitTorrent on %s\n", n.ListenAddr())
		fmt.Fprintf(o.Out, "Press Ctrl-C to stop.\n")
		go statusLines(ctx, n, o)
	}
	var damage error
	select {
	case <-ctx.Done():
	case damage = <-n.Damaged():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := n.Close(sctx); err != nil && damage == nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if damage != nil {
		return fmt.Errorf("stopped: the ledger store is damaged (%w); %s", damage, store.Recovery(filepath.Join(cfg.DataDir, node.StoreFile)))
	}
	if o.Out != nil {
		fmt.Fprintln(o.Out, "stopped cleanly")
	}
	return nil
}

// statusLines prints a status line whenever peers, counts or sync change.
func statusLines(ctx context.Context, n *node.Node, o nodeOptions) {
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	last := ""
	for {
		if st, err := n.Status(ctx); err == nil {
			line := statusLine(st)
			if line != last {
				fmt.Fprintf(o.Out, "%s  %s\n", time.Now().Format("15:04:05"), line)
				last = line
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func statusLine(st *api.Status) string {
	sync := "no ttx peers yet"
	switch {
	case st.Sync.Missing > 0:
		sync = "catching up: " + syncProgress(st.Sync)
	case st.TTXPeers > 0:
		sync = fmt.Sprintf("in sync with %d of %d ttx peers", st.InSync, st.TTXPeers)
	}
	return fmt.Sprintf("peers %d · txs %d accepted, %d pending, %d rejected · digest %s · %s",
		st.Peers, st.Accepted, st.Pending, st.Rejected, st.Digest, sync)
}

// syncProgress words how far a node is behind: "1234 of 5000 txs (24.6 %),
// 3766 missing, 120 tx/s, ETA 32s".
func syncProgress(p api.SyncProgress) string {
	s := fmt.Sprintf("%d of %d txs (%.1f %%), %d missing", p.Have, p.Best, p.Percent, p.Missing)
	if p.Rate > 0 {
		s += fmt.Sprintf(", %g tx/s", p.Rate)
	}
	if p.ETASeconds > 0 {
		s += ", ETA " + (time.Duration(p.ETASeconds) * time.Second).String()
	}
	return s
}

// openWallet loads the node's key file, creating it on first start: a
// devnet node's in plaintext, anyone else's under a passphrase.
func openWallet(o nodeOptions) (*wallet.Key, error) {
	path := o.Wallet
	if path == "" {
		path = filepath.Join(o.Config.DataDir, node.WalletFile)
	}
	key, err := loadWallet(path, o.Passphrase)
	if errors.Is(err, fs.ErrNotExist) {
		return createWallet(o, path)
	}
	return key, err
}

// loadWallet loads the key file at path, asking for its passphrase if it
// is encrypted (ask nil: none can be asked). An error wraps
// fs.ErrNotExist if there is no file.
func loadWallet(path string, ask func(what string, confirm bool) ([]byte, error)) (*wallet.Key, error) {
	kf, err := wallet.ReadKeyFile(path)
	if err != nil {
		return nil, err
	}
	var pass []byte
	if kf.Encrypted() {
		if ask == nil {
			return nil, fmt.Errorf("wallet %s is encrypted and no passphrase can be asked", path)
		}
		if pass, err = ask("wallet "+path, false); err != nil {
			return nil, err
		}
	}
	return wallet.Load(path, pass)
}

func createWallet(o nodeOptions, path string) (*wallet.Key, error) {
	key, err := wallet.NewKey(nil)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	opts := wallet.Options{}
	var pass []byte
	if o.Passphrase == nil {
		opts = wallet.Options{Plaintext: true, Note: "Wallet of a local devnet node, stored UNENCRYPTED: throwaway money only."}
	} else if pass, err = o.Passphrase("new wallet "+path, true); err != nil {
		return nil, err
	}
	if err := wallet.Save(path, key, o.Network, pass, opts); err != nil {
		return nil, err
	}
	if o.Out != nil {
		fmt.Fprintf(o.Out, "Created wallet %s. Write down its backup and keep it secret: it restores the wallet, and anyone who reads it can spend.\n  %s\n", path, key.Backup())
	}
	return key, nil
}

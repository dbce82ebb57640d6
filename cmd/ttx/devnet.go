package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/consensus"
	"github.com/torrenttx/ttx/internal/wallet"
)

const devnetUsage = `Usage: ttx devnet [flags]

Runs a private network of --nodes nodes in this process, on 127.0.0.1 only
(no public DHT, trackers or port mapping), until interrupted. The first run
creates the network in --dir/genesis (name "devnet", addresses "dev1...",
its supply key stored UNENCRYPTED: throwaway money); later runs reuse it and
each node's data dir (--dir/node0, node1, ...), so the ledger survives.

Node i serves its API on 127.0.0.1:<base-port + i> and BitTorrent on
127.0.0.1:<base-port + 100 + i>; node0's wallet holds the whole supply.
Point other commands at a node with --api and --datadir, e.g.
  ttx send --api 127.0.0.1:7400 --datadir devnet/node0 --to dev1... --amount 5
`

// devnetPrefix and devnetName name the devnet's network.
const (
	devnetName   = "devnet"
	devnetPrefix = "dev"
	devnetSupply = 1_000_000 * dag.Unit
	maxDevNodes  = 50
)

func runDevnet(e *env, args []string) error {
	fs := newFlagSet("devnet")
	cf := addConfigFlags(fs, "log-level", "log-format")
	nodes := fs.Int("nodes", 3, fmt.Sprintf("number of nodes (1 to %d)", maxDevNodes))
	dir := fs.String("dir", "devnet", "directory for the network and the nodes' data dirs")
	basePort := fs.Int("base-port", 7400, "API port of node0; node i uses base-port+i, and base-port+100+i for BitTorrent")
	if help, err := e.parse(fs, args, devnetUsage, 0); help || err != nil {
		return err
	}
	if *nodes < 1 || *nodes > maxDevNodes {
		return fmt.Errorf("--nodes %d: want 1 to %d", *nodes, maxDevNodes)
	}
	if *basePort < 1 || *basePort+100+*nodes > 65535 {
		return fmt.Errorf("--base-port %d leaves no room for %d nodes", *basePort, *nodes)
	}
	base, err := cf.load(e)
	if err != nil {
		return err
	}
	net, keyPath, err := devnetNetwork(filepath.Join(*dir, "genesis"))
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, base)
	opts := make([]nodeOptions, *nodes)
	listen := make([]string, *nodes)
	for i := range opts {
		listen[i] = "127.0.0.1:" + strconv.Itoa(*basePort+100+i)
	}
	tw := e.table()
	fmt.Fprintf(tw, "Network\t%s (%s)\n", net.Params.Name, net.ID)
	for i := range opts {
		cfg := *base
		cfg.DataDir = filepath.Join(*dir, "node"+strconv.Itoa(i))
		cfg.API = "127.0.0.1:" + strconv.Itoa(*basePort+i)
		cfg.Listen = listen[i]
		cfg.Genesis = filepath.Join(*dir, "genesis", genesis.TxFile)
		cfg.Bootstrap = append(append([]string(nil), listen[:i]...), listen[i+1:]...)
		name := "node" + strconv.Itoa(i)
		// Every other node is a peer: a devnet of two or three nodes
		// still makes payments final.
		opts[i] = nodeOptions{Name: name, Config: &cfg, Network: net, Loopback: true, Logger: logger.With("node", name),
			VoteMinPeers: max(1, min(consensus.DefaultMinPeers, *nodes-1))}
		role := ""
		if i == 0 {
			opts[i].Wallet = keyPath
			role = "holds the supply"
		}
		fmt.Fprintf(tw, "%s\tAPI %s\tdata dir %s\t%s\n", name, cfg.API, cfg.DataDir, role)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return runNodes(e.ctx, opts)
}

// devnetNetwork returns the devnet's network in dir, creating it (with a
// plaintext supply key) on first use, and the supply key's path.
func devnetNetwork(dir string) (*dag.Network, string, error) {
	txPath, keyPath := filepath.Join(dir, genesis.TxFile), filepath.Join(dir, supplyKeyFile)
	net, err := genesis.Load(txPath)
	if err == nil {
		return net, keyPath, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	if err := checkNoNetwork(dir); err != nil {
		return nil, "", err
	}
	p := genesis.DefaultParams(devnetName, devnetPrefix)
	opts := wallet.Options{Plaintext: true, Note: "Supply key of a local devnet, stored UNENCRYPTED: throwaway money only."}
	if _, err := createNetwork(dir, p, devnetSupply, nil, opts); err != nil {
		return nil, "", err
	}
	net, err = genesis.Load(txPath)
	if err != nil {
		return nil, "", err
	}
	return net, keyPath, nil
}

// runNodes runs every node until ctx is done or one fails; a failure stops
// the others. It returns the nodes' errors, joined.
func runNodes(ctx context.Context, opts []nodeOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(opts))
	var wg sync.WaitGroup
	for i, o := range opts {
		wg.Go(func() {
			if err := runNode(ctx, o); err != nil {
				errs[i] = fmt.Errorf("%s: %w", o.Name, err)
				cancel()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

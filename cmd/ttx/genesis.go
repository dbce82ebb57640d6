package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/wallet"
)

const genesisUsage = `Usage: ttx genesis new [flags]

Creates a new network: a fresh supply key, and a genesis transaction that
mints the whole supply to it. It writes, in --dir:

  tx.json      the genesis: it defines the network (its ID is its hash)
  tx.torrent   the genesis torrent, where the network's nodes meet
  supply.key   the key holding the supply, encrypted with a passphrase
               (asked for, or --passphrase), or in the clear with
               --plaintext (throwaway networks only)

Nothing is overwritten. Start a node on the network with
  ttx start --genesis <dir>/tx.json

Example:
  ttx genesis new --name mynet --prefix my --supply 1000000 --dir ./mynet
`

func runGenesis(e *env, args []string) error {
	if len(args) == 0 || args[0] != "new" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help") {
			fmt.Fprint(e.stdout, genesisUsage)
			return nil
		}
		return withHint(errors.New(`genesis has one command: "new"`), "ttx genesis new -h")
	}
	return runGenesisNew(e, args[1:])
}

// supplyKeyFile is the name of the supply key file genesis new writes.
const supplyKeyFile = "supply.key"

// genesisResult is the --json output of ttx genesis new.
type genesisResult struct {
	Network string   `json:"network"`
	ID      dag.TxID `json:"id"`
	Genesis string   `json:"genesis"`
	Torrent string   `json:"torrent"`
	Key     string   `json:"key"`
	Address string   `json:"address"`
	Supply  string   `json:"supply"`
}

func runGenesisNew(e *env, args []string) error {
	fs := newFlagSet("genesis new")
	name := fs.String("name", "", "network name, e.g. mynet (required)")
	prefix := fs.String("prefix", "", "address prefix, 1-16 lowercase letters or digits, e.g. my for my1... addresses (required)")
	supply := fs.String("supply", "21000000", "total supply in TTX, minted to the supply key")
	burn := fs.Uint64("burn-per-byte", 0, "minimum burn (fee) per byte of a transaction, in base units (1 TTX = 10^8)")
	pow := fs.Uint("pow-bits", 0, "proof-of-work bits every transaction needs (0 to 32; a spam guard for feeless networks)")
	dir := fs.String("dir", "", `directory to write the network's files to (default "./<name>")`)
	pass := fs.String("passphrase", "", "passphrase for the supply key (default: ask)")
	plain := fs.Bool("plaintext", false, "store the supply key unencrypted (throwaway networks only)")
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := e.parse(fs, args, genesisUsage, 0); help || err != nil {
		return err
	}
	if *name == "" || *prefix == "" {
		return withHint(errors.New("genesis new needs --name and --prefix"), "ttx genesis new --name mynet --prefix my")
	}
	if *plain && *pass != "" {
		return errors.New("--plaintext and --passphrase exclude each other")
	}
	amount, err := dag.ParseAmount(*supply)
	if err != nil || amount == 0 {
		return withHint(fmt.Errorf("supply %q is not a positive TTX amount", *supply), "--supply 1000000")
	}
	if *pow > 32 {
		return fmt.Errorf("--pow-bits %d is above 32", *pow)
	}
	p := genesis.DefaultParams(*name, *prefix)
	p.BurnPerByte = dag.Amount(*burn)
	p.PowBits = uint8(*pow)
	if *dir == "" {
		*dir = *name
	}
	if err := checkNoNetwork(*dir); err != nil {
		return err
	}
	var passphrase []byte
	opts := wallet.Options{Plaintext: *plain}
	switch {
	case *plain:
		opts.Note = "Supply key of network " + *name + ", stored UNENCRYPTED: anyone who reads this file can spend the supply."
	case *pass != "":
		passphrase = []byte(*pass)
	default:
		if passphrase, err = readPassphrase(e, "the supply key", true); errors.Is(err, errEmptyPassphrase) {
			return withHint(err, "choose a passphrase, or pass --plaintext for a throwaway network")
		} else if err != nil {
			return err
		}
	}
	res, err := createNetwork(*dir, p, amount, passphrase, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(res)
	}
	tw := e.table()
	fmt.Fprintf(tw, "Network\t%s (%s)\n", res.Network, res.ID)
	fmt.Fprintf(tw, "Genesis\t%s\n", res.Genesis)
	fmt.Fprintf(tw, "Torrent\t%s\n", res.Torrent)
	fmt.Fprintf(tw, "Supply key\t%s\n", res.Key)
	fmt.Fprintf(tw, "Supply address\t%s\n", res.Address)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nShare %s: it defines the network, and its ID is that file's hash.\n", res.Genesis)
	fmt.Fprintf(e.stdout, "Keep %s safe: it holds all %s TTX.\n", res.Key, res.Supply)
	fmt.Fprintf(e.stdout, "Start a node on the network: ttx start --genesis %s\n", res.Genesis)
	return nil
}

// checkNoNetwork fails if dir already holds any of a network's files.
func checkNoNetwork(dir string) error {
	for _, f := range []string{genesis.TxFile, genesis.TorrentFile, supplyKeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return withHint(fmt.Errorf("%s already exists: %w", filepath.Join(dir, f), genesis.ErrExists), "choose another --dir")
		}
	}
	return nil
}

// createNetwork makes a fresh supply key and a genesis minting supply to
// it, and writes dir/supply.key (first, so that a failure leaves no network
// without its key), dir/tx.json and dir/tx.torrent.
func createNetwork(dir string, p dag.Params, supply dag.Amount, passphrase []byte, opts wallet.Options) (*genesisResult, error) {
	key, err := wallet.NewKey(nil)
	if err != nil {
		return nil, err
	}
	alloc := []genesis.Alloc{{To: key.PubKey(), Amount: supply}}
	now := time.Now()
	raw, err := genesis.New(p, alloc, now)
	if err != nil {
		return nil, err
	}
	net, err := dag.NewNetwork(raw)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create network: %w", err)
	}
	keyPath := filepath.Join(dir, supplyKeyFile)
	if err := wallet.Save(keyPath, key, net, passphrase, opts); err != nil {
		return nil, err
	}
	if _, err := genesis.NewNetwork(dir, p, alloc, now); err != nil {
		os.Remove(keyPath)
		return nil, err
	}
	return &genesisResult{
		Network: p.Name,
		ID:      net.ID,
		Genesis: filepath.Join(dir, genesis.TxFile),
		Torrent: filepath.Join(dir, genesis.TorrentFile),
		Key:     keyPath,
		Address: key.Address(net),
		Supply:  supply.String(),
	}, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
)

const signUsage = `Usage: ttx sign [flags] --proof <file> --to <address> --amount <ttx>

Signs a payment offline (cold signing): no node, no network, only the
wallet's key file. The coins come from proof files: each --proof (repeat
it for more coins) is checked as ttx proof verify checks it, and the
outputs its transaction pays to your key are what the payment spends,
change going back to your key. An output a proof pays to someone else, or
a proof that pays your key nothing, is refused.

The signed payment is written as a proof file (<id>.torrent, or -o file;
"-o -" writes to stdout) that carries its ancestry, for ttx proof import on
the online node; with --raw, as the bare tx.json for ttx submit or
POST /v1/tx.

The signer cannot know whether an output was spent since the proof was
made: the online node refuses a payment that spends one again
(ErrDoubleSpend). A watch-only node (ttx start --watch <address>) follows
the key's coins and exports fresh proofs of them (ttx history, then
ttx proof export <id>).

The key is <datadir>/wallet.key unless --wallet names another file; its
passphrase is asked on the terminal. The network is the embedded default
(ttx-testnet) unless --genesis names another network's tx.json.

Example (on the offline machine):
  ttx sign --wallet /media/usb/wallet.key --proof coin.torrent \
           --to ttx1... --amount 2.5 -o pay.torrent
then on the online machine:
  ttx proof import pay.torrent
`

// proofList collects repeated --proof flags.
type proofList []string

func (p *proofList) String() string { return strings.Join(*p, ",") }
func (p *proofList) Set(v string) error {
	*p = append(*p, v)
	return nil
}

func runSign(e *env, args []string) error {
	fs := newFlagSet("sign")
	cf := addConfigFlags(fs, "datadir", "genesis")
	var proofFiles proofList
	fs.Var(&proofFiles, "proof", "proof file whose outputs to your key pay (required; repeat for more coins)")
	walletPath := fs.String("wallet", "", "key file to sign with (default <datadir>/wallet.key)")
	to := fs.String("to", "", "recipient's address (required)")
	amount := fs.String("amount", "", "amount in TTX, e.g. 1.5 (required)")
	memo := fs.String("memo", "", "note stored in the transaction (public, printable ASCII)")
	raw := fs.Bool("raw", false, "write the bare tx.json instead of a proof file")
	out := fs.String("o", "", `output file (default "<id>.torrent", or "<id>.json" with --raw; "-" for stdout)`)
	if help, err := e.parse(fs, args, signUsage, 0); help || err != nil {
		return err
	}
	if len(proofFiles) == 0 || *to == "" || *amount == "" {
		return withHint(errors.New("sign needs --proof, --to and --amount"), "ttx sign --proof coin.torrent --to <address> --amount 1.5")
	}
	cfg, net, err := cf.loadWithNetwork(e)
	if err != nil {
		return err
	}
	recipient, err := net.ParseAddress(*to)
	if err != nil {
		return withHint(err, "check the address for typos (its checksum caught one) and that it is for this network")
	}
	amt, err := dag.ParseAmount(*amount)
	if err != nil {
		return withHint(fmt.Errorf("amount %q: %w", *amount, err), "write amounts as decimals: 1, 0.5, 12.00000001")
	}
	path := *walletPath
	if path == "" {
		path = filepath.Join(cfg.DataDir, node.WalletFile)
	}
	key, err := loadWallet(path, func(what string, confirm bool) ([]byte, error) { return readPassphrase(e, what, confirm) })
	if errors.Is(err, iofs.ErrNotExist) {
		return withHint(err, "pass --wallet with the key file, or the --datadir that holds wallet.key")
	}
	if err != nil {
		return err
	}
	signed, err := coldSign(e, net, key, proofFiles, recipient, amt, *memo, !*raw)
	if err != nil {
		return err
	}
	b, ext := signed.proof, ".torrent"
	if *raw {
		b, ext = signed.tx.Raw, ".json"
	}
	dest := *out
	switch dest {
	case "-":
		_, err := e.stdout.Write(b)
		return err
	case "":
		dest = signed.tx.ID.String() + ext
	}
	if err := proofs.WriteFile(dest, b); err != nil {
		if errors.Is(err, os.ErrExist) {
			return withHint(err, "remove it, or choose another name with -o")
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Signed %s: %s TTX to %s, spending %d output(s)\nWrote %s (%d bytes)\n",
		signed.tx.ID, amt, *to, len(signed.tx.Prev), dest, len(b))
	if *raw {
		fmt.Fprintf(e.stdout, "On the online node: ttx submit %s\n", dest)
	} else {
		fmt.Fprintf(e.stdout, "On the online node: ttx proof import %s\n", dest)
	}
	return nil
}

// coldSigned is what coldSign made: the signed payment and, if asked, its
// proof file.
type coldSigned struct {
	tx    *dag.Parsed
	proof []byte
}

// coldSign verifies the proof files offline, takes the outputs their
// transactions pay to key as coins, and signs a payment of amount to to
// from them. With withProof it also builds the payment's proof: the
// proofs' transactions and the payment replayed through a ledger in
// memory, then exported, so that a node with none of them can import it.
func coldSign(e *env, net *dag.Network, key *wallet.Key, files []string, to dag.PubKey, amount dag.Amount, memo string, withProof bool) (*coldSigned, error) {
	var coins []wallet.Coin
	var raws [][]byte
	seen := make(map[dag.TxID]bool)
	for _, f := range files {
		p, err := proofs.VerifyFile(f, net, nil)
		if err != nil {
			if errors.Is(err, proofs.ErrWrongNetwork) {
				return nil, withHint(err, "pass --genesis with the tx.json of the network the proof is for")
			}
			return nil, err
		}
		if seen[p.ID] {
			continue // the same coins twice would be a double spend
		}
		seen[p.ID] = true
		mine := 0
		for i, o := range p.Tx.Out {
			if o.Owner == key.PubKey() {
				coins = append(coins, wallet.Coin{OutPoint: dag.OutPoint{TxID: p.ID, Index: uint32(i)}, Amount: o.Amount})
				mine++
			}
		}
		if mine == 0 {
			return nil, withHint(fmt.Errorf("proof %s: transaction %s pays nothing to your key %s", f, p.ID, key.Address(net)),
				"export the proof of a payment to this wallet's address (ttx history on a watch-only node lists them)")
		}
		raws = append(raws, p.Raws()...)
	}
	rawTx, _, err := wallet.BuildSend(e.ctx, net, key, coins, to, amount, memo, time.Now())
	if err != nil {
		if errors.Is(err, wallet.ErrInsufficientFunds) {
			return nil, withHint(err, "add --proof files of more coins to this wallet")
		}
		return nil, err
	}
	tx, err := dag.Decode(rawTx)
	if err != nil {
		return nil, fmt.Errorf("decode signed transaction: %w", err)
	}
	s := &coldSigned{tx: tx}
	if withProof {
		if s.proof, err = buildProof(e.ctx, net, raws, rawTx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// buildProof returns the proof of raw, a transaction whose parents are in
// ancestry (parents first), built by replaying them through a ledger in
// memory that holds only those.
func buildProof(ctx context.Context, net *dag.Network, ancestry [][]byte, raw []byte) ([]byte, error) {
	st := dag.NewMemStore()
	defer st.Close()
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: st})
	if err != nil {
		return nil, fmt.Errorf("build proof: %w", err)
	}
	defer g.Close()
	results, err := g.AddBatch(ctx, append(slices.Clone(ancestry), raw), "proof")
	if err != nil {
		return nil, fmt.Errorf("build proof: %w", err)
	}
	last := results[len(results)-1]
	if !last.State.Accepted() {
		// The proofs disagree: one carries a double spend of a coin another spends.
		return nil, fmt.Errorf("build proof: the transaction is %s on a ledger of its ancestry: %v", last.State, last.Err)
	}
	var b []byte
	err = st.View(func(r dag.ReadTx) error {
		b, err = proofs.Export(net, r, last.ID, nil)
		return err
	})
	return b, err
}

package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/proofs"
	"github.com/torrenttx/ttx/vote"
)

const proofUsage = `Usage: ttx proof <export|verify|import> [flags] [arguments]

A proof is a transaction's .torrent (any BitTorrent client opens it) that
also carries the transaction's ancestry back to the network's genesis, so
anyone can check a payment offline.

  export [-o file] <id>   write the proof of a transaction (via the node)
  verify <file>           check a proof offline, and whether the payment is
                          final: no node, no data dir
  import <file>           add a proof's transactions to the running node

Run "ttx proof <command> -h" for its flags.
`

func runProof(e *env, args []string) error {
	return runVerbs(e, "proof", proofUsage, args, []command{
		{name: "export", run: runProofExport},
		{name: "verify", run: runProofVerify},
		{name: "import", run: runProofImport},
	})
}

const proofExportUsage = `Usage: ttx proof export [flags] <id>

Writes the proof of transaction <id> to <id>.torrent (or -o file; "-o -"
writes to stdout). The running node builds it from its ledger; it must
hold the transaction as accepted. An existing file is never overwritten.

Example:
  ttx proof export -o payment.torrent 3f2a...
`

func runProofExport(e *env, args []string) error {
	fs := newFlagSet("proof export")
	cf := clientFlags(fs)
	out := fs.String("o", "", `output file (default "<id>.torrent"; "-" for stdout)`)
	if help, err := e.parse(fs, args, proofExportUsage, 1); help || err != nil {
		return err
	}
	id, err := dag.ParseTxID(fs.Arg(0))
	if err != nil {
		return withHint(err, "a transaction ID is 64 lowercase hex characters")
	}
	c, err := cf.client(e, false)
	if err != nil {
		return err
	}
	b, err := c.Proof(e.ctx, id)
	if err != nil {
		return err
	}
	path := *out
	if path == "-" {
		_, err := e.stdout.Write(b)
		return err
	}
	if path == "" {
		path = id.String() + ".torrent"
	}
	if err := proofs.WriteFile(path, b); err != nil {
		if errors.Is(err, os.ErrExist) {
			return withHint(err, "remove it, or choose another name with -o")
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Wrote %s (%d bytes): proof of %s\n", path, len(b), id)
	fmt.Fprintf(e.stdout, "Anyone can check it offline with: ttx proof verify %s\n", path)
	return nil
}

const proofVerifyUsage = `Usage: ttx proof verify [flags] <file>

Checks a proof offline, with no node, data dir or network access: the
.torrent is the transaction's, every signature and amount holds, and the
ancestry reaches the network's genesis. The network is the embedded
default (ttx-testnet) unless --genesis names another network's tx.json.

Then it counts the signed votes of the finality certificate the proof
carries and prints "final: N signed votes from N distinct node keys", or
"not final: <reason>" (no certificate, too few votes, votes that do not
verify, or a double spend that is final instead). Anyone can make up node
keys: --trusted-keys counts only the keys you trust, as hex node keys
("ttx status" prints a node's), separated by commas, or @file to read them
from a file (separated by commas, spaces or newlines).

Exits 0 if the proof is valid and final, 2 if it is valid but not final,
1 with the reason if it is not valid.

Example:
  ttx proof verify --trusted-keys @trusted.txt payment.torrent
`

// verifyResult is the --json output of ttx proof verify.
type verifyResult struct {
	Valid     bool       `json:"valid"`
	Error     string     `json:"error,omitempty"`
	ID        *dag.TxID  `json:"id,omitempty"`
	Network   string     `json:"network,omitempty"`
	State     string     `json:"state,omitempty"`
	Paid      []paidJSON `json:"paid,omitempty"`
	Ancestors int        `json:"ancestors"`
	Evidence  []dag.TxID `json:"double_spends,omitempty"`
	Nodes     []string   `json:"nodes,omitempty"`
	// Final, NotFinal, Votes and Keys: what the proof's finality
	// certificate shows (see proofs.Proof).
	Final    bool   `json:"final"`
	NotFinal string `json:"not_final,omitempty"`
	Votes    int    `json:"votes"`
	Keys     int    `json:"keys"`
}

type paidJSON struct {
	Address string `json:"address"`
	Amount  string `json:"amount"`
	Units   uint64 `json:"units,string"`
	Change  bool   `json:"change"`
}

func runProofVerify(e *env, args []string) error {
	fs := newFlagSet("proof verify")
	gen := fs.String("genesis", "", "genesis tx.json of the proof's network (default: the embedded ttx-testnet)")
	asJSON := fs.Bool("json", false, "print JSON (also when invalid)")
	trustedKeys := fs.String("trusted-keys", "", "count only these node keys' votes: hex keys separated by commas, or @file")
	if help, err := e.parse(fs, args, proofVerifyUsage, 1); help || err != nil {
		return err
	}
	net, err := loadNetwork(*gen)
	if err != nil {
		return err
	}
	var trusted map[vote.NodeKey]bool
	if *trustedKeys != "" {
		if trusted, err = parseTrustedKeys(*trustedKeys); err != nil {
			return withHint(err, "a node key is 64 hex characters, as ttx status prints it")
		}
	}
	p, err := proofs.VerifyFile(fs.Arg(0), net, trusted)
	if err != nil {
		if *asJSON {
			e.printJSON(verifyResult{Error: err.Error()})
		}
		if errors.Is(err, proofs.ErrWrongNetwork) {
			return withHint(err, "pass --genesis with the tx.json of the network the proof is for")
		}
		return err
	}
	if *asJSON {
		r := verifyResult{Valid: true, ID: &p.ID, Network: net.Params.Name, State: p.State.String(),
			Ancestors: p.Ancestors, Evidence: p.Evidence, Nodes: p.Nodes, Final: p.Final, NotFinal: p.NotFinal}
		r.Votes, r.Keys = p.Votes()
		for _, pd := range p.Paid {
			r.Paid = append(r.Paid, paidJSON{Address: pd.Address, Amount: pd.Amount.String(), Units: uint64(pd.Amount), Change: pd.Change})
		}
		if err := e.printJSON(r); err != nil {
			return err
		}
		return notFinal(p)
	}
	tw := e.table()
	fmt.Fprintf(tw, "Valid proof of\t%s\n", p.ID)
	fmt.Fprintf(tw, "Network\t%s (%s)\n", net.Params.Name, net.ID)
	fmt.Fprintf(tw, "State\t%s\n", p.State)
	for i, pd := range p.Paid {
		label := ""
		if i == 0 {
			label = "Pays"
		}
		change := ""
		if pd.Change {
			change = " (change to the sender)"
		}
		fmt.Fprintf(tw, "%s\t%s TTX to %s%s\n", label, pd.Amount, pd.Address, change)
	}
	if p.Tx.Tx.Memo != "" {
		fmt.Fprintf(tw, "Memo\t%s\n", p.Tx.Tx.Memo)
	}
	fmt.Fprintf(tw, "Ancestors\t%d, back to the genesis\n", p.Ancestors)
	fmt.Fprintf(tw, "Double spends\t%s\n", idList(p.Evidence))
	fmt.Fprintf(tw, "DHT nodes\t%d\n", len(p.Nodes))
	if err := tw.Flush(); err != nil {
		return err
	}
	votes, keys := p.Votes()
	printFinality(e, p.Final, p.NotFinal, votes, keys)
	return notFinal(p)
}

// printFinality prints the line that says whether a proof shows its
// transaction final: "final: N signed votes from N distinct node keys"
// (final on no votes is the genesis, which needs none), or "not final:
// <reason>".
func printFinality(e *env, final bool, reason string, votes, keys int) {
	switch {
	case !final:
		fmt.Fprintf(e.stdout, "not final: %s\n", reason)
	case votes == 0:
		fmt.Fprintln(e.stdout, "final: the genesis needs no votes")
	default:
		fmt.Fprintf(e.stdout, "final: %d signed votes from %d distinct node keys\n", votes, keys)
	}
}

// notFinal is the exit for a valid proof: nil if it shows the payment
// final, exit status 2 if not.
func notFinal(p *proofs.Proof) error {
	if p.Final {
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("proof of %s: not final: %s", p.ID, p.NotFinal)}
}

// parseTrustedKeys parses --trusted-keys: hex node keys separated by
// commas, or "@file" naming a file of keys separated by commas or white
// space.
func parseTrustedKeys(s string) (map[vote.NodeKey]bool, error) {
	if name, ok := strings.CutPrefix(s, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read trusted keys: %w", err)
		}
		s = string(b)
	}
	keys := make(map[vote.NodeKey]bool)
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		var k vote.NodeKey
		if len(f) != 2*len(k) {
			return nil, fmt.Errorf("parse trusted key %q: %d characters, want %d", f, len(f), 2*len(k))
		}
		if _, err := hex.Decode(k[:], []byte(f)); err != nil {
			return nil, fmt.Errorf("parse trusted key %q: %w", f, err)
		}
		keys[k] = true
	}
	if len(keys) == 0 {
		return nil, errors.New("parse trusted keys: no key given")
	}
	return keys, nil
}

const proofImportUsage = `Usage: ttx proof import [flags] <file>

Sends a proof to the running node, which verifies it, adds its
transactions (so it can see and spend a payment even with no peers), and
seeds and announces them. It then says whether the proof shows the payment
final, as ttx proof verify does counting every node key. Needs the node's cookie: pass the --datadir the
node was started with.
`

func runProofImport(e *env, args []string) error {
	fs := newFlagSet("proof import")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := e.parse(fs, args, proofImportUsage, 1); help || err != nil {
		return err
	}
	b, err := proofs.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	c, err := cf.client(e, true)
	if err != nil {
		return err
	}
	r, err := c.ImportProof(e.ctx, b)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := e.printJSON(r); err != nil || r.State != "rejected" {
			return err
		}
		return errRejectedImport(r)
	}
	if r.State == "rejected" {
		fmt.Fprintf(e.stdout, "Stored the proof of %s as evidence, %d new transaction(s)\n", r.ID, r.Added)
		return errRejectedImport(r)
	}
	fmt.Fprintf(e.stdout, "Imported the proof of %s: %s, %d new transaction(s)\n", r.ID, r.State, r.Added)
	printFinality(e, r.Final, r.NotFinal, r.Votes, r.Keys)
	return nil
}

// errRejectedImport is the error of an import the node holds as rejected.
func errRejectedImport(r *api.ImportResult) error {
	if r.Code == "ErrDoubleSpend" {
		return withHint(fmt.Errorf("the node rejects %s for now (%s): it holds another spend of the same coins", r.ID, r.Code),
			"do not count on this payment yet; ttx tx --wait "+r.ID.String()+" follows the vote")
	}
	return withHint(fmt.Errorf("the node rejects %s (%s)", r.ID, r.Code), "do not count on this payment: ttx tx "+r.ID.String()+" says why")
}

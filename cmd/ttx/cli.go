package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/wallet"
)

// env is what a subcommand runs with: the context, the output streams and
// the process environment, so that tests can run commands in-process.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
	getenv func(string) string
	in     *bufio.Reader // stdin, buffered once for every prompt (lines)
}

// command is a subcommand: name, one-line summary, and its function.
type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

// commands lists the subcommands in the order the usage text shows them.
func commands() []command {
	return []command{
		{"start", "run a node: join the network, serve the API and the web wallet", runStart},
		{"devnet", "run a local network of several nodes, for trying things out", runDevnet},
		{"status", "show the running node's state", runStatus},
		{"peers", "list the running node's peers", runPeers},
		{"address", "show your wallet's address", runAddress},
		{"balance", "show your balance, or another address's", runBalance},
		{"history", "list your transactions, or another address's", runHistory},
		{"send", "pay someone, or pay a ttx: payment request", runSend},
		{"receive", "ask to be paid: a ttx: payment request and its QR code", runReceive},
		{"sign", "sign a payment offline from proof files of your coins (cold signing)", runSign},
		{"submit", "send a transaction signed elsewhere (ttx sign --raw) to the node", runSubmit},
		{"faucet", "get test coins (test networks only)", runFaucet},
		{"tx", "show a transaction, and ask peers whether they accept it", runTx},
		{"proof", "export, verify (offline) or import a payment proof", runProof},
		{"genesis", "create a new network", runGenesis},
		{"store", "check the ledger store for damage (the node stopped)", runStore},
		{"wallet", "back up, restore or re-encrypt your wallet's key", runWallet},
		{"version", "show the version and commit of this binary", runVersion},
	}
}

const mainUsage = `ttx is a node and wallet for TorrentTX, a feeless currency on BitTorrent.

Usage:
  ttx <command> [flags] [arguments]

Commands:
%s
Flags go before positional arguments, e.g. ttx proof export -o pay.torrent <id>.
Run "ttx <command> -h" for a command's flags.

Settings come from, lowest first: defaults, <datadir>/config.json, TTX_*
environment variables (TTX_DATADIR, TTX_API, ...), then flags.
`

// run runs the ttx command line args. It prints errors as "Error: ..."
// (plus a "Try: ..." hint when there is one) on stderr and returns them;
// -h and --help print usage on stdout and return nil. An *exitError is
// returned without printing: its command already said why.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runIn(ctx, args, os.Stdin, stdout, stderr)
}

// runIn is run with stdin as the command's input.
func runIn(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, stdin: stdin, getenv: os.Getenv}
	err := e.dispatch(args)
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		printError(stderr, err)
	}
	return err
}

// exitError ends a command that printed its own result with exit status
// code instead of 1 (ttx proof verify: 2 for a valid proof that is not
// final).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the process exit status for what run returned.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

func (e *env) dispatch(args []string) error {
	if len(args) == 0 {
		e.mainUsage()
		return &cliError{err: errors.New("no command given"), try: "ttx -h"}
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		e.mainUsage()
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(e, args[1:])
		}
	}
	return &cliError{err: fmt.Errorf("unknown command %q", name), try: "ttx -h"}
}

func (e *env) mainUsage() {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, mainUsage, b.String())
}

// cliError is an error with an optional hint, printed as "Try: ...".
type cliError struct {
	err error
	try string
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

// runVerbs runs the verb args[0] of command group (ttx proof, ttx store,
// ttx wallet), whose usage text is usage, with the rest of args. No verb
// or an unknown one is an error that names the verbs and points to -h.
func runVerbs(e *env, group, usage string, args []string, verbs []command) error {
	hint := "ttx " + group + " -h"
	if len(args) == 0 {
		fmt.Fprint(e.stdout, usage)
		names := make([]string, len(verbs))
		for i, v := range verbs {
			names[i] = v.name
		}
		list := names[len(names)-1]
		if len(names) > 1 {
			list = strings.Join(names[:len(names)-1], ", ") + " or " + list
		}
		return withHint(fmt.Errorf("%s needs a command: %s", group, list), hint)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(e, args[1:])
		}
	}
	return withHint(fmt.Errorf("unknown %s command %q", group, args[0]), hint)
}

// withHint attaches a hint to err.
func withHint(err error, try string) error { return &cliError{err: err, try: try} }

// printError prints err and its hint.
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "Error: %v\n", err)
	if try := hint(err); try != "" {
		fmt.Fprintf(w, "Try: %s\n", try)
	}
}

// hint returns the hint for err: its own, or one for a well-known error.
func hint(err error) string {
	var ce *cliError
	if errors.As(err, &ce) && ce.try != "" {
		return ce.try
	}
	var ae *api.Error
	switch {
	case errors.Is(err, api.ErrNotRunning):
		return "if the node runs, pass --api <host:port> of its API (and --datadir of its data dir)"
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		return "pass the --datadir the node was started with: its .cookie authorizes spending"
	case errors.As(err, &ae) && ae.Code == "ErrBadAddress":
		return "compare the address, character by character, with the one the payee gave you, and check that it is for this network"
	case errors.As(err, &ae) && ae.Code == api.CodeNotAccepted:
		return "this node holds another spend of the same coins: do not count on this payment; ttx tx <id> shows how the vote goes"
	case errors.As(err, &ae) && ae.Code == api.CodeInsufficientFunds,
		errors.Is(err, wallet.ErrInsufficientFunds):
		return "ttx balance shows what you can spend; on ttx-testnet, ttx faucet gives test coins"
	}
	return ""
}

// newFlagSet returns a flag set that reports errors to the caller instead
// of printing them.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args into fs. For -h it prints usage (text, then the flags)
// on stdout and returns help = true. want is the number of positional
// arguments the command takes (-1: any); a flag after a positional is an
// error that says flags go first.
func (e *env) parse(fs *flag.FlagSet, args []string, usage string, want int) (help bool, err error) {
	try := "ttx " + fs.Name() + " -h"
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			e.printUsage(fs, usage)
			return true, nil
		}
		return false, withHint(err, try)
	}
	for _, a := range fs.Args() {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			return false, withHint(fmt.Errorf("flag %s comes after an argument: flags go before positional arguments", a), try)
		}
	}
	if want >= 0 && fs.NArg() != want {
		return false, withHint(fmt.Errorf("%s takes %d argument(s), got %d", fs.Name(), want, fs.NArg()), try)
	}
	return false, nil
}

func (e *env) printUsage(fs *flag.FlagSet, usage string) {
	fmt.Fprint(e.stdout, strings.TrimLeft(usage, "\n"))
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(e.stdout, "\nFlags (before any argument; -flag and --flag both work):")
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// printJSON writes v as indented JSON.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table returns a tabwriter on stdout; call Flush when done.
func (e *env) table() *tabwriter.Writer {
	return tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
}

// short abbreviates a 64-character ID for tables.
func short(id string) string {
	if len(id) <= 16 {
		return id
	}
	return id[:16] + "…"
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/torrenttx/ttx/dag"
)

const submitUsage = `Usage: ttx submit [flags] <file|->

Sends a transaction signed elsewhere (by ttx sign --raw on an offline
machine, or another wallet) to the running node: the file holds the exact
tx.json bytes ("-" reads them from stdin). The node checks it like any
transaction from a peer, adds it and announces it, and this prints its ID
and state: accepted, or pending while the node waits for its parents. A
transaction that breaks a rule (a double spend, a bad signature) is
refused with the rule's code. Needs the node's cookie: pass the --datadir
the node was started with.

A proof file from ttx sign goes to ttx proof import instead.

Example:
  ttx submit signed.json
  ttx sign --raw --proof coin.torrent --to ttx1... --amount 2 -o - | ttx submit -
`

func runSubmit(e *env, args []string) error {
	fs := newFlagSet("submit")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	wf := addWaitFlags(fs)
	if help, err := e.parse(fs, args, submitUsage, 1); help || err != nil {
		return err
	}
	raw, err := readTxFile(e, fs.Arg(0))
	if err != nil {
		return err
	}
	c, err := cf.client(e, true)
	if err != nil {
		return err
	}
	r, err := c.Submit(e.ctx, raw)
	if err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "Submitted %s: %s\n", r.ID, r.State)
		if len(r.Missing) > 0 {
			fmt.Fprintf(e.stdout, "It waits for %d parent(s) the node does not hold yet, e.g. %s\n", len(r.Missing), r.Missing[0])
		}
	}
	_, err = wf.report(e, c, r.ID, *asJSON, r)
	return err
}

// readTxFile reads a tx.json from path ("-": stdin), at most dag.MaxTxSize
// bytes. A trailing newline (an editor's, or echo's) is dropped: the
// canonical encoding has none.
func readTxFile(e *env, path string) ([]byte, error) {
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read transaction: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, dag.MaxTxSize+2))
	if err != nil {
		return nil, fmt.Errorf("read transaction %s: %w", path, err)
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	switch {
	case len(b) == 0:
		return nil, fmt.Errorf("read transaction %s: %w", path, errors.New("it is empty"))
	case len(b) > dag.MaxTxSize:
		return nil, fmt.Errorf("read transaction %s: over %d bytes: not a transaction", path, dag.MaxTxSize)
	case b[0] != '{':
		return nil, withHint(fmt.Errorf("read transaction %s: not a tx.json", path), "a proof file (.torrent) goes to ttx proof import")
	}
	return b, nil
}

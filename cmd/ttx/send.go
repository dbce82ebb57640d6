package main

import (
	"errors"
	"fmt"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
)

const sendUsage = `Usage: ttx send [flags] --to <address> --amount <ttx>

Pays --amount TTX (a decimal such as 1.5, at most 8 decimal places) to
--to from the running node's wallet. The node builds and signs the
transaction, adds it and announces it. Spending needs the node's cookie
from the data dir, so pass the --datadir the node was started with.

With --wait, it then waits as ttx tx --wait does: until the payment is
final (exit 0) or rejected (exit 1), or --timeout passes (exit 1).

Example:
  ttx send --to ttx1... --amount 2.5 --memo "lunch"
`

func runSend(e *env, args []string) error {
	fs := newFlagSet("send")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	to := fs.String("to", "", "recipient's address (required)")
	amount := fs.String("amount", "", "amount in TTX, e.g. 1.5 (required)")
	memo := fs.String("memo", "", "note stored in the transaction (public, printable ASCII)")
	wf := addWaitFlags(fs)
	if help, err := e.parse(fs, args, sendUsage, 0); help || err != nil {
		return err
	}
	if *to == "" || *amount == "" {
		return withHint(errors.New("send needs --to and --amount"), "ttx send --to <address> --amount 1.5")
	}
	amt, err := dag.ParseAmount(*amount)
	if err != nil {
		return withHint(fmt.Errorf("amount %q: %w", *amount, err), "write amounts as decimals: 1, 0.5, 12.00000001")
	}
	if amt == 0 {
		return errors.New("amount is zero: nothing to send")
	}
	c, err := cf.client(e, true)
	if err != nil {
		return err
	}
	r, err := c.Send(e.ctx, api.SendRequest{To: *to, Amount: *amount, Memo: *memo})
	if err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "Sent %s TTX to %s\nID: %s\n", amt, *to, r.ID)
	}
	if done, err := wf.report(e, c, r.ID, *asJSON, r); done {
		return err
	}
	fmt.Fprintf(e.stdout, "Check it with: ttx tx%s --peers %s\n", cf.passed(), r.ID)
	return nil
}

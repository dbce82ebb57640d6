package main

import (
	"errors"
	"fmt"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/ttxuri"
)

const sendUsage = `Usage: ttx send [flags] --to <address> --amount <ttx>
       ttx send [flags] <ttx: URI>

Pays --amount TTX (a decimal such as 1.5, at most 8 decimal places) to
--to from the running node's wallet. A payment request, a ttx: URI as
ttx receive prints (ttx:<address>?amount=1.5&memo=...), can be given as
the argument or as --to: it fills in the address, the amount and the
memo; a flag that says otherwise than the URI is an error. The node builds and signs the
transaction, adds it and announces it. Spending needs the node's cookie
from the data dir, so pass the --datadir the node was started with.

With --wait, it then waits as ttx tx --wait does: until the payment is
final (exit 0) or rejected (exit 1), or --timeout passes (exit 1).

Example:
  ttx send --to ttx1... --amount 2.5 --memo "lunch"
  ttx send "ttx:ttx1...?amount=2.5&memo=lunch"
`

func runSend(e *env, args []string) error {
	fs := newFlagSet("send")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	to := fs.String("to", "", "recipient's address (required)")
	amount := fs.String("amount", "", "amount in TTX, e.g. 1.5 (required)")
	memo := fs.String("memo", "", "note stored in the transaction (public, printable ASCII)")
	wf := addWaitFlags(fs)
	if help, err := e.parse(fs, args, sendUsage, -1); help || err != nil {
		return err
	}
	switch {
	case fs.NArg() > 1:
		return withHint(fmt.Errorf("send takes at most 1 argument (a ttx: URI), got %d", fs.NArg()), "ttx send -h")
	case fs.NArg() == 1 && *to != "":
		return withHint(errors.New("send takes a URI argument or --to, not both"), "ttx send -h")
	case fs.NArg() == 1:
		*to = fs.Arg(0)
		if !ttxuri.IsURI(*to) {
			return withHint(fmt.Errorf("argument %q is not a ttx: URI", *to), "ttx send --to <address> --amount 1.5")
		}
	}
	if ttxuri.IsURI(*to) {
		if err := fromURI(to, amount, memo); err != nil {
			return err
		}
	}
	if *to == "" || *amount == "" {
		return withHint(errors.New("send needs --to and --amount"), "ttx send --to <address> --amount 1.5")
	}
	amt, err := parseAmountFlag(*amount)
	if err != nil {
		return err
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

// fromURI replaces the ttx: URI in *to with its address and fills *amount
// and *memo from it; a flag that was given must agree with the URI.
func fromURI(to, amount, memo *string) error {
	r, err := ttxuri.Parse(*to)
	if err != nil {
		return withHint(err, "paste the whole ttx: URI, as ttx receive or the web wallet made it")
	}
	*to = r.Address
	if r.Amount != 0 {
		if *amount != "" {
			if a, err := dag.ParseAmount(*amount); err != nil || a != r.Amount {
				return fmt.Errorf("the URI asks for %s TTX but --amount says %s", r.Amount, *amount)
			}
		}
		*amount = r.Amount.String()
	}
	if r.Memo != "" {
		if *memo != "" && *memo != r.Memo {
			return fmt.Errorf("the URI's memo is %q but --memo says %q", r.Memo, *memo)
		}
		*memo = r.Memo
	}
	return nil
}

// parseAmountFlag parses a --amount, with a hint on how to write one.
func parseAmountFlag(s string) (dag.Amount, error) {
	a, err := dag.ParseAmount(s)
	if err != nil {
		return 0, withHint(fmt.Errorf("amount %q: %w", s, err), "write amounts as decimals: 1, 0.5, 12.00000001")
	}
	return a, nil
}

package main

import (
	"fmt"

	"github.com/torrenttx/ttx/internal/api"
)

const balanceUsage = `Usage: ttx balance [flags] [address]

Shows the balance of your wallet, or of the given address: the sum of its
unspent outputs in accepted transactions, split into the final part (the
network decided those transactions for good) and the part not final yet
(accepted or conflicted: a lost vote can still take it away).
`

func runBalance(e *env, args []string) error {
	fs := newFlagSet("balance")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := e.parse(fs, args, balanceUsage, -1); help || err != nil {
		return err
	}
	c, err := cf.client(e, false)
	if err != nil {
		return err
	}
	addr, err := addressArg(e, c, fs.Args())
	if err != nil {
		return err
	}
	b, err := c.Balance(e.ctx, addr)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(b)
	}
	tw := e.table()
	fmt.Fprintf(tw, "Address\t%s\n", b.Address)
	fmt.Fprintf(tw, "Balance\t%s TTX\n", b.Balance)
	fmt.Fprintf(tw, "Final\t%s TTX\n", b.Final)
	fmt.Fprintf(tw, "Not final\t%s TTX\n", b.NotFinal)
	fmt.Fprintf(tw, "Outputs\t%d (%d final)\n", b.Outputs, b.FinalOutputs)
	return tw.Flush()
}

// addressArg returns the single optional address argument, or the wallet's
// address if there is none.
func addressArg(e *env, c *api.Client, args []string) (string, error) {
	switch len(args) {
	case 0:
		a, err := c.Address(e.ctx)
		if err != nil {
			return "", err
		}
		return a.Address, nil
	case 1:
		return args[0], nil
	}
	return "", withHint(fmt.Errorf("too many arguments: %q", args), "give one address, or none for your own")
}

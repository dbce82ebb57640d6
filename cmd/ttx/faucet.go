package main

import (
	"fmt"
)

const faucetUsage = `Usage: ttx faucet [flags] [address]

Asks the running node to send test coins from the test network's public
faucet key to your wallet, or to the given address. TEST MONEY ONLY: the
faucet key of ttx-testnet ships with ttx, so its coins are worthless. The
node pays from one of the faucet's outputs picked at random, so that
newcomers asking other nodes at the same time rarely spend the same one.
`

func runFaucet(e *env, args []string) error {
	fs := newFlagSet("faucet")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := e.parse(fs, args, faucetUsage, -1); help || err != nil {
		return err
	}
	c, err := cf.client(e, true)
	if err != nil {
		return err
	}
	addr, err := addressArg(e, c, fs.Args())
	if err != nil {
		return err
	}
	r, err := c.Faucet(e.ctx, addr)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(r)
	}
	fmt.Fprintf(e.stdout, "Faucet paid %s\nID: %s\n", addr, r.ID)
	return nil
}

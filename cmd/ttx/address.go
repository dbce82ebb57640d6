package main

import "fmt"

const addressUsage = `Usage: ttx address [flags]

Shows the address of the running node's wallet: give it to whoever pays
you. It is checksummed, so a typo is caught before any money moves.
`

func runAddress(e *env, args []string) error {
	fs := newFlagSet("address")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := e.parse(fs, args, addressUsage, 0); help || err != nil {
		return err
	}
	c, err := cf.client(e, false)
	if err != nil {
		return err
	}
	a, err := c.Address(e.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(a)
	}
	_, err = fmt.Fprintln(e.stdout, a.Address)
	return err
}

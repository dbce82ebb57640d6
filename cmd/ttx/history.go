package main

import (
	"fmt"

	"github.com/torrenttx/ttx/internal/api"
)

const historyUsage = `Usage: ttx history [flags] [address]

Lists the transactions of your wallet, or of the given address, newest
first, with their state: accepted, final (decided for good by the
network's vote), conflicted (a double spend is known, the vote is open) or
rejected, with the reason (ErrLostVote: it lost the vote).
`

func runHistory(e *env, args []string) error {
	fs := newFlagSet("history")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", api.DefaultHistoryLimit, fmt.Sprintf("most transactions to list (1 to %d)", api.MaxLimit))
	if help, err := e.parse(fs, args, historyUsage, -1); help || err != nil {
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
	h, err := c.History(e.ctx, addr, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(h)
	}
	if len(h.Entries) == 0 {
		fmt.Fprintf(e.stdout, "No transactions for %s.\n", h.Address)
		return nil
	}
	tw := e.table()
	fmt.Fprintln(tw, "TIME\tAMOUNT (TTX)\tSTATE\tWITH\tID\tMEMO")
	for _, en := range h.Entries {
		amount := "+" + en.Amount.String()
		with := en.Counterparty
		if en.Direction == api.DirSent {
			amount = "-" + en.Amount.String()
			if en.Burn != 0 {
				amount += " (burn " + en.Burn.String() + ")"
			}
		}
		if with == "" {
			with = "-"
		}
		state := en.State
		if en.Code != "" {
			state += " (" + en.Code + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", en.Time.Local().Format("2006-01-02 15:04"), amount, state, short(with), short(en.ID.String()), en.Memo)
	}
	return tw.Flush()
}

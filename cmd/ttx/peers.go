package main

import (
	"fmt"
	"strconv"
	"time"
)

const peersUsage = `Usage: ttx peers [flags]

Lists the running node's connected peers: whether they speak the ttx
extension, whether their ledger digest equals the node's, who dialled whom,
where they listen, and the node key a ttx peer gave (shortened; -long or
-json for the whole key).
`

// shortKey is how many hex digits of a node key the table shows.
const shortKey = 16

func runPeers(e *env, args []string) error {
	fs := newFlagSet("peers")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	long := fs.Bool("long", false, "show whole node keys")
	if help, err := e.parse(fs, args, peersUsage, 0); help || err != nil {
		return err
	}
	c, err := cf.client(e, false)
	if err != nil {
		return err
	}
	ps, err := c.Peers(e.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(ps)
	}
	if len(ps.Peers) == 0 {
		fmt.Fprintln(e.stdout, "No peers connected.")
		return nil
	}
	tw := e.table()
	fmt.Fprintln(tw, "ADDRESS\tTTX\tIN SYNC\tDIRECTION\tLISTEN\tNODE KEY\tCONNECTED\tAGENT")
	for _, p := range ps.Peers {
		dir := "out"
		if p.Inbound {
			dir = "in"
		}
		listen, key := "-", "-"
		if p.ListenPort != 0 {
			listen = strconv.Itoa(p.ListenPort)
		}
		if p.NodeKey != "" {
			key = p.NodeKey
			if !*long && len(key) > shortKey {
				key = key[:shortKey] + "…"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Addr, yesNo(p.TTX), yesNo(p.InSync), dir, listen, key,
			time.Since(p.ConnectedAt).Round(time.Second), p.Agent)
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

package main

import (
	"fmt"
	"strings"
	"time"
)

const statusUsage = `Usage: ttx status [flags]

Shows the running node's state: its network, its node key (its identity
for peers), how many transactions it holds, its digest (two nodes with the
same digest hold the same set), its peers and the DHT. While the node
catches up, the Sync line says how many transactions it lacks against the
ttx peer that holds the most (from the digests peers send in their hello
and pings), how fast they arrive and when it should be done.

Example:
  ttx status --api 127.0.0.1:8347
`

func runStatus(e *env, args []string) error {
	fs := newFlagSet("status")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := e.parse(fs, args, statusUsage, 0); help || err != nil {
		return err
	}
	c, err := cf.client(e, false)
	if err != nil {
		return err
	}
	st, err := c.Status(e.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(st)
	}
	tw := e.table()
	fmt.Fprintf(tw, "Network\t%s (%s)\n", st.Network.Name, st.Network.ID)
	fmt.Fprintf(tw, "Node\t%s, up %s\n", st.Agent, time.Since(st.StartedAt).Round(time.Second))
	fmt.Fprintf(tw, "Node key\t%s\n", st.NodeKey)
	fmt.Fprintf(tw, "Transactions\t%d accepted (%d final), %d rejected, %d pending\n", st.Accepted, st.Final, st.Rejected, st.Pending)
	fmt.Fprintf(tw, "Digest\t%s\n", st.Digest)
	fmt.Fprintf(tw, "Peers\t%d (%d speak ttx, %d in sync)\n", st.Peers, st.TTXPeers, st.InSync)
	if st.Sync.Missing > 0 {
		fmt.Fprintf(tw, "Sync\tcatching up: %s\n", syncProgress(st.Sync))
	} else {
		fmt.Fprintf(tw, "Sync\t100 %%: holds all %d txs its peers' digests count\n", st.Sync.Have)
	}
	if st.WatchOnly {
		fmt.Fprintf(tw, "Wallet\twatch-only: no key, sending is refused\n")
	}
	fmt.Fprintf(tw, "DHT nodes\t%d\n", st.DHTNodes)
	fmt.Fprintf(tw, "Listening\t%s\n", strings.Join(st.Listen, ", "))
	fmt.Fprintf(tw, "API\t%s\n", c.URL())
	return tw.Flush()
}

package main

import (
	"fmt"
	"strings"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
)

const txUsage = `Usage: ttx tx [flags] <id>

Shows a transaction as the running node holds it: state, when it was first
seen, its outputs, double spends (conflicts), the transactions spending it,
and its magnet links (any BitTorrent client can fetch it by them).

With --peers, also asks peers whether they accept it, and prints
"accepted by k of n, no conflict". --trusted names the peers to ask
(host:port, comma-separated); without it the node asks its connected peers,
or the "trusted" list of config.json.

With --wait, first waits until the transaction is final (decided for good
by the network's vote), printing each state it passes through on stderr,
then shows it and exits 0. It exits 1 if the transaction is rejected
(printing why: ErrLostVote if it lost the vote) or is not final within
--timeout. Scripts can rely on the exit status.
`

// txResult is the --json output of ttx tx.
type txResult struct {
	*api.Tx
	Peers *api.TxPeers `json:"peers,omitempty"`
}

func runTx(e *env, args []string) error {
	fs := newFlagSet("tx")
	cf := addConfigFlags(fs, "datadir", "api", "trusted")
	asJSON := fs.Bool("json", false, "print JSON")
	askPeers := fs.Bool("peers", false, "ask peers whether they accept it")
	wf := addWaitFlags(fs)
	if help, err := e.parse(fs, args, txUsage, 1); help || err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	id, err := dag.ParseTxID(fs.Arg(0))
	if err != nil {
		return withHint(err, "a transaction ID is the 64 lowercase hex characters that ttx send printed")
	}
	c, err := cfg.client(false)
	if err != nil {
		return err
	}
	var tx *api.Tx
	var waitErr error
	if *wf.wait {
		tx, waitErr = waitFinal(e, c, id, *wf.timeout)
		if tx == nil {
			return waitErr
		}
	} else if tx, err = c.Tx(e.ctx, id); err != nil {
		return err
	}
	res := txResult{Tx: tx}
	if *askPeers || *cf.vals["trusted"] != "" {
		if res.Peers, err = c.TxPeers(e.ctx, id, cfg.Trusted); err != nil {
			return err
		}
	}
	if *asJSON {
		if err := e.printJSON(res); err != nil {
			return err
		}
		return waitErr
	}
	tw := e.table()
	state := tx.State
	if tx.Code != "" {
		state += " (" + tx.Code + ")"
	}
	fmt.Fprintf(tw, "ID\t%s\n", tx.ID)
	fmt.Fprintf(tw, "State\t%s\n", state)
	fmt.Fprintf(tw, "First seen\t%s\n", tx.FirstSeen.Local().Format("2006-01-02 15:04:05"))
	if tx.Genesis {
		fmt.Fprintf(tw, "From\t(genesis: mints the supply)\n")
	} else {
		fmt.Fprintf(tw, "From\t%s\n", tx.From)
	}
	for i, o := range tx.Out {
		label := ""
		if i == 0 {
			label = "Pays"
		}
		fmt.Fprintf(tw, "%s\t%s TTX to %s\n", label, o.Amount, o.To)
	}
	fmt.Fprintf(tw, "Burn\t%s TTX\n", tx.Burn)
	if tx.Memo != "" {
		fmt.Fprintf(tw, "Memo\t%s\n", tx.Memo)
	}
	fmt.Fprintf(tw, "Signed at\t%s\n", tx.Time.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(tw, "Conflicts\t%s\n", idList(tx.Conflicts))
	fmt.Fprintf(tw, "Spent by\t%s\n", idList(tx.Children))
	fmt.Fprintf(tw, "Magnet (v2)\t%s\n", tx.Magnet.V2)
	fmt.Fprintf(tw, "Magnet (v1)\t%s\n", tx.Magnet.V1)
	if p := res.Peers; p != nil {
		fmt.Fprintf(tw, "Peers\t%s\n", p.Summary)
		for _, a := range p.Answers {
			ans := a.State
			if a.Error != "" {
				ans = "no answer: " + a.Error
			}
			if len(a.Conflicts) > 0 {
				ans += ", conflicts " + idList(a.Conflicts)
			}
			fmt.Fprintf(tw, "\t%s: %s\n", a.Peer, ans)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return waitErr
}

func idList(ids []dag.TxID) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return strings.Join(s, ", ")
}

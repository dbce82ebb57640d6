package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
)

// waitPoll is how often --wait asks the node for the transaction's state.
// The API is on loopback, so asking twice a second costs nothing and shows
// a change within half a second.
const waitPoll = 500 * time.Millisecond

// defaultWaitTimeout is how long --wait waits by default.
const defaultWaitTimeout = 5 * time.Minute

// waitFlags are the --wait and --timeout flags of tx and send.
type waitFlags struct {
	wait    *bool
	timeout *time.Duration
}

func addWaitFlags(fs *flag.FlagSet) waitFlags {
	return waitFlags{
		wait:    fs.Bool("wait", false, "wait until the transaction is final (exit 0) or rejected (exit 1)"),
		timeout: fs.Duration("timeout", defaultWaitTimeout, "with --wait: give up (exit 1) after this long"),
	}
}

// report ends a command that added transaction id and got the answer r:
// with --wait it waits until id is final, then prints r as JSON (asJSON)
// or says it is final. done reports that it printed the ending.
func (wf waitFlags) report(e *env, c *api.Client, id dag.TxID, asJSON bool, r any) (done bool, err error) {
	if *wf.wait {
		if _, err := waitFinal(e, c, id, *wf.timeout); err != nil {
			return true, err
		}
	}
	if asJSON {
		return true, e.printJSON(r)
	}
	if *wf.wait {
		fmt.Fprintln(e.stdout, "Final: the network decided it for good.")
		return true, nil
	}
	return false, nil
}

// errNotFinal is returned when --wait ends without the transaction
// becoming final.
var errNotFinal = errors.New("ttx: not final")

// waitFinal asks the node for transaction id until it is final, and
// returns it then. It prints every state it sees on stderr, with the time.
// It fails, wrapping errNotFinal, when the transaction is rejected (the
// error names the code: ErrLostVote for a lost vote) or when timeout
// passes first. A transaction the node does not know yet, or holds as
// pending, accepted or conflicted, is waited for.
func waitFinal(e *env, c *api.Client, id dag.TxID, timeout time.Duration) (*api.Tx, error) {
	ctx, cancel := context.WithTimeout(e.ctx, timeout)
	defer cancel()
	fmt.Fprintf(e.stderr, "Waiting up to %s for %s to become final.\n", timeout, id)
	seen := ""
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for {
		tx, err := c.Tx(ctx, id)
		var ae *api.Error
		state, code := "", ""
		switch {
		case err == nil:
			state, code = tx.State, tx.Code
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			state = "unknown"
		case ctx.Err() != nil && e.ctx.Err() == nil:
			return nil, waitTimeout(id, timeout, seen)
		default:
			return nil, err
		}
		line := state
		if code != "" {
			line += " (" + code + ")"
		}
		if line != seen {
			seen = line
			if state == "unknown" {
				line += ": not known to the node yet"
			}
			fmt.Fprintf(e.stderr, "%s  %s\n", time.Now().Format("15:04:05"), line)
		}
		switch state {
		case dag.StateFinal.String():
			return tx, nil
		case dag.StateRejected.String():
			return tx, fmt.Errorf("wait for %s: it was rejected (%s): %w", id, code, errNotFinal)
		}
		select {
		case <-ctx.Done():
			if e.ctx.Err() != nil {
				return nil, e.ctx.Err()
			}
			return nil, waitTimeout(id, timeout, seen)
		case <-tick.C:
		}
	}
}

func waitTimeout(id dag.TxID, timeout time.Duration, last string) error {
	if last == "" {
		last = "unknown"
	}
	return withHint(fmt.Errorf("wait for %s: still %s after %s: %w", id, last, timeout, errNotFinal),
		"wait longer with --timeout, or ask peers with ttx tx --peers "+id.String())
}

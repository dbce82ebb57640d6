package node

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// Defaults of the notifier (Config.Notify).
const (
	DefaultNotifyTimeout     = 30 * time.Second
	DefaultNotifyConcurrency = 4
	DefaultNotifyQueue       = 256
)

// Notify events: the first two words a command gets in TTX_EVENT.
const (
	NotifyAccepted = "accepted" // a transaction that pays the wallet was accepted
	NotifyFinal    = "final"    // such a transaction became final
)

// finalsQueue bounds the final transactions waiting to be checked for
// whether they pay the wallet.
const finalsQueue = 1024

// notifier runs the --notify command for the wallet's payments, like
// bitcoind's -walletnotify: "%s" in the command becomes the transaction ID,
// and TTX_EVENT and TTX_TX carry the event and the ID. It never blocks the
// ledger: onChange hands it changes without waiting; commands run from a
// bounded queue on at most concurrency workers, each killed after timeout;
// what does not fit is dropped, counted and logged.
type notifier struct {
	cmd     string
	timeout time.Duration
	owner   dag.PubKey
	addr    []byte // the owner's address, to skip unrelated txs cheaply
	raw     func(dag.TxID) ([]byte, error)
	log     *slog.Logger

	finals chan dag.TxID // final txs to check against the wallet
	runs   chan notifyRun
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Counters: commands run (exit 0), failed, timed out; events dropped.
	ok, failed, timedOut, dropped atomic.Uint64
}

type notifyRun struct {
	id    dag.TxID
	event string
}

type notifyConfig struct {
	cmd                string
	timeout            time.Duration
	concurrency, queue int
	net                *dag.Network
	owner              dag.PubKey
	raw                func(dag.TxID) ([]byte, error) // a stored tx's bytes (Node.Raw)
	log                *slog.Logger
}

func newNotifier(c notifyConfig) *notifier {
	if c.timeout <= 0 {
		c.timeout = DefaultNotifyTimeout
	}
	if c.concurrency <= 0 {
		c.concurrency = DefaultNotifyConcurrency
	}
	if c.queue <= 0 {
		c.queue = DefaultNotifyQueue
	}
	ctx, cancel := context.WithCancel(context.Background())
	nt := &notifier{
		cmd: c.cmd, timeout: c.timeout, owner: c.owner, addr: []byte(c.net.Address(c.owner)),
		raw: c.raw, log: c.log.With("subsystem", "notify"),
		finals: make(chan dag.TxID, finalsQueue), runs: make(chan notifyRun, c.queue),
		ctx: ctx, cancel: cancel,
	}
	nt.wg.Add(1 + c.concurrency)
	go nt.checkFinals()
	for range c.concurrency {
		go nt.worker()
	}
	return nt
}

// onChange queues the commands a commit calls for. It must not block: it
// runs on the Graph's committer.
func (nt *notifier) onChange(changes []dag.Change) {
	for _, c := range changes {
		switch {
		case c.State == dag.StateAccepted && c.Raw != nil && bytes.Contains(c.Raw, nt.addr):
			if p, err := dag.Decode(c.Raw); err == nil && nt.pays(p) {
				nt.enqueue(notifyRun{c.ID, NotifyAccepted})
			}
		case c.State == dag.StateFinal:
			select {
			case nt.finals <- c.ID:
			default:
				nt.drop(notifyRun{c.ID, NotifyFinal})
			}
		}
	}
}

// pays reports whether p has an output to the wallet.
func (nt *notifier) pays(p *dag.Parsed) bool {
	for _, o := range p.Out {
		if o.Owner == nt.owner {
			return true
		}
	}
	return false
}

func (nt *notifier) enqueue(r notifyRun) {
	select {
	case nt.runs <- r:
	default:
		nt.drop(r)
	}
}

func (nt *notifier) drop(r notifyRun) {
	n := nt.dropped.Add(1)
	nt.log.Warn("notify command dropped: the queue is full", "tx", r.id, "event", r.event, "dropped", n)
}

// checkFinals looks up each final transaction and queues the command for
// those that pay the wallet.
func (nt *notifier) checkFinals() {
	defer nt.wg.Done()
	for {
		select {
		case <-nt.ctx.Done():
			return
		case id := <-nt.finals:
			raw, err := nt.raw(id)
			if err != nil {
				if !errors.Is(err, dag.ErrClosed) {
					nt.log.Warn("notify: read final transaction", "tx", id, "err", err)
				}
				continue
			}
			if !bytes.Contains(raw, nt.addr) {
				continue
			}
			if p, err := dag.Decode(raw); err == nil && nt.pays(p) {
				nt.enqueue(notifyRun{id, NotifyFinal})
			}
		}
	}
}

func (nt *notifier) worker() {
	defer nt.wg.Done()
	for {
		select {
		case <-nt.ctx.Done():
			return
		case r := <-nt.runs:
			nt.run(r)
		}
	}
}

// run runs the command for r through the shell, killing it (and what it
// started) after the timeout.
func (nt *notifier) run(r notifyRun) {
	ctx, cancel := context.WithTimeout(nt.ctx, nt.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", strings.ReplaceAll(nt.cmd, "%s", r.id.String()))
	cmd.Env = append(os.Environ(), "TTX_EVENT="+r.event, "TTX_TX="+r.id.String())
	killGroup(cmd)
	cmd.WaitDelay = time.Second // do not wait for pipes a killed command's children hold open
	out, err := cmd.CombinedOutput()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		nt.timedOut.Add(1)
		nt.log.Warn("notify command timed out", "tx", r.id, "event", r.event, "timeout", nt.timeout)
	case err != nil:
		nt.failed.Add(1)
		nt.log.Warn("notify command failed", "tx", r.id, "event", r.event, "err", err, "output", string(limitOutput(out)))
	default:
		nt.ok.Add(1)
		nt.log.Debug("notify command ran", "tx", r.id, "event", r.event)
	}
}

// limitOutput keeps the start of a command's output for the log.
func limitOutput(b []byte) []byte {
	const max = 512
	if len(b) > max {
		return b[:max]
	}
	return b
}

// close stops the notifier: running commands are killed, queued ones
// dropped.
func (nt *notifier) close() {
	nt.cancel()
	nt.wg.Wait()
}

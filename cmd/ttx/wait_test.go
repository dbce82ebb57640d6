package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// waitRun is a ttx command running in the background.
type waitRun struct {
	stdout, stderr syncBuffer
	done           chan error
}

func startCmd(args ...string) *waitRun {
	r := &waitRun{done: make(chan error, 1)}
	go func() { r.done <- run(context.Background(), args, &r.stdout, &r.stderr) }()
	return r
}

// waitStderr waits until the command has printed want on stderr, and
// checks that it is still running then.
func (r *waitRun) waitStderr(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.stderr.String(), want) {
		select {
		case err := <-r.done:
			t.Fatalf("the command ended (%v) before printing %q:\n%s", err, want, r.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q on stderr after 10s:\n%s", want, r.stderr.String())
		}
	}
}

func (r *waitRun) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("the command still runs after 10s:\n%s", r.stderr.String())
		return nil
	}
}

// doubleSpend adds a second spend of the payment's input, paying key 0
// back all of it: the payment becomes conflicted, the double spend
// rejected evidence.
func (b *backend) doubleSpend(t *testing.T) *dag.Parsed {
	t.Helper()
	ds := dagtest.Spend(t, b.net, b.keys[0], []dag.OutPoint{dagtest.GenesisOut(b.net, 0)}, dagtest.Out(b.net, b.keys[0], dagtest.Funds))
	res, err := b.g.Add(t.Context(), ds.Raw, "")
	if err != nil || res.State != dag.StateRejected {
		t.Fatalf("double spend: %+v, %v", res, err)
	}
	return ds
}

func TestTxWaitFinal(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	id := b.pay.ID.String()
	r := startCmd(append(append([]string{"tx"}, flags...), "--wait", "--timeout", "30s", id)...)
	r.waitStderr(t, "accepted")
	if err := b.g.Finalize(t.Context(), []dag.Decision{{ID: b.pay.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := r.result(t); err != nil {
		t.Fatalf("ttx tx --wait on a tx made final: %v\n%s", err, r.stderr.String())
	}
	if out := r.stdout.String(); !strings.Contains(out, "State        final\n") || !strings.Contains(out, id) {
		t.Errorf("stdout does not show the final tx:\n%s", out)
	}
	if errs := r.stderr.String(); strings.Index(errs, "accepted") > strings.Index(errs, "final\n") {
		t.Errorf("stderr does not show accepted, then final:\n%s", errs)
	}

	// The balance splits: the payment's change is final now.
	out, stderr, err := runCmd(t, append([]string{"balance"}, flags...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"Balance    999997 TTX", "Final      999997 TTX", "Not final  0 TTX", "Outputs    1 (1 final)"} {
		if !strings.Contains(out, want) {
			t.Errorf("balance lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCmd(t, append([]string{"history"}, flags...)...)
	if err != nil || !strings.Contains(out, "final") {
		t.Errorf("history after finalising: %v\n%s", err, out)
	}
}

func TestTxWaitLostVote(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	ds := b.doubleSpend(t)
	bob := b.pay.Tx.Out[0].To
	out, _, err := runCmd(t, append(append([]string{"balance"}, flags...), bob)...)
	if err != nil || !strings.Contains(out, "Balance    1000003 TTX") || !strings.Contains(out, "Not final  3 TTX") {
		t.Fatalf("bob's balance before the vote: %v\n%s", err, out)
	}
	r := startCmd(append(append([]string{"tx"}, flags...), "--wait", b.pay.ID.String())...)
	r.waitStderr(t, "conflicted")
	if err := b.g.Prefer(t.Context(), ds.ID); err != nil {
		t.Fatal(err)
	}
	err = r.result(t)
	if !errors.Is(err, errNotFinal) || !strings.Contains(err.Error(), "rejected (ErrLostVote)") {
		t.Fatalf("ttx tx --wait on a tx that lost the vote: %v, want rejected (ErrLostVote)", err)
	}
	if errs := r.stderr.String(); !strings.Contains(errs, "rejected (ErrLostVote)\n") || !strings.HasSuffix(errs, "Error: "+err.Error()+"\n") {
		t.Errorf("stderr:\n%s", errs)
	}
	if out := r.stdout.String(); !strings.Contains(out, "rejected (ErrLostVote)") {
		t.Errorf("stdout does not show the rejected tx:\n%s", out)
	}

	// The winner was rejected evidence, and is accepted now.
	out, stderr, err := runCmd(t, append(append([]string{"tx"}, flags...), ds.ID.String())...)
	if err != nil || !strings.Contains(out, "State        conflicted\n") {
		t.Errorf("the winner: %v %s\n%s", err, stderr, out)
	}
	// The payee's history shows the loss, and its balance lost the payment.
	out, _, err = runCmd(t, append(append([]string{"history"}, flags...), bob)...)
	if err != nil || !strings.Contains(out, "rejected (ErrLostVote)") {
		t.Errorf("bob's history: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, append(append([]string{"balance"}, flags...), bob)...)
	if err != nil || !strings.Contains(out, "Balance    1000000 TTX") || !strings.Contains(out, "Not final  0 TTX") {
		t.Errorf("bob's balance: %v\n%s", err, out)
	}
}

func TestTxWaitEnds(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	ds := b.doubleSpend(t)
	t.Run("rejected already", func(t *testing.T) {
		_, stderr, err := runCmd(t, append(append([]string{"tx"}, flags...), "--wait", ds.ID.String())...)
		if !errors.Is(err, errNotFinal) || !strings.Contains(stderr, "rejected (ErrDoubleSpend)") {
			t.Errorf("%v\n%s", err, stderr)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		_, stderr, err := runCmd(t, append(append([]string{"tx"}, flags...), "--wait", "--timeout", "1s", b.pay.ID.String())...)
		if !errors.Is(err, errNotFinal) || !strings.Contains(stderr, "still conflicted after 1s: ttx: not final") || !strings.Contains(stderr, "Try: wait longer") {
			t.Errorf("%v\n%s", err, stderr)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("gave up after %s, before the 1s timeout", d)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, stderr, err := runCmd(t, append(append([]string{"tx"}, flags...), "--wait", "--timeout", "1s", strings.Repeat("ab", 32))...)
		if !errors.Is(err, errNotFinal) || !strings.Contains(stderr, "not known to the node yet") || !strings.Contains(stderr, "still unknown after 1s") {
			t.Errorf("%v\n%s", err, stderr)
		}
	})
}

func TestSendWait(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	bob := b.pay.Tx.Out[0].To
	// The test backend answers every send with the stored payment.
	r := startCmd(append(append([]string{"send"}, flags...), "--wait", "--to", bob, "--amount", "3")...)
	r.waitStderr(t, "accepted")
	if err := b.g.Finalize(t.Context(), []dag.Decision{{ID: b.pay.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := r.result(t); err != nil {
		t.Fatalf("ttx send --wait: %v\n%s", err, r.stderr.String())
	}
	if out := r.stdout.String(); !strings.Contains(out, "ID: "+b.pay.ID.String()) || !strings.Contains(out, "Final:") {
		t.Errorf("stdout:\n%s", out)
	}
}

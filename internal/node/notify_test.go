package node

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// TestNotifySlowCommand: a command that never ends in time neither holds
// up onChange nor grows the queue: two runs at once, two waiting, the
// rest dropped and counted; each run is killed at the timeout, with the
// processes it started.
func TestNotifySlowCommand(t *testing.T) {
	net, keys := testKeys(t, 2)
	marker := filepath.Join(t.TempDir(), "survived")
	nt := newNotifier(notifyConfig{
		cmd:     "sleep 2; touch " + marker + "; echo %s",
		timeout: 200 * time.Millisecond, concurrency: 2, queue: 2,
		net: net, owner: keys[1].PubKey(), raw: noRaw, log: slog.New(slog.DiscardHandler),
	})
	const events = 50
	var changes []dag.Change
	for i := range events {
		p := dagtest.Spend(t, net, keys[0].PrivateKey(), []dag.OutPoint{{TxID: net.ID, Index: uint32(i)}},
			dagtest.Out(net, keys[1].PrivateKey(), dag.Unit))
		changes = append(changes, dag.Change{ID: p.ID, State: dag.StateAccepted, Raw: p.Raw})
	}
	for _, c := range changes {
		nt.onChange([]dag.Change{c}) // one commit each: none may wait for a run
	}
	// At most 2 running and 2 queued when the last change came.
	if d := nt.dropped.Load(); d < events-4 || d > events-2 {
		t.Errorf("dropped %d of %d events, want %d to %d", d, events, events-4, events-2)
	}
	settled := func() bool { return nt.timedOut.Load()+nt.dropped.Load() == events }
	deadline := time.Now().Add(10 * time.Second)
	for !settled() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !settled() {
		t.Fatalf("%d runs timed out and %d were dropped, want %d in all", nt.timedOut.Load(), nt.dropped.Load(), events)
	}
	if nt.ok.Load() != 0 || nt.failed.Load() != 0 {
		t.Errorf("%d runs ended ok, %d failed: want all timed out", nt.ok.Load(), nt.failed.Load())
	}
	nt.close()
	time.Sleep(2500 * time.Millisecond) // past the killed shells' sleep
	if _, err := os.Stat(marker); err == nil {
		t.Error("a timed-out command's shell kept running after the kill")
	}
}

// TestNotifyOnlyTheWallet: a payment to others, or a change of some other
// state, runs nothing.
func TestNotifyOnlyTheWallet(t *testing.T) {
	net, keys := testKeys(t, 3)
	out := filepath.Join(t.TempDir(), "out")
	nt := newNotifier(notifyConfig{
		cmd: `echo "$TTX_EVENT $TTX_TX %s" >> ` + out, net: net, owner: keys[1].PubKey(), raw: noRaw, log: slog.New(slog.DiscardHandler),
	})
	mine := dagtest.Spend(t, net, keys[0].PrivateKey(), []dag.OutPoint{{TxID: net.ID, Index: 0}}, dagtest.Out(net, keys[1].PrivateKey(), dag.Unit))
	// keys[1]'s address is in this one, as the sender: it pays keys[2].
	theirs := dagtest.Spend(t, net, keys[1].PrivateKey(), []dag.OutPoint{{TxID: net.ID, Index: 1}}, dagtest.Out(net, keys[2].PrivateKey(), dag.Unit))
	nt.onChange([]dag.Change{
		{ID: theirs.ID, State: dag.StateAccepted, Raw: theirs.Raw},
		{ID: mine.ID, State: dag.StateConflicted},
		{ID: mine.ID, State: dag.StateAccepted, Raw: mine.Raw},
	})
	deadline := time.Now().Add(10 * time.Second)
	for nt.ok.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	nt.close()
	b, _ := os.ReadFile(out)
	if want := "accepted " + mine.ID.String() + " " + mine.ID.String() + "\n"; string(b) != want {
		t.Errorf("output %q, want %q", b, want)
	}
	if strings.Contains(string(b), theirs.ID.String()) {
		t.Error("ran for a payment that pays the wallet nothing")
	}
}

func noRaw(dag.TxID) ([]byte, error) { return nil, dag.ErrNotFound }

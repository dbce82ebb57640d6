package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// The crash test runs its own test binary as a child (TestCrashChild, which
// only runs when crashChildEnv is set) and SIGKILLs it at random moments.
const (
	crashChildEnv  = "TTX_STORE_CRASH_CHILD" // "<store path>|<stream path>|<seed>"
	crashKeys      = 30
	crashStreamTxs = 20_000
	// The child makes the store with epochs of 256 seqs, so that kills
	// land while the ids filters of finished epochs are being saved and
	// while utxo is being swept.
	crashEpochBits = 8
	crashReady     = "ready"
)

// TestCrash kills a process ingesting into a store at random moments, 25
// times (5 with -short), each run continuing on the same file. Whatever the
// child printed (it prints a transaction only after Add or AddBatch
// returned) must be in the store afterwards with that state, the ledger
// invariants must hold, and reopening must give the same Digest.
func TestCrash(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("this is the crash child")
	}
	rounds := 25
	if testing.Short() {
		rounds = 5
	}
	dir := t.TempDir()
	storePath, streamPath := filepath.Join(dir, "ttx.db"), filepath.Join(dir, "stream")
	net, keys := dagtest.NewNetwork(t, crashKeys)
	gen := dagtest.NewGen(t, net, keys, 7)
	gen.DoubleSpendRate = 0.1
	writeStream(t, streamPath, gen.Raws(crashStreamTxs))

	reported := make(map[dag.TxID]dag.State)
	rng := rand.New(rand.NewPCG(7, 8))
	// A very busy machine may not finish every round in time; 20 are the
	// least that count.
	deadline := time.Now().Add(40 * time.Second)
	for round := range rounds {
		if time.Now().After(deadline) {
			if round < min(20, rounds) {
				t.Fatalf("only %d of %d rounds in 40s", round, rounds)
			}
			t.Logf("stopping after %d of %d rounds: 40s are up", round, rounds)
			break
		}
		delay := time.Duration(10+rng.IntN(300)) * time.Millisecond
		lines := runCrashChild(t, fmt.Sprintf("%s|%s|%d", storePath, streamPath, round), delay)
		for _, l := range lines {
			id, st, err := parseCrashLine(l)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if prev, ok := reported[id]; ok && !laterState(prev, st) {
				t.Errorf("round %d: %s was reported %v, now %v", round, id, prev, st)
			}
			reported[id] = st
		}
		checkReported(t, storePath, reported)
		t.Logf("round %d: killed after %v, %d lines, %d txs reported so far", round, delay, len(lines), len(reported))
	}
	if len(reported) < 100 {
		t.Fatalf("only %d transactions reported in %d rounds", len(reported), rounds)
	}

	s, err := Open(storePath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dagtest.CheckInvariants(t, s, net)
	d, recs := snapshot(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(storePath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d2, recs2 := snapshot(t, s)
	if d2 != d || len(recs2) != len(recs) {
		t.Fatalf("reopened: %v with %d records, before %v with %d", d2, len(recs2), d, len(recs))
	}
	for i := range recs {
		if recs[i].ID != recs2[i].ID || recs[i].State != recs2[i].State {
			t.Errorf("record %d: %s %v, before %s %v", i, recs2[i].ID, recs2[i].State, recs[i].ID, recs[i].State)
		}
	}
}

// laterState reports whether a tx reported as a can later be reported as b:
// an accepted tx may become conflicted, nothing else changes.
func laterState(a, b dag.State) bool {
	return a == b || a == dag.StateAccepted && b == dag.StateConflicted
}

// checkReported opens the store and checks every reported tx's state.
func checkReported(t *testing.T, path string, reported map[dag.TxID]dag.State) {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer s.Close()
	err = s.View(func(r dag.ReadTx) error {
		for id, want := range reported {
			got, err := r.State(id)
			if err != nil {
				return err
			}
			if !laterState(want, got) {
				t.Errorf("%s was reported %v but is stored %v", id, want, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runCrashChild starts the child, kills it delay after it is ready, and
// returns the complete lines it printed.
func runCrashChild(t *testing.T, arg string, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+arg)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	var lines []string
	ready := false
	for !ready {
		l, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child did not get ready: %v (%q)", err, l)
		}
		ready = strings.TrimSpace(l) == crashReady
	}
	timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
	defer timer.Stop()
	for {
		l, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) {
			break // a cut last line (no newline) was never completely reported
		}
		if err != nil {
			t.Fatal(err)
		}
		if l = strings.TrimSpace(l); l != "PASS" && !strings.HasPrefix(l, "ok") && l != "" {
			lines = append(lines, l)
		}
	}
	cmd.Wait()
	return lines
}

func parseCrashLine(l string) (dag.TxID, dag.State, error) {
	f := strings.Fields(l)
	if len(f) != 2 {
		return dag.TxID{}, 0, fmt.Errorf("child printed %q", l)
	}
	id, err := dag.ParseTxID(f[0])
	if err != nil {
		return id, 0, err
	}
	st, ok := dag.ParseState(f[1])
	if !ok || st == dag.StatePending || st == dag.StateUnknown {
		return id, 0, fmt.Errorf("child printed state %q", f[1])
	}
	return id, st, nil
}

// writeStream writes raws as (u32 length | bytes)*.
func writeStream(t *testing.T, path string, raws [][]byte) {
	t.Helper()
	var b []byte
	for _, r := range raws {
		b = binary.BigEndian.AppendUint32(b, uint32(len(r)))
		b = append(b, r...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readStream(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for len(b) >= 4 {
		n := binary.BigEndian.Uint32(b)
		if uint32(len(b)-4) < n {
			t.Fatal("truncated stream")
		}
		raws, b = append(raws, b[4:4+n]), b[4+n:]
	}
	return raws
}

// TestCrashChild is the child of TestCrash: it ingests the stream into the
// store, in Adds and AddBatches of random sizes, and prints "<id> <state>"
// for each result as soon as the call returned. It resumes a little before
// the first transaction not yet stored, so some come back as known.
// Without crashChildEnv it does nothing.
func TestCrashChild(t *testing.T) {
	arg := os.Getenv(crashChildEnv)
	if arg == "" {
		t.Skip("run by TestCrash")
	}
	parts := strings.Split(arg, "|")
	if len(parts) != 3 {
		t.Fatalf("%s=%q", crashChildEnv, arg)
	}
	raws := readStream(t, parts[1])
	seed, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	net, _ := dagtest.NewNetwork(t, crashKeys)
	s, err := Open(parts[0], Options{epochBits: crashEpochBits})
	if err != nil {
		t.Fatal(err)
	}
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// Every generated tx is stored (accepted or as evidence), in order,
	// after the genesis, but for double spends of an output that has
	// dag.MaxCandidates sides already: resuming a little early is harmless.
	stored := int(st.Accepted + st.Conflicted + st.Rejected + st.Final - 1)
	ctx := context.Background()
	w := bufio.NewWriter(os.Stdout)
	report := func(res []dag.Result) {
		for _, r := range res {
			if re, ok := dag.IsRuleError(r.Err); ok && re.Code == dag.ErrTooManyCandidates {
				continue // rejected without being stored, by design
			}
			fmt.Fprintf(w, "%s %v\n", r.ID, r.State)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintln(w, crashReady)
	for i := max(0, stored-rng.IntN(100)); i < len(raws); {
		n := 1 + rng.IntN(64)
		if rng.IntN(4) == 0 {
			res, err := g.Add(ctx, raws[i], "")
			if err != nil {
				t.Fatal(err)
			}
			report([]dag.Result{res})
			i++
			continue
		}
		res, err := g.AddBatch(ctx, raws[i:min(i+n, len(raws))], "")
		if err != nil {
			t.Fatal(err)
		}
		report(res)
		i += n
	}
	g.Close()
	s.Close()
}

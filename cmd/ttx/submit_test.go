package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

func TestSubmitCommand(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	// Key 1 pays back 1 of the 3 TTX it got; a second spend of the same
	// output is a double spend.
	spend := func(amount dag.Amount) *dag.Parsed {
		return dagtest.Spend(t, b.net, b.keys[1], []dag.OutPoint{{TxID: b.pay.ID}},
			dagtest.Out(b.net, b.keys[0], amount), dagtest.Out(b.net, b.keys[1], 3*dag.Unit-amount))
	}
	back, double := spend(dag.Unit), spend(2*dag.Unit)
	dir := t.TempDir()
	file := filepath.Join(dir, "signed.json")
	if err := os.WriteFile(file, append(back.Raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, append(append([]string{"submit"}, flags...), file)...)
	if err != nil || !strings.Contains(out, "Submitted "+back.ID.String()+": accepted") {
		t.Fatalf("submit: %v\n%s%s", err, out, stderr)
	}
	if st, _ := b.g.State(back.ID); st != dag.StateAccepted {
		t.Errorf("ledger holds the submitted tx as %s, want accepted", st)
	}
	// From stdin; the double spend is refused with its rule code.
	_, stderr, err = runCmdStdin(t, string(double.Raw), append(append([]string{"submit"}, flags...), "-")...)
	if err == nil || !strings.Contains(stderr, "Error: ") || !strings.Contains(stderr, "spen") {
		t.Errorf("double spend: %v %q", err, stderr)
	}
	proof := filepath.Join(dir, "p.torrent")
	os.WriteFile(proof, []byte("d4:infod"), 0o644)
	_, stderr, err = runCmd(t, append(append([]string{"submit"}, flags...), proof)...)
	if err == nil || !strings.Contains(stderr, "ttx proof import") {
		t.Errorf("proof file: %v %q", err, stderr)
	}
}

// runCmdStdin is runCmd with stdin read from a string.
func runCmdStdin(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb strings.Builder
	e := &env{ctx: t.Context(), stdout: &out, stderr: &errb, stdin: strings.NewReader(stdin), getenv: os.Getenv}
	err := e.dispatch(args)
	if err != nil {
		printError(&errb, err)
	}
	return out.String(), errb.String(), err
}

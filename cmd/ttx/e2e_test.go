package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/api"
)

// Time limits of the end-to-end test.
const (
	e2eBuildTimeout = 5 * time.Minute
	e2eCmdTimeout   = 30 * time.Second // one short command
	e2eWaitTimeout  = 30 * time.Second // a node starting, a payment spreading
	e2eStopTimeout  = 5 * time.Second  // Ctrl-C to exit, as ttx start promises
)

// TestEndToEnd builds the ttx binary and drives it as a user would: a
// 3-node devnet, a payment through the CLI seen by every node, a proof
// exported, verified offline in an empty directory and imported by a node
// that was offline when the payment happened, a second spend of the same
// funds refused, --help for every command, and a clean stop on Ctrl-C.
// Everything runs on 127.0.0.1; no public DHT node or tracker is contacted.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ttx binary; skipped with -short")
	}
	e := newE2E(t)

	t.Run("help", func(t *testing.T) {
		cmds := [][]string{{}}
		for _, c := range commands() {
			cmds = append(cmds, []string{c.name})
		}
		cmds = append(cmds, []string{"proof", "export"}, []string{"proof", "verify"}, []string{"proof", "import"}, []string{"genesis", "new"},
			[]string{"wallet", "backup"}, []string{"wallet", "restore"}, []string{"wallet", "passphrase"})
		for _, c := range cmds {
			out, stderr, err := e.run(e.home, append(c, "--help")...)
			if err != nil || !strings.Contains(out, "Usage:") {
				t.Errorf("ttx %s --help: %v, want exit 0 and usage on stdout\n%s%s", strings.Join(c, " "), err, out, stderr)
			}
		}
	})

	dir := t.TempDir()
	base := devnetBasePort(t, 3)
	apiAddr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(base+i) }
	devnet := e.start("", "devnet", "--nodes", "3", "--dir", dir, "--base-port", strconv.Itoa(base))
	for i := range 3 {
		e.waitAPI(devnet, apiAddr(i))
	}
	addr1 := strings.TrimSpace(e.must(e.home, "address", "--api", apiAddr(1)))
	addr2 := strings.TrimSpace(e.must(e.home, "address", "--api", apiAddr(2)))
	if got := e.balance(apiAddr(1), addr1); got != 0 {
		t.Fatalf("node1 starts with %s TTX, want 0", got)
	}

	// A payment through the CLI reaches all three nodes.
	var sent api.SendResponse
	e.mustJSON(&sent, "send", "--json", "--api", apiAddr(0), "--datadir", filepath.Join(dir, "node0"), "--to", addr1, "--amount", "12.5")
	paid := 1250 * dag.Unit / 100
	e.waitBalances([]string{apiAddr(0), apiAddr(1), apiAddr(2)}, addr1, paid)

	// ttx peers lists each connection once on both ends, "in" where the
	// peer dialled in, and at the peer's listen address either way.
	listenAddr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(base+100+i) }
	var lastErr error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if lastErr = e.checkDirections(3, apiAddr, listenAddr); lastErr == nil || time.Now().After(deadline) {
			break
		}
	}
	if lastErr != nil {
		t.Fatal(lastErr)
	}

	// Its proof verifies offline in an empty directory, given the devnet's
	// genesis (not the default network's).
	proof := filepath.Join(dir, "payment.torrent")
	e.must(e.home, "proof", "export", "--api", apiAddr(0), "-o", proof, sent.ID.String())
	empty := t.TempDir()
	copyFile(t, proof, filepath.Join(empty, "payment.torrent"))
	copyFile(t, filepath.Join(dir, "genesis", genesis.TxFile), filepath.Join(empty, "devnet.json"))
	// It is valid; whether it is final depends on the vote having decided
	// the payment before the export: exit 0 with "final: ...", or exit 2
	// with "not final: ...".
	out, stderr, err := e.run(empty, "proof", "verify", "--genesis", "devnet.json", "payment.torrent")
	var ee *exec.ExitError
	switch {
	case err == nil && strings.Contains(out, "\nfinal: "):
	case errors.As(err, &ee) && ee.ExitCode() == 2 && strings.Contains(out, "\nnot final: "):
	default:
		t.Fatalf("proof verify: %v, want exit 0 (final) or 2 (not final)\n%s%s", err, out, stderr)
	}
	for _, want := range []string{"Valid proof of\t" + sent.ID.String(), "12.5 TTX to " + addr1} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("proof verify output lacks %q:\n%s", want, out)
		}
	}
	if _, stderr, err := e.run(empty, "proof", "verify", "payment.torrent"); err == nil || !strings.Contains(stderr, "--genesis") {
		t.Errorf("verify against the default network: %v, want exit 1 with a --genesis hint\n%s", err, stderr)
	}
	if ents, err := os.ReadDir(empty); err != nil || len(ents) != 2 {
		t.Errorf("verify left %d entries in its directory (%v), want the 2 it was given", len(ents), err)
	}

	// A node that was offline when the payment happened, started with no
	// peers and no DHT, learns it from the proof.
	offAPI, offDir := "127.0.0.1:"+strconv.Itoa(freePort(t)), filepath.Join(dir, "offline")
	offline := e.start("e2e passphrase\n", "start", "--genesis", filepath.Join(dir, "genesis", genesis.TxFile),
		"--datadir", offDir, "--api", offAPI, "--listen", "127.0.0.1:"+strconv.Itoa(freePort(t)),
		"--dht", "off")
	e.waitAPI(offline, offAPI)
	if got := e.balance(offAPI, addr1); got != 0 {
		t.Errorf("the offline node sees %s TTX for node1 before the import, want 0", got)
	}
	out = e.must(e.home, "proof", "import", "--api", offAPI, "--datadir", offDir, proof)
	if want := "Imported the proof of " + sent.ID.String() + ": accepted, 1 new"; !strings.Contains(out, want) {
		t.Errorf("proof import says %q, want %q", out, want)
	}
	if got := e.balance(offAPI, addr1); got != paid {
		t.Errorf("after the import the offline node sees %s TTX for node1, want %s", got, paid)
	}

	// Spending the same funds twice is refused.
	rest := e.balance(apiAddr(0), strings.TrimSpace(e.must(e.home, "address", "--api", apiAddr(0))))
	amount := (rest - dag.Unit).String()
	node0 := filepath.Join(dir, "node0")
	e.must(e.home, "send", "--api", apiAddr(0), "--datadir", node0, "--to", addr2, "--amount", amount)
	_, stderr, err = e.run(e.home, "send", "--api", apiAddr(0), "--datadir", node0, "--to", addr2, "--amount", amount)
	if err == nil || !strings.Contains(stderr, "Error: insufficient funds: have ") {
		t.Errorf("second send of the same funds: %v, want exit 1 and an insufficient funds error\n%s", err, stderr)
	}
	if strings.Contains(stderr, "build") || strings.Contains(stderr, "wallet:") {
		t.Errorf("the insufficient funds error stacks prefixes:\n%s", stderr)
	}

	// Ctrl-C stops both processes cleanly within 5 s.
	for _, p := range []*e2eProc{devnet, offline} {
		p.interrupt()
	}
	for i := range 3 {
		if _, err := os.Stat(filepath.Join(dir, "node"+strconv.Itoa(i), api.CookieFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("node%d's cookie after a clean stop: %v, want it removed", i, err)
		}
	}
	if !strings.Contains(offline.stdout.String(), "stopped cleanly") {
		t.Errorf("ttx start did not say it stopped cleanly:\n%s", offline.stdout.String())
	}
}

// e2e runs the built binary with a clean environment: HOME is an empty
// directory and no TTX_* variable is set.
type e2e struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

// checkDirections compares what ttx peers prints on each of n nodes: every
// ttx peer is listed at a node's listen address, and the two ends of a
// connection disagree on its direction; the table says "in" for a peer
// that dialled in.
func (e *e2e) checkDirections(n int, apiAddr, listenAddr func(int) string) error {
	inbound := make(map[[2]int]bool) // {at, peer} -> the peer dialled in
	byListen := make(map[string]int)
	for i := range n {
		byListen[listenAddr(i)] = i
	}
	for i := range n {
		var ps api.Peers
		out, stderr, err := e.run(e.home, "peers", "--json", "--api", apiAddr(i))
		if err != nil {
			return fmt.Errorf("ttx peers on node%d: %v\n%s", i, err, stderr)
		}
		if err := json.Unmarshal([]byte(out), &ps); err != nil {
			return fmt.Errorf("ttx peers --json on node%d: %v", i, err)
		}
		for _, p := range ps.Peers {
			j, ok := byListen[p.Addr]
			if !p.TTX || !ok {
				return fmt.Errorf("node%d lists a peer at %s (ttx %v), not at a node's listen address", i, p.Addr, p.TTX)
			}
			inbound[[2]int{i, j}] = p.Inbound
			if !p.Inbound {
				continue
			}
			table := e.must(e.home, "peers", "--api", apiAddr(i))
			for _, line := range strings.Split(table, "\n") {
				if f := strings.Fields(line); len(f) > 3 && f[0] == p.Addr && f[3] != "in" {
					return fmt.Errorf("node%d's table shows the peer that dialled in as %q:\n%s", i, f[3], table)
				}
			}
		}
	}
	if len(inbound) != n*(n-1) {
		return fmt.Errorf("%d of %d ends of the connections listed", len(inbound), n*(n-1))
	}
	for k, in := range inbound {
		if inbound[[2]int{k[1], k[0]}] == in {
			return fmt.Errorf("node%d and node%d both see their connection as inbound=%v", k[0], k[1], in)
		}
	}
	return nil
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build ttx with: %v", err)
	}
	e := &e2e{t: t, bin: filepath.Join(t.TempDir(), "ttx"), home: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), e2eBuildTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, gobin, "build", "-o", e.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TTX_") && !strings.HasPrefix(kv, "HOME=") {
			e.env = append(e.env, kv)
		}
	}
	e.env = append(e.env, "HOME="+e.home)
	return e
}

// run runs ttx args in dir to completion (at most e2eCmdTimeout) and
// returns its stdout, its stderr and its exit error.
func (e *e2e) run(dir string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), e2eCmdTimeout)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, e.env, &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// must runs ttx args in dir and fails the test unless it exits 0.
func (e *e2e) must(dir string, args ...string) string {
	e.t.Helper()
	out, stderr, err := e.run(dir, args...)
	if err != nil {
		e.t.Fatalf("ttx %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

// mustJSON runs ttx args (which include --json) and decodes its output.
func (e *e2e) mustJSON(v any, args ...string) {
	e.t.Helper()
	out := e.must(e.home, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("ttx %s: decode %q: %v", strings.Join(args, " "), out, err)
	}
}

// queryBalance asks the node at apiAddr for addr's balance.
func (e *e2e) queryBalance(apiAddr, addr string) (dag.Amount, error) {
	out, stderr, err := e.run(e.home, "balance", "--json", "--api", apiAddr, addr)
	if err != nil {
		return 0, fmt.Errorf("ttx balance --api %s: %v: %s", apiAddr, err, stderr)
	}
	var b api.Balance
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		return 0, fmt.Errorf("decode balance %q: %w", out, err)
	}
	return dag.Amount(b.Balance), nil
}

func (e *e2e) balance(apiAddr, addr string) dag.Amount {
	e.t.Helper()
	b, err := e.queryBalance(apiAddr, addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// waitBalances waits until every node sees want as addr's balance. It
// reports the nodes that do not with Errorf, so the test goes on.
func (e *e2e) waitBalances(apis []string, addr string, want dag.Amount) {
	e.t.Helper()
	deadline := time.Now().Add(e2eWaitTimeout)
	for {
		var wrong []string
		for _, a := range apis {
			if got, err := e.queryBalance(a, addr); err != nil || got != want {
				wrong = append(wrong, fmt.Sprintf("%s sees %s TTX (%v)", a, got, err))
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Errorf("after %v, want %s TTX for %s everywhere, but %s", e2eWaitTimeout, want, addr, strings.Join(wrong, "; "))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitAPI waits until the node API at addr answers ttx status.
func (e *e2e) waitAPI(p *e2eProc, addr string) {
	e.t.Helper()
	deadline := time.Now().Add(e2eWaitTimeout)
	for {
		_, stderr, err := e.run(e.home, "status", "--api", addr)
		if err == nil {
			return
		}
		select {
		case <-p.done:
			e.t.Fatalf("ttx %s exited (%v) before its API %s answered\nstdout:\n%s\nstderr:\n%s", p.name, p.err, addr, p.stdout.String(), p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the API on %s did not answer within %v: %s", addr, e2eWaitTimeout, stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// e2eProc is a long-running ttx process (start, devnet).
type e2eProc struct {
	t              *testing.T
	name           string
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{} // closed when it exited; err is then set
	err            error
}

// start runs ttx args in the background with stdin as its input. The test's
// cleanup kills it if it still runs.
func (e *e2e) start(stdin string, args ...string) *e2eProc {
	e.t.Helper()
	p := &e2eProc{t: e.t, name: args[0], stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(e.bin, args...)
	p.cmd.Dir, p.cmd.Env = e.home, e.env
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = strings.NewReader(stdin), p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		e.t.Fatalf("start ttx %s: %v", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	e.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if e.t.Failed() {
			e.t.Logf("ttx %s stdout:\n%s\nstderr:\n%s", p.name, p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

// interrupt sends SIGINT and checks that the process exits 0 within
// e2eStopTimeout, having logged no error.
func (p *e2eProc) interrupt() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		p.t.Fatalf("interrupt ttx %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(e2eStopTimeout):
		p.t.Errorf("ttx %s still runs %v after Ctrl-C", p.name, e2eStopTimeout)
		p.cmd.Process.Kill()
		<-p.done
	}
	if p.err != nil {
		p.t.Errorf("ttx %s exited with %v after Ctrl-C, want 0", p.name, p.err)
	}
	if logs := p.stderr.String(); strings.Contains(logs, "level=ERROR") {
		p.t.Errorf("ttx %s logged errors:\n%s", p.name, logs)
	}
}

// kill sends SIGKILL, as a crash or an OOM killer would, and checks that
// the process died of it, having logged no error: the node gets no chance
// to close anything.
func (p *e2eProc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill ttx %s: %v", p.name, err)
	}
	<-p.done
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		p.t.Fatalf("ttx %s ended with %v, want death by SIGKILL", p.name, p.err)
	}
	if logs := p.stderr.String(); strings.Contains(logs, "level=ERROR") {
		p.t.Errorf("ttx %s logged errors before the kill:\n%s", p.name, logs)
	}
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// devnetBasePort returns a --base-port for a devnet of n nodes: ports base
// to base+n-1 (APIs, TCP) and base+100 to base+100+n-1 (BitTorrent on TCP,
// DHT on UDP) were all free a moment ago.
func devnetBasePort(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		base := freePort(t)
		if base+100+n > 65535 {
			continue
		}
		ok := true
		for i := range n {
			ok = ok && portFree("tcp", base+i) && portFree("tcp", base+100+i) && portFree("udp", base+100+i)
		}
		if ok {
			return base
		}
	}
	t.Fatal("found no free port range for the devnet")
	return 0
}

func portFree(network string, port int) bool {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if network == "udp" {
		c, err := net.ListenPacket(network, addr)
		if err != nil {
			return false
		}
		return c.Close() == nil
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return false
	}
	return l.Close() == nil
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
)

// runPiped runs ttx args with stdin piped in (no terminal).
func (e *e2e) runPiped(stdin string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), e2eCmdTimeout)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = e.home, e.env, strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestWalletRestoreE2E restores a funded devnet wallet from its backup
// into a fresh data dir and starts a node on it unattended: stdin is no
// terminal and the passphrase comes from a file, refused while the file's
// mode lets others read it. The restored node, dialing the devnet on
// loopback only (no DHT), has the same address and sees the same balance.
func TestWalletRestoreE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ttx binary; skipped with -short")
	}
	e := newE2E(t)
	dir := t.TempDir()
	base := devnetBasePort(t, 2)
	apiAddr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(base+i) }
	devnet := e.start("", "devnet", "--nodes", "2", "--dir", dir, "--base-port", strconv.Itoa(base))
	for i := range 2 {
		e.waitAPI(devnet, apiAddr(i))
	}
	addr1 := strings.TrimSpace(e.must(e.home, "address", "--api", apiAddr(1)))
	e.must(e.home, "send", "--api", apiAddr(0), "--datadir", filepath.Join(dir, "node0"), "--to", addr1, "--amount", "7.25")
	paid := 725 * dag.Unit / 100
	e.waitBalances([]string{apiAddr(0), apiAddr(1)}, addr1, paid)

	out := e.must(e.home, "wallet", "backup", "--datadir", filepath.Join(dir, "node1"))
	backup := regexp.MustCompile(`ttxsecret1[02-9ac-hj-np-z]{58}`).FindString(out)
	if backup == "" {
		t.Fatalf("wallet backup printed no backup:\n%s", out)
	}

	fresh := filepath.Join(t.TempDir(), "restored")
	gen := filepath.Join(dir, "genesis", genesis.TxFile)
	out, stderr, err := e.runPiped(backup+"\nrestored pass\n", "wallet", "restore", "--datadir", fresh, "--genesis", gen)
	if err != nil || !strings.Contains(out, "address "+addr1) {
		t.Fatalf("wallet restore: %v, want address %s\n%s%s", err, addr1, out, stderr)
	}

	api := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startArgs := []string{"start", "--datadir", fresh, "--genesis", gen, "--api", api,
		"--listen", "127.0.0.1:" + strconv.Itoa(freePort(t)), "--dht", "off", "--bootstrap", "127.0.0.1:" + strconv.Itoa(base+100)}
	// No terminal, no passphrase file: it says so and how to fix it.
	if _, stderr, err := e.run(e.home, startArgs...); err == nil || !strings.Contains(stderr, "no terminal to ask on, and no passphrase file") ||
		!strings.Contains(stderr, "--passphrase-file") {
		t.Errorf("start with no terminal and no passphrase file: %v\n%s", err, stderr)
	}
	pf := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pf, []byte("restored pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := e.run(e.home, append(startArgs, "--passphrase-file", pf)...); err == nil || !strings.Contains(stderr, "has mode 0644") {
		t.Errorf("start with a passphrase file of mode 0644: %v, want it refused\n%s", err, stderr)
	}
	if err := os.Chmod(pf, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := e.start("", append(startArgs, "--passphrase-file", pf)...)
	e.waitAPI(restored, api)
	if got := strings.TrimSpace(e.must(e.home, "address", "--api", api)); got != addr1 {
		t.Errorf("the restored node's address is %s, want %s", got, addr1)
	}
	e.waitBalances([]string{api}, addr1, paid)
	restored.interrupt()
	devnet.interrupt()
}

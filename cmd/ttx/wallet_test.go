package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/wallet"
)

// runStdin runs ttx in-process with stdin as its input (a pipe, not a
// terminal), and checks a failure printed an "Error: " line.
func runStdin(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runIn(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	if err != nil && !strings.Contains("\n"+errb.String(), "\nError: ") {
		t.Errorf("ttx %s failed without an Error: line on stderr: %q", strings.Join(args, " "), errb.String())
	}
	return out.String(), errb.String(), err
}

// testWalletKey is a fixed key, so a test knows its backup and address.
func testWalletKey(t *testing.T) *wallet.Key {
	t.Helper()
	seed := sha256.Sum256([]byte("cmd/ttx wallet test"))
	k, err := wallet.KeyFromSeed(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWalletRestoreAndBackup(t *testing.T) {
	isolate(t)
	key := testWalletKey(t)
	addr := key.Address(genesis.Default())
	dir := filepath.Join(t.TempDir(), "restored")
	path := filepath.Join(dir, node.WalletFile)

	out, _, err := runStdin(t, "  "+key.Backup()+"  \nrestore pass\n", "wallet", "restore", "--datadir", dir)
	if err != nil || !strings.Contains(out, "address "+addr) {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if got, err := wallet.Load(path, []byte("restore pass")); err != nil || !got.Equal(key) {
		t.Fatalf("the restored key file opens to %v, %v; want %s", got, err, key)
	}
	before, _ := os.ReadFile(path)

	// A second restore, even of another key, never overwrites the wallet.
	other, _ := wallet.KeyFromSeed(make([]byte, wallet.SeedSize))
	_, stderr, err := runStdin(t, other.Backup()+"\npw\n", "wallet", "restore", "--datadir", dir)
	if !errors.Is(err, wallet.ErrExists) || !strings.Contains(stderr, "Try: restore into a new data dir") {
		t.Errorf("restore over a wallet: %v, want ErrExists and a hint\n%s", err, stderr)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a refused restore changed the key file")
	}

	// A typo is caught by the checksum, and nothing is written.
	b := key.Backup()
	typo := b[:20] + map[bool]string{true: "q", false: "p"}[b[20] != 'q'] + b[21:]
	empty := filepath.Join(t.TempDir(), "typo")
	_, stderr, err = runStdin(t, typo+"\npw\n", "wallet", "restore", "--datadir", empty)
	if !errors.Is(err, wallet.ErrBadBackup) || !strings.Contains(stderr, "typos") {
		t.Errorf("restore of a mistyped backup: %v, want ErrBadBackup\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(empty, node.WalletFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed restore left a key file: %v", err)
	}

	// Backup prints the same backup string again, given the passphrase.
	out, _, err = runStdin(t, "restore pass\n", "wallet", "backup", "--datadir", dir)
	if err != nil || !strings.Contains(out, "\n  "+key.Backup()+"\n") {
		t.Errorf("backup: %v, want the backup %s\n%s", err, key.Backup(), out)
	}
	_, stderr, err = runStdin(t, "wrong\n", "wallet", "backup", "--datadir", dir)
	if !errors.Is(err, wallet.ErrWrongPassphrase) || strings.Contains(stderr, key.Backup()) {
		t.Errorf("backup with a wrong passphrase: %v, want ErrWrongPassphrase\n%s", err, stderr)
	}

	// --out copies the key file, encrypted as it is, and never over a file.
	cp := filepath.Join(t.TempDir(), "copy.key")
	if _, _, err := runStdin(t, "restore pass\n", "wallet", "backup", "--datadir", dir, "--out", cp); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(cp); !bytes.Equal(got, before) {
		t.Errorf("the copy differs from the key file:\n%s\n%s", got, before)
	}
	if fi, err := os.Stat(cp); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the copy's mode: %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if _, _, err := runStdin(t, "restore pass\n", "wallet", "backup", "--datadir", dir, "--out", cp); !errors.Is(err, os.ErrExist) {
		t.Errorf("backup --out over a file: %v, want fs.ErrExist", err)
	}

	if _, stderr, err := runStdin(t, "", "wallet", "backup", "--datadir", t.TempDir()); err == nil || !strings.Contains(stderr, "no wallet in") {
		t.Errorf("backup of a data dir with no wallet: %v\n%s", err, stderr)
	}
}

func TestWalletPassphrase(t *testing.T) {
	isolate(t)
	key := testWalletKey(t)
	dir := t.TempDir()
	path := filepath.Join(dir, node.WalletFile)
	if err := wallet.Save(path, key, genesis.Default(), []byte("old pass"), wallet.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runStdin(t, "not it\nnew pass\n", "wallet", "passphrase", "--datadir", dir); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Errorf("passphrase with a wrong current one: %v, want ErrWrongPassphrase", err)
	}
	out, _, err := runStdin(t, "old pass\nnew pass\n", "wallet", "passphrase", "--datadir", dir)
	if err != nil || !strings.Contains(out, "Changed the passphrase") {
		t.Fatalf("passphrase: %v\n%s", err, out)
	}
	if got, err := wallet.Load(path, []byte("new pass")); err != nil || !got.Equal(key) {
		t.Errorf("with the new passphrase the file opens to %v, %v; want the same key %s", got, err, key)
	}
	if _, err := wallet.Load(path, []byte("old pass")); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Errorf("the old passphrase still opens the file: %v", err)
	}
	if _, _, err := runStdin(t, "old pass\n", "wallet", "backup", "--datadir", dir); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Errorf("backup with the old passphrase: %v, want ErrWrongPassphrase", err)
	}
	out, _, err = runStdin(t, "new pass\n", "wallet", "backup", "--datadir", dir)
	if err != nil || !strings.Contains(out, key.Backup()) {
		t.Errorf("backup with the new passphrase: %v\n%s", err, out)
	}
}

func TestPassphraseFile(t *testing.T) {
	isolate(t)
	key := testWalletKey(t)
	dir := t.TempDir()
	if err := wallet.Save(filepath.Join(dir, node.WalletFile), key, genesis.Default(), []byte("file pass"), wallet.Options{}); err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pf, []byte("file pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runStdin(t, "", "wallet", "backup", "--datadir", dir, "--passphrase-file", pf)
	if err == nil || !strings.Contains(stderr, "has mode 0644") || !strings.Contains(stderr, "Try: chmod 600 "+pf) {
		t.Errorf("a passphrase file of mode 0644: %v, want it refused with a chmod hint\n%s", err, stderr)
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(pf, mode); err != nil {
			t.Fatal(err)
		}
		out, stderr, err := runStdin(t, "", "wallet", "backup", "--datadir", dir, "--passphrase-file", pf)
		if err != nil || !strings.Contains(out, key.Backup()) {
			t.Errorf("passphrase file of mode %04o: %v\n%s%s", mode, err, out, stderr)
		}
	}
	t.Setenv("TTX_PASSPHRASE_FILE", pf)
	if out, stderr, err := runStdin(t, "", "wallet", "backup", "--datadir", dir); err != nil || !strings.Contains(out, key.Backup()) {
		t.Errorf("TTX_PASSPHRASE_FILE: %v\n%s%s", err, out, stderr)
	}
	t.Setenv("TTX_PASSPHRASE_FILE", "")
	if err := os.Chmod(pf, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pf, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runStdin(t, "", "wallet", "backup", "--datadir", dir, "--passphrase-file", pf); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Errorf("a file with the wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	for name, content := range map[string]string{"empty": "", "only a newline": "\n", "too long": strings.Repeat("x", maxPassphraseFile+1)} {
		if err := os.WriteFile(pf, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, stderr, err := runStdin(t, "", "wallet", "backup", "--datadir", dir, "--passphrase-file", pf); err == nil {
			t.Errorf("%s passphrase file accepted\n%s", name, stderr)
		}
	}
	if _, stderr, err := runStdin(t, "", "wallet", "backup", "--datadir", dir, "--passphrase-file", filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing passphrase file: %v\n%s", err, stderr)
	}

	// With no terminal, nothing piped and no file, it says so and how to
	// fix it.
	_, stderr, err = runStdin(t, "", "wallet", "backup", "--datadir", dir)
	if !errors.Is(err, errNoTerminal) || !strings.Contains(stderr, "no terminal to ask on, and no passphrase file") ||
		!strings.Contains(stderr, "--passphrase-file") || !strings.Contains(stderr, "TTX_PASSPHRASE_FILE") {
		t.Errorf("no terminal, no file: %v, want errNoTerminal and how to pass a file\n%s", err, stderr)
	}
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/torrenttx/ttx/internal/atomicfile"
)

// maxPassphraseFile bounds a passphrase file.
const maxPassphraseFile = 4 << 10

// errNoTerminal: a secret is needed, stdin is not a terminal and it has
// nothing to read (a service started by systemd, a cron job).
var errNoTerminal = errors.New("no terminal to ask on")

// noTerminalHint says how to give a passphrase without a terminal.
const noTerminalHint = "run it in a terminal, or pass --passphrase-file <file> (or set TTX_PASSPHRASE_FILE) naming a file of mode 0600 that holds the passphrase; docs/ttx.service runs a node from systemd that way"

// lines returns the reader of stdin that every prompt shares, so that
// piped answers (a backup, then a passphrase) are read one line each.
func (e *env) lines() *bufio.Reader {
	if e.in == nil {
		e.in = bufio.NewReader(e.stdin)
	}
	return e.in
}

// ask prompts on stderr and reads one line from stdin, with echo off on a
// terminal. It reports whether stdin is a terminal. From a pipe there is
// no prompt; a pipe with nothing to read is errNoTerminal.
func (e *env) ask(prompt string) (line string, terminal bool, err error) {
	if f, ok := e.stdin.(*os.File); ok {
		var restore func()
		if restore, terminal = noEcho(f); terminal {
			defer restore()
			fmt.Fprint(e.stderr, prompt)
			defer fmt.Fprintln(e.stderr)
		}
	}
	line, err = e.lines().ReadString('\n')
	if errors.Is(err, io.EOF) && line == "" && !terminal {
		return "", false, errNoTerminal
	}
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", terminal, err
	}
	return strings.TrimRight(line, "\r\n"), terminal, nil
}

// readPassphrase prompts on stderr and reads a passphrase for what from
// stdin. On a terminal, echo is off, and with confirm (a new key) the
// passphrase is asked twice; from a pipe, the next line is the passphrase.
// With no terminal and nothing piped it says how to give one instead.
func readPassphrase(e *env, what string, confirm bool) ([]byte, error) {
	p, terminal, err := e.ask("Passphrase for " + what + ": ")
	if errors.Is(err, errNoTerminal) {
		return nil, withHint(fmt.Errorf("read the passphrase for %s: %w, and no passphrase file", what, err), noTerminalHint)
	}
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if p == "" {
		return nil, withHint(errEmptyPassphrase, "type a passphrase: it encrypts the key file, and the node asks for it at every start")
	}
	if terminal && confirm {
		again, _, err := e.ask("Repeat the passphrase: ")
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if again != p {
			return nil, errors.New("the passphrases do not match")
		}
	}
	return []byte(p), nil
}

// passphrase returns the passphrase for what: from the configured
// passphrase file if there is one, else as readPassphrase asks.
func (e *env) passphrase(cfg *Config, what string, confirm bool) ([]byte, error) {
	if cfg.PassphraseFile != "" {
		return readPassphraseFile(cfg.PassphraseFile)
	}
	return readPassphrase(e, what, confirm)
}

// readPassphraseFile reads a passphrase from the file at path: its
// contents less one trailing newline. The file must be a regular file that
// only its owner can read or write (mode 0600 or stricter): a passphrase
// others can read protects nothing.
func readPassphraseFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, withHint(fmt.Errorf("read passphrase file: %w", err), "--passphrase-file and TTX_PASSPHRASE_FILE name a file holding the wallet's passphrase")
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read passphrase file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, withHint(fmt.Errorf("passphrase file %s has mode %04o: group or others may read it; want 0600 or stricter", path, perm),
			"chmod 600 "+path)
	}
	b, err := atomicfile.ReadLimited(path, maxPassphraseFile)
	if err != nil {
		return nil, fmt.Errorf("read passphrase file: %w", err)
	}
	if len(b) > maxPassphraseFile {
		return nil, fmt.Errorf("read passphrase file %s: longer than %d bytes", path, maxPassphraseFile)
	}
	p := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if p == "" {
		return nil, fmt.Errorf("read passphrase file %s: it is empty", path)
	}
	return []byte(p), nil
}

// errEmptyPassphrase: an empty line where a passphrase was asked.
var errEmptyPassphrase = errors.New("empty passphrase")

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// readPassphrase prompts on stderr and reads a passphrase for what from
// stdin. On a terminal, echo is off, and with confirm (a new key) the
// passphrase is asked twice; from a pipe, the first line is the passphrase.
func readPassphrase(e *env, what string, confirm bool) ([]byte, error) {
	r := bufio.NewReader(e.stdin)
	f, isFile := e.stdin.(*os.File)
	var restore func()
	terminal := false
	if isFile {
		restore, terminal = noEcho(f)
	}
	if terminal {
		defer restore()
	}
	ask := func(prompt string) (string, error) {
		if terminal {
			fmt.Fprint(e.stderr, prompt)
			defer fmt.Fprintln(e.stderr)
		}
		line, err := r.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read passphrase: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	p, err := ask("Passphrase for " + what + ": ")
	if err != nil {
		return nil, err
	}
	if p == "" {
		return nil, withHint(errors.New("empty passphrase"), "choose a passphrase, or pass --plaintext for a throwaway network")
	}
	if terminal && confirm {
		again, err := ask("Repeat the passphrase: ")
		if err != nil {
			return nil, err
		}
		if again != p {
			return nil, errors.New("the passphrases do not match")
		}
	}
	return []byte(p), nil
}

//go:build !linux

package main

import "os"

// noEcho reports that echo cannot be turned off here: on other systems the
// passphrase prompt echoes, so prefer --passphrase-file there.
func noEcho(*os.File) (restore func(), ok bool) { return nil, false }

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

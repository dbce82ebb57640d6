//go:build !linux

package main

import "os"

// noEcho reports that echo cannot be turned off here: on other systems the
// passphrase prompt echoes, so prefer --passphrase-file there.
func noEcho(*os.File) (restore func(), ok bool) { return nil, false }

package store

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrInUse is returned by Open when another process holds the data
	// file's lock.
	ErrInUse = errors.New("store: data dir is in use by another ttx process")
	// ErrCorrupt is returned when a stored value does not decode or a
	// stored transaction no longer hashes to its ID.
	ErrCorrupt = errors.New("store: corrupt data")
	// ErrExists is returned by Put for a transaction that is already stored.
	ErrExists = errors.New("store: transaction already stored")
	// ErrVersion is returned by Open for a file written in a format this
	// version does not read.
	ErrVersion = errors.New("store: unsupported format version")
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

package store

import (
	"path/filepath"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// openTemp opens a new store in t's temp dir.
func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "ttx.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreConformance(t *testing.T) {
	dagtest.TestStore(t, func(t *testing.T) dag.Store { return openTemp(t, Options{}) })
}

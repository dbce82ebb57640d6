package dagtest

import (
	"testing"

	"github.com/torrenttx/ttx/dag"
)

func TestMemStore(t *testing.T) {
	TestStore(t, func(*testing.T) dag.Store { return dag.NewMemStore() })
}

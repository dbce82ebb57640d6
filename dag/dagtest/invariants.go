package dagtest

import (
	"fmt"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// maxInvariantErrors bounds how many violations CheckInvariants reports.
const maxInvariantErrors = 20

// CheckInvariants reads the whole store s of network n and reports every
// broken ledger invariant (see the package doc) with t.Errorf.
func CheckInvariants(t testing.TB, s dag.Store, n *dag.Network) {
	t.Helper()
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf(format, args...))
	}
	err := s.View(func(r dag.ReadTx) error {
		dag.CheckLedger(r, n, fail)
		return nil
	})
	if err != nil {
		t.Errorf("dagtest: CheckInvariants: %v", err)
	}
	for i, e := range errs {
		if i == maxInvariantErrors {
			t.Errorf("dagtest: ... and %d more broken invariants", len(errs)-i)
			break
		}
		t.Errorf("dagtest: broken invariant: %s", e)
	}
}

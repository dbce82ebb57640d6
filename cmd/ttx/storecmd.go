package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/store"
)

const storeUsage = `Usage: ttx store check [flags]

Checks the node's ledger store (ttx.db in the data dir) while the node is
stopped: bbolt's consistency check of its pages, every record's checksum,
each index's entry count against the store's own tally, then the ledger's
invariants (every spend's parent stored and its output spent once, balances
summing to the genesis supply less the burns, indexes agreeing with the
records). Prints progress on large stores. Exits 0 if the store is healthy and 1 if it is damaged;
then move ttx.db away and start the node again: it syncs the ledger from
its peers, and the wallet key, a separate file, is not affected.

Example:
  ttx store check --datadir ~/.ttx
`

// runStore dispatches ttx store's one verb, named first as in ttx wallet.
func runStore(e *env, args []string) error {
	return runVerbs(e, "store", storeUsage, args, []command{{name: "check", run: runStoreCheck}})
}

// runStoreCheck is ttx store check.
func runStoreCheck(e *env, args []string) error {
	fs := newFlagSet("store check")
	cf := addConfigFlags(fs, "datadir", "genesis")
	if help, err := e.parse(fs, args, storeUsage, 0); help || err != nil {
		return err
	}
	cfg, net, err := cf.loadWithNetwork(e)
	if err != nil {
		return err
	}
	path := filepath.Join(cfg.DataDir, node.StoreFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no store to check: %w", err)
	}
	// Open proves the file whole before it serves anything: that is the
	// page, checksum and tally check.
	s, err := store.Open(path, store.Options{Progress: func(done, total uint64) {
		fmt.Fprintf(e.stderr, "checked %d of %d entries\n", done, total)
	}})
	if errors.Is(err, store.ErrCorrupt) {
		fmt.Fprintf(e.stdout, "%s is damaged: %v\n", path, err)
		return errDamaged
	}
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintln(e.stderr, "checking the ledger's invariants")
	var broken []string
	if err := s.View(func(r dag.ReadTx) error {
		dag.CheckLedger(r, net, func(format string, args ...any) {
			broken = append(broken, fmt.Sprintf(format, args...))
		})
		return nil
	}); err != nil {
		fmt.Fprintf(e.stdout, "%s is damaged: %v; %s\n", path, err, store.Recovery(path))
		return errDamaged
	}
	if len(broken) > 0 {
		fmt.Fprintf(e.stdout, "%s breaks %d ledger invariant(s):\n", path, len(broken))
		for i, b := range broken {
			if i == 20 {
				fmt.Fprintf(e.stdout, "  … and %d more\n", len(broken)-i)
				break
			}
			fmt.Fprintf(e.stdout, "  %s\n", b)
		}
		fmt.Fprintf(e.stdout, "To recover, %s.\n", store.Recovery(path))
		return errDamaged
	}
	st, err := s.Stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s is healthy: %d transactions (%d accepted, %d conflicted, %d rejected, %d final), %d accounts, %d bytes\n",
		path, st.Accepted+st.Conflicted+st.Rejected+st.Final, st.Accepted, st.Conflicted, st.Rejected, st.Final, st.Accounts, st.FileSize)
	return nil
}

// errDamaged ends ttx store check with exit code 1 after its report.
var errDamaged = errors.New("the store is damaged")

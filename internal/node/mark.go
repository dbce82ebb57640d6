package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/atomicfile"
)

// MarkFile remembers, beside the store, how many transactions the store
// held when the node last stopped. A store only grows, so one that holds
// fewer was replaced or cut (a restored backup, a copy from elsewhere, a
// damaged disk): the node refuses it rather than serve an older ledger as
// if it were this one. A missing store is a deliberate fresh start (the
// recovery of a damaged one), so the mark is then ignored.
const MarkFile = "ledger.mark"

// mark is MarkFile's content.
type mark struct {
	Network dag.TxID `json:"network"`
	Count   uint64   `json:"count"`
}

// ErrStoreShrank: the store holds fewer transactions than it did when the
// node last stopped.
var ErrStoreShrank = errors.New("node: the ledger store is older or smaller than this data dir's")

// checkMark compares the store's count of transactions with the mark. A
// store that was just created (fresh) passes whatever the mark says.
func checkMark(dir string, net *dag.Network, count uint64, fresh bool) error {
	if fresh {
		return nil
	}
	path := filepath.Join(dir, MarkFile)
	b, err := atomicfile.ReadLimited(path, 1<<10)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var m mark
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("read %s: %w (delete it if the store is the right one)", path, err)
	}
	if m.Network != net.ID {
		return nil // another network's mark: the Graph checked the store's genesis
	}
	if count < m.Count {
		return fmt.Errorf("%w: %s holds %d transactions, but held %d when the node last stopped; move %s away to sync the ledger again, or delete %s if this store is the one you want",
			ErrStoreShrank, filepath.Join(dir, StoreFile), count, m.Count, StoreFile, MarkFile)
	}
	return nil
}

// writeMark records count as the store's size.
func writeMark(dir string, net *dag.Network, count uint64) error {
	b, err := json.Marshal(mark{Network: net.ID, Count: count})
	if err != nil {
		return err
	}
	path := filepath.Join(dir, MarkFile)
	err = atomicfile.Replace(path, append(b, '\n'), 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		err = atomicfile.WriteNew(path, append(b, '\n'), 0o600)
	}
	return err
}

// storedCount is how many transactions the store holds (0 if it cannot
// say: the store's own error surfaces elsewhere).
func (n *Node) storedCount() uint64 {
	var count uint64
	n.store.View(func(r dag.ReadTx) error {
		d, err := r.Digest()
		count = d.Count
		return err
	})
	return count
}

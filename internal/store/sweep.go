package store

import (
	"bytes"
	"slices"
)

// Sweeping. A spend leaves the output's utxo entry in place and adds a
// spent entry in the child's epoch: utxo is keyed by owner and seq, so
// deleting an old output's entry at once would rewrite a page at a random
// place of it for almost every such spend. Once sweepGroup epochs are
// finished, the commits that follow delete the utxo entries of all their
// spends in utxo key order, a slice per commit in proportion to the
// transactions the commit stores, so that the sweep of a group ends
// halfway through the next. A page of utxo then takes all of a group's
// deletes in it at once.
//
// meta.Swept and meta.SweepAt record how far it got, in the same bbolt
// transactions, so a crash loses no progress and readers see a consistent
// state: an output is unspent iff it has a utxo entry and no spent entry
// in an epoch from Swept on (readTx.unspent). The spent filters of those
// epochs make that check cheap; a swept epoch's filter is dropped.

// sweepList is the work list of sweepGroup finished epochs from epoch:
// the utxo keys of their spends, sorted.
type sweepList struct {
	epoch uint32
	keys  [][utxoKeySize]byte
}

const (
	// sweepGroup is how many epochs one sweep covers. An epoch of Gen's
	// workload spends about 100,000 outputs; with 1,000,000 txs stored
	// utxo has about 34,000 pages, so one epoch's sweep still rewrites
	// most of them, and four give each page four times the deletes.
	sweepGroup = 4
	// sweepPace is how many epochs of sweeping a commit does per epoch
	// of transactions it stores.
	sweepPace = 2
)

// sweep deletes the next slices of utxo entries of the finished epochs
// that are not swept yet, in proportion to the transactions this Update
// stored.
func (w *writeTx) sweep() error {
	m, err := w.loadMeta()
	if err != nil {
		return err
	}
	cur := epochOf(m.LastSeq, w.st.bits)
	// budget is in seqs: sweeping all of an epoch's spends costs an epoch.
	for budget := uint64(w.puts) * sweepPace; budget > 0 && m.Swept+sweepGroup <= cur; {
		list := w.st.sweeping
		if list == nil || list.epoch != m.Swept {
			if list, err = w.sweepList(m.Swept); err != nil {
				return err
			}
			w.st.sweeping = list
		}
		n := uint64(len(list.keys))
		// Resume after the last key deleted (from the start if none).
		start, done := slices.BinarySearchFunc(list.keys, m.SweepAt, func(k [utxoKeySize]byte, at []byte) int {
			return bytes.Compare(k[:], at)
		})
		if done {
			start++
		}
		end := min(n, uint64(start)+max(1, n*budget/(sweepGroup<<w.st.bits)))
		c := w.utxo.Cursor()
		for _, k := range list.keys[start:end] {
			if got, _ := c.Seek(k[:]); bytes.Equal(got, k[:]) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		w.dirty = true
		if end < n {
			m.SweepAt = bytes.Clone(list.keys[end-1][:])
			break
		}
		if n > 0 {
			budget -= min(budget, (end-uint64(start))*(sweepGroup<<w.st.bits)/n)
		}
		for range sweepGroup {
			w.st.spentFilters.drop(m.Swept)
			m.Swept++
		}
		m.SweepAt = nil
		w.st.sweeping = nil
	}
	return nil
}

// sweepList reads the spends of sweepGroup epochs from e into a work list.
func (w *writeTx) sweepList(e uint32) (*sweepList, error) {
	list := &sweepList{epoch: e}
	stop := epochKey(e + sweepGroup)
	c := w.spent.Cursor()
	for k, v := c.Seek(epochKey(e)); k != nil && bytes.Compare(k, stop) < 0; k, v = c.Next() {
		_, parent, idx, err := decodeSpentKey(k)
		if err != nil {
			return nil, err
		}
		_, acct, err := decodeSpent(v)
		if err != nil {
			return nil, err
		}
		list.keys = append(list.keys, [utxoKeySize]byte(utxoKey(acct, parent, idx)))
	}
	slices.SortFunc(list.keys, func(a, b [utxoKeySize]byte) int { return bytes.Compare(a[:], b[:]) })
	return list, nil
}

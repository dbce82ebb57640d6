package dag

import (
	"bytes"
	"errors"
	"maps"
	"slices"
)

type ledgerTx struct {
	rec *Record
	p   *Parsed
}

// CheckLedger reads the whole ledger through r and calls fail for every
// broken invariant: records in Seq order with IDs that match their bytes,
// every spend's parent stored and its output spent once among accepted
// transactions, balances that sum to the genesis supply less the burns,
// and indexes (children, unspent outputs, conflicts, the digest) that agree
// with the records. It holds every transaction in memory, so it is for
// checks (ttx store check, tests), not for a serving node.
func CheckLedger(r ReadTx, n *Network, fail func(format string, args ...any)) {
	txs := make(map[TxID]ledgerTx)
	var order []TxID
	var acc Accumulator
	err := r.Since(0, func(rec *Record) bool {
		if want := uint64(len(order)) + 1; rec.Seq != want {
			fail("record %s has Seq %d, want %d", rec.ID, rec.Seq, want)
		}
		if err := CheckID(rec.Raw, rec.ID); err != nil {
			fail("record %s: %v", rec.ID, err)
			return true
		}
		p, err := Decode(rec.Raw)
		if err != nil {
			fail("record %s does not decode: %v", rec.ID, err)
			return true
		}
		if _, dup := txs[rec.ID]; dup {
			fail("record %s is listed twice", rec.ID)
		}
		txs[rec.ID] = ledgerTx{rec, p}
		order = append(order, rec.ID)
		acc.AddRecord(rec.ID, rec.State.Accepted())
		return true
	})
	if err != nil {
		fail("Since: %v", err)
		return
	}
	if len(order) == 0 || order[0] != n.ID {
		fail("the first record is not the genesis %s", n.ID)
	}
	checkIndexes(r, txs, order, acc, fail)

	// Spends: every prev of an accepted tx is an output of an accepted
	// parent stored before it, spent by it and by nothing else.
	spentBy := make(map[OutPoint]TxID)
	var burned Amount
	for _, id := range order {
		tx := txs[id]
		if !tx.rec.State.Accepted() {
			continue
		}
		if burned, err = burned.Add(tx.p.Tx.Burn); err != nil {
			fail("burns overflow")
		}
		for _, op := range tx.p.Prev {
			parent, ok := txs[op.TxID]
			switch {
			case !ok:
				fail("accepted %s spends %s of an unstored tx", id, op)
				continue
			case !parent.rec.State.Accepted():
				fail("accepted %s spends %s of a %v tx", id, op, parent.rec.State)
			case parent.rec.Seq >= tx.rec.Seq:
				fail("accepted %s (Seq %d) is stored before its parent %s (Seq %d)", id, tx.rec.Seq, op.TxID, parent.rec.Seq)
			case int(op.Index) >= len(parent.p.Out):
				fail("accepted %s spends %s, which does not exist", id, op)
			}
			if other, dup := spentBy[op]; dup {
				fail("output %s is spent twice: by %s and %s", op, other, id)
			}
			spentBy[op] = id
			if got, err := r.SpentBy(op); err != nil || got != id {
				fail("SpentBy(%s) = %s, %v; want %s", op, got, err, id)
			}
		}
	}

	// Supply: the unspent outputs of accepted txs plus the burns add up to
	// what the genesis minted, and the store's unspent set is exactly them.
	// Output finds every output of an accepted tx, spent or not.
	total := burned
	for _, id := range order {
		tx := txs[id]
		end := OutPoint{TxID: id, Index: uint32(len(tx.p.Out))}
		if got, err := r.Output(end); !errors.Is(err, ErrNotFound) {
			fail("Output(%s) = %v, %v; want ErrNotFound (past the end)", end, got, err)
		}
		for i, out := range tx.p.Out {
			op := OutPoint{TxID: id, Index: uint32(i)}
			got, err := r.Output(op)
			switch {
			case !tx.rec.State.Accepted() && !errors.Is(err, ErrNotFound):
				fail("Output(%s) = %v, %v; want ErrNotFound (%v tx)", op, got, err, tx.rec.State)
			case tx.rec.State.Accepted() && (err != nil || got != out):
				fail("Output(%s) = %v, %v; want %v", op, got, err, out)
			}
			got, err = r.Unspent(op)
			_, spent := spentBy[op]
			if !tx.rec.State.Accepted() || spent {
				if !errors.Is(err, ErrNotFound) {
					fail("Unspent(%s) = %v, %v; want ErrNotFound (%v tx, spent %v)", op, got, err, tx.rec.State, spent)
				}
				continue
			}
			if err != nil || got != out {
				fail("Unspent(%s) = %v, %v; want %v", op, got, err, out)
			}
			if total, err = total.Add(out.Amount); err != nil {
				fail("unspent amounts overflow")
			}
		}
	}
	if total != n.Supply() {
		fail("unspent plus burned is %d, the genesis supply is %d", total, n.Supply())
	}
	checkSpends(r, txs, order, spentBy, fail)
	checkConflicts(r, txs, order, spentBy, fail)
}

// checkSpends compares Children and UnspentOf with the spends the records
// make (spentBy).
func checkSpends(r ReadTx, txs map[TxID]ledgerTx, order []TxID, spentBy map[OutPoint]TxID, fail func(string, ...any)) {
	children := make(map[TxID][]TxID)
	unspent := make(map[PubKey]map[OutPoint]TxOut)
	for _, id := range order {
		tx := txs[id]
		if !tx.rec.State.Accepted() {
			continue
		}
		for _, op := range tx.p.Prev {
			if !slices.Contains(children[op.TxID], id) {
				children[op.TxID] = append(children[op.TxID], id)
			}
		}
		for i, out := range tx.p.Out {
			op := OutPoint{TxID: id, Index: uint32(i)}
			if _, spent := spentBy[op]; spent {
				continue
			}
			if unspent[out.Owner] == nil {
				unspent[out.Owner] = make(map[OutPoint]TxOut)
			}
			unspent[out.Owner][op] = out
		}
	}
	owners := make(map[PubKey]bool)
	for _, id := range order {
		if got, err := r.Children(id); err != nil || !slices.Equal(got, children[id]) {
			fail("Children(%s) = %v, %v; want %v", id, got, err, children[id])
		}
		owner := txs[id].p.From
		if owners[owner] {
			continue
		}
		owners[owner] = true
		got := make(map[OutPoint]TxOut)
		err := r.UnspentOf(owner, func(op OutPoint, out TxOut) bool {
			got[op] = out
			return true
		})
		if err != nil || !maps.Equal(got, unspent[owner]) {
			fail("UnspentOf(%x) lists %d outputs, %v; want %d", owner[:8], len(got), err, len(unspent[owner]))
		}
	}
}

// checkIndexes compares Digest, Range and Lookup with the records.
func checkIndexes(r ReadTx, txs map[TxID]ledgerTx, order []TxID, acc Accumulator, fail func(string, ...any)) {
	if d, err := r.Digest(); err != nil || d != acc.Digest() {
		fail("Digest = %v, %v; the stored IDs give %v", d, err, acc.Digest())
	}
	var ranged []TxID
	err := r.Range(TxID{}, TxID{}, func(id TxID) bool {
		ranged = append(ranged, id)
		return true
	})
	if err != nil {
		fail("Range: %v", err)
	}
	sorted := slices.Clone(order)
	slices.SortFunc(sorted, func(x, y TxID) int { return bytes.Compare(x[:], y[:]) })
	if !slices.Equal(ranged, sorted) {
		fail("Range lists %d IDs, Since %d (or the order differs)", len(ranged), len(sorted))
	}
	for _, id := range order {
		v1 := txs[id].p.V1
		for _, short := range [][20]byte{id.Short(), v1} {
			if got, err := r.Lookup(short); err != nil || got != id {
				fail("Lookup(%x) = %s, %v; want %s", short, got, err, id)
			}
		}
	}
}

// checkConflicts: conflicts are listed on both sides; a conflicted tx has
// one; stored evidence claims (ReadTx.Claims) each prev of a parent stored
// before it, and conflicts with exactly the accepted txs that spent its
// prevs, whether they were stored before it or after.
func checkConflicts(r ReadTx, txs map[TxID]ledgerTx, order []TxID, spentBy map[OutPoint]TxID, fail func(string, ...any)) {
	for _, id := range order {
		rec := txs[id].rec
		if rec.State == StateRejected {
			var winners []TxID
			for _, op := range txs[id].p.Prev {
				if w, ok := spentBy[op]; ok && !slices.Contains(winners, w) {
					winners = append(winners, w)
				}
				if parent, ok := txs[op.TxID]; ok && parent.rec.Seq < rec.Seq {
					if claims, err := r.Claims(op); err != nil || !slices.Contains(claims, id) {
						fail("Claims(%s) = %v, %v; want it to list the evidence %s", op, claims, err, id)
					}
				}
			}
			if !subset(rec.Conflicts, winners) || !subset(winners, rec.Conflicts) {
				fail("evidence %s conflicts with %v, but its prevs were spent by %v", id, rec.Conflicts, winners)
			}
		}
		switch {
		case rec.State == StateConflicted && len(rec.Conflicts) == 0:
			fail("conflicted %s lists no conflict", id)
		case rec.State == StateAccepted && len(rec.Conflicts) > 0:
			fail("accepted %s lists conflicts %v but is not conflicted", id, rec.Conflicts)
		case rec.State == StateRejected && rec.Code == ErrDoubleSpend && len(rec.Conflicts) == 0:
			fail("double spend %s lists no conflict", id)
		}
		for _, other := range rec.Conflicts {
			o, ok := txs[other]
			if !ok {
				fail("%s conflicts with unstored %s", id, other)
				continue
			}
			if !slices.Contains(o.rec.Conflicts, id) {
				fail("%s lists %s as a conflict, but not the other way", id, other)
			}
			if rec.State == StateRejected && !o.rec.State.Accepted() {
				fail("rejected %s conflicts with %v %s", id, o.rec.State, other)
			}
		}
	}
}

// subset reports whether every ID in a is in b.
func subset(a, b []TxID) bool {
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}

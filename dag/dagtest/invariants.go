package dagtest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
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
		checkLedger(r, n, fail)
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

type ledgerTx struct {
	rec *dag.Record
	p   *dag.Parsed
}

func checkLedger(r dag.ReadTx, n *dag.Network, fail func(string, ...any)) {
	txs := make(map[dag.TxID]ledgerTx)
	var order []dag.TxID
	var acc dag.Accumulator
	err := r.Since(0, func(rec *dag.Record) bool {
		if want := uint64(len(order)) + 1; rec.Seq != want {
			fail("record %s has Seq %d, want %d", rec.ID, rec.Seq, want)
		}
		if err := dag.CheckID(rec.Raw, rec.ID); err != nil {
			fail("record %s: %v", rec.ID, err)
			return true
		}
		p, err := dag.Decode(rec.Raw)
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
	spentBy := make(map[dag.OutPoint]dag.TxID)
	var burned dag.Amount
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
		end := dag.OutPoint{TxID: id, Index: uint32(len(tx.p.Out))}
		if got, err := r.Output(end); !errors.Is(err, dag.ErrNotFound) {
			fail("Output(%s) = %v, %v; want ErrNotFound (past the end)", end, got, err)
		}
		for i, out := range tx.p.Out {
			op := dag.OutPoint{TxID: id, Index: uint32(i)}
			got, err := r.Output(op)
			switch {
			case !tx.rec.State.Accepted() && !errors.Is(err, dag.ErrNotFound):
				fail("Output(%s) = %v, %v; want ErrNotFound (%v tx)", op, got, err, tx.rec.State)
			case tx.rec.State.Accepted() && (err != nil || got != out):
				fail("Output(%s) = %v, %v; want %v", op, got, err, out)
			}
			got, err = r.Unspent(op)
			_, spent := spentBy[op]
			if !tx.rec.State.Accepted() || spent {
				if !errors.Is(err, dag.ErrNotFound) {
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
func checkSpends(r dag.ReadTx, txs map[dag.TxID]ledgerTx, order []dag.TxID, spentBy map[dag.OutPoint]dag.TxID, fail func(string, ...any)) {
	children := make(map[dag.TxID][]dag.TxID)
	unspent := make(map[dag.PubKey]map[dag.OutPoint]dag.TxOut)
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
			op := dag.OutPoint{TxID: id, Index: uint32(i)}
			if _, spent := spentBy[op]; spent {
				continue
			}
			if unspent[out.Owner] == nil {
				unspent[out.Owner] = make(map[dag.OutPoint]dag.TxOut)
			}
			unspent[out.Owner][op] = out
		}
	}
	owners := make(map[dag.PubKey]bool)
	for _, id := range order {
		if got, err := r.Children(id); err != nil || !slices.Equal(got, children[id]) {
			fail("Children(%s) = %v, %v; want %v", id, got, err, children[id])
		}
		owner := txs[id].p.From
		if owners[owner] {
			continue
		}
		owners[owner] = true
		got := make(map[dag.OutPoint]dag.TxOut)
		err := r.UnspentOf(owner, func(op dag.OutPoint, out dag.TxOut) bool {
			got[op] = out
			return true
		})
		if err != nil || !maps.Equal(got, unspent[owner]) {
			fail("UnspentOf(%x) lists %d outputs, %v; want %d", owner[:8], len(got), err, len(unspent[owner]))
		}
	}
}

// checkIndexes compares Digest, Range and Lookup with the records.
func checkIndexes(r dag.ReadTx, txs map[dag.TxID]ledgerTx, order []dag.TxID, acc dag.Accumulator, fail func(string, ...any)) {
	if d, err := r.Digest(); err != nil || d != acc.Digest() {
		fail("Digest = %v, %v; the stored IDs give %v", d, err, acc.Digest())
	}
	var ranged []dag.TxID
	err := r.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool {
		ranged = append(ranged, id)
		return true
	})
	if err != nil {
		fail("Range: %v", err)
	}
	sorted := sortedIDs(order)
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
func checkConflicts(r dag.ReadTx, txs map[dag.TxID]ledgerTx, order []dag.TxID, spentBy map[dag.OutPoint]dag.TxID, fail func(string, ...any)) {
	for _, id := range order {
		rec := txs[id].rec
		if rec.State == dag.StateRejected {
			var winners []dag.TxID
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
		case rec.State == dag.StateConflicted && len(rec.Conflicts) == 0:
			fail("conflicted %s lists no conflict", id)
		case rec.State == dag.StateAccepted && len(rec.Conflicts) > 0:
			fail("accepted %s lists conflicts %v but is not conflicted", id, rec.Conflicts)
		case rec.State == dag.StateRejected && rec.Code == dag.ErrDoubleSpend && len(rec.Conflicts) == 0:
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
			if rec.State == dag.StateRejected && !o.rec.State.Accepted() {
				fail("rejected %s conflicts with %v %s", id, o.rec.State, other)
			}
		}
	}
}

// subset reports whether every ID in a is in b.
func subset(a, b []dag.TxID) bool {
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}

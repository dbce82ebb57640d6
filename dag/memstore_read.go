package dag

import (
	"bytes"
	"slices"
	"sort"
)

// memReadTx reads a MemStore under its lock.
type memReadTx struct{ s *MemStore }

func copyRecord(r *Record) *Record {
	c := *r
	c.Raw = bytes.Clone(r.Raw)
	c.Conflicts = slices.Clone(r.Conflicts)
	return &c
}

func (r memReadTx) Get(id TxID) (*Record, error) {
	rec, ok := r.s.recs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return copyRecord(rec), nil
}

func (r memReadTx) State(id TxID) (State, error) {
	if rec, ok := r.s.recs[id]; ok {
		return rec.State, nil
	}
	return StateUnknown, nil
}

func (r memReadTx) Lookup(short [20]byte) (TxID, error) {
	if id, ok := r.s.alias[short]; ok {
		return id, nil
	}
	return TxID{}, ErrNotFound
}

func (r memReadTx) Unspent(op OutPoint) (TxOut, error) {
	if out, ok := r.s.utxo[op]; ok {
		return out, nil
	}
	return TxOut{}, ErrNotFound
}

func (r memReadTx) Output(op OutPoint) (TxOut, error) {
	outs := r.s.outs[op.TxID]
	if int64(op.Index) >= int64(len(outs)) {
		return TxOut{}, ErrNotFound
	}
	return outs[op.Index], nil
}

func (r memReadTx) SpentBy(op OutPoint) (TxID, error) {
	if id, ok := r.s.spent[op]; ok {
		return id, nil
	}
	return TxID{}, ErrNotFound
}

func (r memReadTx) Claims(op OutPoint) ([]TxID, error) {
	return slices.Clone(r.s.claims[op]), nil
}

func (r memReadTx) Children(id TxID) ([]TxID, error) {
	return slices.Clone(r.s.children[id]), nil
}

// UnspentOf calls fn in ascending OutPoint order.
func (r memReadTx) UnspentOf(owner PubKey, fn func(OutPoint, TxOut) bool) error {
	set := r.s.owned[owner]
	ops := make([]OutPoint, 0, len(set))
	for op := range set {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, compareOutPoints)
	for _, op := range ops {
		if !fn(op, r.s.utxo[op]) {
			break
		}
	}
	return nil
}

// HistoryOf treats limit <= 0 as no limit.
func (r memReadTx) HistoryOf(owner PubKey, beforeSeq uint64, limit int) ([]TxID, error) {
	h := r.s.history[owner]
	end := len(h)
	if beforeSeq > 0 {
		end = sort.Search(len(h), func(i int) bool { return h[i].seq >= beforeSeq })
	}
	var out []TxID
	for i := end - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, h[i].id)
	}
	return out, nil
}

func (r memReadTx) Since(seq uint64, fn func(*Record) bool) error {
	for i := seq; i < uint64(len(r.s.bySeq)); i++ {
		if !fn(copyRecord(r.s.recs[r.s.bySeq[i]])) {
			break
		}
	}
	return nil
}

func (r memReadTx) Range(from, to TxID, fn func(TxID) bool) error {
	ids := r.s.sortedIDs()
	i, _ := slices.BinarySearchFunc(ids, from, compareIDs)
	for ; i < len(ids); i++ {
		if !to.IsZero() && compareIDs(ids[i], to) >= 0 {
			break
		}
		if !fn(ids[i]) {
			break
		}
	}
	return nil
}

func (r memReadTx) Digest() (Digest, error) { return r.s.acc.Digest(), nil }

func (r memReadTx) Contested(fn func(*Record) bool) error {
	for _, id := range r.s.bySeq {
		if rec := r.s.recs[id]; len(rec.Conflicts) > 0 && !fn(copyRecord(rec)) {
			break
		}
	}
	return nil
}

func (r memReadTx) Certificate(id TxID) ([]byte, error) {
	c, ok := r.s.certs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(c), nil
}

package dag

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// memWriteTx is a memReadTx that writes in place and logs how to undo.
type memWriteTx struct {
	memReadTx
	undo []func()
	done bool
}

var errTxDone = fmt.Errorf("dag: write to a MemStore transaction after its Update returned: %w", ErrClosed)

func (w *memWriteTx) Put(p *Parsed, rec *Record) error {
	if w.done {
		return errTxDone
	}
	s := w.s
	switch {
	case rec.ID != p.ID:
		return fmt.Errorf("put %s: record is for %s", p.ID, rec.ID)
	case s.recs[p.ID] != nil:
		return fmt.Errorf("put %s: already stored", p.ID)
	case !rec.State.Accepted() && rec.State != StateRejected:
		return fmt.Errorf("put %s: cannot store state %v", p.ID, rec.State)
	}
	accepted := rec.State.Accepted()
	var claimed []OutPoint // the outputs evidence p names, of stored parents
	if accepted {
		if err := s.checkSpendable(p); err != nil {
			return fmt.Errorf("put %s: %w", p.ID, err)
		}
	} else {
		claimed = s.claimable(p)
	}

	stored := copyRecord(rec)
	if stored.Raw == nil {
		stored.Raw = bytes.Clone(p.Raw)
	}
	stored.Seq = uint64(len(s.bySeq)) + 1
	rec.Seq = stored.Seq
	s.recs[p.ID] = stored
	s.alias[p.V1] = p.ID
	s.alias[p.ID.Short()] = p.ID
	s.bySeq = append(s.bySeq, p.ID)
	s.fresh = append(s.fresh, p.ID)
	s.acc.AddRecord(p.ID, accepted)

	owners := make([]PubKey, 0, 1+len(p.Out))
	if !p.IsGenesis() {
		owners = append(owners, p.From)
	}
	for _, out := range p.Out {
		if !slices.Contains(owners, out.Owner) {
			owners = append(owners, out.Owner)
		}
	}
	for _, o := range owners {
		s.history[o] = append(s.history[o], seqID{seq: stored.Seq, id: p.ID})
	}
	var undoSide func()
	if accepted {
		undoSide = s.spend(p)
	} else {
		undoSide = s.claim(claimed, p.ID)
	}

	w.undo = append(w.undo, func() {
		undoSide()
		for _, o := range owners {
			h := s.history[o]
			s.history[o] = h[:len(h)-1]
		}
		s.acc.RemoveRecord(p.ID, accepted)
		s.unindexID(p.ID)
		s.bySeq = s.bySeq[:len(s.bySeq)-1]
		delete(s.alias, p.ID.Short())
		delete(s.alias, p.V1)
		delete(s.recs, p.ID)
	})
	return nil
}

// spend applies p as an accepted transaction: it spends p.Prev, adds p.Out
// as unspent and makes p a child of its parents. It returns what undoes
// that. It must be called with s.mu held for writing.
func (s *MemStore) spend(p *Parsed) (undo func()) {
	spentOuts := make([]TxOut, len(p.Prev))
	var parents []TxID
	for i, op := range p.Prev {
		spentOuts[i] = s.utxo[op]
		s.unspend(op)
		s.spent[op] = p.ID
		if !slices.Contains(parents, op.TxID) {
			parents = append(parents, op.TxID)
			s.children[op.TxID] = s.insertBySeq(s.children[op.TxID], p.ID)
		}
	}
	s.outs[p.ID] = slices.Clone(p.Out)
	for i, out := range p.Out {
		s.addUnspent(OutPoint{TxID: p.ID, Index: uint32(i)}, out)
	}
	return func() {
		for i := range p.Out {
			s.unspend(OutPoint{TxID: p.ID, Index: uint32(i)})
		}
		delete(s.outs, p.ID)
		for _, parent := range parents {
			s.children[parent] = slices.DeleteFunc(s.children[parent], func(c TxID) bool { return c == p.ID })
			if len(s.children[parent]) == 0 {
				delete(s.children, parent)
			}
		}
		for i, op := range p.Prev {
			delete(s.spent, op)
			if spentOuts[i].Amount != 0 { // zero: it was not unspent (outputs are never zero)
				s.addUnspent(op, spentOuts[i])
			}
		}
	}
}

// claim lists id, rejected, as a claim on each of ops, in Seq order. It
// returns what undoes that. It must be called with s.mu held for writing.
func (s *MemStore) claim(ops []OutPoint, id TxID) (undo func()) {
	for _, op := range ops {
		s.claims[op] = s.insertBySeq(s.claims[op], id)
	}
	return func() {
		for _, op := range ops {
			s.claims[op] = slices.DeleteFunc(s.claims[op], func(x TxID) bool { return x == id })
			if len(s.claims[op]) == 0 {
				delete(s.claims, op)
			}
		}
	}
}

// insertBySeq inserts the stored id into ids, which is in Seq order.
func (s *MemStore) insertBySeq(ids []TxID, id TxID) []TxID {
	seq := s.recs[id].Seq
	i, _ := slices.BinarySearchFunc(ids, seq, func(x TxID, seq uint64) int { return cmp.Compare(s.recs[x].Seq, seq) })
	return slices.Insert(ids, i, id)
}

// claimable returns the distinct prevs of p whose parent is stored: the
// outputs p claims while it is rejected.
func (s *MemStore) claimable(p *Parsed) []OutPoint {
	var ops []OutPoint
	for _, op := range p.Prev {
		if s.recs[op.TxID] != nil && !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	return ops
}

func (s *MemStore) addUnspent(op OutPoint, out TxOut) {
	s.utxo[op] = out
	set := s.owned[out.Owner]
	if set == nil {
		set = make(map[OutPoint]struct{})
		s.owned[out.Owner] = set
	}
	set[op] = struct{}{}
}

// unspend removes op from the unspent outputs, if it is there.
func (s *MemStore) unspend(op OutPoint) {
	out, ok := s.utxo[op]
	if !ok {
		return
	}
	delete(s.utxo, op)
	set := s.owned[out.Owner]
	delete(set, op)
	if len(set) == 0 {
		delete(s.owned, out.Owner)
	}
}

// checkSpendable checks that no accepted transaction spends a prev of p.
func (s *MemStore) checkSpendable(p *Parsed) error {
	for _, op := range p.Prev {
		if by, ok := s.spent[op]; ok {
			return fmt.Errorf("output %s is already spent by %s", op, by)
		}
	}
	return nil
}

func (w *memWriteTx) SetState(p *Parsed, st State, code ErrorCode) error {
	if w.done {
		return errTxDone
	}
	s := w.s
	rec := s.recs[p.ID]
	switch {
	case rec == nil:
		return fmt.Errorf("set state of %s: %w", p.ID, ErrNotFound)
	case rec.State == StateFinal:
		return fmt.Errorf("set state of %s: it is final", p.ID)
	case !st.Accepted() && st != StateRejected:
		return fmt.Errorf("set state of %s: cannot store state %v", p.ID, st)
	}
	if st != StateRejected {
		code = 0
	}
	was, wasCode := rec.State, rec.Code
	var undoSide func()
	switch {
	case was.Accepted() && st == StateRejected:
		for i := range p.Out {
			if by, ok := s.spent[OutPoint{TxID: p.ID, Index: uint32(i)}]; ok {
				return fmt.Errorf("set state of %s: output %d is spent by %s", p.ID, i, by)
			}
		}
		undoSpend := s.unspendTx(p)
		undoClaim := s.claim(s.claimable(p), p.ID)
		undoSide = func() { undoClaim(); undoSpend() }
	case was == StateRejected && st.Accepted():
		for _, op := range p.Prev {
			if _, ok := s.utxo[op]; !ok {
				return fmt.Errorf("set state of %s: prev %s is not an unspent output", p.ID, op)
			}
		}
		undoClaim := s.unclaim(p.ID)
		undoSpend := s.spend(p)
		undoSide = func() { undoSpend(); undoClaim() }
	default:
		undoSide = func() {}
	}
	if was.Accepted() != st.Accepted() {
		s.acc.RemoveRecord(p.ID, was.Accepted())
		s.acc.AddRecord(p.ID, st.Accepted())
	}
	rec.State, rec.Code = st, code
	w.undo = append(w.undo, func() {
		rec.State, rec.Code = was, wasCode
		if was.Accepted() != st.Accepted() {
			s.acc.RemoveRecord(p.ID, st.Accepted())
			s.acc.AddRecord(p.ID, was.Accepted())
		}
		undoSide()
	})
	return nil
}

// unspendTx undoes spend(p) for a stored accepted p whose outputs are
// unspent, and returns what redoes it.
func (s *MemStore) unspendTx(p *Parsed) (redo func()) {
	for i := range p.Out {
		s.unspend(OutPoint{TxID: p.ID, Index: uint32(i)})
	}
	delete(s.outs, p.ID)
	var parents []TxID
	for _, op := range p.Prev {
		delete(s.spent, op)
		if out, ok := s.outputOf(op); ok {
			s.addUnspent(op, out)
		}
		if !slices.Contains(parents, op.TxID) {
			parents = append(parents, op.TxID)
			s.children[op.TxID] = slices.DeleteFunc(s.children[op.TxID], func(c TxID) bool { return c == p.ID })
			if len(s.children[op.TxID]) == 0 {
				delete(s.children, op.TxID)
			}
		}
	}
	return func() { s.spend(p) }
}

// outputOf returns output op of an accepted transaction.
func (s *MemStore) outputOf(op OutPoint) (TxOut, bool) {
	outs := s.outs[op.TxID]
	if int64(op.Index) >= int64(len(outs)) {
		return TxOut{}, false
	}
	return outs[op.Index], true
}

// unclaim removes id from every claims list it is on, and returns what
// puts it back.
func (s *MemStore) unclaim(id TxID) (undo func()) {
	var ops []OutPoint
	for op, c := range s.claims {
		if slices.Contains(c, id) {
			ops = append(ops, op)
		}
	}
	for _, op := range ops {
		s.claims[op] = slices.DeleteFunc(s.claims[op], func(x TxID) bool { return x == id })
		if len(s.claims[op]) == 0 {
			delete(s.claims, op)
		}
	}
	return func() { s.claim(ops, id) }
}

func (w *memWriteTx) PutCertificate(id TxID, cert []byte) error {
	if w.done {
		return errTxDone
	}
	s := w.s
	if s.recs[id] == nil {
		return fmt.Errorf("put certificate of %s: %w", id, ErrNotFound)
	}
	old, had := s.certs[id]
	s.certs[id] = bytes.Clone(cert)
	w.undo = append(w.undo, func() {
		if had {
			s.certs[id] = old
		} else {
			delete(s.certs, id)
		}
	})
	return nil
}

func (w *memWriteTx) AddConflict(a, b TxID) error {
	if w.done {
		return errTxDone
	}
	ra, rb := w.s.recs[a], w.s.recs[b]
	switch {
	case ra == nil || rb == nil:
		return fmt.Errorf("add conflict %s %s: %w", a, b, ErrNotFound)
	case a == b:
		return fmt.Errorf("add conflict %s: a transaction cannot conflict with itself", a)
	}
	undoA, undoB := addConflict(ra, b), addConflict(rb, a)
	w.undo = append(w.undo, func() { undoB(); undoA() })
	return nil
}

// addConflict lists other in r.Conflicts once and marks an accepted r
// conflicted. It returns what undoes that.
func addConflict(r *Record, other TxID) (undo func()) {
	n, st := len(r.Conflicts), r.State
	if !slices.Contains(r.Conflicts, other) {
		r.Conflicts = append(r.Conflicts, other)
	}
	if r.State == StateAccepted {
		r.State = StateConflicted
	}
	return func() { r.Conflicts, r.State = r.Conflicts[:n], st }
}

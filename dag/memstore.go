package dag

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// MemStore is a Store held in memory: maps for the records and every index.
// It is what tests use, and what offline proof verification runs a Graph
// over; nothing survives the process, so "durable" means "committed".
//
// Views share a read lock; Update holds the write lock and keeps an undo
// log, so when fn returns an error (or panics) every write is rolled back
// before any reader can see it.
type MemStore struct {
	mu     sync.RWMutex
	closed bool

	recs     map[TxID]*Record                 // id -> record
	alias    map[[20]byte]TxID                // v1 infohash and TxID.Short -> id
	bySeq    []TxID                           // Seq-1 -> id
	outs     map[TxID][]TxOut                 // id -> outputs of an accepted tx, spent or not
	utxo     map[OutPoint]TxOut               // unspent outputs of accepted txs
	spent    map[OutPoint]TxID                // output -> the accepted tx that spent it
	claims   map[OutPoint][]TxID              // output -> evidence naming it, in Seq order
	children map[TxID][]TxID                  // id -> accepted txs spending its outputs, in Seq order
	owned    map[PubKey]map[OutPoint]struct{} // owner -> its unspent outputs
	history  map[PubKey][]seqID               // owner -> txs paying or signed by it, in Seq order
	certs    map[TxID][]byte                  // id -> finality certificate
	acc      Accumulator                      // the ledger: every stored ID, by state (AddRecord)

	// The ID-ordered index for Range is sorted lazily: Put appends to
	// fresh, and the first Range after it merges fresh into sorted.
	// idxMu guards both, since concurrent Views may merge.
	idxMu  sync.Mutex
	sorted []TxID
	fresh  []TxID
}

type seqID struct {
	seq uint64
	id  TxID
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		recs:     make(map[TxID]*Record),
		alias:    make(map[[20]byte]TxID),
		outs:     make(map[TxID][]TxOut),
		utxo:     make(map[OutPoint]TxOut),
		spent:    make(map[OutPoint]TxID),
		claims:   make(map[OutPoint][]TxID),
		children: make(map[TxID][]TxID),
		owned:    make(map[PubKey]map[OutPoint]struct{}),
		history:  make(map[PubKey][]seqID),
		certs:    make(map[TxID][]byte),
	}
}

// View runs fn with the read lock held. fn must not call Update.
func (s *MemStore) View(fn func(ReadTx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return fn(memReadTx{s})
}

// Update runs fn with the write lock held. If fn returns an error or
// panics, its writes are undone in reverse order.
func (s *MemStore) Update(fn func(WriteTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	w := &memWriteTx{memReadTx: memReadTx{s}}
	defer func() {
		w.done = true
		if w.undo != nil { // still set: fn failed or panicked
			for i := len(w.undo) - 1; i >= 0; i-- {
				w.undo[i]()
			}
		}
	}()
	if err := fn(w); err != nil {
		return err
	}
	w.undo = nil
	return nil
}

// Close makes every later View and Update return ErrClosed.
func (s *MemStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// sortedIDs returns every stored ID in ascending byte order. It must be
// called with s.mu held (read or write).
func (s *MemStore) sortedIDs() []TxID {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if len(s.fresh) == 0 {
		return s.sorted
	}
	slices.SortFunc(s.fresh, compareIDs)
	merged := make([]TxID, 0, len(s.sorted)+len(s.fresh))
	i, j := 0, 0
	for i < len(s.sorted) && j < len(s.fresh) {
		if compareIDs(s.sorted[i], s.fresh[j]) < 0 {
			merged = append(merged, s.sorted[i])
			i++
		} else {
			merged = append(merged, s.fresh[j])
			j++
		}
	}
	merged = append(merged, s.sorted[i:]...)
	merged = append(merged, s.fresh[j:]...)
	s.sorted, s.fresh = merged, s.fresh[:0]
	return s.sorted
}

// unindexID removes id, the most recently stored ID, from the Range index.
// It must be called with s.mu held for writing.
func (s *MemStore) unindexID(id TxID) {
	if n := len(s.fresh); n > 0 && s.fresh[n-1] == id {
		s.fresh = s.fresh[:n-1]
		return
	}
	if i, ok := slices.BinarySearchFunc(s.sorted, id, compareIDs); ok {
		s.sorted = slices.Delete(s.sorted, i, i+1)
	}
}

func compareIDs(a, b TxID) int { return bytes.Compare(a[:], b[:]) }

func compareOutPoints(a, b OutPoint) int {
	if c := compareIDs(a.TxID, b.TxID); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

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

package dag

import (
	"bytes"
	"cmp"
	"slices"
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

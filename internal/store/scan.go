package store

import (
	"bytes"
	"container/heap"
	"fmt"
	"math"

	"github.com/torrenttx/ttx/dag"
)

// Since implements dag.ReadTx.
func (r *readTx) Since(seq uint64, fn func(*dag.Record) bool) error {
	if seq == math.MaxUint64 {
		return nil
	}
	c := r.txs.Cursor()
	for k, v := c.Seek(seqKey(seq + 1)); k != nil; k, v = c.Next() {
		s, err := decodeSeq(k)
		if err != nil {
			return err
		}
		rec, err := parseRecord(v)
		if err != nil {
			return err
		}
		full, err := r.fullRecord(s, &rec)
		if err != nil {
			return err
		}
		if !fn(full) {
			return nil
		}
	}
	return nil
}

// Range implements dag.ReadTx. It merges the epochs of the ids index,
// each in byte order, with a heap of one cursor per epoch.
func (r *readTx) Range(from, to dag.TxID, fn func(dag.TxID) bool) error {
	cur, err := r.epoch()
	if err != nil {
		return err
	}
	h := make(idCursors, 0, cur+1)
	for e := range cur + 1 {
		ic := &idCursor{c: r.ids.Cursor(), prefix: epochKey(e)}
		k, _ := ic.c.Seek(idKey(e, &from))
		if err := ic.set(k); err != nil {
			return err
		}
		if ic.ok {
			h = append(h, ic)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		ic := h[0]
		if !to.IsZero() && bytes.Compare(ic.id[:], to[:]) >= 0 {
			return nil
		}
		if !fn(ic.id) {
			return nil
		}
		k, _ := ic.c.Next()
		if err := ic.set(k); err != nil {
			return err
		}
		if ic.ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// idCursor walks one epoch of the ids index.
type idCursor struct {
	c      *cursor
	prefix []byte
	id     dag.TxID
	ok     bool // id is valid: the cursor is inside its epoch
}

func (ic *idCursor) set(k []byte) error {
	ic.ok = k != nil && bytes.HasPrefix(k, ic.prefix)
	if !ic.ok {
		return nil
	}
	id, err := decodeIDKey(k)
	ic.id = id
	return err
}

// idCursors is a min-heap of cursors by their current ID.
type idCursors []*idCursor

func (h idCursors) Len() int           { return len(h) }
func (h idCursors) Less(i, j int) bool { return bytes.Compare(h[i].id[:], h[j].id[:]) < 0 }
func (h idCursors) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *idCursors) Push(x any)        { *h = append(*h, x.(*idCursor)) }
func (h *idCursors) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Digest implements dag.ReadTx.
func (r *readTx) Digest() (dag.Digest, error) {
	m, err := r.loadMeta()
	if err != nil {
		return dag.Digest{}, err
	}
	acc := m.acc()
	return acc.Digest(), nil
}

// Contested implements dag.ReadTx. The conflicts index is keyed by seq
// first, so walking it gives the records in Seq order.
func (r *readTx) Contested(fn func(*dag.Record) bool) error {
	c := r.conflicts.Cursor()
	var last uint64
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 2*seqSize {
			return corruptf("conflicts key of %d bytes", len(k))
		}
		seq, err := decodeSeq(k[:seqSize])
		if err != nil {
			return err
		}
		if seq == last {
			continue
		}
		last = seq
		rec, err := r.recordAt(seq)
		if err != nil {
			return err
		}
		full, err := r.fullRecord(seq, &rec)
		if err != nil {
			return err
		}
		if !fn(full) {
			return nil
		}
	}
	return nil
}

// Certificate implements dag.ReadTx.
func (r *readTx) Certificate(id dag.TxID) ([]byte, error) {
	seq, err := r.seqOf(id)
	if err != nil {
		return nil, fmt.Errorf("read certificate of %s: %w", id, err)
	}
	if seq == 0 {
		return nil, dag.ErrNotFound
	}
	v := r.certs.Get(seqKey(seq))
	if v == nil {
		return nil, dag.ErrNotFound
	}
	return bytes.Clone(v), nil
}

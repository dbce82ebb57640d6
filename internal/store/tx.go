package store

import (
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// readTx implements dag.ReadTx on a bbolt transaction; it is valid only
// inside the View or Update that made it.
type readTx struct {
	meta, txs, ids, v1, spent, claims, conflicts  *bucket
	accounts, keys, history, utxo, filters, certs *bucket
	m                                             *meta  // loaded on first use
	st                                            *Store // its epoch bits and filters
	// seqs caches seqOf (0: not stored), recs recordAt and pks pubKey in
	// a write transaction, where Graph asks for the same parents and
	// owners several times; nil in a View.
	seqs map[dag.TxID]uint64
	recs map[uint64]record
	pks  map[uint32]dag.PubKey
}

// newReadTx wraps tx; a write transaction passes the tallies its
// counted buckets change (see sum.go), a read one nil.
func (s *Store) newReadTx(tx *bolt.Tx, t *[numCounted]tally) *readTx {
	b := func(name []byte) *bucket {
		var bt *tally
		if i := countedIndex(name); t != nil && i >= 0 {
			bt = &t[i]
		}
		return newBucket(tx, name, bt)
	}
	return &readTx{
		st:        s,
		meta:      b(bucketMeta),
		txs:       b(bucketTxs),
		ids:       b(bucketIDs),
		v1:        b(bucketV1),
		spent:     b(bucketSpent),
		claims:    b(bucketClaims),
		conflicts: b(bucketConflicts),
		accounts:  b(bucketAccounts),
		keys:      b(bucketKeys),
		history:   b(bucketHistory),
		utxo:      b(bucketUTXO),
		filters:   b(bucketFilters),
		certs:     b(bucketCerts),
	}
}

func (r *readTx) loadMeta() (*meta, error) {
	if r.m == nil {
		m, err := decodeMeta(r.meta.Get(metaStateKey))
		if err != nil {
			return nil, err
		}
		r.m = m
	}
	return r.m, nil
}

// epoch returns the newest epoch of the snapshot.
func (r *readTx) epoch() (uint32, error) {
	m, err := r.loadMeta()
	if err != nil {
		return 0, err
	}
	return epochOf(m.LastSeq, r.st.bits), nil
}

// seqOf returns the seq of id, or 0 if it is not stored. It looks in the
// epochs newest first (parents are mostly recent), and only in those
// whose filter may hold id.
func (r *readTx) seqOf(id dag.TxID) (uint64, error) {
	if seq, ok := r.seqs[id]; ok {
		return seq, nil
	}
	cur, err := r.epoch()
	if err != nil {
		return 0, err
	}
	var seq uint64
	h := idHashes(&id)
	for e := int64(cur); e >= 0 && seq == 0; e-- {
		if !r.st.idFilters.get(uint32(e)).mayHold(h) {
			continue
		}
		if v := r.ids.Get(idKey(uint32(e), &id)); v != nil {
			if seq, err = decodeSeq(v); err != nil {
				return 0, err
			}
		}
	}
	if r.seqs != nil {
		r.seqs[id] = seq
	}
	return seq, nil
}

// recordAt returns the record with seq. Its body is valid until the
// transaction ends.
func (r *readTx) recordAt(seq uint64) (record, error) {
	if rec, ok := r.recs[seq]; ok {
		return rec, nil
	}
	v := r.txs.Get(seqKey(seq))
	if v == nil {
		return record{}, corruptf("no tx record %d", seq)
	}
	rec, err := parseRecord(v)
	if err == nil && r.recs != nil {
		r.recs[seq] = rec
	}
	return rec, err
}

// lookup returns the seq and record of id; seq is 0 if it is not stored.
func (r *readTx) lookup(id dag.TxID) (uint64, record, error) {
	seq, err := r.seqOf(id)
	if err != nil || seq == 0 {
		return 0, record{}, err
	}
	rec, err := r.recordAt(seq)
	return seq, rec, err
}

// idAt returns the ID of the record with seq.
func (r *readTx) idAt(seq uint64) (dag.TxID, error) {
	rec, err := r.recordAt(seq)
	return rec.id, err
}

// account returns the account number of pk, or 0 if it has none.
func (r *readTx) account(pk dag.PubKey) (uint32, error) {
	v := r.accounts.Get(pk[:])
	if v == nil {
		return 0, nil
	}
	return decodeAcct(v)
}

// pubKey returns the public key with account number acct.
func (r *readTx) pubKey(acct uint32) (dag.PubKey, error) {
	if pk, ok := r.pks[acct]; ok {
		return pk, nil
	}
	var pk dag.PubKey
	v := r.keys.Get(acctValue(acct))
	if len(v) != len(pk) {
		return pk, corruptf("account %d has a key of %d bytes", acct, len(v))
	}
	copy(pk[:], v)
	if r.pks != nil {
		r.pks[acct] = pk
	}
	return pk, nil
}

// output returns output i of rec with its owner's account number (0 if it
// has none yet), or ok false if rec has no output i.
func (r *readTx) output(rec *record, i uint32) (out dag.TxOut, acct uint32, ok bool, err error) {
	out, acct, ok, err = rec.out(i)
	if err != nil || !ok {
		return out, 0, ok, err
	}
	if acct != 0 {
		out.Owner, err = r.pubKey(acct)
	} else {
		acct, err = r.account(out.Owner)
	}
	return out, acct, err == nil, err
}

// fullRecord decodes rec (with seq) into a dag.Record.
func (r *readTx) fullRecord(seq uint64, rec *record) (*dag.Record, error) {
	raw, err := rec.raw(r)
	if err != nil {
		return nil, err
	}
	out := &dag.Record{ID: rec.id, Raw: raw, State: rec.state, Code: rec.code, FirstSeen: rec.firstSeen, Seq: seq}
	prefix := seqKey(seq)
	c := r.conflicts.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		other, err := decodeTail(k, seqSize)
		if err != nil {
			return nil, err
		}
		id, err := r.idAt(other)
		if err != nil {
			return nil, err
		}
		out.Conflicts = append(out.Conflicts, id)
	}
	return out, nil
}

// Get implements dag.ReadTx.
func (r *readTx) Get(id dag.TxID) (*dag.Record, error) {
	seq, rec, err := r.lookup(id)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	if seq == 0 {
		return nil, dag.ErrNotFound
	}
	out, err := r.fullRecord(seq, &rec)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return out, nil
}

// State implements dag.ReadTx.
func (r *readTx) State(id dag.TxID) (dag.State, error) {
	seq, rec, err := r.lookup(id)
	if err != nil {
		return dag.StateUnknown, fmt.Errorf("read state of %s: %w", id, err)
	}
	if seq == 0 {
		return dag.StateUnknown, nil
	}
	return rec.state, nil
}

// Lookup implements dag.ReadTx.
func (r *readTx) Lookup(short [20]byte) (dag.TxID, error) {
	id, err := r.lookupShort(short)
	if err != nil && !errors.Is(err, dag.ErrNotFound) {
		return id, fmt.Errorf("look up %x: %w", short, err)
	}
	return id, err
}

// lookupShort looks short up as a truncated v2 infohash (a prefix of an
// ids key) and as a v1 infohash, in each epoch, newest first.
func (r *readTx) lookupShort(short [20]byte) (dag.TxID, error) {
	cur, err := r.epoch()
	if err != nil {
		return dag.TxID{}, err
	}
	c := r.ids.Cursor()
	for e := int64(cur); e >= 0; e-- {
		prefix := v1Key(uint32(e), short) // epoch | first 20 bytes of an ID
		if k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			return decodeIDKey(k)
		}
	}
	for e := int64(cur); e >= 0; e-- {
		if v := r.v1.Get(v1Key(uint32(e), short)); v != nil {
			seq, err := decodeSeq(v)
			if err != nil {
				return dag.TxID{}, err
			}
			return r.idAt(seq)
		}
	}
	return dag.TxID{}, dag.ErrNotFound
}

// Unspent implements dag.ReadTx.
func (r *readTx) Unspent(op dag.OutPoint) (dag.TxOut, error) {
	return r.acceptedOutput(op, true)
}

// Output implements dag.ReadTx. Of a compact record it reads only the
// output's owner account and amount (and the account's key): it neither
// rebuilds the tx.json nor checks that it hashes to the ID, as Unspent
// does not. A raw record (the genesis) is decoded.
func (r *readTx) Output(op dag.OutPoint) (dag.TxOut, error) {
	return r.acceptedOutput(op, false)
}

// acceptedOutput returns output op of an accepted transaction, or
// ErrNotFound; with unspent, also ErrNotFound if op is spent.
func (r *readTx) acceptedOutput(op dag.OutPoint, unspent bool) (dag.TxOut, error) {
	seq, rec, err := r.lookup(op.TxID)
	if err != nil {
		return dag.TxOut{}, fmt.Errorf("read output %s: %w", op, err)
	}
	if seq == 0 || !rec.state.Accepted() || op.Index > math.MaxUint16 {
		return dag.TxOut{}, dag.ErrNotFound
	}
	out, acct, ok, err := r.output(&rec, op.Index)
	if err == nil && ok && unspent {
		ok, err = r.unspent(acct, seq, uint16(op.Index))
	}
	if err != nil {
		return dag.TxOut{}, fmt.Errorf("read output %s: %w", op, err)
	}
	if !ok {
		return dag.TxOut{}, dag.ErrNotFound
	}
	return out, nil
}

// unspent reports whether output idx of the accepted tx with seq, owned
// by acct, is unspent: it has a utxo entry and no spender in an epoch
// whose spends are not all swept from utxo yet.
func (r *readTx) unspent(acct uint32, seq uint64, idx uint16) (bool, error) {
	if r.utxo.Get(utxoKey(acct, seq, idx)) == nil {
		return false, nil
	}
	m, err := r.loadMeta()
	if err != nil {
		return false, err
	}
	child, err := r.spender(m.Swept, seq, idx)
	return child == 0, err
}

// spender returns the seq of the accepted tx that spent output idx of the
// tx with seq parent, or 0. It looks in the spent index's epochs from
// first (or the parent's, if later: a child comes after its parent) to the
// newest, and skips those whose filter cannot hold it.
func (r *readTx) spender(first uint32, parent uint64, idx uint16) (uint64, error) {
	cur, err := r.epoch()
	if err != nil {
		return 0, err
	}
	h := outHashes(parent, idx)
	for e := max(first, epochOf(parent, r.st.bits)); e <= cur; e++ {
		if !r.st.spentFilters.get(e).mayHold(h) {
			continue
		}
		if v := r.spent.Get(spentKey(e, parent, idx)); v != nil {
			child, _, err := decodeSpent(v)
			return child, err
		}
	}
	return 0, nil
}

// SpentBy implements dag.ReadTx.
func (r *readTx) SpentBy(op dag.OutPoint) (dag.TxID, error) {
	seq, err := r.seqOf(op.TxID)
	if err != nil {
		return dag.TxID{}, fmt.Errorf("read spender of %s: %w", op, err)
	}
	if seq == 0 || op.Index > math.MaxUint16 {
		return dag.TxID{}, dag.ErrNotFound
	}
	child, err := r.spender(0, seq, uint16(op.Index))
	if err != nil {
		return dag.TxID{}, fmt.Errorf("read spender of %s: %w", op, err)
	}
	if child == 0 {
		return dag.TxID{}, dag.ErrNotFound
	}
	id, err := r.idAt(child)
	if err != nil {
		return id, fmt.Errorf("read spender of %s: %w", op, err)
	}
	return id, nil
}

// Claims implements dag.ReadTx.
func (r *readTx) Claims(op dag.OutPoint) ([]dag.TxID, error) {
	seq, err := r.seqOf(op.TxID)
	if err != nil {
		return nil, fmt.Errorf("read claims on %s: %w", op, err)
	}
	if seq == 0 || op.Index > math.MaxUint16 {
		return nil, nil
	}
	var out []dag.TxID
	prefix := outKey(seq, uint16(op.Index))
	c := r.claims.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		evidence, err := decodeTail(k, len(prefix))
		if err == nil {
			var id dag.TxID
			if id, err = r.idAt(evidence); err == nil {
				out = append(out, id)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("read claims on %s: %w", op, err)
		}
	}
	return out, nil
}

// Children implements dag.ReadTx. They come in the order they were stored.
func (r *readTx) Children(id dag.TxID) ([]dag.TxID, error) {
	seq, err := r.seqOf(id)
	if err != nil {
		return nil, fmt.Errorf("read children of %s: %w", id, err)
	}
	if seq == 0 {
		return nil, nil
	}
	cur, err := r.epoch()
	if err != nil {
		return nil, fmt.Errorf("read children of %s: %w", id, err)
	}
	var seqs []uint64
	c := r.spent.Cursor()
	for e := epochOf(seq, r.st.bits); e <= cur; e++ {
		prefix := childPrefix(e, seq)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			child, _, err := decodeSpent(v)
			if err != nil {
				return nil, fmt.Errorf("read children of %s: %w", id, err)
			}
			seqs = append(seqs, child)
		}
	}
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	out := make([]dag.TxID, len(seqs))
	for i, s := range seqs {
		if out[i], err = r.idAt(s); err != nil {
			return nil, fmt.Errorf("read children of %s: %w", id, err)
		}
	}
	return out, nil
}

// UnspentOf implements dag.ReadTx. Outputs come in the order they were
// stored.
func (r *readTx) UnspentOf(owner dag.PubKey, fn func(dag.OutPoint, dag.TxOut) bool) error {
	acct, err := r.account(owner)
	if err != nil || acct == 0 {
		return err
	}
	m, err := r.loadMeta()
	if err != nil {
		return err
	}
	prefix := acctValue(acct)
	c := r.utxo.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		_, seq, idx, err := decodeUTXOKey(k)
		if err != nil {
			return err
		}
		if child, err := r.spender(m.Swept, seq, idx); err != nil || child != 0 {
			if err != nil {
				return err
			}
			continue
		}
		amount, err := decodeAmount(v)
		if err != nil {
			return err
		}
		id, err := r.idAt(seq)
		if err != nil {
			return err
		}
		if !fn(dag.OutPoint{TxID: id, Index: uint32(idx)}, dag.TxOut{Owner: owner, Amount: dag.Amount(amount)}) {
			return nil
		}
	}
	return nil
}

// HistoryOf implements dag.ReadTx. A limit <= 0 means no limit.
func (r *readTx) HistoryOf(owner dag.PubKey, beforeSeq uint64, limit int) ([]dag.TxID, error) {
	acct, err := r.account(owner)
	if err != nil || acct == 0 {
		return nil, err
	}
	if limit <= 0 {
		limit = math.MaxInt
	}
	if beforeSeq == 0 {
		beforeSeq = math.MaxUint64
	}
	prefix := acctValue(acct)
	c := r.history.Cursor()
	// Position on the last key below owner|beforeSeq.
	k, _ := c.Seek(historyKey(acct, beforeSeq))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	var out []dag.TxID
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Prev() {
		seq, err := decodeTail(k, acctSize)
		if err != nil {
			return nil, err
		}
		id, err := r.idAt(seq)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

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

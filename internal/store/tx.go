package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// readTx implements dag.ReadTx on a bbolt transaction; it is valid only
// inside the View or Update that made it.
type readTx struct {
	meta, txs, ids, v1, spent, claims, conflicts *bolt.Bucket
	accounts, keys, history, utxo                *bolt.Bucket
	m                                            *meta // loaded on first use
	// seqs caches seqOf (0: not stored) in a write transaction, where
	// Graph asks for the same parents several times; nil in a View.
	seqs map[dag.TxID]uint64
}

func newReadTx(tx *bolt.Tx) *readTx {
	return &readTx{
		meta:      tx.Bucket(bucketMeta),
		txs:       tx.Bucket(bucketTxs),
		ids:       tx.Bucket(bucketIDs),
		v1:        tx.Bucket(bucketV1),
		spent:     tx.Bucket(bucketSpent),
		claims:    tx.Bucket(bucketClaims),
		conflicts: tx.Bucket(bucketConflicts),
		accounts:  tx.Bucket(bucketAccounts),
		keys:      tx.Bucket(bucketKeys),
		history:   tx.Bucket(bucketHistory),
		utxo:      tx.Bucket(bucketUTXO),
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

// seqOf returns the seq of id, or 0 if it is not stored.
func (r *readTx) seqOf(id dag.TxID) (uint64, error) {
	if seq, ok := r.seqs[id]; ok {
		return seq, nil
	}
	var seq uint64
	if v := r.ids.Get(id[:]); v != nil {
		var err error
		if seq, err = decodeSeq(v); err != nil {
			return 0, err
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
	v := r.txs.Get(seqKey(seq))
	if v == nil {
		return record{}, corruptf("no tx record %d", seq)
	}
	return parseRecord(v)
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
	var pk dag.PubKey
	v := r.keys.Get(acctValue(acct))
	if len(v) != len(pk) {
		return pk, corruptf("account %d has a key of %d bytes", acct, len(v))
	}
	copy(pk[:], v)
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
	var id dag.TxID
	if k, _ := r.ids.Cursor().Seek(short[:]); k != nil && bytes.HasPrefix(k, short[:]) {
		copy(id[:], k)
		return id, nil
	}
	m, err := r.loadMeta()
	if err != nil {
		return id, fmt.Errorf("look up %x: %w", short, err)
	}
	// The v1 index is split by epoch of seq: look in each, newest first.
	for epoch := m.LastSeq >> v1EpochBits; ; epoch-- {
		if v := r.v1.Get(v1Key(epoch, short)); v != nil {
			seq, err := decodeSeq(v)
			if err == nil {
				id, err = r.idAt(seq)
			}
			if err != nil {
				return id, fmt.Errorf("look up %x: %w", short, err)
			}
			return id, nil
		}
		if epoch == 0 {
			return id, dag.ErrNotFound
		}
	}
}

// Unspent implements dag.ReadTx.
func (r *readTx) Unspent(op dag.OutPoint) (dag.TxOut, error) {
	seq, rec, err := r.lookup(op.TxID)
	if err != nil {
		return dag.TxOut{}, fmt.Errorf("read output %s: %w", op, err)
	}
	if seq == 0 || !rec.state.Accepted() || op.Index > math.MaxUint16 {
		return dag.TxOut{}, dag.ErrNotFound
	}
	if r.spent.Get(spentKey(seq, uint16(op.Index))) != nil {
		return dag.TxOut{}, dag.ErrNotFound
	}
	out, _, ok, err := r.output(&rec, op.Index)
	if err != nil {
		return out, fmt.Errorf("read output %s: %w", op, err)
	}
	if !ok {
		return out, dag.ErrNotFound
	}
	return out, nil
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
	v := r.spent.Get(spentKey(seq, uint16(op.Index)))
	if v == nil {
		return dag.TxID{}, dag.ErrNotFound
	}
	child, err := decodeSeq(v)
	if err != nil {
		return dag.TxID{}, fmt.Errorf("read spender of %s: %w", op, err)
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
	prefix := spentKey(seq, uint16(op.Index))
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
	var seqs []uint64
	prefix := seqKey(seq)
	c := r.spent.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		child, err := decodeSeq(v)
		if err != nil {
			return nil, fmt.Errorf("read children of %s: %w", id, err)
		}
		seqs = append(seqs, child)
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
	prefix := acctValue(acct)
	c := r.utxo.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		_, seq, idx, err := decodeUTXOKey(k)
		if err != nil {
			return err
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

// Range implements dag.ReadTx.
func (r *readTx) Range(from, to dag.TxID, fn func(dag.TxID) bool) error {
	c := r.ids.Cursor()
	for k, _ := c.Seek(from[:]); k != nil; k, _ = c.Next() {
		if len(k) != dag.TxIDSize {
			return corruptf("ids key of %d bytes", len(k))
		}
		if !to.IsZero() && bytes.Compare(k, to[:]) >= 0 {
			return nil
		}
		if !fn(dag.TxID(k)) {
			return nil
		}
	}
	return nil
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

// writeTx implements dag.WriteTx.
type writeTx struct {
	*readTx
	dirty bool // m changed
	// accts caches account numbers for the length of one Update.
	accts map[dag.PubKey]uint32
}

func newWriteTx(tx *bolt.Tx) *writeTx {
	r := newReadTx(tx)
	// Records and keys are only ever appended, and history and utxo
	// entries are appended at the end of their account's range: fill the
	// pages they leave behind.
	for _, b := range []*bolt.Bucket{r.txs, r.keys, r.history, r.utxo} {
		b.FillPercent = 1.0
	}
	r.seqs = make(map[dag.TxID]uint64)
	return &writeTx{readTx: r, accts: make(map[dag.PubKey]uint32)}
}

// flush writes the changed meta; Update calls it before the commit.
func (w *writeTx) flush() error {
	if !w.dirty {
		return nil
	}
	b, err := encodeMeta(w.m)
	if err != nil {
		return err
	}
	return w.meta.Put(metaStateKey, b)
}

// ensureAccount returns pk's account number, assigning the next one if it
// has none.
func (w *writeTx) ensureAccount(m *meta, pk dag.PubKey) (uint32, error) {
	if acct, ok := w.accts[pk]; ok {
		return acct, nil
	}
	acct, err := w.account(pk)
	if err != nil {
		return 0, err
	}
	if acct == 0 {
		if m.LastAccount == math.MaxUint32 {
			return 0, fmt.Errorf("assign account: all %d account numbers are used", uint32(math.MaxUint32))
		}
		m.LastAccount++
		acct = m.LastAccount
		if err := w.accounts.Put(pk[:], acctValue(acct)); err != nil {
			return 0, err
		}
		if err := w.keys.Put(acctValue(acct), bytes.Clone(pk[:])); err != nil {
			return 0, err
		}
	}
	w.accts[pk] = acct
	return acct, nil
}

// Put implements dag.WriteTx. p must be as dag.Decode returned it: its
// fields are stored in binary and its bytes rebuilt from them on read.
func (w *writeTx) Put(p *dag.Parsed, rec *dag.Record) error {
	if err := w.put(p, rec); err != nil {
		return fmt.Errorf("put %s: %w", p.ID, err)
	}
	return nil
}

func (w *writeTx) put(p *dag.Parsed, rec *dag.Record) error {
	switch {
	case rec.ID != p.ID:
		return fmt.Errorf("record is for %s", rec.ID)
	case rec.Raw != nil && !bytes.Equal(rec.Raw, p.Raw):
		return fmt.Errorf("record bytes differ from the tx's")
	case !rec.State.Accepted() && rec.State != dag.StateRejected:
		return fmt.Errorf("cannot store state %v", rec.State)
	case len(p.Out) > math.MaxUint16:
		return fmt.Errorf("%d outputs", len(p.Out))
	}
	if seq, err := w.seqOf(p.ID); err != nil || seq != 0 {
		if err == nil {
			err = ErrExists
		}
		return err
	}
	m, err := w.loadMeta()
	if err != nil {
		return err
	}
	seq := m.LastSeq + 1
	accepted := rec.State.Accepted()

	// The parents' seqs (0: not stored) and the accounts of the signer and
	// the owners.
	parents := make([]uint64, len(p.Prev))
	known := true
	for i, op := range p.Prev {
		if parents[i], err = w.seqOf(op.TxID); err != nil {
			return err
		}
		known = known && parents[i] != 0
	}
	if accepted && !known {
		return fmt.Errorf("a prev is not stored: %w", dag.ErrNotFound)
	}
	var from uint32
	if !p.IsGenesis() {
		if from, err = w.ensureAccount(m, p.From); err != nil {
			return err
		}
		if err := w.history.Put(historyKey(from, seq), nil); err != nil {
			return err
		}
	}
	r := &record{state: rec.State, code: rec.Code, firstSeen: rec.FirstSeen, id: p.ID, kind: kindRaw, body: p.Raw}
	compact := known && compactable(p)
	var owners []uint32
	if accepted || compact {
		owners = make([]uint32, len(p.Out))
		for i, o := range p.Out {
			if owners[i], err = w.ensureAccount(m, o.Owner); err != nil {
				return err
			}
		}
	}
	if compact {
		c := compactTx{From: from, Prev: make([]prevRef, len(p.Prev)), Out: make([]outRef, len(p.Out)),
			Burn: p.Tx.Burn, Time: p.Tx.Time, Nonce: p.Tx.Nonce, Prefix: p.Prefix, Memo: p.Tx.Memo}
		copy(c.Sig[:], p.Sig)
		for i, op := range p.Prev {
			c.Prev[i] = prevRef{Seq: parents[i], Index: uint16(op.Index)}
		}
		for i, o := range p.Out {
			c.Out[i] = outRef{Acct: owners[i], Amount: o.Amount}
		}
		r.kind, r.body = kindCompact, appendCompact(nil, &c)
	}
	key := seqKey(seq)
	if err := w.txs.Put(key, appendRecord(nil, r)); err != nil {
		return err
	}
	if err := w.ids.Put(p.ID[:], key); err != nil {
		return err
	}
	w.seqs[p.ID] = seq
	if err := w.v1.Put(v1Key(seq>>v1EpochBits, p.V1), key); err != nil {
		return err
	}

	if accepted {
		if err := w.spend(p, from, parents, key); err != nil {
			return err
		}
		for i, o := range p.Out {
			if err := w.utxo.Put(utxoKey(owners[i], seq, uint16(i)), binary.BigEndian.AppendUint64(nil, uint64(o.Amount))); err != nil {
				return err
			}
			if owners[i] != from {
				if err := w.history.Put(historyKey(owners[i], seq), nil); err != nil {
					return err
				}
			}
		}
	} else if err := w.claim(p, parents, seq); err != nil {
		return err
	}

	acc := m.acc()
	acc.Add(p.ID)
	m.setAcc(&acc)
	m.LastSeq = seq
	*m.counter(rec.State)++
	w.dirty = true
	rec.Seq = seq
	return nil
}

// claim indexes evidence p (with seq) under each of its prevs whose parent
// is stored (parents holds their seqs, 0 if not).
func (w *writeTx) claim(p *dag.Parsed, parents []uint64, seq uint64) error {
	for i, op := range p.Prev {
		if parents[i] == 0 || op.Index > math.MaxUint16 {
			continue
		}
		if err := w.claims.Put(claimKey(parents[i], uint16(op.Index), seq), nil); err != nil {
			return err
		}
	}
	return nil
}

// spend marks p's prevs (stored with seqs parents) spent by child and
// removes them from their owners' unspent outputs. By the rules each prev
// belongs to the signer (account from), so that is looked up first; only
// otherwise is the parent record read for the owner.
func (w *writeTx) spend(p *dag.Parsed, from uint32, parents []uint64, child []byte) error {
	c := w.utxo.Cursor()
	for i, op := range p.Prev {
		if op.Index > math.MaxUint16 {
			return fmt.Errorf("prev %s: %w", op, dag.ErrNotFound)
		}
		idx := uint16(op.Index)
		sk := spentKey(parents[i], idx)
		if w.spent.Get(sk) != nil {
			return fmt.Errorf("prev %s is already spent", op)
		}
		uk := utxoKey(from, parents[i], idx)
		k, _ := c.Seek(uk)
		if !bytes.Equal(k, uk) {
			prec, err := w.recordAt(parents[i])
			if err != nil {
				return err
			}
			_, acct, ok, err := w.output(&prec, op.Index)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("prev %s: %w", op, dag.ErrNotFound)
			}
			uk = utxoKey(acct, parents[i], idx)
			k, _ = c.Seek(uk)
		}
		// No entry: an output of a rejected tx (Put does not check rules).
		if bytes.Equal(k, uk) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		if err := w.spent.Put(sk, child); err != nil {
			return err
		}
	}
	return nil
}

// AddConflict implements dag.WriteTx.
func (w *writeTx) AddConflict(a, b dag.TxID) error {
	if err := w.addConflict(a, b); err != nil {
		return fmt.Errorf("add conflict %s / %s: %w", a, b, err)
	}
	return nil
}

func (w *writeTx) addConflict(a, b dag.TxID) error {
	sa, err := w.seqOf(a)
	if err != nil {
		return err
	}
	sb, err := w.seqOf(b)
	if err != nil {
		return err
	}
	if sa == 0 || sb == 0 {
		return dag.ErrNotFound
	}
	if sa == sb {
		return fmt.Errorf("a transaction cannot conflict with itself")
	}
	for _, pair := range [][2]uint64{{sa, sb}, {sb, sa}} {
		if err := w.conflicts.Put(conflictKey(pair[0], pair[1]), nil); err != nil {
			return err
		}
		if err := w.markConflicted(pair[0]); err != nil {
			return err
		}
	}
	return nil
}

// markConflicted turns the accepted record at seq into a conflicted one.
func (w *writeTx) markConflicted(seq uint64) error {
	key := seqKey(seq)
	v := w.txs.Get(key)
	rec, err := parseRecord(v)
	if err != nil {
		return err
	}
	if rec.state != dag.StateAccepted {
		return nil
	}
	m, err := w.loadMeta()
	if err != nil {
		return err
	}
	nv := bytes.Clone(v) // bbolt's bytes are read-only
	nv[offState] = byte(dag.StateConflicted)
	m.Accepted--
	m.Conflicted++
	w.dirty = true
	return w.txs.Put(key, nv)
}

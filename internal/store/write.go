package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// writeTx implements dag.WriteTx.
type writeTx struct {
	*readTx
	dirty bool // m changed
	puts  int  // txs Put
	// accts caches account numbers for the length of one Update.
	accts map[dag.PubKey]uint32
	// tallies are the changes to the counted buckets' tallies.
	tallies [numCounted]tally
}

func (s *Store) newWriteTx(tx *bolt.Tx) *writeTx {
	w := &writeTx{accts: make(map[dag.PubKey]uint32)}
	r := s.newReadTx(tx, &w.tallies)
	w.readTx = r
	// Records and keys are only ever appended, and history and utxo
	// entries are appended at the end of their account's range: fill the
	// pages they leave behind.
	for _, b := range []*bucket{r.txs, r.keys, r.history, r.utxo} {
		b.b.FillPercent = 1.0
	}
	r.seqs = make(map[dag.TxID]uint64)
	r.recs = make(map[uint64]record)
	r.pks = make(map[uint32]dag.PubKey)
	r.free = make(map[output]uint32)
	return w
}

// flush sweeps and writes the changed meta; Update calls it before the
// commit.
func (w *writeTx) flush() error {
	if err := w.sweep(); err != nil {
		return err
	}
	if w.tallies != [numCounted]tally{} {
		m, err := w.loadMeta()
		if err != nil {
			return err
		}
		for i, d := range w.tallies {
			m.Tally[i].N += d.N
			m.Tally[i].Sum += d.Sum
		}
		w.dirty = true
	}
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
		if err := w.accounts.Insert(pk[:], acctValue(acct)); err != nil {
			return 0, err
		}
		if err := w.keys.Insert(acctValue(acct), bytes.Clone(pk[:])); err != nil {
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
	}
	r := &record{state: rec.State, code: rec.Code, firstSeen: rec.FirstSeen, id: p.ID, kind: kindRaw, body: p.Raw}
	compact := known && compactable(p)
	owners := make([]uint32, len(p.Out))
	for i, o := range p.Out {
		if owners[i], err = w.ensureAccount(m, o.Owner); err != nil {
			return err
		}
	}
	if err := w.addHistory(p, from, owners, seq); err != nil {
		return err
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
	if err := w.txs.Insert(key, appendRecord(nil, r)); err != nil {
		return err
	}
	w.recs[seq] = *r // a child later in the Update reads its parent
	epoch := epochOf(seq, w.st.bits)
	if err := w.newEpoch(epoch, seq); err != nil {
		return err
	}
	w.st.idFilters.ensure(epoch).add(idHashes(&p.ID))
	if err := w.ids.Insert(idKey(epoch, &p.ID), key); err != nil {
		return err
	}
	w.seqs[p.ID] = seq
	// The seq in the key makes it new, even for a second tx with the same
	// v1 infohash (a SHA-1 collision).
	if err := w.v1.Insert(v1Key(epoch, p.V1, seq), nil); err != nil {
		return err
	}

	if accepted {
		if err := w.spend(p, from, parents, seq, epoch); err != nil {
			return err
		}
		if err := w.addOutputs(p, owners, seq); err != nil {
			return err
		}
	} else if err := w.claim(p, parents, seq); err != nil {
		return err
	}

	acc := m.acc()
	acc.AddRecord(p.ID, accepted)
	m.setAcc(&acc)
	m.LastSeq = seq
	*m.counter(rec.State)++
	w.dirty = true
	w.puts++
	rec.Seq = seq
	return nil
}

// newEpoch saves the ids filter of the epoch before e when seq is the
// first of epoch e: that epoch is finished.
func (w *writeTx) newEpoch(e uint32, seq uint64) error {
	if e == 0 || seq != uint64(e)<<w.st.bits {
		return nil
	}
	f := w.st.idFilters.get(e - 1)
	if f == nil {
		return corruptf("no filter for epoch %d", e-1)
	}
	return w.filters.Put(epochKey(e-1), f.marshal())
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

// addHistory lists p (with seq) in the history of its signer (account
// from, 0 for the genesis) and of its outputs' owners, once each.
func (w *writeTx) addHistory(p *dag.Parsed, from uint32, owners []uint32, seq uint64) error {
	accts := slices.Clone(owners)
	if !p.IsGenesis() {
		accts = append(accts, from)
	}
	slices.Sort(accts)
	for _, a := range slices.Compact(accts) {
		if err := w.history.Insert(historyKey(a, seq), nil); err != nil {
			return err
		}
	}
	return nil
}

// addOutputs lists the outputs of p (with seq), owned by owners, as
// unspent.
func (w *writeTx) addOutputs(p *dag.Parsed, owners []uint32, seq uint64) error {
	for i, o := range p.Out {
		if err := w.utxo.Insert(utxoKey(owners[i], seq, uint16(i)), binary.BigEndian.AppendUint64(nil, uint64(o.Amount))); err != nil {
			return err
		}
	}
	return nil
}

// spend marks p's prevs (stored with seqs parents) spent by child (with
// seq), with spent entries in epoch: the child's for a Put, the newest for
// a SetState. Their utxo entries stay until the epoch's sweep (sweep.go);
// the spent entry names the owner's account for it.
func (w *writeTx) spend(p *dag.Parsed, from uint32, parents []uint64, seq uint64, epoch uint32) error {
	spends := w.st.spentFilters.ensure(epoch)
	for i, op := range p.Prev {
		if op.Index > math.MaxUint16 {
			return fmt.Errorf("prev %s: %w", op, dag.ErrNotFound)
		}
		o := output{parents[i], uint16(op.Index)}
		acct, err := w.unspentOwner(o, from)
		if err != nil {
			return fmt.Errorf("prev %s: %w", op, err)
		}
		delete(w.free, o)
		spends.add(outHashes(o.seq, o.idx))
		// unspentOwner found no spent entry, and dag.Decode refuses a
		// tx that lists a prev twice.
		if err := w.spent.Insert(spentKey(epoch, o.seq, o.idx), spentValue(seq, acct)); err != nil {
			return err
		}
	}
	return nil
}

// unspentOwner returns the account that owns output o, after checking
// that no spent entry names it. An output that unspent found unspent in
// this transaction is known to be (w.free). Otherwise, by the rules each
// prev belongs to the signer (account from), so that is looked up first;
// only otherwise is the parent record read for the owner.
func (w *writeTx) unspentOwner(o output, from uint32) (uint32, error) {
	if acct, ok := w.free[o]; ok {
		return acct, nil
	}
	m, err := w.loadMeta()
	if err != nil {
		return 0, err
	}
	acct := from
	listed := w.utxo.Get(utxoKey(from, o.seq, o.idx)) != nil
	if !listed {
		prec, err := w.recordAt(o.seq)
		if err != nil {
			return 0, err
		}
		var ok bool
		if _, acct, ok, err = w.output(&prec, uint32(o.idx)); err != nil {
			return 0, err
		}
		if !ok {
			return 0, dag.ErrNotFound
		}
		listed = w.utxo.Get(utxoKey(acct, o.seq, o.idx)) != nil
	}
	// An output with a utxo entry can only have been spent in an epoch not
	// swept yet; one without was spent earlier, or is an output of a
	// rejected tx (Put does not check rules).
	first := m.Swept
	if !listed {
		first = 0
	}
	if spender, err := w.spender(first, o.seq, o.idx); err != nil {
		return 0, err
	} else if spender != 0 {
		return 0, errors.New("already spent")
	}
	return acct, nil
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
	delete(w.recs, seq)
	return w.txs.Put(key, nv)
}

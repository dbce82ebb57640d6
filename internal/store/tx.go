package store

import (
	"bytes"
	"errors"
	"fmt"

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
	// free caches, in a write transaction, the outputs that unspent found
	// unspent, with their owner's account, until spend spends them or
	// SetState changes what is spent: Graph checks a tx's prevs just
	// before it Puts the tx. Nil in a View.
	free map[output]uint32
}

// output is an output of the tx with seq.
type output struct {
	seq uint64
	idx uint16
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
		prefix := shortKey(uint32(e), short)
		if k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			return decodeIDKey(k)
		}
	}
	c = r.v1.Cursor()
	for e := int64(cur); e >= 0; e-- {
		prefix := shortKey(uint32(e), short)
		if k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			seq, err := decodeTail(k, len(prefix))
			if err != nil {
				return dag.TxID{}, err
			}
			return r.idAt(seq)
		}
	}
	return dag.TxID{}, dag.ErrNotFound
}

package store

import (
	"bytes"
	"fmt"
	"math"
	"slices"

	"github.com/torrenttx/ttx/dag"
)

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
	if err == nil && child == 0 && r.free != nil {
		r.free[output{seq, idx}] = acct
	}
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

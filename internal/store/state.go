package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/torrenttx/ttx/dag"
)

// A change of state after Put: the network's vote moving a double spend
// from one side to the other, or a decision becoming final. It undoes or
// redoes the index entries that Put makes for an accepted record.

// SetState implements dag.WriteTx.
func (w *writeTx) SetState(p *dag.Parsed, st dag.State, code dag.ErrorCode) error {
	if err := w.setState(p, st, code); err != nil {
		return fmt.Errorf("set state of %s to %v: %w", p.ID, st, err)
	}
	return nil
}

func (w *writeTx) setState(p *dag.Parsed, st dag.State, code dag.ErrorCode) error {
	clear(w.free) // what it unspends and spends again
	seq, rec, err := w.lookup(p.ID)
	switch {
	case err != nil:
		return err
	case seq == 0:
		return dag.ErrNotFound
	case rec.state == dag.StateFinal:
		return fmt.Errorf("it is final")
	case !st.Accepted() && st != dag.StateRejected:
		return fmt.Errorf("cannot store state %v", st)
	case len(p.Out) > math.MaxUint16:
		return fmt.Errorf("%d outputs", len(p.Out))
	}
	if st != dag.StateRejected {
		code = 0
	}
	m, err := w.loadMeta()
	if err != nil {
		return err
	}
	was := rec.state
	switch {
	case was.Accepted() && st == dag.StateRejected:
		err = w.unaccept(p, &rec, seq)
	case was == dag.StateRejected && st.Accepted():
		err = w.reaccept(p, m, seq)
	}
	if err != nil {
		return err
	}
	if was.Accepted() != st.Accepted() {
		acc := m.acc()
		acc.RemoveRecord(p.ID, was.Accepted())
		acc.AddRecord(p.ID, st.Accepted())
		m.setAcc(&acc)
	}
	*m.counter(was)--
	*m.counter(st)++
	w.dirty = true
	key := seqKey(seq)
	nv := bytes.Clone(w.txs.Get(key)) // bbolt's bytes are read-only
	nv[offState], nv[offCode] = byte(st), byte(code)
	delete(w.recs, seq)
	return w.txs.Put(key, nv)
}

// unaccept removes what Put made for the accepted p (record rec, with
// seq) and indexes it as a claim on its prevs instead. None of its outputs
// may be spent.
func (w *writeTx) unaccept(p *dag.Parsed, rec *record, seq uint64) error {
	for i := range p.Out {
		child, err := w.spender(0, seq, uint16(i))
		if err != nil {
			return err
		}
		if child != 0 {
			id, err := w.idAt(child)
			if err != nil {
				return err
			}
			return fmt.Errorf("output %d is spent by %s", i, id)
		}
		_, acct, ok, err := w.output(rec, uint32(i))
		if err != nil {
			return err
		}
		if !ok {
			return corruptf("tx record %s has no output %d", rec.id, i)
		}
		if err := w.utxo.Delete(utxoKey(acct, seq, uint16(i))); err != nil {
			return err
		}
	}
	m, err := w.loadMeta()
	if err != nil {
		return err
	}
	parents := make([]uint64, len(p.Prev))
	for i, op := range p.Prev {
		if parents[i], err = w.seqOf(op.TxID); err != nil {
			return err
		}
		if parents[i] == 0 || op.Index > math.MaxUint16 {
			return corruptf("accepted %s spends %s, which is not stored", p.ID, op)
		}
		if err := w.unspend(m, parents[i], uint16(op.Index), seq); err != nil {
			return fmt.Errorf("release %s: %w", op, err)
		}
	}
	return w.claim(p, parents, seq)
}

// unspend deletes the spent entry of output idx of the tx with seq
// parent, which child spent, and lists the output in utxo again (the
// sweep may have deleted its entry).
func (w *writeTx) unspend(m *meta, parent uint64, idx uint16, child uint64) error {
	cur := epochOf(m.LastSeq, w.st.bits)
	for e := epochOf(parent, w.st.bits); e <= cur; e++ {
		key := spentKey(e, parent, idx)
		v := w.spent.Get(key)
		if v == nil {
			continue
		}
		by, acct, err := decodeSpent(v)
		if err != nil {
			return err
		}
		if by != child {
			return corruptf("output %d of record %d is spent by record %d, not %d", idx, parent, by, child)
		}
		prec, err := w.recordAt(parent)
		if err != nil {
			return err
		}
		out, _, ok, err := w.output(&prec, uint32(idx))
		if err != nil {
			return err
		}
		if !ok {
			return corruptf("record %d has no output %d", parent, idx)
		}
		if err := w.spent.Delete(key); err != nil {
			return err
		}
		// A sweep list read before this Update may hold the entry: read
		// it again, or the sweep would delete the output's utxo entry.
		if e >= m.Swept && e < m.Swept+sweepGroup {
			w.st.sweeping = nil
		}
		return w.utxo.Put(utxoKey(acct, parent, idx), binary.BigEndian.AppendUint64(nil, uint64(out.Amount)))
	}
	return corruptf("output %d of record %d has no spent entry", idx, parent)
}

// reaccept makes the rejected p (with seq) accepted, as Put of an
// accepted record would have: it spends its prevs, which must be unspent
// outputs of accepted transactions, in the newest epoch, lists its
// outputs and drops its claims.
func (w *writeTx) reaccept(p *dag.Parsed, m *meta, seq uint64) error {
	if p.IsGenesis() {
		return fmt.Errorf("the genesis cannot be rejected")
	}
	parents := make([]uint64, len(p.Prev))
	for i, op := range p.Prev {
		if _, err := w.acceptedOutput(op, true); err != nil {
			return fmt.Errorf("prev %s is not an unspent output: %w", op, err)
		}
		var err error
		if parents[i], err = w.seqOf(op.TxID); err != nil {
			return err
		}
		if err := w.claims.Delete(claimKey(parents[i], uint16(op.Index), seq)); err != nil {
			return err
		}
	}
	from, err := w.ensureAccount(m, p.From)
	if err != nil {
		return err
	}
	owners := make([]uint32, len(p.Out))
	for i, o := range p.Out {
		if owners[i], err = w.ensureAccount(m, o.Owner); err != nil {
			return err
		}
	}
	if err := w.spend(p, from, parents, seq, epochOf(m.LastSeq, w.st.bits)); err != nil {
		return err
	}
	return w.addOutputs(p, owners, seq)
}

// PutCertificate implements dag.WriteTx.
func (w *writeTx) PutCertificate(id dag.TxID, cert []byte) error {
	seq, err := w.seqOf(id)
	if err == nil && seq == 0 {
		err = dag.ErrNotFound
	}
	if err == nil {
		err = w.certs.Put(seqKey(seq), bytes.Clone(cert))
	}
	if err != nil {
		return fmt.Errorf("put certificate of %s: %w", id, err)
	}
	return nil
}

package dag

import (
	"errors"
	"fmt"
	"slices"
)

// verdict is what the contextual rules say about a transaction that passed
// Decode and CheckSanity. At most one of its fields is set; none means
// accept.
type verdict struct {
	// waits lists parents that are not stored: the tx is an orphan.
	waits []TxID
	// reject is the broken rule (ErrParentRejected, ErrUnknownOutput,
	// ErrNotOwner, ErrBadAmount, ErrUnbalanced).
	reject *RuleError
	// winners are the accepted txs that spent p's inputs first: p is a
	// valid double spend, kept as evidence with ErrDoubleSpend.
	winners []TxID
}

// rejectedFn reports whether an unstored transaction is known to be
// rejected (the Graph's reject cache).
type rejectedFn func(TxID) bool

// checkContext applies the rules that need the ledger r to p, in this
// order: every parent stored and not rejected; every prev output exists and
// belongs to the signer; sum(prev) = sum(out) + burn, overflow-checked; and
// finally no prev output already spent by an accepted tx. A double spend
// is only reported for a tx that passes every other rule, so nobody can
// mark a payment conflicted with a transaction that could never have been
// accepted. The error is the node's own fault (storage).
func checkContext(r ReadTx, p *Parsed, rejected rejectedFn) (verdict, error) {
	var v verdict
	var parents []TxID
	for _, op := range p.Prev {
		if slices.Contains(parents, op.TxID) {
			continue
		}
		parents = append(parents, op.TxID)
		st, err := r.State(op.TxID)
		if err != nil {
			return v, fmt.Errorf("read state of %s: %w", op.TxID, err)
		}
		switch {
		case st == StateRejected || st == StateUnknown && rejected(op.TxID):
			return rejectVerdict(ErrParentRejected, "parent %s is rejected", op.TxID), nil
		case st == StateUnknown:
			v.waits = append(v.waits, op.TxID)
		}
	}
	if len(v.waits) > 0 {
		return v, nil
	}

	var sum Amount
	for _, op := range p.Prev {
		out, err := r.Unspent(op)
		switch {
		case errors.Is(err, ErrNotFound):
			var winner TxID
			if out, winner, err = spentOutput(r, op); err != nil {
				return v, err
			}
			if winner.IsZero() {
				return rejectVerdict(ErrUnknownOutput, "prev %s: the parent has no such output", op), nil
			}
			if !slices.Contains(v.winners, winner) {
				v.winners = append(v.winners, winner)
			}
		case err != nil:
			return v, fmt.Errorf("read output %s: %w", op, err)
		}
		if out.Owner != p.From {
			return rejectVerdict(ErrNotOwner, "prev %s belongs to %x, not the signer %x", op, out.Owner[:8], p.From[:8]), nil
		}
		if sum, err = sum.Add(out.Amount); err != nil {
			return rejectVerdict(ErrBadAmount, "the prev amounts overflow"), nil
		}
	}
	if total := p.Total(); sum != total {
		return rejectVerdict(ErrUnbalanced, "prev amounts sum to %d, outputs plus burn to %d", sum, total), nil
	}
	return verdict{winners: v.winners}, nil
}

func rejectVerdict(c ErrorCode, format string, args ...any) verdict {
	re := ruleError(c, format, args...)
	return verdict{reject: &re}
}

// spentOutput looks up op, an output of an accepted transaction that is not
// unspent: it returns the output and the accepted tx that spent it, or a
// zero winner if no such output exists.
func spentOutput(r ReadTx, op OutPoint) (TxOut, TxID, error) {
	winner, err := r.SpentBy(op)
	if errors.Is(err, ErrNotFound) {
		return TxOut{}, TxID{}, nil
	}
	if err != nil {
		return TxOut{}, TxID{}, fmt.Errorf("read spender of %s: %w", op, err)
	}
	out, err := r.Output(op)
	if errors.Is(err, ErrNotFound) {
		return TxOut{}, TxID{}, fmt.Errorf("stored %s has no output %d but %s spent it", op.TxID, op.Index, winner)
	}
	if err != nil {
		return TxOut{}, TxID{}, fmt.Errorf("read output %s: %w", op, err)
	}
	return out, winner, nil
}

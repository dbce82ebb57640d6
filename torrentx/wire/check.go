package wire

import (
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// check enforces the limits of m's type. Encode and Decode both run it, so
// nothing over a limit is sent or accepted.
func check(m Message) error {
	switch m := m.(type) {
	case *Hello:
		return m.check()
	case *Inv:
		return checkIDs(m.IDs, len(m.Short))
	case *Want:
		return checkIDs(m.IDs, len(m.Short))
	case *NotFound:
		return checkIDs(m.IDs, len(m.Short))
	case *Query:
		return checkIDs(m.IDs, 0)
	case *Tx:
		return m.check()
	case *Answer:
		return m.check()
	case *Poll:
		return m.check()
	case *Votes:
		return m.check()
	case *Ping, *Pong, *ReconQuery, *ReconReply:
		return nil
	}
	return fmt.Errorf("%w: %T", ErrUnknownType, m)
}

func (m *Hello) check() error {
	if m.Version < 1 {
		return fmt.Errorf("%w: version %d", ErrInvalid, m.Version)
	}
	if m.Network.IsZero() {
		return fmt.Errorf("%w: zero network ID", ErrInvalid)
	}
	if len(m.Agent) > MaxAgentSize {
		return fmt.Errorf("%w: agent of %d bytes, limit %d", ErrInvalid, len(m.Agent), MaxAgentSize)
	}
	if !dag.IsPrintable(m.Agent) {
		return fmt.Errorf("%w: agent %q is not printable ASCII", ErrInvalid, m.Agent)
	}
	switch hasKey := m.NodeKey != (dag.PubKey{}); {
	case m.Version >= NodeKeyVersion && !hasKey:
		return fmt.Errorf("%w: version %d hello without a node key", ErrInvalid, m.Version)
	case m.Version < NodeKeyVersion && hasKey:
		return fmt.Errorf("%w: version %d hello with a node key", ErrInvalid, m.Version)
	case m.Version >= ShortIDVersion && m.Salt == 0:
		return fmt.Errorf("%w: version %d hello without a salt", ErrInvalid, m.Version)
	case m.Version < ShortIDVersion && m.Salt != 0:
		return fmt.Errorf("%w: version %d hello with a salt", ErrInvalid, m.Version)
	}
	return nil
}

// checkIDs bounds a list of full IDs and short more short IDs to
// 1..MaxIDs in all.
func checkIDs(ids []dag.TxID, short int) error {
	switch n := len(ids) + short; {
	case n == 0:
		return fmt.Errorf("%w: no IDs", ErrInvalid)
	case n > MaxIDs:
		return fmt.Errorf("%w: %d IDs, limit %d", ErrInvalid, n, MaxIDs)
	}
	return nil
}

func (m *Tx) check() error {
	if len(m.Txs) == 0 {
		return fmt.Errorf("%w: no transactions", ErrInvalid)
	}
	for i, e := range m.Txs {
		if err := checkRaw(i, e.Raw); err != nil {
			return err
		}
	}
	return nil
}

// checkRaw bounds transaction i's bytes to 1..dag.MaxTxSize.
func checkRaw(i int, raw []byte) error {
	if len(raw) == 0 || len(raw) > dag.MaxTxSize {
		return fmt.Errorf("%w: transaction %d is %d bytes, limit 1..%d", ErrInvalid, i, len(raw), dag.MaxTxSize)
	}
	return nil
}

func (m *Answer) check() error {
	if len(m.Statuses) == 0 {
		return fmt.Errorf("%w: no statuses", ErrInvalid)
	}
	if len(m.Statuses) > MaxIDs {
		return fmt.Errorf("%w: %d statuses, limit %d", ErrInvalid, len(m.Statuses), MaxIDs)
	}
	for i, s := range m.Statuses {
		if s.State > dag.StateRejected {
			return fmt.Errorf("%w: status %d has state %d", ErrInvalid, i, s.State)
		}
		if len(s.Conflicts) > MaxConflicts {
			return fmt.Errorf("%w: status %d lists %d conflicts, limit %d", ErrInvalid, i, len(s.Conflicts), MaxConflicts)
		}
	}
	return nil
}

func (m *Poll) check() error {
	if len(m.Outs) == 0 {
		return fmt.Errorf("%w: no outputs", ErrInvalid)
	}
	if len(m.Outs) > MaxPollOuts {
		return fmt.Errorf("%w: %d outputs, limit %d", ErrInvalid, len(m.Outs), MaxPollOuts)
	}
	seen := make(map[dag.OutPoint]bool, len(m.Outs))
	for i, op := range m.Outs {
		if op.Index >= dag.HardMaxOut {
			return fmt.Errorf("%w: output %d has index %d, limit %d", ErrInvalid, i, op.Index, dag.HardMaxOut-1)
		}
		if seen[op] {
			return fmt.Errorf("%w: output %s twice", ErrInvalid, op)
		}
		seen[op] = true
	}
	if len(m.IDs) > MaxPollIDs {
		return fmt.Errorf("%w: %d IDs, limit %d", ErrInvalid, len(m.IDs), MaxPollIDs)
	}
	ids := make(map[dag.TxID]bool, len(m.IDs))
	for _, id := range m.IDs {
		if ids[id] {
			return fmt.Errorf("%w: ID %s twice", ErrInvalid, id)
		}
		ids[id] = true
	}
	if len(m.Txs) > MaxPollTxs {
		return fmt.Errorf("%w: %d transactions, limit %d", ErrInvalid, len(m.Txs), MaxPollTxs)
	}
	for i, raw := range m.Txs {
		if err := checkRaw(i, raw); err != nil {
			return err
		}
	}
	return nil
}

func (m *Votes) check() error {
	if len(m.Batch) == 0 || len(m.Batch) > MaxBatchSize {
		return fmt.Errorf("%w: batch of %d bytes, limit 1..%d", ErrInvalid, len(m.Batch), MaxBatchSize)
	}
	return nil
}

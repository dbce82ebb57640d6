package proofs

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/torrenttx/ttx/dag"
)

// Export builds the proof of transaction id, as stored in rd: the bytes of
// <id>.torrent. id must be accepted (or conflicted) in rd.
//
// The proof holds id, all its ancestors back to the genesis, and the
// double-spend evidence this node keeps against any of them (with the
// evidence's own ancestors), in the order this node stored them, so parents
// come before children and a replay settles every double spend as this node
// did. It also holds the finality certificate rd stores for id and for
// every other transaction of the proof that is part of a double spend
// (those with Conflicts), so that a verifier sees how each race was
// decided. Certificates of uncontested ancestors are left out: each is a
// few kilobytes and a long ancestry would make the proof huge, and the
// votes for id already come from nodes that hold its whole ancestry
// accepted. nodes are the exporter's DHT nodes as "host:port"; the first
// MaxNodes go into the file. The output depends only on its inputs (no
// timestamps).
func Export(net *dag.Network, rd dag.ReadTx, id dag.TxID, nodes []string) ([]byte, error) {
	rec, err := rd.Get(id)
	if err != nil {
		return nil, fmt.Errorf("export proof of %s: %w", id, err)
	}
	if !rec.State.Accepted() {
		return nil, fmt.Errorf("export proof of %s: %w: it is %s on this node", id, ErrNotAccepted, rec.State)
	}
	c := collector{rd: rd, recs: make(map[dag.TxID]*dag.Record)}
	ancestry, err := c.ancestry(rec)
	if err != nil {
		return nil, fmt.Errorf("export proof of %s: %w", id, err)
	}
	for _, r := range ancestry {
		for _, other := range r.Conflicts {
			if _, ok := c.recs[other]; ok {
				continue
			}
			ev, err := rd.Get(other)
			if err != nil {
				return nil, fmt.Errorf("export proof of %s: conflict %s: %w", id, other, err)
			}
			if _, err := c.ancestry(ev); err != nil {
				return nil, fmt.Errorf("export proof of %s: conflict %s: %w", id, other, err)
			}
		}
	}
	all := make([]*dag.Record, 0, len(c.recs))
	for _, r := range c.recs {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b *dag.Record) int { return cmp.Compare(a.Seq, b.Seq) })
	if all[0].ID != net.ID {
		return nil, fmt.Errorf("export proof of %s: ancestry starts at %s, not this network's genesis %s", id, all[0].ID, net.ID)
	}
	f := &file{Info: dag.InfoDict(rec.Raw), Network: net.ID[:], Version: Version}
	f.Txs = make([][]byte, len(all))
	for i, r := range all {
		f.Txs[i] = r.Raw
		if r.ID != id && len(r.Conflicts) == 0 {
			continue
		}
		cert, err := rd.Certificate(r.ID)
		if errors.Is(err, dag.ErrNotFound) {
			continue
		}
		if err == nil {
			err = checkStoredCert(net, r, cert)
		}
		if err != nil {
			return nil, fmt.Errorf("export proof of %s: certificate of %s: %w", id, r.ID, err)
		}
		f.Certs = append(f.Certs, cert)
	}
	if len(f.Txs) > MaxTxs {
		return nil, fmt.Errorf("export proof of %s: %w: %d transactions, limit %d", id, ErrTooLarge, len(f.Txs), MaxTxs)
	}
	for _, s := range nodes[:min(len(nodes), MaxNodes)] {
		n, err := parseNode(s)
		if err != nil {
			return nil, fmt.Errorf("export proof of %s: %w", id, err)
		}
		f.Nodes = append(f.Nodes, n)
	}
	b, err := f.encode()
	if err != nil {
		return nil, fmt.Errorf("export proof of %s: %w", id, err)
	}
	return b, nil
}

// checkStoredCert checks that a stored certificate is one Verify accepts
// for r, so that a damaged store never yields a proof that fails.
func checkStoredCert(net *dag.Network, r *dag.Record, raw []byte) error {
	p, err := dag.Decode(r.Raw)
	if err != nil {
		return err
	}
	c, err := decodeCert(raw)
	if err != nil {
		return err
	}
	return checkCert(c, net, p)
}

// collector gathers stored records and their ancestors.
type collector struct {
	rd   dag.ReadTx
	recs map[dag.TxID]*dag.Record
}

// ancestry adds r and every ancestor of r to c.recs and returns those that
// were not there yet, r first.
func (c *collector) ancestry(r *dag.Record) ([]*dag.Record, error) {
	var added []*dag.Record
	stack := []*dag.Record{r}
	c.recs[r.ID] = r
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		added = append(added, r)
		p, err := dag.Decode(r.Raw)
		if err != nil {
			return nil, fmt.Errorf("stored transaction %s: %w", r.ID, err)
		}
		for _, op := range p.Prev {
			if _, ok := c.recs[op.TxID]; ok {
				continue
			}
			parent, err := c.rd.Get(op.TxID)
			if errors.Is(err, dag.ErrNotFound) {
				return nil, fmt.Errorf("%w: parent %s of %s is not stored", ErrIncomplete, op.TxID, r.ID)
			}
			if err != nil {
				return nil, err
			}
			c.recs[parent.ID] = parent
			stack = append(stack, parent)
		}
	}
	return added, nil
}

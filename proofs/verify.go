package proofs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/atomicfile"
	"github.com/torrenttx/ttx/vote"
)

// Proof is a verified proof.
type Proof struct {
	// Network is the network the proof is for.
	Network dag.TxID
	// ID is the proven transaction.
	ID dag.TxID
	// Tx is the proven transaction, decoded.
	Tx *dag.Parsed
	// State is the proven transaction's state after replaying the proof:
	// StateAccepted, or StateConflicted if the proof carries a double spend
	// of one of its inputs (which it won, first seen); StateFinal for the
	// genesis, which the replay starts from. Whether the network's vote
	// made it final is Final.
	State dag.State
	// Paid sums the proven transaction's outputs per address, in output
	// order (change to the sender included, marked Change).
	Paid []Payment
	// Ancestors counts the proven transaction's ancestors, genesis included.
	Ancestors int
	// Evidence lists the double spends in the proof, against the proven
	// transaction or its ancestors: each lost to an ancestry transaction.
	Evidence []dag.TxID
	// Nodes are the exporter's DHT nodes, "host:port".
	Nodes []string
	// Final reports whether the proof shows the proven transaction final:
	// it carries a certificate for it whose votes verify and give every
	// input at least Alpha counted node keys, and no double spend in the
	// proof has such a certificate. The genesis is final without one.
	Final bool
	// NotFinal says why Final is false; it is empty when Final is true.
	NotFinal string
	// Certificate is the proven transaction's entry of Certificates, or
	// nil if the proof carries no certificate for it.
	Certificate *Finality
	// Certificates lists what each finality certificate in the proof
	// shows, in the order of their transactions.
	Certificates []Finality

	raws [][]byte
}

// Payment is what one address receives from the proven transaction.
type Payment struct {
	Address string
	Amount  dag.Amount
	// Change reports whether the address is the sender's own.
	Change bool
}

// Raws returns the raw transactions of the proof in the order to add them
// to a node: parents before children, double spends in their first-seen
// order.
func (p *Proof) Raws() [][]byte { return p.raws }

// Verify checks a proof offline against net, with no data dir and no
// network: the file parses strictly and its checksum holds; its info dict
// is byte for byte dag.InfoDict of the proven transaction, so any client
// opening the .torrent gets that transaction; every transaction decodes
// canonically and passes net.CheckSanity (signature, limits, burn, work);
// the ancestry is complete back to net's genesis, parents first; and
// replaying the transactions through a dag.Graph over a dag.MemStore
// leaves the proven one accepted. Every transaction must be an ancestor of
// the proven one, or double-spend evidence against one of those (or an
// ancestor of such evidence). Each finality certificate must be for a
// transaction of the proof, on net, listing that transaction's prev
// outputs as its inputs; its votes are then counted, from any node key,
// and Proof.Final says whether the proven transaction is final. A
// certificate's votes that do not verify leave it not final rather than
// the proof invalid. Errors are *ProofError.
func Verify(b []byte, net *dag.Network) (*Proof, error) {
	return VerifyTrusted(b, net, nil)
}

// VerifyTrusted is Verify counting, in the finality certificates, only the
// votes of the trusted node keys (every key if trusted is nil): votes from
// keys anyone can make up prove nothing to a verifier who knows which
// nodes it trusts.
func VerifyTrusted(b []byte, net *dag.Network, trusted map[vote.NodeKey]bool) (*Proof, error) {
	p, err := verify(b, net, trusted)
	if err != nil {
		return nil, &ProofError{Op: "verify proof", Err: err}
	}
	return p, nil
}

// Import verifies a proof like Verify and returns the raw transactions in
// the order a node adds them.
func Import(b []byte, net *dag.Network) ([][]byte, *Proof, error) {
	p, err := Verify(b, net)
	if err != nil {
		return nil, nil, err
	}
	return p.Raws(), p, nil
}

func verify(b []byte, net *dag.Network, trusted map[vote.NodeKey]bool) (*Proof, error) {
	f, err := parse(b)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(f.Network, net.ID[:]) {
		return nil, fmt.Errorf("%w: proof is for network %x, this is %s (%s)", ErrWrongNetwork, f.Network, net.Params.Name, net.ID)
	}
	id := dag.TxID(sha256.Sum256(f.Info))
	txs := make([]*dag.Parsed, len(f.Txs))
	index := make(map[dag.TxID]int, len(f.Txs))
	for i, raw := range f.Txs {
		p, err := dag.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		if _, dup := index[p.ID]; dup {
			return nil, fmt.Errorf("%w: transaction %s is listed twice", ErrMalformed, p.ID)
		}
		if i == 0 && !p.IsGenesis() {
			return nil, fmt.Errorf("%w: it does not start at a genesis", ErrIncomplete)
		}
		for _, op := range p.Prev {
			if _, ok := index[op.TxID]; !ok {
				return nil, fmt.Errorf("%w: %s spends %s, which the proof does not hold before it", ErrIncomplete, p.ID, op)
			}
		}
		index[p.ID] = i
		txs[i] = p
	}
	ti, ok := index[id]
	if !ok {
		return nil, fmt.Errorf("%w: the info dict is not that of a transaction in the proof", ErrMalformed)
	}
	tx := txs[ti]
	if !bytes.Equal(f.Info, dag.InfoDict(tx.Raw)) {
		return nil, fmt.Errorf("%w: the info dict is not the canonical one of %s", ErrMalformed, id)
	}
	recs, err := replay(net, f.Txs)
	if err != nil {
		return nil, err
	}
	ancestry := ancestorsOf(txs, index, ti)
	related := make(map[int]bool, len(txs))
	for i := range ancestry {
		related[i] = true
	}
	var evidence []dag.TxID
	for i, p := range txs {
		r := recs[i]
		switch {
		case ancestry[i] && !r.State.Accepted():
			return nil, fmt.Errorf("%w: %s ends %s: %w", ErrNotAccepted, p.ID, r.State, r.err)
		case r.State == dag.StateRejected && r.Code != dag.ErrDoubleSpend:
			return nil, fmt.Errorf("transaction %d (%s): %w", i, p.ID, r.err)
		case r.State == dag.StateRejected && conflictsWith(r.Record, index, ancestry):
			evidence = append(evidence, p.ID)
			for j := range ancestorsOf(txs, index, i) {
				related[j] = true
			}
		}
	}
	for i, p := range txs {
		if !related[i] {
			return nil, fmt.Errorf("%w: %s is neither an ancestor of %s nor a double spend against one", ErrUnrelated, p.ID, id)
		}
	}
	finality, err := verifyCerts(f, net, txs, index, trusted)
	if err != nil {
		return nil, err
	}
	pr := &Proof{
		Network:      net.ID,
		ID:           id,
		Tx:           tx,
		State:        recs[ti].State,
		Paid:         payments(net, tx),
		Ancestors:    len(ancestry) - 1,
		Evidence:     evidence,
		Certificates: finality,
		raws:         f.Txs,
	}
	pr.finality()
	for _, n := range f.Nodes {
		pr.Nodes = append(pr.Nodes, n.String())
	}
	return pr, nil
}

// replayed is a transaction's record after a replay, with the rule error
// that rejected it, if any.
type replayed struct {
	*dag.Record
	err error
}

// replay adds raws, in order, to a fresh dag.Graph over a dag.MemStore and
// returns where each ended. Rule failures are in the records; the error is
// for the replay's own faults.
func replay(net *dag.Network, raws [][]byte) ([]replayed, error) {
	st := dag.NewMemStore()
	defer st.Close()
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: st})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer g.Close()
	res, err := g.AddBatch(context.Background(), raws, "proof")
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	out := make([]replayed, len(raws))
	err = st.View(func(r dag.ReadTx) error {
		for i, res := range res {
			rec, err := r.Get(res.ID)
			if errors.Is(err, dag.ErrNotFound) {
				rec = &dag.Record{ID: res.ID, State: res.State}
			} else if err != nil {
				return err
			}
			out[i] = replayed{Record: rec, err: res.Err}
			if re, ok := dag.IsRuleError(res.Err); ok && rec.Code == 0 {
				rec.Code = re.Code
			}
			if out[i].err == nil {
				out[i].err = fmt.Errorf("state %s", rec.State)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return out, nil
}

// ancestorsOf returns the indexes of txs[i] and all its ancestors. Every
// parent is in index (verify checked it).
func ancestorsOf(txs []*dag.Parsed, index map[dag.TxID]int, i int) map[int]bool {
	seen := map[int]bool{i: true}
	stack := []int{i}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, op := range txs[j].Prev {
			k := index[op.TxID]
			if !seen[k] {
				seen[k] = true
				stack = append(stack, k)
			}
		}
	}
	return seen
}

// conflictsWith reports whether r lists a conflict in set.
func conflictsWith(r *dag.Record, index map[dag.TxID]int, set map[int]bool) bool {
	for _, c := range r.Conflicts {
		if i, ok := index[c]; ok && set[i] {
			return true
		}
	}
	return false
}

// payments sums tx's outputs per address, in output order.
func payments(net *dag.Network, tx *dag.Parsed) []Payment {
	var ps []Payment
	at := make(map[dag.PubKey]int)
	for _, o := range tx.Out {
		if i, ok := at[o.Owner]; ok {
			ps[i].Amount += o.Amount // Decode checked that the sum fits
			continue
		}
		at[o.Owner] = len(ps)
		ps = append(ps, Payment{
			Address: net.Address(o.Owner),
			Amount:  o.Amount,
			Change:  !tx.IsGenesis() && o.Owner == tx.From,
		})
	}
	return ps
}

// ReadFile reads a proof file of at most MaxSize bytes. Errors are
// *ProofError.
func ReadFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &ProofError{Op: "read proof", Path: path, Err: err}
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, MaxSize+1))
	if err != nil {
		return nil, &ProofError{Op: "read proof", Path: path, Err: err}
	}
	if len(b) > MaxSize {
		return nil, &ProofError{Op: "read proof", Path: path, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxSize)}
	}
	return b, nil
}

// VerifyFile reads and verifies the proof at path, as VerifyTrusted does.
// Errors are *ProofError.
func VerifyFile(path string, net *dag.Network, trusted map[vote.NodeKey]bool) (*Proof, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := verify(b, net, trusted)
	if err != nil {
		return nil, &ProofError{Op: "verify proof", Path: path, Err: err}
	}
	return p, nil
}

// WriteFile writes proof bytes to a new file at path (mode 0644). It never
// replaces an existing file: that is an error wrapping fs.ErrExist. Errors
// are *ProofError.
func WriteFile(path string, b []byte) error {
	if err := atomicfile.WriteNew(path, b, 0o644); err != nil {
		return &ProofError{Op: "write proof", Path: path, Err: err}
	}
	return nil
}

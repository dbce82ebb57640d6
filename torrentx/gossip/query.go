package gossip

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// PeerAnswer is one peer's answer to Query.
type PeerAnswer struct {
	Peer string
	// Statuses holds the peer's status of each queried ID it answered
	// for, in no particular order.
	Statuses map[dag.TxID]wire.Status
	// Complete reports whether it answered for every ID.
	Complete bool
}

// query is a Query waiting for answers. Its fields are guarded by e.mu.
type query struct {
	ids     map[dag.TxID]bool
	answers map[string]*PeerAnswer // by peer, while awaited
	waiting int                    // peers not complete
	done    chan struct{}
}

func (q *query) finish() {
	select {
	case <-q.done:
	default:
		close(q.done)
	}
}

// drop stops waiting for peer.
func (q *query) drop(peer string) {
	if a := q.answers[peer]; a != nil && !a.Complete {
		q.waiting--
		if q.waiting == 0 {
			q.finish()
		}
	}
}

// Query asks peers (all ready ones if peerIDs is empty) what they hold ids
// to be, for a receiver's confidence ("accepted by k of n, no conflict").
// It returns when every asked peer answered for every ID, or when ctx
// ends, with what came in. At most wire.MaxIDs IDs.
func (e *Engine) Query(ctx context.Context, ids []dag.TxID, peerIDs []string) ([]PeerAnswer, error) {
	if len(ids) == 0 || len(ids) > wire.MaxIDs {
		return nil, fmt.Errorf("gossip: query %d IDs: want 1 to %d", len(ids), wire.MaxIDs)
	}
	ids = slices.Compact(slices.SortedFunc(slices.Values(ids), compareIDs))
	q := &query{ids: make(map[dag.TxID]bool, len(ids)), answers: make(map[string]*PeerAnswer), done: make(chan struct{})}
	for _, id := range ids {
		q.ids[id] = true
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	var asked []*peer
	for _, ps := range e.peers {
		if ps.ready() && (len(peerIDs) == 0 || slices.Contains(peerIDs, ps.id)) {
			asked = append(asked, ps)
			q.answers[ps.id] = &PeerAnswer{Peer: ps.id, Statuses: make(map[dag.TxID]wire.Status)}
		}
	}
	if len(asked) == 0 {
		e.mu.Unlock()
		return nil, ErrNoPeers
	}
	nonce := e.nextNonce()
	q.waiting = len(asked)
	e.queries[nonce] = q
	e.mu.Unlock()

	for _, ps := range asked {
		e.send(ps, &wire.Query{Nonce: nonce, IDs: ids})
	}
	select {
	case <-q.done:
	case <-ctx.Done():
	}
	e.mu.Lock()
	delete(e.queries, nonce)
	out := make([]PeerAnswer, 0, len(q.answers))
	for _, a := range q.answers {
		out = append(out, PeerAnswer{Peer: a.Peer, Statuses: a.Statuses, Complete: a.Complete})
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b PeerAnswer) int { return strings.Compare(a.Peer, b.Peer) })
	return out, nil
}

// handleQuery answers with what we hold each ID to be, split over as many
// answers as the size limit needs.
func (e *Engine) handleQuery(ps *peer, m *wire.Query) {
	statuses := make([]wire.Status, len(m.IDs))
	err := e.cfg.Store.View(func(r dag.ReadTx) error {
		for i, id := range m.IDs {
			statuses[i].ID = id
			rec, err := r.Get(id)
			if errors.Is(err, dag.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			statuses[i].State, statuses[i].Code = rec.State, rec.Code
			statuses[i].Conflicts = rec.Conflicts[:min(len(rec.Conflicts), wire.MaxConflicts)]
		}
		return nil
	})
	if err != nil {
		e.log.Error("read queried txs", logErr, err)
		return
	}
	for i := range statuses {
		if statuses[i].State == dag.StateUnknown {
			st, err := e.cfg.Ledger.State(statuses[i].ID)
			if err != nil {
				e.log.Error("read state", logErr, err)
				return
			}
			statuses[i].State = st
		}
	}
	a := &wire.Answer{Nonce: m.Nonce}
	size := wire.AnswerOverhead
	for _, s := range statuses {
		if size+wire.StatusSize(len(s.Conflicts)) > wire.MaxMessageSize {
			e.send(ps, a)
			a, size = &wire.Answer{Nonce: m.Nonce}, wire.AnswerOverhead
		}
		a.Statuses = append(a.Statuses, s)
		size += wire.StatusSize(len(s.Conflicts))
	}
	e.send(ps, a)
}

func (e *Engine) handleAnswer(ps *peer, m *wire.Answer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queries[m.Nonce]
	if q == nil {
		return
	}
	a := q.answers[ps.id]
	if a == nil || a.Complete {
		return
	}
	for _, s := range m.Statuses {
		if q.ids[s.ID] {
			a.Statuses[s.ID] = s
		}
	}
	if len(a.Statuses) == len(q.ids) {
		a.Complete = true
		q.waiting--
		if q.waiting == 0 {
			q.finish()
		}
	}
}

package gossip

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// Voter takes part in the network-wide vote on conflicts: it answers the
// polls of peers and counts the votes that answer ours. The engine calls
// it from the goroutines that handle peers' messages (a peer's Handle or
// its settler), concurrently across peers and for one peer too, so it must
// be safe for concurrent use and must not block: the peer's next message
// waits for it. It may call Engine methods.
type Voter interface {
	// Poll is a poll from the ready peer whose hello carried the node key
	// from. The transactions it carried are in the ledger already (stored,
	// rejected, or pending on missing parents, which are being wanted).
	// Answer it with Engine.Answer and the poll's Req.
	Poll(from dag.PubKey, p *wire.Poll)
	// Votes answers a poll we sent with Engine.Poll to the peer whose
	// hello carried from: at most one per poll, and only within
	// Config.PollTimeout. Its batch is unchecked: verify its signature
	// against from.
	Votes(from dag.PubKey, v *wire.Votes)
}

// unsolicitedScore is what a votes message that answers no poll of ours
// costs: a peer would need many to be banned.
const unsolicitedScore = 5

// lateVotesFor is how long a poll we stopped awaiting unanswered is
// remembered, so that its votes, when they come, are dropped at no cost:
// a peer answers a poll once what it received before the poll is
// committed, so an honest peer behind by minutes under overload answers
// that late, and scoring those answers as unsolicited banned it (under
// 1,000 tx/s over 10 nodes on 2 cores, every ban was one). At most
// 4 × MaxPolls are remembered per peer, the oldest forgotten first.
const lateVotesFor = 10 * time.Minute

// voteCounters counts vote traffic in one direction.
type voteCounters struct{ polls, votes, bytes atomic.Uint64 }

// count counts a message of type t and n bytes, if it is a poll or votes.
func (c *voteCounters) count(t wire.Type, n int) {
	switch t {
	case wire.TypePoll:
		c.polls.Add(1)
	case wire.TypeVotes:
		c.votes.Add(1)
	default:
		return
	}
	c.bytes.Add(uint64(n))
}

// Poll sends p to the ready peer whose hello carried key (the oldest such
// connection, as SendTo picks) and awaits its votes for Config.PollTimeout:
// the Voter gets them. A peer older than wire.PollIDsVersion is sent the
// stored bytes of p.IDs in p.Txs instead (as many as fit). p.Req must not be awaited from that peer already,
// and at most Config.MaxPolls polls await one peer. Poll returns an error
// wrapping ErrUnknownPeer when no ready peer has the key and speaks
// wire.VoteVersion, ErrPollLimit, ErrClosed, or the encoding or transport
// error.
func (e *Engine) Poll(key dag.PubKey, p *wire.Poll) error {
	now := e.cfg.Now()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	ps := e.peerByKeyLocked(key)
	var err error
	switch {
	case ps == nil:
		err = fmt.Errorf("poll: %w: %x", ErrUnknownPeer, key)
	case ps.version < wire.VoteVersion:
		err = fmt.Errorf("poll: %w: %x speaks version %d, votes need %d", ErrUnknownPeer, key, ps.version, wire.VoteVersion)
	default:
		if _, dup := ps.awaiting[p.Req]; dup {
			err = fmt.Errorf("poll %s: %w: req %d awaited already", ps.id, ErrPollLimit, p.Req)
			break
		}
		if len(ps.awaiting) >= e.cfg.MaxPolls {
			e.expirePollsLocked(ps, now.Add(-e.cfg.PollTimeout))
		}
		if len(ps.awaiting) >= e.cfg.MaxPolls {
			err = fmt.Errorf("poll %s: %w: %d awaited", ps.id, ErrPollLimit, len(ps.awaiting))
			break
		}
		ps.awaiting[p.Req] = now
		delete(ps.gaveUp, p.Req)
	}
	old := ps != nil && ps.version < wire.PollIDsVersion
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if old && len(p.IDs) > 0 {
		p = e.withTxs(p)
	}
	if err := e.trySend(ps, p); err != nil {
		e.mu.Lock()
		delete(ps.awaiting, p.Req)
		e.mu.Unlock()
		return err
	}
	return nil
}

// withTxs returns a copy of p whose Txs carry the stored bytes of its IDs
// in place of them, as many as fit in one message.
func (e *Engine) withTxs(p *wire.Poll) *wire.Poll {
	q := &wire.Poll{Req: p.Req, Outs: p.Outs, Txs: slices.Clone(p.Txs)}
	budget := wire.MaxMessageSize - wire.PollOverhead - len(p.Outs)*wire.OutPointSize
	for _, raw := range q.Txs {
		budget -= wire.PollTxSize(len(raw))
	}
	e.cfg.Store.View(func(r dag.ReadTx) error {
		for _, id := range p.IDs {
			rec, err := r.Get(id)
			if err != nil || len(q.Txs) == wire.MaxPollTxs || wire.PollTxSize(len(rec.Raw)) > budget {
				continue
			}
			q.Txs = append(q.Txs, rec.Raw)
			budget -= wire.PollTxSize(len(rec.Raw))
		}
		return nil
	})
	return q
}

// Answer sends v, the answer to a poll, to the peer whose hello carried
// key, as SendTo does.
func (e *Engine) Answer(key dag.PubKey, v *wire.Votes) error { return e.SendTo(key, v) }

// expirePollsLocked stops awaiting ps's polls sent before cutoff, and
// forgets those given up that were sent lateVotesFor before it. It must
// be called with e.mu held.
func (e *Engine) expirePollsLocked(ps *peer, cutoff time.Time) {
	for req, sent := range ps.gaveUp {
		if sent.Before(cutoff.Add(-lateVotesFor)) {
			delete(ps.gaveUp, req)
		}
	}
	for req, sent := range ps.awaiting {
		if !sent.Before(cutoff) {
			continue
		}
		delete(ps.awaiting, req)
		if len(ps.gaveUp) >= 4*e.cfg.MaxPolls {
			oldest, first := uint64(0), time.Time{}
			for r, at := range ps.gaveUp {
				if first.IsZero() || at.Before(first) {
					oldest, first = r, at
				}
			}
			delete(ps.gaveUp, oldest)
		}
		ps.gaveUp[req] = sent
	}
}

// handlePoll adds the poll's transactions to the ledger as pushed ones are
// (same checks, same scoring), wants those of its IDs the ledger lacks as
// an inv would, and hands the poll to the Voter once its transactions are
// committed: the settler does, after what the peer sent before. Polls
// past the peer's PollRate are dropped and scored; without a Voter a poll
// is dropped unread.
func (e *Engine) handlePoll(ps *peer, m *wire.Poll) {
	now := e.cfg.Now()
	e.mu.Lock()
	if !ps.polls.take(now, 1) {
		e.punishLocked(ps, 10, "over the poll rate")
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	if e.cfg.Voter == nil {
		return
	}
	if len(m.Txs) > 0 {
		// Hashing gives the IDs that handleTx skips known transactions
		// by; it hashes the others again, as it does every pushed one
		// (dag.Claimed is how a dag.Hashed is made).
		entries := make([]wire.TxEntry, len(m.Txs))
		for i, raw := range m.Txs {
			entries[i] = wire.TxEntry{ID: dag.IDs(raw).ID, Raw: raw}
		}
		e.handleTx(ps, &wire.Tx{Txs: entries})
	}
	if len(m.IDs) > 0 {
		e.handleInv(ps, &wire.Inv{IDs: m.IDs})
	}
	e.mu.Lock()
	idle := len(ps.held) == 0 && ps.moving == 0
	e.mu.Unlock()
	if idle && ps.unsettled.Load() == 0 { // only this goroutine adds to it then
		e.givePoll(ps, m)
		return
	}
	e.holdCtl(ps, txAdd{poll: m})
}

// givePoll hands m to the Voter unless ps was dropped meanwhile (banned
// for an invalid transaction in the poll, say).
func (e *Engine) givePoll(ps *peer, m *wire.Poll) {
	e.mu.Lock()
	gone := ps.gone
	key := ps.hello.NodeKey
	e.mu.Unlock()
	if !gone {
		e.cfg.Voter.Poll(key, m)
	}
}

// handleVotes hands the Voter an answer to a poll we sent ps: within
// PollTimeout, once per poll. A later answer (up to another PollTimeout
// while awaited, then for lateVotesFor) is dropped; any other costs
// unsolicitedScore. Without a Voter, votes are dropped unread.
func (e *Engine) handleVotes(ps *peer, m *wire.Votes) {
	if e.cfg.Voter == nil {
		return
	}
	now := e.cfg.Now()
	e.mu.Lock()
	sent, ok := ps.awaiting[m.Req]
	delete(ps.awaiting, m.Req)
	key := ps.hello.NodeKey
	if !ok {
		if _, late := ps.gaveUp[m.Req]; late {
			delete(ps.gaveUp, m.Req)
			e.mu.Unlock()
			e.log.Debug("late votes", logPeer, ps.id, "req", m.Req)
			return
		}
		e.punishLocked(ps, unsolicitedScore, fmt.Sprintf("votes for req %d, not awaited", m.Req))
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	if now.Sub(sent) > e.cfg.PollTimeout {
		e.log.Debug("late votes", logPeer, ps.id, "req", m.Req, "after", now.Sub(sent))
		return
	}
	e.cfg.Voter.Votes(key, m)
}

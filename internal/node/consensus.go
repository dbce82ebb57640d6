package node

import (
	"fmt"
	"net/netip"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/consensus"
	"github.com/torrenttx/ttx/torrentx/wire"
	"github.com/torrenttx/ttx/vote"
)

// voteLink carries the consensus engine's polls and answers over the
// gossip engine.
type voteLink struct{ g *gossipLink }

var _ consensus.Transport = voteLink{}

// voteInbox hands the consensus engine the polls and answers peers send
// (gossip's Voter).
type voteInbox struct{ n *Node }

// Peers implements consensus.Transport: the ready ttx peers, by node key
// and IP address.
func (v voteLink) Peers() []vote.Peer {
	e := v.g.engine
	if e == nil {
		return nil
	}
	var out []vote.Peer
	for _, p := range e.Peers() {
		ap, err := netip.ParseAddrPort(p.ID)
		if !p.Ready || p.NodeKey == (dag.PubKey{}) || err != nil {
			continue
		}
		out = append(out, vote.Peer{Key: vote.NodeKey(p.NodeKey), Addr: ap.Addr().Unmap()})
	}
	return out
}

// Poll implements consensus.Transport.
// It reaches connected peers only: a node of the directory that is not
// one fails, and the Engine forgets it.
func (v voteLink) Poll(key vote.NodeKey, req uint64, outs []dag.OutPoint, ids []dag.TxID) error {
	if err := v.g.engine.Poll(dag.PubKey(key), &wire.Poll{Req: req, Outs: outs, IDs: ids}); err != nil {
		return fmt.Errorf("send poll: %w", err)
	}
	v.g.n.metrics.pollsSent.Add(1)
	return nil
}

// Answer implements consensus.Transport.
func (v voteLink) Answer(key vote.NodeKey, req uint64, batch []byte) error {
	if err := v.g.engine.Answer(dag.PubKey(key), &wire.Votes{Req: req, Batch: batch}); err != nil {
		return fmt.Errorf("send votes: %w", err)
	}
	v.g.n.metrics.answersSent.Add(1)
	return nil
}

// Poll takes a peer's poll.
func (v voteInbox) Poll(from dag.PubKey, p *wire.Poll) {
	v.n.metrics.pollsReceived.Add(1)
	v.n.consensus.HandlePoll(vote.NodeKey(from), p.Req, p.Outs)
}

// Votes takes a peer's answer.
func (v voteInbox) Votes(from dag.PubKey, m *wire.Votes) {
	v.n.metrics.answersReceived.Add(1)
	v.n.consensus.HandleVotes(vote.NodeKey(from), m.Req, m.Batch)
}

// VoteTraffic sums what the node sent to its connected ttx peers for the
// vote: polls, answers (one signature each), and their bytes.
func (n *Node) VoteTraffic() (polls, answers, bytes uint64) {
	for _, p := range n.gossip.engine.Peers() {
		polls += p.PollsOut
		answers += p.VotesOut
		bytes += p.VoteBytesOut
	}
	return polls, answers, bytes
}

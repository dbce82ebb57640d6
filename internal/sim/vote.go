package sim

import (
	"fmt"
	"net/netip"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/consensus"
	"github.com/torrenttx/ttx/torrentx/gossip"
	"github.com/torrenttx/ttx/torrentx/wire"
	"github.com/torrenttx/ttx/vote"
)

// voteOut carries a node's polls and answers over its gossip engine.
type voteOut struct{ n *Node }

// voteIn hands its consensus engine the polls and answers peers send.
type voteIn struct{ n *Node }

var (
	_ consensus.Transport = voteOut{}
	_ gossip.Voter        = voteIn{}
)

// Peers implements consensus.Transport: the ready peers, by node key and
// address.
func (v voteOut) Peers() []vote.Peer {
	var out []vote.Peer
	for _, p := range v.n.eng.Peers() {
		if ap, err := netip.ParseAddrPort(p.ID); err == nil && p.Ready {
			out = append(out, vote.Peer{Key: vote.NodeKey(p.NodeKey), Addr: ap.Addr()})
		}
	}
	return out
}

// Poll implements consensus.Transport.
func (v voteOut) Poll(key vote.NodeKey, req uint64, outs []dag.OutPoint, txs [][]byte) error {
	if err := v.n.eng.Poll(dag.PubKey(key), &wire.Poll{Req: req, Outs: outs, Txs: txs}); err != nil {
		return fmt.Errorf("sim: poll: %w", err)
	}
	return nil
}

// Answer implements consensus.Transport.
func (v voteOut) Answer(key vote.NodeKey, req uint64, batch []byte) error {
	if err := v.n.eng.Answer(dag.PubKey(key), &wire.Votes{Req: req, Batch: batch}); err != nil {
		return fmt.Errorf("sim: answer: %w", err)
	}
	return nil
}

// Poll implements gossip.Voter.
func (v voteIn) Poll(from dag.PubKey, p *wire.Poll) {
	v.n.vote.HandlePoll(vote.NodeKey(from), p.Req, p.Outs)
}

// Votes implements gossip.Voter.
func (v voteIn) Votes(from dag.PubKey, m *wire.Votes) {
	v.n.vote.HandleVotes(vote.NodeKey(from), m.Req, m.Batch)
}

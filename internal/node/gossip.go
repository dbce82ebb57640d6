package node

import (
	"context"
	"errors"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/torrentx"
)

// gossipLink connects the node to the gossip engine.
type gossipLink struct{ n *Node }

func newGossipLink(n *Node) *gossipLink { return &gossipLink{n: n} }

func (g *gossipLink) start() error                  { return nil }
func (g *gossipLink) handler() torrentx.Handler     { return nil }
func (g *gossipLink) announce(changes []dag.Change) {}
func (g *gossipLink) close()                        {}
func (g *gossipLink) inSync(d dag.Digest) int       { return 0 }

func (g *gossipLink) ask(ctx context.Context, id dag.TxID, trusted []string) ([]api.PeerAnswer, error) {
	return nil, errors.New("not yet")
}

func (g *gossipLink) describe(p torrentx.PeerInfo) api.Peer {
	return api.Peer{Addr: p.Addr, Agent: p.Client, TTX: p.TTX}
}

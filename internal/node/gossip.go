package node

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/torrentx"
	"github.com/torrenttx/ttx/torrentx/gossip"
)

// gossipLink connects the node to the gossip engine: the Graph's changes go
// out through it, and it pulls what no peer pushes through the BitTorrent
// client. Open sets engine, then client, before the client starts: every
// fetch the engine makes is for a want, and wants come from peers and the
// ledger's changes, which come after that (the genesis commit, before the
// engine exists, is announced to nobody).
type gossipLink struct {
	n      *Node
	engine *gossip.Engine
	client *torrentx.Client
}

func newGossipLink(n *Node) *gossipLink { return &gossipLink{n: n} }

// start starts the engine; listenPort goes into our hello so that peers
// can dial us back.
func (g *gossipLink) start(listenPort uint16) error {
	n := g.n
	e, err := gossip.New(gossip.Config{
		Network:    n.cfg.Network,
		Ledger:     n.graph,
		Store:      n.store,
		NodeKey:    n.key.Public(),
		Fetcher:    fetcher{g},
		Logger:     n.cfg.Logger,
		Now:        n.cfg.Now,
		Agent:      "ttx/" + Version,
		ListenPort: listenPort,
		Voter:      voteInbox{n},
	})
	if err != nil {
		return fmt.Errorf("start gossip: %w", err)
	}
	g.engine = e
	return nil
}

// announce relays committed changes; before the engine starts (the genesis
// commit) there is nobody to tell.
func (g *gossipLink) announce(changes []dag.Change) {
	if e := g.engine; e != nil {
		e.Announce(changes)
	}
}

func (g *gossipLink) close() {
	if e := g.engine; e != nil {
		e.Close()
	}
}

// inSync counts the ttx peers whose last digest equals d.
func (g *gossipLink) inSync(d dag.Digest) int {
	k := 0
	for _, p := range g.engine.Peers() {
		if p.Ready && p.Digest == d {
			k++
		}
	}
	return k
}

// best returns the largest transaction count among the ready ttx peers'
// digests (from their hellos and pings), or have if none holds more.
func (g *gossipLink) best(have uint64) uint64 {
	for _, p := range g.engine.Peers() {
		if p.Ready && p.Digest.Count > have {
			have = p.Digest.Count
		}
	}
	return have
}

// ask queries peers about id: the trusted ones (dialled if need be) or
// every connected ttx peer.
func (g *gossipLink) ask(ctx context.Context, id dag.TxID, trusted []string) ([]api.PeerAnswer, error) {
	e := g.engine
	var ids []string
	var unreachable []string
	if len(trusted) > 0 {
		if err := g.n.client.AddPeers(trusted); err != nil {
			return nil, api.NewError(400, api.CodeBadRequest, err)
		}
		ids, unreachable = g.resolve(ctx, trusted)
		if len(ids) == 0 {
			return answersFor(unreachable, "not connected"), nil
		}
	}
	answers, err := e.Query(ctx, []dag.TxID{id}, ids)
	if err != nil && len(answers) == 0 {
		return nil, err
	}
	out := make([]api.PeerAnswer, 0, len(answers)+len(unreachable))
	for _, a := range answers {
		pa := api.PeerAnswer{Peer: a.Peer}
		if st, ok := a.Statuses[id]; ok {
			pa.State = st.State.String()
			pa.Conflicts = st.Conflicts
		} else {
			pa.Error = "no answer in time"
		}
		out = append(out, pa)
	}
	return append(out, answersFor(unreachable, "not connected")...), nil
}

func answersFor(peers []string, why string) []api.PeerAnswer {
	out := make([]api.PeerAnswer, len(peers))
	for i, p := range peers {
		out[i] = api.PeerAnswer{Peer: p, Error: why}
	}
	return out
}

// resolve maps listen addresses to the IDs of connected ttx peers: a peer
// matches by its connection address or by its IP and announced listen port.
// It waits (until ctx ends) for freshly dialled peers to say hello.
func (g *gossipLink) resolve(ctx context.Context, addrs []string) (ids, missing []string) {
	for {
		ids, missing = ids[:0], missing[:0]
		peers := g.engine.Peers()
		for _, a := range addrs {
			if id, ok := matchPeer(peers, a); ok {
				ids = append(ids, id)
			} else {
				missing = append(missing, a)
			}
		}
		if len(missing) == 0 {
			return ids, nil
		}
		select {
		case <-ctx.Done():
			return ids, missing
		case <-waitTick():
		}
	}
}

func matchPeer(peers []gossip.PeerInfo, addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	for _, p := range peers {
		if !p.Ready {
			continue
		}
		if p.ID == addr {
			return p.ID, true
		}
		if h, _, err := net.SplitHostPort(p.ID); err == nil && h == host && strconv.Itoa(int(p.ListenPort)) == port {
			return p.ID, true
		}
	}
	return "", false
}

// describe joins what the BitTorrent client and the gossip engine know of a
// connection, and names the peer by where it listens.
func (g *gossipLink) describe(p torrentx.PeerInfo, ours dag.Digest, gp map[string]gossip.PeerInfo) api.Peer {
	out := api.Peer{Addr: p.Addr, Conn: p.Addr, Agent: p.Client, TTX: p.TTX, Inbound: p.Inbound, ListenPort: int(p.ListenPort),
		DownRate: int64(p.DownRate), UpRate: int64(p.UpRate)}
	if info, ok := gp[p.Addr]; ok {
		if info.Agent != "" {
			out.Agent = info.Agent
		}
		out.ConnectedAt = info.Since
		if info.Ready {
			out.Digest = info.Digest.String()
			out.InSync = info.Digest == ours
			out.NodeKey = hex.EncodeToString(info.NodeKey[:])
			if info.ListenPort != 0 {
				out.ListenPort = int(info.ListenPort)
			}
		}
	}
	if host, _, err := net.SplitHostPort(p.Addr); err == nil && out.ListenPort != 0 {
		out.Addr = net.JoinHostPort(host, strconv.Itoa(out.ListenPort))
	}
	return out
}

// fetcher lets the engine download by plain BitTorrent.
type fetcher struct{ g *gossipLink }

func (f fetcher) Fetch(ctx context.Context, id dag.TxID, peers []string) ([]byte, error) {
	return f.g.client.Fetch(ctx, id, peers)
}

// waitTick paces polling for peers to appear.
func waitTick() <-chan time.Time { return time.After(50 * time.Millisecond) }

// GossipStats returns the gossip engine's traffic counters since the node
// started: the copies of transactions received, and bytes in and out.
func (n *Node) GossipStats() gossip.Stats { return n.gossip.engine.Stats() }

package torrentx

import (
	"testing"
	"time"

	"github.com/anacrolix/torrent"

	"github.com/torrenttx/ttx/torrentx/gossip"
)

// lastTxRanker is a Handler and Ranker that reports when each peer last
// sent a new transaction.
type lastTxRanker map[string]time.Time

func (lastTxRanker) AddPeer(gossip.Peer)        {}
func (lastTxRanker) RemovePeer(gossip.Peer)     {}
func (lastTxRanker) Handle(gossip.Peer, []byte) {}
func (r lastTxRanker) PeerRank(id string) (time.Duration, time.Time, bool) {
	t, ok := r[id]
	return 0, t, ok
}

// TestRotate checks when a node rotates an outbound slot and which peer it
// closes: only once due, with every slot full and no dial in flight, for
// a candidate no connection holds, and never a peer given to AddPeers.
func TestRotate(t *testing.T) {
	now := time.Now()
	const (
		old, young, known, in = "10.0.0.1:1", "10.1.0.1:1", "10.2.0.1:1", "10.3.0.1:1"
		free                  = "10.4.0.1:1"
	)
	tests := []struct {
		name     string
		due      time.Time
		outbound []string // the first is the oldest
		dialing  bool
		known    []string
		ranks    lastTxRanker
		victim   string // "": no rotation
	}{
		{name: "full", due: now, outbound: []string{old, young}, victim: young},
		{name: "not due", due: now.Add(time.Second), outbound: []string{old, young}},
		{name: "slot free", due: now, outbound: []string{old}},
		{name: "dial in flight", due: now, outbound: []string{old, young}, dialing: true},
		{name: "AddPeers peer kept", due: now, outbound: []string{old, known}, known: []string{known}, victim: old},
		{name: "only AddPeers peers", due: now, outbound: []string{old, known}, known: []string{old, known}},
		{name: "recent sender kept", due: now, outbound: []string{old, young}, ranks: lastTxRanker{young: now}, victim: old},
		{name: "least recent sender closed", due: now, outbound: []string{old, young},
			ranks: lastTxRanker{old: now, young: now.Add(-time.Minute)}, victim: young},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{
				cfg:      Config{MaxOutbound: 2},
				swarm:    make(map[*torrent.PeerConn]*swarmPeer),
				cands:    make(map[string]*candidate),
				dialing:  make(map[string]time.Time),
				known:    tc.known,
				rotateAt: tc.due,
			}
			if tc.ranks != nil {
				c.cfg.Gossip = tc.ranks
			}
			byPC := make(map[*torrent.PeerConn]string)
			for i, a := range append([]string{in}, tc.outbound...) {
				pc := new(torrent.PeerConn)
				byPC[pc] = a
				c.swarm[pc] = &swarmPeer{inbound: a == in, since: now.Add(time.Duration(i-10) * time.Second), dial: a, admitted: true}
			}
			c.addCandidatesLocked(append([]string{in, free}, tc.outbound...))
			if tc.dialing {
				c.dialing["10.5.0.1:1"] = now
			}
			pc, a := c.rotate(now)
			if tc.victim == "" {
				if pc != nil {
					t.Fatalf("rotate closes %s for %s, want no rotation", byPC[pc], a)
				}
				return
			}
			if pc == nil {
				t.Fatalf("rotate rotates nothing, want %s closed for %s", tc.victim, free)
			}
			if byPC[pc] != tc.victim || a != free {
				t.Errorf("rotate closes %s for %s, want %s for %s", byPC[pc], a, tc.victim, free)
			}
			if _, ok := c.dialing[a]; !ok {
				t.Errorf("%s is not marked as dialled", a)
			}
			if !c.rotateAt.After(now) {
				t.Errorf("next rotation at %v, want after %v", c.rotateAt, now)
			}
			if pc, _ := c.rotate(now); pc != nil {
				t.Errorf("a second rotate at once closes %s too", byPC[pc])
			}
		})
	}
}

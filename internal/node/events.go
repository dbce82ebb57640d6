package node

import (
	"sync"

	"github.com/torrenttx/ttx/dag"
)

// hub fans the Graph's committed changes out to subscribers (the web UI's
// live view). A slow subscriber loses changes rather than stalling the
// ledger: the channel is buffered and a full one is skipped.
type hub struct {
	mu     sync.Mutex
	subs   map[chan []dag.Change]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: make(map[chan []dag.Change]struct{})} }

func (h *hub) publish(changes []dag.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- changes:
		default:
		}
	}
}

// Subscribe returns a channel of committed changes and a function that ends
// the subscription. The channel is closed when the node closes.
func (n *Node) Subscribe() (<-chan []dag.Change, func()) {
	h := n.events
	ch := make(chan []dag.Change, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// Raw returns the bytes of a stored transaction (web.Source).
func (n *Node) Raw(id dag.TxID) ([]byte, error) { return dag.StoredRaw(n.store, id) }

// PeerCounts returns the connected peers, the ttx peers on this network,
// and those whose digest equals ours (web.Source).
func (n *Node) PeerCounts() (peers, ttx, inSync int) {
	peers, ttx = n.peerCounts()
	if d, err := n.digest(); err == nil {
		inSync = n.gossip.inSync(d)
	}
	return peers, ttx, inSync
}

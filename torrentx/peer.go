package torrentx

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent"

	"github.com/torrenttx/ttx/torrentx/gossip"
)

// Handler consumes the ttx extension: the gossip engine implements it.
// Each connected peer that speaks ttx is handed over as a gossip.Peer,
// the interface the engine defines for its transports.
// For each peer, AddPeer comes first, then Handle for each message in
// arrival order, then RemovePeer once the connection is gone; the calls
// for one peer come from one goroutine, with no lock held, so they may
// block (the peer's incoming queue then fills, and reading from its
// connection pauses: gate.go).
type Handler interface {
	AddPeer(p gossip.Peer)
	RemovePeer(p gossip.Peer)
	// Handle receives one message. The payload is the handler's to keep.
	Handle(p gossip.Peer, payload []byte)
}

// peer adapts a PeerConn that offered ttx to gossip.Peer. It is safe for
// concurrent use; its ID is the remote "ip:port", and Send queues without
// blocking (at most MaxMessageSize bytes; ErrQueueFull when the queue is
// full, ErrClosed once the peer is gone; the caller must not modify the
// payload afterwards). The library lock is held in its callbacks and
// taken by WriteExtendedMessage, so messages cross it through queues: out
// is drained by writeLoop, in by run.
type peer struct {
	c    *Client
	pc   *torrent.PeerConn
	id   string
	out  chan []byte
	done chan struct{} // closed by shut
	once sync.Once
	// in holds the received payloads not yet handled, in order, and cost
	// their cost (msgCost); wake tells run that in is not empty. gate
	// pauses reading the connection (nil if it is not one of ours).
	inMu sync.Mutex
	in   [][]byte
	cost int
	wake chan struct{}
	gate *readGate
	// pauses counts the pauses of its connection.
	pauses atomic.Uint64
	// started: run was started (at admission), guarded by Client.mu.
	started bool
}

// Incoming queue bounds: reading pauses once a peer's queued payloads
// cost pauseCost and resumes below resumeCost; a peer whose queue costs
// more than MaxQueuedBytes (which only one whose connection is not gated
// can do) is closed.
const (
	pauseCost  = MaxQueuedBytes / 4
	resumeCost = pauseCost / 2
	// msgOverhead is what a queued payload costs beyond its bytes, so
	// that a flood of tiny messages is bounded too.
	msgOverhead = 256
)

func msgCost(b []byte) int { return len(b) + msgOverhead }

var (
	_ gossip.Peer    = (*peer)(nil)
	_ Handler        = (*gossip.Engine)(nil)
	_ Ranker         = (*gossip.Engine)(nil)
	_ gossip.Fetcher = (*Client)(nil)
)

func newPeer(c *Client, pc *torrent.PeerConn) *peer {
	return &peer{
		c:    c,
		pc:   pc,
		id:   pc.RemoteAddr.String(),
		out:  make(chan []byte, c.cfg.PeerQueue),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
		gate: c.readGateOf(pc),
	}
}

func (p *peer) ID() string { return p.id }

func (p *peer) Send(payload []byte) error {
	if len(payload) > MaxMessageSize {
		return ErrMessageTooLarge
	}
	select {
	case <-p.done:
		return ErrClosed
	default:
	}
	select {
	case p.out <- payload:
		return nil
	default:
		return ErrQueueFull
	}
}

func (p *peer) Close(reason error) {
	p.c.log.Debug("close peer", "peer", p.id, "err", reason)
	p.shut()
	go p.pc.Close()
}

// unsentPoll is how often a writeLoop past maxUnsent looks again.
const unsentPoll = 5 * time.Millisecond

// waitUnsent waits until what was handed to the library, less what it
// wrote, is under maxUnsent, and reports false if the peer went first.
// What the library wrote counts its own messages too, so handed is raised
// to it whenever it is behind: the estimate then never owes us credit, and
// while the connection is stalled every byte handed counts.
func (p *peer) waitUnsent(handed *int64) bool {
	if p.gate == nil {
		return true
	}
	for {
		w := p.gate.written.Load()
		*handed = max(*handed, w)
		if *handed-w < maxUnsent {
			return true
		}
		select {
		case <-p.done:
			return false
		case <-time.After(unsentPoll):
		}
	}
}

// shut marks the peer gone and stops its goroutines.
func (p *peer) shut() { p.once.Do(func() { close(p.done) }) }

// deliver queues an incoming message. Called with the library lock held,
// so it never blocks: past pauseCost it pauses reading the connection,
// and a peer whose queue costs more than MaxQueuedBytes is closed.
func (p *peer) deliver(payload []byte) {
	p.inMu.Lock()
	p.cost += msgCost(payload)
	cost := p.cost
	if cost <= MaxQueuedBytes {
		p.in = append(p.in, payload)
	}
	p.inMu.Unlock()
	switch {
	case cost > MaxQueuedBytes:
		p.c.log.Info("close peer: incoming queue full", "peer", p.id, "cost", cost, "gated", p.gate != nil)
		p.Close(ErrPeerFlood)
		return
	case cost >= pauseCost && p.gate != nil && p.gate.pause():
		p.pauses.Add(1)
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// next returns the oldest queued message, waiting for one, or false once
// the peer is gone.
func (p *peer) next() ([]byte, bool) {
	for {
		p.inMu.Lock()
		if len(p.in) > 0 {
			b := p.in[0]
			p.in[0] = nil
			p.in = p.in[1:]
			p.inMu.Unlock()
			return b, true
		}
		p.inMu.Unlock()
		select {
		case <-p.done:
			return nil, false
		case <-p.wake:
		}
	}
}

// handled takes b's cost off the queue, and resumes reading below
// resumeCost.
func (p *peer) handled(b []byte) {
	p.inMu.Lock()
	p.cost -= msgCost(b)
	cost := p.cost
	p.inMu.Unlock()
	if cost < resumeCost && p.gate != nil {
		p.gate.open()
	}
}

// run feeds the handler until the connection closes.
func (p *peer) run(h Handler) {
	go p.writeLoop()
	h.AddPeer(p)
	defer h.RemovePeer(p)
	for {
		b, ok := p.next()
		if !ok {
			return
		}
		select {
		case <-p.done:
			return
		default:
		}
		h.Handle(p, b)
		p.handled(b)
	}
}

// maxUnsent bounds what writeLoop hands the library beyond what the
// library has written to the connection. The library's write buffer has no
// bound of its own (WriteExtendedMessage appends to it and says nothing of
// its size), so without this a peer that stops reading, as a paused one
// does, would make our memory grow with everything we send it; with it,
// the messages wait in out, and Send says ErrQueueFull once that is full.
const maxUnsent = 1 << 20

// writeLoop writes queued messages, outside the library lock, at most
// maxUnsent ahead of the connection.
func (p *peer) writeLoop() {
	var handed int64 // payload bytes handed to the library
	for {
		select {
		case <-p.done:
			return
		case b := <-p.out:
			if !p.waitUnsent(&handed) {
				return
			}
			handed += int64(len(b))
			if err := p.pc.WriteExtendedMessage(ExtensionName, b); err != nil {
				p.Close(err)
				return
			}
		}
	}
}

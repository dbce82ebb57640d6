package torrentx

import (
	"sync"
	"sync/atomic"

	"github.com/anacrolix/torrent"

	"github.com/torrenttx/ttx/torrentx/gossip"
)

// Handler consumes the ttx extension: the gossip engine implements it.
// Each connected peer that speaks ttx is handed over as a gossip.Peer,
// the interface the engine defines for its transports.
// For each peer, AddPeer comes first, then Handle for each message in
// arrival order, then RemovePeer once the connection is gone; the calls
// for one peer come from one goroutine, with no lock held, so they may
// block (the peer's incoming queue then fills; see ErrPeerFlood).
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
	in   chan []byte
	done chan struct{} // closed by shut
	once sync.Once
	// queued counts the bytes in in.
	queued atomic.Int64
	// started: run was started (at admission), guarded by Client.mu.
	started bool
}

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
		in:   make(chan []byte, c.cfg.PeerQueue),
		done: make(chan struct{}),
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

// shut marks the peer gone and stops its goroutines.
func (p *peer) shut() { p.once.Do(func() { close(p.done) }) }

// deliver queues an incoming message. Called with the library lock held,
// so it never blocks: a peer whose queue is full (PeerQueue messages or
// MaxQueuedBytes) is closed.
func (p *peer) deliver(payload []byte) {
	if p.queued.Add(int64(len(payload))) > MaxQueuedBytes {
		p.Close(ErrPeerFlood)
		return
	}
	select {
	case p.in <- payload:
	default:
		p.Close(ErrPeerFlood)
	}
}

// run feeds the handler until the connection closes.
func (p *peer) run(h Handler) {
	go p.writeLoop()
	h.AddPeer(p)
	defer h.RemovePeer(p)
	for {
		select {
		case <-p.done:
			return
		case b := <-p.in:
			h.Handle(p, b)
			p.queued.Add(-int64(len(b)))
		}
	}
}

// writeLoop writes queued messages, outside the library lock.
func (p *peer) writeLoop() {
	for {
		select {
		case <-p.done:
			return
		case b := <-p.out:
			if err := p.pc.WriteExtendedMessage(ExtensionName, b); err != nil {
				p.Close(err)
				return
			}
		}
	}
}

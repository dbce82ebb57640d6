package sim

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/torrenttx/ttx/torrentx/wire"
)

// ErrClosed is what a Send on a closed connection returns.
var ErrClosed = errors.New("sim: connection closed")

// LinkModel is how the simulated network delays messages. A connection
// stands for one TCP stream, as the ttx extension rides on BitTorrent's:
// messages arrive whole and in order, and a lost packet delays the
// message (and every later one on the stream) by a retransmission instead
// of dropping it.
type LinkModel struct {
	// MinLatency and MaxLatency bound the one-way delay of a link; each
	// link draws its own, uniformly, when it is made.
	MinLatency, MaxLatency time.Duration
	// Jitter is added to each message's delay, uniform in [0, Jitter).
	Jitter time.Duration
	// Loss is the chance (0 to 1) that a message is lost once more, each
	// loss costing a retransmission timeout: the larger of MinRTO and
	// three times the link's delay.
	Loss float64
	// Bandwidth is each node's upload in bytes per second: a message waits
	// for the ones its node sent before it to leave. 0: unlimited.
	Bandwidth int64
}

// MinRTO is the least retransmission timeout a lost message costs (the
// floor RFC 6298 allows TCP implementations, as Linux uses).
const MinRTO = 200 * time.Millisecond

// maxLosses bounds the retransmissions of one message, so that a Loss near
// 1 cannot stall a stream for ever.
const maxLosses = 8

// DefaultLinks is a wide-area model: 10 to 150 ms one way, 5 ms of
// jitter, 1% of messages lost once.
var DefaultLinks = LinkModel{MinLatency: 10 * time.Millisecond, MaxLatency: 150 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.01}

// delay returns how long a message of n bytes takes on a link of base delay.
func (m LinkModel) delay(rng *rand.Rand, base time.Duration) time.Duration {
	d := base
	if m.Jitter > 0 {
		d += time.Duration(rng.Int64N(int64(m.Jitter)))
	}
	rto := max(MinRTO, 3*base)
	for range maxLosses {
		if m.Loss <= 0 || rng.Float64() >= m.Loss {
			break
		}
		d += rto
	}
	return d
}

// base draws a link's one-way delay.
func (m LinkModel) base(rng *rand.Rand) time.Duration {
	if m.MaxLatency <= m.MinLatency {
		return m.MinLatency
	}
	return m.MinLatency + time.Duration(rng.Int64N(int64(m.MaxLatency-m.MinLatency)))
}

// conn is one direction of a link: the sending node's gossip.Peer for the
// receiving node. Send queues a message with its arrival time; a goroutine
// hands it to the receiver's engine at that time, in order.
type conn struct {
	id       string // the receiver's address, as the sender's engine names it
	from, to *Node
	rev      *conn // the other direction
	link     *link

	mu    sync.Mutex
	rng   *rand.Rand // the jitter and losses of this direction
	queue []delivery
	last  time.Time // arrival of the latest queued message
	wake  chan struct{}
}

type delivery struct {
	at      time.Time
	payload []byte
}

// link is a connection between two nodes; both directions close together.
type link struct {
	base   time.Duration
	once   sync.Once
	closed chan struct{}
	a, b   *conn
}

func (c *conn) ID() string { return c.id }

// Send queues payload for delivery after the link's delay, the sender's
// upload and any losses, never before an earlier message.
func (c *conn) Send(payload []byte) error {
	if len(payload) > wire.MaxMessageSize {
		return errors.New("sim: message too large")
	}
	select {
	case <-c.link.closed:
		return ErrClosed
	default:
	}
	now := time.Now()
	depart := c.from.upload(now, len(payload))
	c.mu.Lock()
	at := depart.Add(c.from.sim.cfg.Links.delay(c.rng, c.link.base))
	if at.Before(c.last) {
		at = c.last
	}
	c.last = at
	c.queue = append(c.queue, delivery{at: at, payload: payload})
	c.mu.Unlock()
	c.from.countOut(len(payload))
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close closes the link, both directions; the engines forget it.
func (c *conn) Close(error) { c.link.close() }

func (l *link) close() {
	l.once.Do(func() {
		close(l.closed)
		go l.a.from.eng.RemovePeer(l.a)
		go l.b.from.eng.RemovePeer(l.b)
	})
}

// deliver hands queued messages to the receiver in order, each at its
// arrival time, until the link closes.
func (c *conn) deliver() {
	defer c.from.sim.wg.Done()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.mu.Unlock()
			select {
			case <-c.link.closed:
				return
			case <-c.wake:
				continue
			}
		}
		d := c.queue[0]
		c.queue[0] = delivery{}
		c.queue = c.queue[1:]
		c.mu.Unlock()
		if wait := time.Until(d.at); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-c.link.closed:
				t.Stop()
				return
			case <-t.C:
			}
		}
		select {
		case <-c.link.closed:
			return
		default:
		}
		c.to.received(c.from, d.payload)
		c.to.eng.Handle(c.rev, d.payload)
	}
}

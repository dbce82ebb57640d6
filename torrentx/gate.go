package torrentx

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/dialer"
)

// Back-pressure on ttx peers. The library reads each connection in its
// own goroutine and hands every extended message to a callback under its
// lock, so the callback may not wait for a slow Handler: it queues. To
// keep that queue bounded without closing an honest but busy peer, the
// node owns every peer connection (its dialers and listeners wrap them)
// and a connection's Read waits while its ttx peer's incoming queue is
// over pauseCost. The library reads with its lock released, so only that
// connection stops: what the peer sends waits in the kernel's socket
// buffers and then in its own write queue, which is TCP's (and uTP's)
// flow control slowing the sender down. A read already under way, and
// the library's read buffer (128 KiB), still arrive after the pause
// begins: MaxQueuedBytes is far enough above pauseCost that only a peer
// whose messages cost more than that is closed (ErrPeerFlood), which a
// paused connection cannot do.
//
// A pause is bounded by the Handler, not by the peer: the library closes
// a connection that has not read for 150 s, so a Handler must not keep a
// peer's message that long.

// readGate pauses the reads of one connection, and counts what the library
// wrote to it (for the sender's side of back-pressure: peer.writeLoop).
type readGate struct {
	written atomic.Int64
	mu      sync.Mutex
	paused  bool
	resume  chan struct{} // closed when the pause ends
	done    chan struct{} // closed with the connection
	once    sync.Once
}

func newReadGate() *readGate { return &readGate{done: make(chan struct{})} }

// wait returns once the gate is open or closed.
func (g *readGate) wait() {
	g.mu.Lock()
	paused, resume := g.paused, g.resume
	g.mu.Unlock()
	if paused {
		select {
		case <-resume:
		case <-g.done:
		}
	}
}

// pause makes reads wait, and reports whether the gate was open.
func (g *readGate) pause() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		return false
	}
	g.paused, g.resume = true, make(chan struct{})
	return true
}

// open ends a pause.
func (g *readGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.resume)
	}
}

func (g *readGate) close() { g.once.Do(func() { close(g.done) }) }

// gatedConn is a peer connection whose reads pass its gate first.
type gatedConn struct {
	net.Conn
	g     *readGate
	gates *sync.Map
	key   string
}

func (c *gatedConn) Read(b []byte) (int, error) {
	c.g.wait()
	return c.Conn.Read(b)
}

func (c *gatedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.g.written.Add(int64(n))
	return n, err
}

func (c *gatedConn) Close() error {
	c.g.close()
	c.gates.CompareAndDelete(c.key, c.g)
	return c.Conn.Close()
}

// gate wraps nc and registers its gate under its transport and remote
// address, which its ttx peer finds it by (PeerConn's Network and
// RemoteAddr). The transport is part of the key because the library dials
// a peer by TCP and uTP at once, at one address: the loser's Close must
// not take the winner's gate with it. A TCP conn gets the library's
// SetLinger(0), which it no longer sees.
func (c *Client) gate(nc net.Conn) net.Conn {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	addr := nc.RemoteAddr()
	gc := &gatedConn{Conn: nc, g: newReadGate(), gates: &c.gates, key: gateKey(addr.Network(), addr.String())}
	c.gates.Store(gc.key, gc.g)
	return gc
}

// gateKey names a connection by transport and remote address. network is
// a dialer's ("tcp4", "udp6") or an address's ("tcp", "udp"): all that
// counts is TCP or not (uTP, over UDP).
func gateKey(network, addr string) string {
	if strings.HasPrefix(network, "tcp") {
		return "tcp " + addr
	}
	return "utp " + addr
}

// readGateOf returns the gate of pc's connection, or nil.
func (c *Client) readGateOf(pc *torrent.PeerConn) *readGate {
	if g, ok := c.gates.Load(gateKey(pc.Network, pc.RemoteAddr.String())); ok {
		return g.(*readGate)
	}
	return nil
}

// gatedListener wraps the conns a listener accepts.
type gatedListener struct {
	torrent.Listener
	c *Client
}

func (l gatedListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.c.gate(nc), nil
}

// gatedDialer wraps the conns a dialer makes.
type gatedDialer struct {
	d dialer.WithContext
	c *Client
}

func (d gatedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := d.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return d.c.gate(nc), nil
}

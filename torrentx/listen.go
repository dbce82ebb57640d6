package torrentx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent"
)

// listenTries bounds the ports tried for a free TCP and UDP pair.
const listenTries = 8

// Sockets are a Client's bound peer sockets, all on one port (DHT
// announces give the port once, for every transport): TCP for peers and
// UDP for uTP peers and the DHT. Binding them before the Client exists
// lets the gossip hello carry the port, with no bind-close-rebind race.
type Sockets struct {
	TCP net.Listener
	// UDP is nil with neither the DHT nor uTP. With uTP it is the uTP
	// socket, whose ReadFrom returns the datagrams that are not uTP: the
	// DHT server reads and writes through it, as in the torrent library's
	// own socket setup.
	UDP net.PacketConn
	// utp is UDP as a uTP socket; nil without uTP.
	utp utpSocket
}

// utpSocket is the torrent library's uTP socket (torrent.NewUtpSocket:
// libutp with cgo, the pure-Go uTP without): a packet conn for the
// datagrams that are not uTP, a listener and a dialer of uTP conns.
type utpSocket interface {
	net.PacketConn
	Accept() (net.Conn, error)
	Addr() net.Addr
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Listen binds the TCP address addr ("host:port") and, if dht or utp is
// set, the same UDP port: as a uTP socket that the DHT shares if utp is
// set, else as a plain UDP socket for the DHT alone. With port 0 it picks
// a port free for both, trying again when the UDP port of a free TCP port
// is taken.
func Listen(addr string, dht, utp bool) (*Sockets, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %q: %w", addr, err)
	}
	network := "tcp"
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		network = "tcp4"
	}
	for try := 0; ; try++ {
		l, err := net.Listen(network, addr)
		if err != nil {
			return nil, fmt.Errorf("listen on %q: %w", addr, err)
		}
		s := &Sockets{TCP: l}
		if !dht && !utp {
			return s, nil
		}
		p := strconv.Itoa(int(s.Port()))
		if err = s.listenUDP("udp"+network[3:], net.JoinHostPort(host, p), utp); err == nil {
			return s, nil
		}
		l.Close()
		if port != "0" || try+1 >= listenTries {
			return nil, fmt.Errorf("listen on %q: udp port %s: %w", addr, p, err)
		}
	}
}

// listenUDP binds s.UDP on addr, as a uTP socket if utp is set.
func (s *Sockets) listenUDP(network, addr string, utp bool) error {
	if !utp {
		var err error
		s.UDP, err = net.ListenPacket(network, addr)
		return err
	}
	// Without a firewall callback every uTP SYN is answered; the Client
	// takes every connection (AlwaysWantConns) and sorts them afterwards.
	us, err := torrent.NewUtpSocket(network, addr, nil, alog.Default.WithNames("utp"))
	if err != nil {
		if us != nil {
			us.Close()
		}
		return err
	}
	s.UDP, s.utp = us, us
	return nil
}

// Port returns the bound port.
func (s *Sockets) Port() uint16 { return uint16(s.TCP.Addr().(*net.TCPAddr).Port) }

// v4 reports whether the sockets are IPv4 only.
func (s *Sockets) v4() bool { return s.TCP.Addr().(*net.TCPAddr).IP.To4() != nil }

// releaseWait bounds how long Close waits for the UDP port to come free.
const releaseWait = 2 * time.Second

// Close closes both sockets and returns once the UDP port can be bound
// again (up to releaseWait). Go closes a socket's descriptor only when the
// last read on it returns, and the DHT server's reader may still be in
// one, so without the wait a node restarted on its port can find the UDP
// side still taken. A socket someone else closed already is no error.
func (s *Sockets) Close() error {
	err := ignoreClosed(s.TCP.Close())
	if s.UDP == nil {
		return err
	}
	addr := s.UDP.LocalAddr()
	closeUDP := s.UDP.Close
	// The pure-Go uTP socket's Close waits for its conns to close before
	// it lets go of the port; CloseNow does not.
	if now, ok := s.UDP.(interface{ CloseNow() error }); ok {
		closeUDP = now.CloseNow
	}
	err = errors.Join(err, ignoreClosed(closeUDP()))
	for deadline := time.Now().Add(releaseWait); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if pc, perr := net.ListenPacket(addr.Network(), addr.String()); perr == nil {
			pc.Close()
			break
		}
	}
	return err
}

// heldListener is a listener whose Accept waits until added is closed.
type heldListener struct {
	torrent.Listener
	added <-chan struct{}
}

func (l heldListener) Accept() (net.Conn, error) {
	<-l.added
	return l.Listener.Accept()
}

// ignoreClosed drops net.ErrClosed from err.
func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

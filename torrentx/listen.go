package torrentx

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// listenTries bounds the ports tried for a free TCP and UDP pair.
const listenTries = 8

// Sockets are a Client's bound peer sockets: TCP for peers and, for the
// DHT, UDP on the same port (DHT announces give the port once, for both).
// Binding them before the Client exists lets the gossip hello carry the
// port, with no bind-close-rebind race.
type Sockets struct {
	TCP net.Listener
	UDP net.PacketConn // nil without the DHT
}

// Listen binds the TCP address addr ("host:port") and, if udp is set, the
// same UDP port. With port 0 it picks a port free for both, trying again
// when the UDP port of a free TCP port is taken.
func Listen(addr string, udp bool) (*Sockets, error) {
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
		if !udp {
			return s, nil
		}
		p := strconv.Itoa(int(s.Port()))
		s.UDP, err = net.ListenPacket("udp"+network[3:], net.JoinHostPort(host, p))
		if err == nil {
			return s, nil
		}
		l.Close()
		if port != "0" || try+1 >= listenTries {
			return nil, fmt.Errorf("listen on %q: udp port %s: %w", addr, p, err)
		}
	}
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
	err = errors.Join(err, ignoreClosed(s.UDP.Close()))
	for deadline := time.Now().Add(releaseWait); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if pc, perr := net.ListenPacket(addr.Network(), addr.String()); perr == nil {
			pc.Close()
			break
		}
	}
	return err
}

// ignoreClosed drops net.ErrClosed from err.
func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

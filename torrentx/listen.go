package torrentx

import (
	"errors"
	"fmt"
	"net"
	"strconv"
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

// Close closes both sockets.
func (s *Sockets) Close() error {
	err := s.TCP.Close()
	if s.UDP != nil {
		err = errors.Join(err, s.UDP.Close())
	}
	return err
}

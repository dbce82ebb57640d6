package torrentx

import (
	"errors"
	"net"
	"testing"
)

func TestListen(t *testing.T) {
	s, err := Listen("127.0.0.1:0", true, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.UDP.LocalAddr().(*net.UDPAddr).Port; got != int(s.Port()) || got == 0 {
		t.Errorf("udp port %d, tcp port %d: want one nonzero port", got, s.Port())
	}
	// The port is held: a second Listen on it fails, on TCP or UDP alone.
	taken := s.TCP.Addr().String()
	if _, err := Listen(taken, false, false); err == nil {
		t.Errorf("Listen(%s) while bound: no error", taken)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen("nonsense", false, false); err == nil {
		t.Error("Listen(nonsense): no error")
	}
}

func TestStartOnce(t *testing.T) {
	for _, dht := range []bool{false, true} {
		t.Run(map[bool]string{false: "no DHT", true: "DHT"}[dht], func(t *testing.T) { testStartOnce(t, dht) })
	}
}

func testStartOnce(t *testing.T, dht bool) {
	tn := newTestNet(t, 0)
	cfg := testConfig(tn.net, tn.store(t, 0), &txRecv{})
	cfg.NoDHT, cfg.DHTBootstrap = !dht, []string{}
	socks, err := Listen(cfg.ListenAddr, dht, dht)
	if err != nil {
		t.Fatal(err)
	}
	addr := socks.TCP.Addr().String()
	cfg.Sockets = socks
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr() != addr {
		t.Errorf("ListenAddr %s, want the sockets' %s", c.ListenAddr(), addr)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Start: %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close released the sockets New took (the DHT server closes UDP).
	again, err := Listen(addr, dht, dht)
	if err != nil {
		t.Fatalf("listen again on %s after Close: %v", addr, err)
	}
	again.Close()
}

package torrentx

import (
	"bytes"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// utpOnly binds sockets whose uTP port has no TCP listener (the TCP one
// is on another port), so that a peer dialling that port reaches the
// node by uTP or not at all.
func utpOnly(t *testing.T) (*Sockets, string) {
	t.Helper()
	socks, err := Listen("127.0.0.1:0", false, true)
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		socks.Close()
		t.Fatal(err)
	}
	socks.TCP.Close()
	socks.TCP = tcp
	return socks, socks.UDP.LocalAddr().String()
}

// TestUTP: two nodes reach each other by uTP alone, one dialling and one
// accepting on the UDP socket the DHT would share: B fetches a stored
// transaction from A's uTP port, and the two exchange ttx messages on the
// genesis connection B dials there.
func TestUTP(t *testing.T) {
	tn := newTestNet(t, 1)
	socks, utpAddr := utpOnly(t)
	var r txRecv
	ha, hb := &testHandler{}, &testHandler{}
	cfgA := testConfig(tn.net, tn.store(t, 1), &r)
	cfgA.Sockets, cfgA.Gossip = socks, ha
	newTestClient(t, cfgA)
	cfgB := testConfig(tn.net, tn.store(t, 0), &r)
	cfgB.Gossip = hb
	b := newTestClient(t, cfgB)

	want := tn.txs[0].Raw
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := b.Fetch(ctx, tn.txs[0].ID, []string{utpAddr})
	if err != nil {
		t.Fatalf("fetch from %s by uTP: %v", utpAddr, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fetched %q, want %q", got, want)
	}

	if err := b.AddPeers([]string{utpAddr}); err != nil {
		t.Fatal(err)
	}
	pa, pb := ha.peer(t), hb.peer(t)
	if err := pb.Send([]byte("over utp")); err != nil {
		t.Fatal(err)
	}
	if err := pa.Send([]byte("and back")); err != nil {
		t.Fatal(err)
	}
	if m := ha.waitMsgs(t, 1); string(m[0]) != "over utp" {
		t.Errorf("A got %q", m[0])
	}
	if m := hb.waitMsgs(t, 1); string(m[0]) != "and back" {
		t.Errorf("B got %q", m[0])
	}
}

// countingUTP counts the conns a uTP socket accepted.
type countingUTP struct {
	utpSocket
	accepted atomic.Int32
}

func (u *countingUTP) Accept() (net.Conn, error) {
	c, err := u.utpSocket.Accept()
	if err == nil {
		u.accepted.Add(1)
	}
	return c, err
}

// TestNoUTP: with uTP off the UDP port is the DHT's alone, and a uTP dial
// of the node's port gets nowhere.
func TestNoUTP(t *testing.T) {
	socks, err := Listen("127.0.0.1:0", true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer socks.Close()
	if socks.utp != nil {
		t.Fatal("Listen without uTP made a uTP socket")
	}
	peer, err := Listen("127.0.0.1:0", false, true)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, err := peer.utp.DialContext(ctx, "udp4", socks.UDP.LocalAddr().String()); err == nil {
		c.Close()
		t.Fatal("uTP dial of a node without uTP connected")
	}
}

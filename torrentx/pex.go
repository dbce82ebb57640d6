package torrentx

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"
)

// Peer exchange (BEP 11) on the genesis torrent. We speak ut_pex ourselves
// with the library's PEX off: the library dials every address a PEX
// message brings (pexconn.go Recv -> Torrent.addPeers -> openNewConns)
// until the torrent holds EstablishedConnsPerTorrent (50) connections,
// which turns any topology into a full mesh. Here PEX only feeds the
// candidates that outbound slots are filled from.
const (
	extPex = pp.ExtensionNamePex
	// pexInterval is the least time between two PEX messages on one
	// connection: BEP 11 allows one a minute, and anacrolix drops a
	// connection that sends them more often than every 45 s.
	pexInterval = time.Minute
	// pexMinGap: PEX messages closer together than this from one peer are
	// ignored.
	pexMinGap = 30 * time.Second
	// maxPexAddrs bounds the addresses one PEX message may carry (BEP 11
	// asks for at most 50 added; more is an error) and that we send.
	maxPexAddrs = 50
	// maxPexDropped bounds the dropped addresses of one message.
	maxPexDropped = 200
)

// parsePex parses a ut_pex message and returns the added peers' addresses
// ("ip:port"); the dropped ones are checked and ignored.
func parsePex(b []byte) ([]string, error) {
	m, err := pp.LoadPexMsg(b)
	if err != nil {
		return nil, fmt.Errorf("parse ut_pex message: %w", err)
	}
	if len(m.Added)+len(m.Added6) > maxPexAddrs || len(m.Dropped)+len(m.Dropped6) > maxPexDropped {
		return nil, errors.New("parse ut_pex message: too many addresses")
	}
	var out []string
	for _, as := range [][]krpc.NodeAddr{m.Added, m.Added6} {
		for _, a := range as {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok || a.Port <= 0 || a.Port >= 1<<16 {
				return nil, fmt.Errorf("parse ut_pex message: bad address %v", a)
			}
			out = append(out, netip.AddrPortFrom(ip.Unmap(), uint16(a.Port)).String())
		}
	}
	return out, nil
}

// onPex takes a ut_pex message from a genesis peer: its addresses become
// candidates. Called with the library lock held.
func (c *Client) onPex(pc *torrent.PeerConn, payload []byte) {
	addrs, err := parsePex(payload)
	if err != nil {
		c.log.Debug("drop ut_pex message", "peer", pc.RemoteAddr.String(), "err", err)
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	sp := c.swarm[pc]
	if sp == nil || now.Sub(sp.lastPexIn) < pexMinGap {
		return
	}
	sp.lastPexIn = now
	c.addCandidatesLocked(addrs)
}

// pexSend is one PEX message due on a connection.
type pexSend struct {
	pc      *torrent.PeerConn
	payload []byte
}

// sendPex sends each genesis peer that takes ut_pex, once a pexInterval,
// the listen addresses of our other genesis peers it was not told yet,
// and those it was told that are gone.
func (c *Client) sendPex(now time.Time) {
	var due []pexSend
	c.mu.Lock()
	live := make(map[string]bool, len(c.swarm))
	for _, sp := range c.swarm {
		if sp.dial != "" {
			live[sp.dial] = true
		}
	}
	for pc, sp := range c.swarm {
		if !sp.pex || now.Before(sp.nextPex) {
			continue
		}
		var m pp.PexMsg
		for a := range live {
			if a == sp.dial || sp.sent[a] || len(m.Added)+len(m.Added6) >= maxPexAddrs {
				continue
			}
			if appendPexAddr(&m.Added, &m.Added6, a) {
				sp.sent[a] = true
			}
		}
		for a := range sp.sent {
			if !live[a] && len(m.Dropped)+len(m.Dropped6) < maxPexDropped && appendPexAddr(&m.Dropped, &m.Dropped6, a) {
				delete(sp.sent, a)
			}
		}
		if m.Len() == 0 {
			continue // nothing new: look again at the next tick
		}
		sp.nextPex = now.Add(pexInterval)
		due = append(due, pexSend{pc, bencode.MustMarshal(m)})
	}
	c.mu.Unlock()
	for _, d := range due {
		if err := d.pc.WriteExtendedMessage(extPex, d.payload); err != nil {
			c.log.Debug("send ut_pex", "peer", d.pc.RemoteAddr.String(), "err", err)
		}
	}
}

// appendPexAddr appends a ("ip:port") to the IPv4 or IPv6 list; it
// reports false for an address that is neither.
func appendPexAddr(v4 *krpc.CompactIPv4NodeAddrs, v6 *krpc.CompactIPv6NodeAddrs, a string) bool {
	ap, err := netip.ParseAddrPort(a)
	if err != nil {
		return false
	}
	var na krpc.NodeAddr
	na.FromAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	if ap.Addr().Unmap().Is4() {
		*v4 = append(*v4, na)
	} else {
		*v6 = append(*v6, na)
	}
	return true
}

package torrentx

import (
	"encoding/hex"
	"net"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/torrenttx/ttx/dag"
)

// MagnetLinks returns a transaction's magnet links: v2 names its ID
// (btmh, the multihash prefix 0x12 0x20 of a 32-byte SHA-256), v1 its v1
// infohash (btih). Each peer ("host:port") becomes an x.pe peer hint (BEP
// 9) and each tracker a tr parameter, so a client given the link alone
// knows where to look. Peers must be "ip:port" or "[ip]:port" literals:
// libtorrent parses x.pe without unescaping and resolves no names.
func MagnetLinks(ids dag.TxIDs, peers, trackers []string) (v2, v1 string) {
	var extra string
	for _, p := range peers {
		extra += "&x.pe=" + p // unescaped: libtorrent reads x.pe raw
	}
	for _, tr := range trackers {
		extra += "&tr=" + url.QueryEscape(tr)
	}
	v2 = "magnet:?xt=urn:btmh:1220" + ids.ID.String() + "&dn=tx.json" + extra
	v1 = "magnet:?xt=urn:btih:" + hex.EncodeToString(ids.V1[:]) + "&dn=tx.json" + extra
	return v2, v1
}

// MagnetLinks returns the magnet links of a transaction with PeerAddr as
// the peer hint and the configured trackers.
func (c *Client) MagnetLinks(ids dag.TxIDs) (v2, v1 string) {
	var peers []string
	if a := c.PeerAddr(); a != "" {
		peers = []string{a}
	}
	return MagnetLinks(ids, peers, c.cfg.Trackers)
}

// PeerAddr returns the address ("host:port") other peers can dial this
// node at: Config.Advertise if set, else the listen address when it
// names an IP, else an address of one of this host's interfaces with the
// listen port (see reachableAddr). Empty if the node has no usable address.
func (c *Client) PeerAddr() string {
	if c.cfg.Advertise != "" {
		return c.cfg.Advertise
	}
	listen, err := netip.ParseAddrPort(c.ListenAddr())
	if err != nil {
		return ""
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		c.log.Debug("list interface addresses", "err", err)
	}
	return reachableAddr(listen, ifaddrs)
}

// reachableAddr picks the address to advertise for a socket bound to
// listen: listen itself when it names an IP, else, among the interface
// addresses of its family (IPv4 when it is bound to 0.0.0.0), the first
// public one, else the first private one, else the first loopback one.
// A node behind a NAT should set Config.Advertise: only it knows its
// public address and forwarded port.
func reachableAddr(listen netip.AddrPort, ifaddrs []net.Addr) string {
	ip := listen.Addr()
	if !ip.IsUnspecified() {
		return listen.String()
	}
	v4only := ip.Is4() || ip.Is4In6()
	var best netip.Addr
	rank := func(a netip.Addr) int {
		switch {
		case a.IsLoopback():
			return 1
		case a.IsPrivate():
			return 2
		case a.IsGlobalUnicast():
			return 3
		}
		return 0
	}
	for _, ia := range ifaddrs {
		pfx, err := netip.ParsePrefix(ia.String())
		if err != nil {
			continue
		}
		a := pfx.Addr().Unmap()
		if (v4only && !a.Is4()) || a.IsLinkLocalUnicast() || rank(a) == 0 {
			continue
		}
		if rank(a) > rank(best) {
			best = a
		}
	}
	if !best.IsValid() {
		return ""
	}
	return net.JoinHostPort(best.String(), strconv.Itoa(int(listen.Port())))
}

package torrentx

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	peer_store "github.com/anacrolix/dht/v2/peer-store"
	"github.com/anacrolix/torrent"
)

// DHT peer store limits (BEP 5 leaves them to the implementation).
const (
	peerTTL            = 30 * time.Minute
	maxStoredHashes    = 4096
	maxPeersPerHash    = 128
	maxPeersReturned   = 32
	maxAnnounceTime    = 2 * time.Minute
	firstAnnounceRetry = 5 * time.Second
	maxDHTNodes        = 8
)

// peerStore is the DHT's store of announced peers, keyed by ip:port with
// expiry. dht/v2 stores nothing by default, and its InMemory store keys by
// IP only, so GetPeers returns nothing.
type peerStore struct {
	now    func() time.Time
	mu     sync.Mutex
	hashes map[peer_store.InfoHash]map[string]storedPeer // infohash -> "ip:port" -> peer
}

type storedPeer struct {
	addr    krpc.NodeAddr
	expires time.Time
}

var _ peer_store.Interface = (*peerStore)(nil)

func newPeerStore() *peerStore {
	return &peerStore{now: time.Now, hashes: make(map[peer_store.InfoHash]map[string]storedPeer)}
}

// AddPeer records that addr announced ih. When a limit is reached, expired
// entries are swept first; then a new infohash is ignored, or the peer
// closest to expiry makes room.
func (s *peerStore) AddPeer(ih peer_store.InfoHash, addr krpc.NodeAddr) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	peers := s.hashes[ih]
	if peers == nil {
		if len(s.hashes) >= maxStoredHashes {
			s.sweep(now)
		}
		if len(s.hashes) >= maxStoredHashes {
			return
		}
		peers = make(map[string]storedPeer)
		s.hashes[ih] = peers
	}
	key := addr.String()
	if _, ok := peers[key]; !ok && len(peers) >= maxPeersPerHash {
		oldest := ""
		for k, p := range peers {
			if oldest == "" || p.expires.Before(peers[oldest].expires) {
				oldest = k
			}
		}
		delete(peers, oldest)
	}
	peers[key] = storedPeer{addr: krpc.NodeAddr{IP: append(net.IP(nil), addr.IP...), Port: addr.Port}, expires: now.Add(peerTTL)}
}

// GetPeers returns up to maxPeersReturned unexpired peers of ih.
func (s *peerStore) GetPeers(ih peer_store.InfoHash) []krpc.NodeAddr {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []krpc.NodeAddr
	for k, p := range s.hashes[ih] {
		if now.After(p.expires) {
			delete(s.hashes[ih], k)
			continue
		}
		if len(out) < maxPeersReturned {
			out = append(out, p.addr)
		}
	}
	return out
}

// sweep drops expired peers and empty infohashes. Must be called with
// s.mu held.
func (s *peerStore) sweep(now time.Time) {
	for ih, peers := range s.hashes {
		for k, p := range peers {
			if now.After(p.expires) {
				delete(peers, k)
			}
		}
		if len(peers) == 0 {
			delete(s.hashes, ih)
		}
	}
}

// announceLoop announces the genesis torrent on the DHT at start, then
// every AnnounceInterval, or sooner (backing off from firstAnnounceRetry)
// while the node has fewer than lowPeers genesis connections; then it also
// redials the addresses given to AddPeers. Peers found become candidates
// for the outbound slots.
func (c *Client) announceLoop(ctx context.Context) {
	retry := min(firstAnnounceRetry, c.cfg.AnnounceInterval)
	for {
		if !c.cfg.NoDHT {
			c.announceGenesis(ctx)
		}
		wait := c.cfg.AnnounceInterval
		if len(c.genesis.t.PeerConns()) < lowPeers {
			c.redial()
			wait, retry = retry, min(2*retry, c.cfg.AnnounceInterval)
		} else {
			retry = min(firstAnnounceRetry, c.cfg.AnnounceInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// announce runs one DHT get_peers + announce_peer traversal for both
// infohashes of a transaction's torrent t on every DHT server, bounded by
// maxAnnounceTime; the library dials the peers found, for the download.
func (c *Client) announce(ctx context.Context, t *torrent.Torrent) {
	for _, s := range c.cl.DhtServers() {
		done, stop, err := t.AnnounceToDht(s)
		if err != nil {
			c.log.Debug("dht announce", "err", err)
			continue
		}
		select {
		case <-done:
		case <-ctx.Done():
		case <-time.After(maxAnnounceTime):
		}
		stop()
	}
}

// announceGenesis is announce for the genesis torrent, whose peers found
// become candidates instead: Torrent.AnnounceToDht adds every peer found
// to the torrent, and the library dials them all.
func (c *Client) announceGenesis(ctx context.Context) {
	port := int(portOf(c.ListenAddr()))
	for _, s := range c.cl.DhtServers() {
		for _, ih := range [][20]byte{c.genesis.v1, c.genesis.id.Short()} {
			a, err := s.Announce(ih, port, true)
			if err != nil {
				c.log.Debug("dht announce", "err", err)
				continue
			}
			c.consumeAnnounce(ctx, a)
			a.Close()
		}
	}
}

// consumeAnnounce takes the peers of one traversal until it ends, ctx
// ends or maxAnnounceTime passes.
func (c *Client) consumeAnnounce(ctx context.Context, a torrent.DhtAnnounce) {
	timeout := time.After(maxAnnounceTime)
	for {
		select {
		case pv, ok := <-a.Peers():
			if !ok {
				return
			}
			addrs := make([]string, 0, len(pv.Peers))
			for _, p := range pv.Peers {
				addrs = append(addrs, p.String())
			}
			c.AddCandidates(addrs)
		case <-ctx.Done():
			return
		case <-timeout:
			return
		}
	}
}

// DHTNodes returns DHT node addresses ("host:port") that can bootstrap
// another node, for proof files: this node's own DHT address when it
// listens on a specific IP, then up to a few good nodes of its routing
// table. It is empty when the DHT is off.
func (c *Client) DHTNodes() []string {
	var out []string
	for _, s := range c.cl.DhtServers() {
		ws, ok := s.(torrent.AnacrolixDhtServerWrapper)
		if !ok {
			continue
		}
		if a, ok := ws.Addr().(*net.UDPAddr); ok && !a.IP.IsUnspecified() {
			out = append(out, a.String())
		}
		for _, n := range ws.Nodes() {
			if len(out) >= maxDHTNodes {
				break
			}
			out = append(out, n.Addr.String())
		}
	}
	return out
}

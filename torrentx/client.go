package torrentx

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/torrent"

	"github.com/torrenttx/ttx/dag"
)

// maxKnown bounds the addresses AddPeers remembers for redialling.
const maxKnown = 64

// Client is a node's BitTorrent client: one anacrolix client that seeds the
// genesis torrent and every stored transaction, fetches transactions by
// infohash, and carries the ttx extension.
//
// Locking: addMu serialises adding and dropping torrents; mu guards the
// registry and is a leaf lock: nothing calls into the library while
// holding it. Library callbacks run with the library lock held (all but
// onHandshake) and may take mu, never addMu.
type Client struct {
	cfg     Config
	log     *slog.Logger
	cl      *torrent.Client
	genesis *entry // never evicted; the pointer is immutable after New
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	metaQ   chan metaMsg
	demand  *demand

	// socks are the Client's sockets; dht serves the DHT on socks.UDP
	// once started.
	socks *Sockets
	dht   *dht.Server

	addMu   sync.Mutex
	closed  bool // guarded by addMu
	started bool // guarded by addMu

	// Extension maps, built from the library's on the first connection.
	mapsOnce          sync.Once
	txMap, genesisMap *torrent.LocalLtepProtocolMap

	mu      sync.Mutex
	byID    map[dag.TxID]*entry
	byShort map[[20]byte]*entry // v1 infohash and TxID.Short -> entry
	lru     *list.List          // of *entry, most recently used first
	peers   map[*torrent.PeerConn]*peer
	// gates holds the read gate of each peer connection by remote
	// address (gate.go).
	gates   sync.Map
	swarm   map[*torrent.PeerConn]*swarmPeer // the genesis connections
	cands   map[string]*candidate            // "ip:port" -> an address to dial
	dialing map[string]time.Time             // outbound dials in flight -> since
	known   []string                         // AddPeers addresses, for redialling
	listen  string                           // our listen address, set once
	// rotateAt is when rotate may next replace an outbound peer.
	rotateAt time.Time
	// fetching counts the downloads running (entries with a fetch).
	fetching int

	// evictQ carries new inbound genesis connections to the peer loop,
	// evictKey keys its netgroup ranking.
	evictQ   chan *torrent.PeerConn
	evictKey maphash.Seed
}

// New builds a Client on its sockets (cfg.Sockets, else bound on
// cfg.ListenAddr): it loads the genesis torrent, but accepts, dials and
// joins the DHT only once Start is called, so that what the Client hands
// peers to can be wired up in between. New takes cfg.Sockets: Close closes
// them, and so does New if it fails.
func New(cfg Config) (*Client, error) {
	socks := cfg.Sockets
	if err := cfg.validate(); err != nil {
		if socks != nil {
			socks.Close()
		}
		return nil, fmt.Errorf("new torrent client: %w", err)
	}
	cfg.setDefaults()
	if socks == nil {
		var err error
		if socks, err = Listen(cfg.ListenAddr, !cfg.NoDHT, !cfg.NoUTP); err != nil {
			return nil, fmt.Errorf("new torrent client: %w", err)
		}
	}
	raw := cfg.Network.Genesis.Raw
	ids := dag.IDs(raw)
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger.With("subsystem", "torrentx"),
		socks:    socks,
		genesis:  &entry{id: ids.ID, v1: ids.V1, info: dag.InfoDict(raw), raw: raw},
		ctx:      ctx,
		cancel:   cancel,
		metaQ:    make(chan metaMsg, metaQueue),
		demand:   newDemand(),
		byID:     make(map[dag.TxID]*entry),
		byShort:  make(map[[20]byte]*entry),
		lru:      list.New(),
		peers:    make(map[*torrent.PeerConn]*peer),
		swarm:    make(map[*torrent.PeerConn]*swarmPeer),
		cands:    make(map[string]*candidate),
		dialing:  make(map[string]time.Time),
		rotateAt: time.Now().Add(rotateWait()),
		listen:   socks.TCP.Addr().String(),
		evictQ:   make(chan *torrent.PeerConn, evictQueue),
		evictKey: maphash.MakeSeed(),
	}
	fail := func(err error) (*Client, error) {
		cancel()
		if c.cl != nil {
			c.cl.Close()
		}
		socks.Close()
		return nil, fmt.Errorf("new torrent client: %w", err)
	}
	c.addMu.Lock()
	defer c.addMu.Unlock()
	var err error
	if c.cl, err = torrent.NewClient(c.libConfig()); err != nil {
		return fail(err)
	}
	t, err := c.addTorrent(c.genesis)
	if err != nil {
		return fail(err)
	}
	// The peer loop keeps the genesis connections within MaxPeers. The
	// library's own cap is only a backstop above it: at its cap the library
	// closes what it deems the worst connection (the one that sent the
	// least useful piece data, which between two seeds means nothing), or
	// refuses the newcomer.
	t.SetMaxEstablishedConns(2*cfg.MaxPeers + evictQueue)
	if len(cfg.Trackers) > 0 {
		t.AddTrackers([][]string{cfg.Trackers})
	}
	return c, nil
}

// Start runs the Client: it accepts and dials peers, joins the DHT and
// announces the genesis torrent. It fails after Close or a second Start.
func (c *Client) Start() error {
	c.addMu.Lock()
	defer c.addMu.Unlock()
	if c.closed || c.started {
		return fmt.Errorf("start torrent client: %w", ErrClosed)
	}
	if c.socks.UDP != nil && !c.cfg.NoDHT {
		ds, err := c.cl.NewAnacrolixDhtServer(c.socks.UDP)
		if err != nil {
			return fmt.Errorf("start torrent client: %w", err)
		}
		c.dht = ds
		c.cl.AddDhtServer(torrent.AnacrolixDhtServerWrapper{Server: ds})
	}
	c.started = true
	v := ""
	if c.socks.v4() {
		v = "4"
	}
	// Keep-alives are the BitTorrent protocol's, as the library's own
	// dialer has them.
	c.cl.AddDialer(torrent.NetworkDialer{Network: "tcp" + v, Dialer: gatedDialer{&net.Dialer{KeepAlive: -1}, c}})
	// The library appends to its listener list without a lock, while the
	// accept goroutine of a listener added before reads that list for each
	// conn it accepts: no conn is accepted until every listener is added.
	added := make(chan struct{})
	c.cl.AddListener(heldListener{gatedListener{c.socks.TCP, c}, added})
	// uTP in and out on the UDP socket the DHT shares. The library dials
	// a peer on every dialer at once and keeps the first conn up; without
	// uTP libtorrent on its defaults (so qBittorrent, Deluge) dials a
	// node by uTP first, and gets nothing or falls back to TCP only
	// seconds later.
	if u := c.socks.utp; u != nil {
		c.cl.AddDialer(torrent.NetworkDialer{Network: "udp" + v, Dialer: gatedDialer{u, c}})
		c.cl.AddListener(heldListener{gatedListener{u, c}, added})
	}
	close(added)
	c.wg.Add(4)
	go c.metaWorker()
	go c.peerLoop()
	go func() {
		defer c.wg.Done()
		c.announceLoop(c.ctx)
	}()
	go func() {
		defer c.wg.Done()
		c.demandLoop(c.ctx)
	}()
	c.log.Info("torrent client started", "listen", c.ListenAddr(), "genesis", c.genesis.id)
	return nil
}

// Close stops the Client: it closes every connection and waits for its
// goroutines, the gossip handler's RemovePeer calls included. Running
// Fetch calls return ErrClosed.
func (c *Client) Close() error {
	c.addMu.Lock()
	if c.closed {
		c.addMu.Unlock()
		return nil
	}
	c.closed = true
	c.addMu.Unlock()
	c.cancel()
	c.mu.Lock()
	for _, e := range c.byID {
		if e.fetch != nil {
			e.fetch.finish(ErrClosed)
		}
	}
	c.mu.Unlock()
	errs := c.cl.Close()
	c.wg.Wait()
	if c.dht != nil {
		c.dht.Close()
	}
	// The DHT server may have closed the UDP socket already.
	if err := c.socks.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close torrent client: %w", err)
	}
	return nil
}

// ListenAddr returns the TCP address peers connect to ("host:port").
func (c *Client) ListenAddr() string { return c.listen }

// AddPeers dials addrs ("host:port") on the genesis torrent now, whether
// or not an outbound slot is free (they are the operator's choice, like
// Bitcoin Core's -addnode), keeps them as candidates, and remembers a few
// of them to redial when the node is short of peers. It adds nothing if an
// address is malformed.
func (c *Client) AddPeers(addrs []string) error {
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("add peers: %q: %w", a, err)
		}
	}
	c.mu.Lock()
	for _, a := range addrs {
		if len(c.known) < maxKnown && !slices.Contains(c.known, a) {
			c.known = append(c.known, a)
		}
	}
	c.addCandidatesLocked(addrs)
	c.mu.Unlock()
	c.genesis.t.AddPeers(peerInfos(addrs))
	return nil
}

// redial dials the remembered AddPeers addresses again.
func (c *Client) redial() {
	c.mu.Lock()
	addrs := c.known
	c.mu.Unlock()
	if len(addrs) > 0 {
		c.genesis.t.AddPeers(peerInfos(addrs))
	}
}

// PeerInfo describes one peer connection.
type PeerInfo struct {
	// Addr is the remote address.
	Addr string
	// Client is the peer's software as it reports it ("ttx/0.1.0",
	// "libtorrent/2.0.8"); empty before its extended handshake.
	Client string
	// TTX reports whether the peer speaks the ttx extension with us and
	// holds a slot: the gossip runs with it (an inbound peer is not one
	// until the eviction check let it in).
	TTX bool
	// Inbound reports whether the peer dialled us.
	Inbound bool
	// ListenPort is where the peer accepts connections: the remote port
	// of an outbound connection, else the port its BEP 10 handshake gave
	// on the genesis swarm; 0 if unknown.
	ListenPort uint16
	// Torrent is the transaction whose torrent the connection is on: the
	// network ID for the genesis swarm.
	Torrent dag.TxID
	// DownRate is the useful data received per second while expecting it,
	// UpRate the upload rate at the last write, in bytes per second.
	DownRate, UpRate float64
	// BytesRead and BytesWritten count everything on the wire.
	BytesRead, BytesWritten int64
}

// Traffic returns the bytes read from and written to every peer
// connection since the client started, handshakes included; unlike
// PeerInfo's, the totals keep what closed connections carried.
func (c *Client) Traffic() (read, written int64) {
	st := c.cl.ConnStats()
	return st.BytesRead.Int64(), st.BytesWritten.Int64()
}

// Peers lists the connections of every loaded torrent.
func (c *Client) Peers() []PeerInfo {
	type loaded struct {
		id dag.TxID
		t  *torrent.Torrent
	}
	c.mu.Lock()
	ts := make([]loaded, 0, len(c.byID))
	for _, e := range c.byID {
		if e.t != nil {
			ts = append(ts, loaded{e.id, e.t})
		}
	}
	c.mu.Unlock()
	var out []PeerInfo
	for _, lt := range ts {
		for _, pc := range lt.t.PeerConns() {
			st := pc.Stats()
			name, _ := pc.PeerClientName.Load().(string)
			inbound := pc.Discovery == torrent.PeerSourceIncoming // set before the conn is added
			addr := pc.RemoteAddr.String()
			c.mu.Lock()
			p := c.peers[pc]
			ttx := p != nil && p.started
			var port uint16
			if sp := c.swarm[pc]; sp != nil {
				port = sp.port
			}
			c.mu.Unlock()
			if !inbound {
				port = portOf(addr)
			}
			out = append(out, PeerInfo{
				Addr:         addr,
				Client:       name,
				TTX:          ttx,
				Inbound:      inbound,
				ListenPort:   port,
				Torrent:      lt.id,
				DownRate:     st.DownloadRate,
				UpRate:       st.LastWriteUploadRate,
				BytesRead:    st.BytesRead.Int64(),
				BytesWritten: st.BytesWritten.Int64(),
			})
		}
	}
	return out
}

// onUsefulData runs with the library lock held when a peer sent wanted
// data: it remembers the sender of a fetched transaction for OnTx.
func (c *Client) onUsefulData(ev torrent.ReceivedUsefulDataEvent) {
	t := ev.Peer.Torrent()
	if t == nil {
		return
	}
	ih := t.InfoHash()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byShort[ih]; e != nil && e.fetch != nil {
		e.fetch.src = ev.Peer.RemoteAddr.String()
	}
}

// portOf returns the port of a "host:port" address, 0 if it has none.
func portOf(addr string) uint16 {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return 0
	}
	return ap.Port()
}

package torrentx

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent"
	"golang.org/x/time/rate"

	"github.com/torrenttx/ttx/dag"
)

// Limits and defaults.
const (
	// MaxMessageSize is the largest ttx extension payload. BitTorrent peers
	// (anacrolix, libtorrent) close the connection on an extended message
	// above 65,534 bytes; this leaves room for the framing.
	MaxMessageSize = 65000
	// DefaultMaxTorrents is the default cap on loaded transaction torrents.
	DefaultMaxTorrents = 1000
	// DefaultAnnounceInterval is how often the genesis torrent is announced
	// on the DHT while the node has enough peers.
	DefaultAnnounceInterval = 10 * time.Minute
	// DefaultPeerQueue is the default length of each ttx peer's outgoing
	// queue.
	DefaultPeerQueue = 1024
	// MaxQueuedBytes bounds the ttx payloads received from one peer and not
	// yet handled (each counted with a fixed overhead). Reading from the
	// peer's connection pauses at a quarter of it and resumes at an eighth
	// (gate.go), so a slow Handler slows the peer down; only a peer whose
	// connection is not paused can get this far ahead, and is then closed
	// (ErrPeerFlood). It is the gossip engine's default burst of bytes a
	// peer may send.
	MaxQueuedBytes = 16 << 20
	// DefaultMaxFetches is the default cap on downloads running at once.
	DefaultMaxFetches = 16
	// DefaultVersion is the version reported when Config.Version is empty.
	DefaultVersion = "dev"

	// lowPeers: with fewer genesis connections than this, the node
	// announces again (with backoff) and redials the peers it was given.
	lowPeers = 4
	// keepAliveTimeout bounds the library's lost-wakeup stall (a request
	// whose wakeup is lost waits until something else wakes the torrent):
	// a stalled request waits at most this long.
	keepAliveTimeout = 2 * time.Second
	// dhtSendRate is each DHT server's own query budget per second.
	dhtSendRate = 200
	// evictQueue bounds the new inbound connections waiting for the
	// eviction check.
	evictQueue = 64
)

// Config configures a Client. Network and Store are required.
type Config struct {
	// Network is the ttx network; its genesis torrent is the meeting point
	// that the Client seeds and announces on the DHT.
	Network *dag.Network
	// Store holds the node's transactions. The torrent client reads piece
	// data straight from it and never writes to it. Client methods must not
	// be called from inside Store.Update.
	Store dag.Store
	// OnTx, if set, receives every transaction downloaded by BitTorrent,
	// once, after its bytes passed dag.CheckID, with the address of the
	// peer that sent it, before Fetch returns them. It runs in the
	// goroutine of a Fetch call, with no lock held. Nil: the bytes are only
	// returned by Fetch, and its caller adds them to the ledger (the gossip
	// engine's Fetcher path does).
	OnTx func(raw []byte, src string)
	// Gossip receives the ttx extension traffic of the peers that speak it.
	// Nil: the Client does not offer the extension (a plain seeder).
	Gossip Handler

	// ListenAddr is the address for peers, TCP and uTP (UDP) on one port;
	// the DHT shares the uTP socket. Default ":0" (any address, a free
	// port). Unused if Sockets is set.
	ListenAddr string
	// NoUTP turns uTP peer connections off: the UDP port then carries the
	// DHT alone, and answers a uTP dial with nothing. Unused if Sockets
	// is set (uTP is on if they have it, see Listen).
	NoUTP bool
	// Sockets, if set, are the bound sockets to use (see Listen); the
	// Client owns them from New on.
	Sockets *Sockets
	// Advertise is the "ip:port" other peers reach this node at, the
	// peer hint of its magnet links: set it behind a NAT or when listening
	// on every address. Empty: see Client.PeerAddr.
	Advertise string
	// NoDHT turns the mainline DHT off.
	NoDHT bool
	// DHTBootstrap lists "host:port" DHT nodes to start from. Nil means the
	// public routers (router.bittorrent.com, ...); an empty non-nil slice
	// means none (a bootstrap node itself). Tests pass loopback addresses.
	DHTBootstrap []string
	// Trackers are announce URLs for the genesis torrent. None: trackers
	// are off.
	Trackers []string
	// PortForwarding asks the router for a port mapping (UPnP, NAT-PMP).
	PortForwarding bool
	// MaxTorrents caps the transaction torrents kept loaded (the genesis
	// and running fetches are not counted). Default DefaultMaxTorrents.
	MaxTorrents int
	// MaxFetches caps the downloads Fetch runs at once (calls for an ID
	// already downloading join it for free); past it Fetch fails at once
	// with ErrBusy, so that what peers announce cannot queue unbounded
	// work. Default DefaultMaxFetches.
	MaxFetches int
	// AnnounceInterval is how often the genesis torrent is announced on the
	// DHT. With few peers it is announced sooner. Default
	// DefaultAnnounceInterval.
	AnnounceInterval time.Duration
	// PeerQueue is the length of each ttx peer's outgoing queue (a Send
	// past it is refused with ErrQueueFull); the incoming one is bounded
	// by MaxQueuedBytes. Default DefaultPeerQueue.
	PeerQueue int
	// MaxPeers caps the connections on the genesis torrent, where the
	// gossip runs; MaxOutbound of them are dialled by the node itself from
	// the candidates PEX, the DHT and its connections gave, the rest are
	// peers that dialled in (past that, one is evicted; see
	// selectEviction). Defaults DefaultMaxPeers and DefaultMaxOutbound;
	// MaxOutbound must be less than MaxPeers. Addresses given to AddPeers
	// are dialled even when the outbound slots are taken.
	MaxPeers, MaxOutbound int
	// Version is the node's version; peers see "ttx/<Version>".
	Version string
	// Logger receives the Client's logs (subsystem=torrentx) and the
	// torrent library's (subsystem=torrent). Default: discard.
	Logger *slog.Logger
}

func (cfg *Config) validate() error {
	switch {
	case cfg.Network == nil || cfg.Network.Genesis == nil:
		return errors.New("config: no network")
	case cfg.Store == nil:
		return errors.New("config: no store")
	case cfg.Advertise != "" && !validPeerAddr(cfg.Advertise):
		return fmt.Errorf("config: advertise address %q is not ip:port", cfg.Advertise)
	case cfg.MaxTorrents < 0 || cfg.MaxFetches < 0 || cfg.PeerQueue < 0 || cfg.AnnounceInterval < 0 || cfg.MaxPeers < 0 || cfg.MaxOutbound < 0:
		return errors.New("config: negative limit")
	case cfg.MaxPeers > 0 && cfg.MaxOutbound >= cfg.MaxPeers:
		return fmt.Errorf("config: %d outbound peers leave no room for inbound ones under a cap of %d", cfg.MaxOutbound, cfg.MaxPeers)
	}
	return nil
}

// validPeerAddr reports whether s is "ip:port" (or "[ip]:port") with an
// IP that is not unspecified and a port that is not 0.
func validPeerAddr(s string) bool {
	ap, err := netip.ParseAddrPort(s)
	return err == nil && !ap.Addr().IsUnspecified() && ap.Port() != 0
}

func (cfg *Config) setDefaults() {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = ":0"
	}
	if cfg.MaxTorrents == 0 {
		cfg.MaxTorrents = DefaultMaxTorrents
	}
	if cfg.MaxFetches == 0 {
		cfg.MaxFetches = DefaultMaxFetches
	}
	if cfg.AnnounceInterval == 0 {
		cfg.AnnounceInterval = DefaultAnnounceInterval
	}
	if cfg.PeerQueue == 0 {
		cfg.PeerQueue = DefaultPeerQueue
	}
	if cfg.MaxPeers == 0 {
		cfg.MaxPeers = max(DefaultMaxPeers, cfg.MaxOutbound+1)
	}
	if cfg.MaxOutbound == 0 {
		cfg.MaxOutbound = min(DefaultMaxOutbound, cfg.MaxPeers/2)
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// libConfig builds the anacrolix configuration:
// plaintext TCP and uTP, our storage, seeding without reciprocity,
// seed-to-seed connections kept, unlimited dialling, per-torrent DHT
// announces and the library's PEX off. The library binds no socket itself
// (TCP, uTP and its DHT off): Start hands it our Sockets as listeners and
// dialers, and a DHT server on the UDP one.
func (c *Client) libConfig() *torrent.ClientConfig {
	cfg := &c.cfg
	lc := torrent.NewDefaultClientConfig()
	lc.DisableIPv6 = c.socks.v4()
	lc.DisableTCP = true
	lc.NoDHT = true
	lc.DefaultStorage = txStorage{c}
	lc.Seed = true
	lc.DropMutuallyCompletePeers = false
	lc.DropDuplicatePeerIds = true
	lc.HeaderObfuscationPolicy = torrent.HeaderObfuscationPolicy{}
	lc.DialRateLimiter = rate.NewLimiter(rate.Inf, 0)
	lc.KeepAliveTimeout = keepAliveTimeout
	lc.DisableUTP = true
	lc.DisableTrackers = len(cfg.Trackers) == 0
	lc.DisableWebseeds = true
	lc.DisableWebtorrent = true
	lc.NoDefaultPortForwarding = !cfg.PortForwarding
	lc.AlwaysWantConns = true
	lc.ExtendedHandshakeClientVersion = "ttx/" + cfg.Version
	lc.Slogger = slog.New(libHandler{cfg.Logger.Handler()}).With("subsystem", "torrent")
	lc.PeriodicallyAnnounceTorrentsToDht = false
	// PEX and the DHT feed candidates, not connections: see pex.go and
	// announce. The library would dial every address they bring.
	lc.DisablePEX = true
	if cfg.DHTBootstrap != nil {
		boot := cfg.DHTBootstrap
		lc.DhtStartingNodes = func(string) dht.StartingNodesGetter {
			return func() ([]dht.Addr, error) { return dht.ResolveHostPorts(boot) }
		}
	}
	lc.ConfigureAnacrolixDhtServer = func(sc *dht.ServerConfig) {
		sc.PeerStore = newPeerStore()
		sc.OnAnnouncePeer = c.onDHTAnnouncePeer // the library's would dial each announcer
		sc.SendLimiter = rate.NewLimiter(dhtSendRate, dhtSendRate)
		sc.OnQuery = func(m *krpc.Msg, _ net.Addr) bool {
			if m.Q == "get_peers" && m.A != nil {
				c.wantAnnounce(m.A.InfoHash) // someone looks for it: if stored, announce it
			}
			return true
		}
	}
	lc.Callbacks.CompletedHandshake = c.onHandshake
	lc.Callbacks.PeerConnAdded = append(lc.Callbacks.PeerConnAdded, c.onPeerConnAdded)
	lc.Callbacks.ReadExtendedHandshake = c.onExtendedHandshake
	lc.Callbacks.PeerConnReadExtensionMessage = append(lc.Callbacks.PeerConnReadExtensionMessage, c.onExtensionMessage)
	lc.Callbacks.PeerConnClosed = c.onPeerConnClosed
	lc.Callbacks.ReceivedUsefulData = append(lc.Callbacks.ReceivedUsefulData, c.onUsefulData)
	return lc
}

package node

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/consensus"
	"github.com/torrenttx/ttx/internal/nodekey"
	"github.com/torrenttx/ttx/internal/store"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
	"github.com/torrenttx/ttx/torrentx"
)

// Names of the files in a data dir.
const (
	StoreFile   = "ttx.db"
	WalletFile  = "wallet.key"
	NodeKeyFile = "node.key"
	ProofsDir   = "proofs"
)

// Version is the node software's version; peers see "ttx/<Version>".
const Version = "0.1.0"

// Config configures a Node.
type Config struct {
	// DataDir holds the store, the wallet and the cookie. Required.
	DataDir string
	// Network is the network to join. Required.
	Network *dag.Network
	// Wallet is the node's key: it receives and sends. Required unless
	// Watch is set.
	Wallet *wallet.Key
	// Watch, with no Wallet, makes a watch-only node: it follows this
	// public key's balance and history and exports its proofs, but holds
	// no key and refuses to send (sign offline with ttx sign instead).
	Watch dag.PubKey
	// Faucet, if set, is a key the node gives test coins from (POST /v1/faucet).
	Faucet *wallet.Key
	// FaucetAmount is what one faucet request pays. Default 100 TTX.
	FaucetAmount dag.Amount
	// FaucetRand picks the faucet output each request spends. Default: a
	// ChaCha8 generator seeded from crypto/rand. The node uses it under its
	// spend lock only.
	FaucetRand *rand.Rand
	// ListenAddr is the BitTorrent (TCP and uTP) and DHT (UDP) address.
	// Default ":0".
	ListenAddr string
	// AdvertiseAddr is the "ip:port" peers reach this node at, the peer
	// hint of the magnet links it shows (torrentx.Config.Advertise).
	// Default: the listen address, or an interface address if it listens
	// on every address.
	AdvertiseAddr string
	// APIAddr is the API's address. Default api.DefaultAddr.
	APIAddr string
	// NoDHT turns the DHT off; DHTBootstrap lists its starting nodes (nil:
	// the public routers; empty non-nil: none).
	NoDHT        bool
	DHTBootstrap []string
	// Peers are "host:port" BitTorrent addresses to dial at start, on top of
	// the peers remembered from earlier runs.
	Peers []string
	// Trackers are announce URLs for the genesis torrent (none by default).
	Trackers []string
	// MaxPeers and MaxOutbound bound the peers on the genesis swarm (see
	// torrentx.Config; 0: its defaults).
	MaxPeers, MaxOutbound int
	// Web serves every path outside /v1/ (the web UI), if set.
	Web http.Handler
	// APIAuth lists further ways to authorise spending (the web session).
	APIAuth []api.Authenticator
	// VoteQuiet is how long an accepted transaction waits with no
	// conflict known before the node polls peers to make it final.
	// Default consensus.DefaultQuiet.
	VoteQuiet time.Duration
	// VoteMinPeers is the fewest ttx peers the node polls with; with
	// fewer, nothing becomes final. Default consensus.DefaultMinPeers.
	VoteMinPeers int
	// Notify, if set, is a shell command run for each transaction that
	// pays the wallet when it is accepted and when it becomes final, "%s"
	// replaced by its ID (bitcoind's -walletnotify); see notifier.
	// NotifyTimeout bounds one run (DefaultNotifyTimeout), NotifyConcurrency
	// the runs at once (DefaultNotifyConcurrency), NotifyQueue the runs
	// waiting (DefaultNotifyQueue); more are dropped and counted.
	Notify            string
	NotifyTimeout     time.Duration
	NotifyConcurrency int
	NotifyQueue       int
	// Logger receives the node's logs. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Node is a running ttx node.
type Node struct {
	cfg   Config
	log   *slog.Logger
	key   *nodekey.Key
	store *store.Store
	graph *dag.Graph
	// consensus runs the network's vote on the ledger.
	consensus *consensus.Engine
	gossip    *gossipLink
	client    *torrentx.Client
	api       *api.Server
	started   time.Time
	events    *hub
	metrics   *metrics
	sync      *syncMeter
	notify    *notifier // nil without Config.Notify

	sendMu sync.Mutex // serialises wallet spends
	// damaged gets the store's error when it first finds its file
	// damaged (see Damaged).
	damaged chan error
	// marked: the store passed the mark check, so Close records its size.
	marked bool
}

// Open starts a node: it opens (or creates) the data dir, joins the network
// and serves the API. Close stops it.
func Open(ctx context.Context, cfg Config) (_ *Node, err error) {
	if cfg.DataDir == "" || cfg.Network == nil || (cfg.Wallet == nil && cfg.Watch == dag.PubKey{}) {
		return nil, errors.New("node: DataDir, Network and Wallet (or Watch) are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FaucetAmount == 0 {
		cfg.FaucetAmount = 100 * dag.Unit
	}
	if cfg.FaucetRand == nil {
		var seed [32]byte
		crand.Read(seed[:])
		cfg.FaucetRand = rand.New(rand.NewChaCha8(seed))
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = ":0"
	}
	if cfg.APIAddr == "" {
		cfg.APIAddr = api.DefaultAddr
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, ProofsDir), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("subsystem", "node"), started: cfg.Now(), events: newHub(),
		metrics: newMetrics(), sync: newSyncMeter(), damaged: make(chan error, 1)}
	defer func() {
		if err != nil {
			n.Close(context.Background())
		}
	}()

	_, statErr := os.Stat(filepath.Join(cfg.DataDir, StoreFile))
	fresh := errors.Is(statErr, fs.ErrNotExist)
	n.store, err = store.Open(filepath.Join(cfg.DataDir, StoreFile), store.Options{Logger: cfg.Logger, OnDamage: func(err error) { n.damaged <- err }})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// After the store: its lock tells a second node on this dir to go.
	if n.key, err = nodekey.LoadOrCreate(filepath.Join(cfg.DataDir, NodeKeyFile)); err != nil {
		return nil, err
	}
	if cfg.Notify != "" {
		n.notify = newNotifier(notifyConfig{
			cmd: cfg.Notify, timeout: cfg.NotifyTimeout, concurrency: cfg.NotifyConcurrency, queue: cfg.NotifyQueue,
			net: cfg.Network, owner: n.walletKey(), raw: n.Raw, log: cfg.Logger,
		})
	}
	n.gossip = newGossipLink(n)
	n.graph, err = dag.NewGraph(dag.GraphConfig{
		Network:  cfg.Network,
		Store:    timedStore{n.store, n.metrics.commit},
		Now:      cfg.Now,
		Logger:   cfg.Logger,
		OnChange: n.onChange,
	})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	if err := checkMark(cfg.DataDir, cfg.Network, n.storedCount(), fresh); err != nil {
		return nil, err
	}
	n.marked = true
	n.consensus, err = consensus.New(consensus.Config{
		Network:   cfg.Network,
		Graph:     n.graph,
		Store:     n.store,
		Key:       n.key.PrivateKey(),
		Transport: voteLink{n.gossip},
		Logger:    cfg.Logger,
		Now:       cfg.Now,
		Quiet:     cfg.VoteQuiet,
		MinPeers:  cfg.VoteMinPeers,
	})
	if err != nil {
		return nil, err
	}
	// Bound first, so that the hello carries the port; the client owns the
	// sockets from torrentx.New on. uTP is always on: libtorrent-based
	// clients dial it first.
	socks, err := torrentx.Listen(cfg.ListenAddr, !cfg.NoDHT, true)
	if err != nil {
		return nil, err
	}
	if err := n.gossip.start(socks.Port()); err != nil {
		socks.Close()
		return nil, err
	}
	n.client, err = torrentx.New(torrentx.Config{
		Network:      cfg.Network,
		Store:        n.store,
		Gossip:       n.gossip.engine,
		Sockets:      socks,
		Advertise:    cfg.AdvertiseAddr,
		NoDHT:        cfg.NoDHT,
		DHTBootstrap: cfg.DHTBootstrap,
		Trackers:     cfg.Trackers,
		MaxPeers:     cfg.MaxPeers,
		MaxOutbound:  cfg.MaxOutbound,
		Version:      Version,
		Logger:       cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start BitTorrent client: %w", err)
	}
	n.gossip.client = n.client
	if err := n.consensus.Start(); err != nil {
		return nil, err
	}
	if err := n.client.Start(); err != nil {
		return nil, fmt.Errorf("start BitTorrent client: %w", err)
	}
	n.importProofDir(ctx)
	n.metrics.reg.MustRegister(nodeCollector{n})

	n.api, err = api.NewServer(api.Config{
		Addr:      cfg.APIAddr,
		Backend:   n,
		CookieDir: cfg.DataDir,
		Auth:      cfg.APIAuth,
		Magnets:   n.magnets,
		Fallback:  cfg.Web,
		Metrics:   n.metrics.handler(),
		Logger:    cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start API: %w", err)
	}
	if err := n.api.Start(); err != nil {
		return nil, fmt.Errorf("start API: %w", err)
	}

	peers, err := n.store.Peers()
	if err != nil {
		n.log.Warn("read remembered peers", "err", err)
	}
	if peers = append(peers, cfg.Peers...); len(peers) > 0 {
		if err := n.client.AddPeers(peers); err != nil {
			n.log.Warn("dial peers", "err", err)
		}
	}
	return n, nil
}

// magnets returns the magnet links of a transaction being shown, with this
// node as the peer hint and its trackers, and asks for the transaction to
// be announced on the DHT: whoever is shown the links may hand them to a
// client that has only them and the DHT.
func (n *Node) magnets(ids dag.TxIDs) api.Magnets {
	n.client.AnnounceDHT(ids.ID)
	v2, v1 := n.client.MagnetLinks(ids)
	return api.Magnets{V2: v2, V1: v1}
}

// Close stops the node: the API first (no new requests), then the network,
// then the ledger, so that every accepted transaction is on disk. It
// remembers the connected peers for the next start.
func (n *Node) Close(ctx context.Context) error {
	var errs []error
	if n.api != nil {
		if err := n.api.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop API: %w", err))
		}
	}
	if n.client != nil {
		if addrs := n.peerAddrs(); len(addrs) > 0 && n.store != nil {
			if err := n.store.SavePeers(addrs); err != nil {
				errs = append(errs, fmt.Errorf("remember peers: %w", err))
			}
		}
		if err := n.client.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop BitTorrent client: %w", err))
		}
	}
	if n.gossip != nil {
		n.gossip.close()
	}
	if n.consensus != nil {
		n.consensus.Close() // before the ledger: it waits on the Graph
	}
	if n.notify != nil {
		n.notify.close() // before the store: it reads final transactions
	}
	if n.graph != nil {
		if err := n.graph.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop ledger: %w", err))
		}
	}
	if n.marked {
		if err := writeMark(n.cfg.DataDir, n.cfg.Network, n.storedCount()); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", MarkFile, err))
		}
	}
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	n.events.close()
	return errors.Join(errs...)
}

// peerAddrs lists where to redial the connected ttx peers next time: each
// one's IP with the listen port from its hello (an inbound connection's own
// port is ephemeral).
func (n *Node) peerAddrs() []string {
	var addrs []string
	for _, p := range n.gossip.engine.Peers() {
		host, _, err := net.SplitHostPort(p.ID)
		if err != nil || !p.Ready || p.ListenPort == 0 {
			continue
		}
		addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(int(p.ListenPort))))
	}
	return addrs
}

// Damaged delivers the store's error if it finds its file damaged while
// the node runs. From then on every read and write of the ledger fails
// with it, so the node should be closed: store.Recovery says what to do.
func (n *Node) Damaged() <-chan error { return n.damaged }

// APIURL returns the API's base URL.
func (n *Node) APIURL() string { return n.api.URL() }

// Token returns the API cookie token.
func (n *Node) Token() string { return n.api.Token() }

// ListenAddr returns the BitTorrent listen address.
func (n *Node) ListenAddr() string { return n.client.ListenAddr() }

// NodeKey returns the node's identity key (from <datadir>/node.key).
func (n *Node) NodeKey() *nodekey.Key { return n.key }

// Address returns the wallet's address.
func (n *Node) Address() string { return n.cfg.Network.Address(n.walletKey()) }

// walletKey returns the public key the node's wallet follows: its key's,
// or the watched one.
func (n *Node) walletKey() dag.PubKey {
	if n.cfg.Wallet != nil {
		return n.cfg.Wallet.PubKey()
	}
	return n.cfg.Watch
}

// WatchOnly reports whether the node holds no wallet key.
func (n *Node) WatchOnly() bool { return n.cfg.Wallet == nil }

// Graph returns the node's ledger.
func (n *Node) Graph() *dag.Graph { return n.graph }

// Store returns the node's store.
func (n *Node) Store() dag.Store { return n.store }

// Connect dials peers ("host:port") on the genesis swarm.
func (n *Node) Connect(addrs ...string) error { return n.client.AddPeers(addrs) }

// onChange runs after every commit: it announces the changes and tells
// subscribers. It must not block.
func (n *Node) onChange(changes []dag.Change) {
	n.gossip.announce(changes)
	n.metrics.observe(changes)
	if n.notify != nil {
		n.notify.onChange(changes)
	}
	n.events.publish(changes)
	if n.consensus != nil {
		n.consensus.OnChange(changes)
	}
}

// importProofDir imports every proof file in <datadir>/proofs. A file that
// does not verify is logged and left alone.
func (n *Node) importProofDir(ctx context.Context) {
	dir := filepath.Join(n.cfg.DataDir, ProofsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		n.log.Warn("read proofs dir", "dir", dir, "err", err)
		return
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".torrent" {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := proofs.ReadFile(path)
		if err == nil {
			var res *api.ImportResult
			if res, err = n.ImportProof(ctx, b); err == nil {
				n.log.Info("proof imported", "file", path, "tx", res.ID, "state", res.State, "added", res.Added)
				continue
			}
		}
		n.log.Warn("proof not imported", "file", path, "err", err)
	}
}

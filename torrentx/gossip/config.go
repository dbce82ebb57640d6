package gossip

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// Peer is a connection to a node that speaks the ttx extension. The
// transport (torrentx) implements it; its methods are safe for concurrent
// use.
type Peer interface {
	// ID names the connection, e.g. "ip:port". It is the ban key.
	ID() string
	// Send queues payload as one ttx message. It must not block for long;
	// an error means the message was dropped.
	Send(payload []byte) error
	// Close drops the connection; reason says why.
	Close(reason error)
}

// Ledger is what the engine needs of the node's transaction graph;
// *dag.Graph satisfies it.
type Ledger interface {
	// Add checks and stores one transaction from src (a peer ID).
	Add(ctx context.Context, raw []byte, src string) (dag.Result, error)
	// SubmitHashed decodes, verifies and queues many transactions from
	// one source, hashed already; they are committed in order of
	// submission, so parents first.
	SubmitHashed(ctx context.Context, txs []dag.Hashed, src string) (*dag.Batch, error)
	// Check decodes and verifies txs ahead of SubmitHashed, which then
	// does not verify them again.
	Check(txs []dag.Hashed)
	// State returns what the node holds id to be (pending included).
	State(id dag.TxID) (dag.State, error)
	// Missing returns the parents the orphan pool waits for.
	Missing() []dag.TxID
}

// Fetcher downloads a transaction by plain BitTorrent: the fallback when
// no ttx peer pushes it. torrentx.Client implements it.
type Fetcher interface {
	// Fetch returns the bytes of id, asking peers ("ip:port") first.
	Fetch(ctx context.Context, id dag.TxID, peers []string) ([]byte, error)
}

var (
	_ Ledger = (*dag.Graph)(nil)
)

// Defaults for Config. The rates are per peer; a sender paces itself at
// half of what a receiver tolerates.
const (
	DefaultPingInterval   = 30 * time.Second
	DefaultWantTimeout    = 5 * time.Second
	DefaultFetchTimeout   = 20 * time.Second
	DefaultMaxFetches     = 8
	DefaultBanDuration    = 30 * time.Minute
	DefaultMsgRate        = 2000
	DefaultMsgBurst       = 4000
	DefaultByteRate       = 16 << 20
	DefaultByteBurst      = 16 << 20
	DefaultReconRate      = 20
	DefaultReconBurst     = 40
	DefaultPushRate       = 12 << 20
	DefaultPushMax        = 1024
	DefaultPushFanout     = 16
	DefaultInvFanout      = 8
	DefaultSyncWindow     = 1 << 20
	DefaultMaxWanted      = 4000
	DefaultMaxWants       = 16000
	DefaultMaxUndelivered = 1000
	DefaultSyncTimeout    = time.Minute
	DefaultTick           = 250 * time.Millisecond
	DefaultKnownPerPeer   = 4096
	DefaultMaxSyncBackoff = 30 * time.Minute
	DefaultPollRate       = 50
	DefaultPollBurst      = 100
	DefaultPollTimeout    = 5 * time.Second
	DefaultMaxPolls       = 256
)

// Defaults for fair ingest (ingest.go): a peer's share of the ledger's
// queue deep enough for the large group commits of a catch-up sync (many
// signers), a signer's shallow enough that a payment committed with a
// flood's share waits for a commit of at most 256 of its transactions,
// not the whole flood.
const (
	DefaultMaxPeerInFlight   = 2048
	DefaultMaxSignerInFlight = 256
	// DefaultSignerTurn spaces the batches of a signer whose earlier
	// transactions are still in the ledger's queue, or that sent more
	// than DefaultSignerBurst in its current turn: a flood from one key
	// costs the committer at most 20 commits a second (a commit costs a
	// few fsyncs, so a flood committed message by message keeps the
	// committer busy and every payment waits for it; a flood of small
	// messages is committed before the next arrives, so the queue alone
	// would not space it), while a person's next few payments, once the
	// last is committed, go at once.
	DefaultSignerTurn  = 50 * time.Millisecond
	DefaultSignerBurst = 8
)

// Config configures an Engine. Zero fields get defaults.
type Config struct {
	// Network, Ledger and Store are required. Store is read for raw
	// transactions, digests, ranges and the Seq order.
	Network *dag.Network
	Ledger  Ledger
	Store   dag.Store
	// Fetcher, if set, downloads what no ttx peer pushes in time.
	Fetcher Fetcher
	// Voter, if set, answers peers' polls and takes the votes that answer
	// ours (Engine.Poll). Without one, polls and votes are dropped unread.
	Voter Voter
	// Logger gets peer misbehaviour at Debug and the node's own faults at
	// Error (default: discard). Lines carry subsystem=gossip.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// NodeKey is the node's Ed25519 public key, for our hello. Required.
	NodeKey dag.PubKey
	// Agent and ListenPort go into our hello.
	Agent      string
	ListenPort uint16
	// MinVersion is the lowest protocol version accepted from a peer
	// (default wire.NodeKeyVersion, so every ready peer has a node key).
	// Peers speak the lower of their two versions.
	MinVersion uint64

	// PingInterval: how often each peer is pinged (keeps idle seed-to-seed
	// connections open; compares digests). Peers are also pinged at the
	// first Tick after the ledger changes, so that both sides see the new
	// pair of digests within a round trip.
	PingInterval time.Duration
	// WantTimeout: how long a wanted transaction may take before it is
	// wanted from another announcer or fetched by Fetcher.
	WantTimeout time.Duration
	// FetchTimeout bounds one Fetcher call (default 20 s: one piece of at
	// most 16 KiB, from the announcers or the DHT); MaxFetches bounds how
	// many run. Missing parents of pending transactions get free slots
	// first; any other transaction that finds none is not fetched.
	FetchTimeout time.Duration
	MaxFetches   int
	// BanDuration: how long a misbehaving peer stays banned.
	BanDuration time.Duration
	// MsgRate/MsgBurst (messages per second), ByteRate/ByteBurst (bytes per
	// second) and ReconRate/ReconBurst (reconciliation queries per second)
	// are what a peer may send us. Each message past a limit is dropped and
	// scored; ByteRate also bounds the transaction bytes we serve a peer.
	MsgRate, MsgBurst     float64
	ByteRate, ByteBurst   float64
	ReconRate, ReconBurst float64
	// PollRate/PollBurst (polls per second) is what a peer may poll us.
	PollRate, PollBurst float64
	// PollTimeout: how long the votes answering one of our polls are
	// awaited; votes later than that (by up to another PollTimeout) are
	// dropped, without scoring the peer.
	PollTimeout time.Duration
	// MaxPolls bounds the polls awaited from one peer.
	MaxPolls int
	// PushRate (bytes per second) paces what catch-up sync pushes to a
	// peer; it must stay below the peers' ByteRate.
	PushRate float64
	// PushMax: a new transaction of at most this many bytes that we are
	// the first to announce is pushed to PushFanout peers rather than
	// announced by inv (default 1 KiB, -1: never). Pushing saves those
	// peers the want round trip.
	PushMax int
	// PushFanout: how many peers a new transaction we are the first to
	// announce is pushed to (default 16); the others get an inv. As its
	// first announcer we are the only node that has it, so a peer we
	// announced it to would want it from us: the push costs that peer's
	// copy all the same and saves the inv, the want and their round
	// trip. In BenchmarkSpread on 20 nodes, 16 rather than 8 cut the
	// messages per node per payment by 7-19 % and the p50 to every node
	// by 11-27 %, for 1.06 copies per node instead of 1.02. What came
	// from a peer is announced by inv only: it may have reached our
	// other peers already, and a push they did not need is a copy each.
	PushFanout int
	// InvFanout: how many of the peers not pushed a new transaction, and
	// not known to have it, are announced it by inv (default 8, -1: all
	// of them). The rest hear of it from other peers, each of which
	// announces it to its own random choice, or find it missing when
	// digests are compared. So each node receives about InvFanout invs of
	// a transaction however many peers it has: with 48 peers, an inv to
	// every one was 38 messages of 38 bytes per node per transaction in
	// the simulator, 2.7 times the transaction's own bytes.
	InvFanout int
	// SyncWindow bounds the transaction bytes pushed per sync step; each
	// step ends with a ping, and the next starts on its pong.
	SyncWindow int
	// MaxWanted bounds the transactions wanted and not yet received, per
	// peer. MaxWantsPerAddr (default MaxWanted) bounds those wanted on the
	// announcements of one source address (an IP; on loopback, a peer ID),
	// over all its connections; MaxWants bounds them in all, but for
	// missing parents of pending transactions, which the orphan pool
	// bounds. A departed peer's wants that no other peer announced are
	// dropped.
	MaxWanted, MaxWantsPerAddr, MaxWants int
	// MaxUndelivered: a peer that did not deliver this many of the
	// transactions it announced (notfound, or no answer in WantTimeout),
	// less those it did, is banned.
	MaxUndelivered int
	// MaxPeerInFlight and MaxSignerInFlight cap the transactions pushed
	// by one peer, and signed by one key (from any peers), that are in
	// the ledger's queue at once; past them the rest are held, and
	// submitted as room frees, each peer in its turn, so that a flood
	// takes a bounded share of the queue. MaxPeerInFlight also bounds a
	// peer's held transactions: past it, reading from the peer waits
	// (ingest.go).
	MaxPeerInFlight, MaxSignerInFlight int
	// SignerTurn: while a signer has transactions in the ledger's queue,
	// or once more than SignerBurst of its transactions were taken in its
	// current turn, its next ones are submitted in at most one batch per
	// SignerTurn; what it sends meanwhile is held for its next turn
	// (ingest.go).
	SignerTurn  time.Duration
	SignerBurst int
	// SyncTimeout aborts a catch-up sync that made no progress for that
	// long.
	SyncTimeout time.Duration
	// Tick is how often timers (want timeouts, pings, bans) are checked
	// (default 250 ms).
	Tick time.Duration
	// DigestDelay: after a ledger change, the peers not yet told our new
	// digest are pinged once the digest has not moved for this long
	// (default 8 Ticks, 2 s): a ledger that keeps moving (transactions in
	// flight) is compared by the keep-alives only, and one that settles
	// is compared once. Pinged at the next tick after every change, each
	// node received 2.3 pings and pongs per peer per transaction in the
	// simulator at 1 tx/s, more than the transaction's own bytes.
	DigestDelay time.Duration
	// KnownPerPeer bounds the IDs remembered as known to each peer (so
	// they are not announced back).
	KnownPerPeer int
}

func (c Config) withDefaults() (Config, error) {
	if c.Network == nil || c.Ledger == nil || c.Store == nil || c.NodeKey == (dag.PubKey{}) {
		return c, errors.New("gossip: Network, Ledger, Store and NodeKey are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Agent == "" {
		c.Agent = "ttx"
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	defi := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.MinVersion == 0 {
		c.MinVersion = wire.NodeKeyVersion
	}
	def(&c.PingInterval, DefaultPingInterval)
	def(&c.WantTimeout, DefaultWantTimeout)
	def(&c.FetchTimeout, DefaultFetchTimeout)
	def(&c.BanDuration, DefaultBanDuration)
	def(&c.SyncTimeout, DefaultSyncTimeout)
	def(&c.Tick, DefaultTick)
	def(&c.DigestDelay, 8*c.Tick)
	def(&c.SignerTurn, DefaultSignerTurn)
	deff(&c.MsgRate, DefaultMsgRate)
	deff(&c.MsgBurst, DefaultMsgBurst)
	deff(&c.ByteRate, DefaultByteRate)
	deff(&c.ByteBurst, DefaultByteBurst)
	deff(&c.ReconRate, DefaultReconRate)
	deff(&c.ReconBurst, DefaultReconBurst)
	deff(&c.PollRate, DefaultPollRate)
	deff(&c.PollBurst, DefaultPollBurst)
	def(&c.PollTimeout, DefaultPollTimeout)
	defi(&c.MaxPolls, DefaultMaxPolls)
	deff(&c.PushRate, DefaultPushRate)
	defi(&c.MaxFetches, DefaultMaxFetches)
	defi(&c.PushMax, DefaultPushMax)
	defi(&c.PushFanout, DefaultPushFanout)
	defi(&c.InvFanout, DefaultInvFanout)
	defi(&c.SyncWindow, DefaultSyncWindow)
	defi(&c.MaxWanted, DefaultMaxWanted)
	defi(&c.MaxWantsPerAddr, c.MaxWanted)
	defi(&c.MaxWants, DefaultMaxWants)
	defi(&c.MaxUndelivered, DefaultMaxUndelivered)
	defi(&c.MaxPeerInFlight, DefaultMaxPeerInFlight)
	defi(&c.MaxSignerInFlight, DefaultMaxSignerInFlight)
	defi(&c.SignerBurst, DefaultSignerBurst)
	defi(&c.KnownPerPeer, DefaultKnownPerPeer)
	if c.ByteBurst < wire.MaxMessageSize || c.SyncWindow < wire.MaxMessageSize/4 {
		return c, errors.New("gossip: ByteBurst must hold a whole message and SyncWindow a quarter of one")
	}
	return c, nil
}

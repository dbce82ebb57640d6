package ttxtest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/wallet"
)

// Time limits of the harness's own steps.
const (
	// ConnectTimeout bounds Connect's wait for two nodes to become ttx
	// peers.
	ConnectTimeout = 10 * time.Second
	// stepTimeout bounds one node operation: a shutdown, a send.
	stepTimeout = 10 * time.Second
	// pollEvery is how often waits look again.
	pollEvery = 20 * time.Millisecond
	// VoteQuiet is the nodes' node.Config.VoteQuiet: short, so that
	// payments become final quickly in tests.
	VoteQuiet = 200 * time.Millisecond
)

// Network is a set of named in-process nodes on one test network.
type Network struct {
	// Net is the test network: its genesis pays dagtest.Funds to each
	// node's wallet, in the order the names were given.
	Net *dag.Network

	// Tweak, if set, adjusts the config of each node Start opens from
	// then on.
	Tweak func(name string, cfg *node.Config)

	t       testing.TB
	names   []string
	members map[string]*member
}

// member is one named node, running or stopped.
type member struct {
	name   string
	priv   ed25519.PrivateKey
	key    *wallet.Key
	dir    string
	listen string // "127.0.0.1:0" before the first start, then the bound address
	log    *logSink
	node   *node.Node // nil while stopped
}

// NewNetwork starts one node per name on a fresh test network and closes
// them all when the test ends (after checking each running node's ledger
// with dagtest.CheckInvariants). The nodes are not connected: see Connect
// and ConnectAll.
func NewNetwork(t testing.TB, names ...string) *Network {
	t.Helper()
	return NewNetworkTweaked(t, nil, names...)
}

// NewNetworkTweaked is NewNetwork with Tweak set before the first start.
func NewNetworkTweaked(t testing.TB, tweak func(name string, cfg *node.Config), names ...string) *Network {
	t.Helper()
	if len(names) == 0 {
		t.Fatal("ttxtest: NewNetwork needs at least one name")
	}
	node.SetProcs() // as the ttx binary does
	net, privs := dagtest.NewNetwork(t, len(names))
	n := &Network{Net: net, Tweak: tweak, t: t, names: names, members: make(map[string]*member, len(names))}
	for i, name := range names {
		if _, dup := n.members[name]; dup {
			t.Fatalf("ttxtest: node name %q given twice", name)
		}
		key, err := wallet.KeyFromSeed(privs[i].Seed())
		if err != nil {
			t.Fatalf("ttxtest: wallet key: %v", err)
		}
		n.members[name] = &member{
			name:   name,
			priv:   privs[i],
			key:    key,
			dir:    t.TempDir(),
			listen: "127.0.0.1:0",
			log:    &logSink{t: t, name: name},
		}
	}
	// Registered after the TempDirs, so it runs before they are removed.
	t.Cleanup(n.cleanup)
	for _, name := range names {
		n.Start(name)
	}
	return n
}

// cleanup checks and closes every running node, then silences the logs.
func (n *Network) cleanup() {
	for _, name := range n.names {
		m := n.members[name]
		if m.node == nil {
			continue
		}
		dagtest.CheckInvariants(n.t, m.node.Store(), n.Net)
		n.stop(m)
	}
	for _, m := range n.members {
		m.log.close()
	}
}

// member returns the named member or fails the test.
func (n *Network) member(name string) *member {
	n.t.Helper()
	m, ok := n.members[name]
	if !ok {
		n.t.Fatalf("ttxtest: no node named %q (have %v)", name, n.names)
	}
	return m
}

// Names returns the nodes' names in the order NewNetwork got them.
func (n *Network) Names() []string { return slices.Clone(n.names) }

// Node returns the named running node. It fails the test if the node is
// stopped.
func (n *Network) Node(name string) *node.Node {
	n.t.Helper()
	m := n.member(name)
	if m.node == nil {
		n.t.Fatalf("ttxtest: node %s is stopped", name)
	}
	return m.node
}

// Key returns the private key of the named node's wallet, for signing
// transactions by hand (dagtest.Sign).
func (n *Network) Key(name string) ed25519.PrivateKey {
	n.t.Helper()
	return n.member(name).priv
}

// PubKey returns the named node's wallet key.
func (n *Network) PubKey(name string) dag.PubKey {
	n.t.Helper()
	return n.member(name).key.PubKey()
}

// Keys returns every node's private key in name order, as dagtest.NewGen
// takes them.
func (n *Network) Keys() []ed25519.PrivateKey {
	keys := make([]ed25519.PrivateKey, len(n.names))
	for i, name := range n.names {
		keys[i] = n.members[name].priv
	}
	return keys
}

// Start opens the named stopped node on its data dir and listen address.
// The node redials the peers it remembered when it stopped.
func (n *Network) Start(name string) {
	n.t.Helper()
	m := n.member(name)
	if m.node != nil {
		n.t.Fatalf("ttxtest: node %s is already running", name)
	}
	cfg := node.Config{
		DataDir:    m.dir,
		Network:    n.Net,
		Wallet:     m.key,
		ListenAddr: m.listen,
		APIAddr:    "127.0.0.1:0",
		NoDHT:      true,
		VoteQuiet:  VoteQuiet,
		Logger:     slog.New(&logHandler{sink: m.log}),
	}
	if n.Tweak != nil {
		n.Tweak(name, &cfg)
	}
	nd, err := node.Open(context.Background(), cfg)
	if err != nil {
		n.t.Fatalf("ttxtest: start node %s: %v", name, err)
	}
	m.node = nd
	m.listen = nd.ListenAddr()
}

// Stop closes the named node; its data dir stays for Start.
func (n *Network) Stop(name string) {
	n.t.Helper()
	m := n.member(name)
	if m.node == nil {
		n.t.Fatalf("ttxtest: node %s is already stopped", name)
	}
	n.stop(m)
}

func (n *Network) stop(m *member) {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := m.node.Close(ctx); err != nil {
		n.t.Errorf("ttxtest: close node %s: %v", m.name, err)
	}
	m.node = nil
}

// Restart stops and starts the named node.
func (n *Network) Restart(name string) {
	n.t.Helper()
	n.Stop(name)
	n.Start(name)
}

// Connect makes node a dial node b and waits (up to ConnectTimeout) until
// they are ttx peers on the network's genesis swarm.
func (n *Network) Connect(a, b string) {
	n.t.Helper()
	na, nb := n.Node(a), n.Node(b)
	if err := na.Connect(nb.ListenAddr()); err != nil {
		n.t.Fatalf("ttxtest: connect %s to %s: %v", a, b, err)
	}
	Wait(n.t, ConnectTimeout, func() error {
		// Every connection is outgoing on one side, which sees the
		// other's listen address.
		ab, abTTX := isPeer(na, nb.ListenAddr())
		ba, baTTX := isPeer(nb, na.ListenAddr())
		if abTTX || baTTX {
			return nil
		}
		return fmt.Errorf("%s and %s are not ttx peers (connected by BitTorrent: %v)", a, b, ab || ba)
	})
}

// isPeer reports whether nd is connected to addr, and whether as a ttx
// peer.
func isPeer(nd *node.Node, addr string) (connected, ttx bool) {
	peers, err := nd.Peers(context.Background())
	if err != nil {
		return false, false
	}
	for _, p := range peers {
		if p.Addr == addr {
			connected = true
			ttx = ttx || p.TTX
		}
	}
	return connected, ttx
}

// ConnectAll connects every pair of running nodes.
func (n *Network) ConnectAll() {
	n.t.Helper()
	running := n.running()
	for i, a := range running {
		for _, b := range running[i+1:] {
			n.Connect(a.name, b.name)
		}
	}
}

// running returns the running members in name order.
func (n *Network) running() []*member {
	var ms []*member
	for _, name := range n.names {
		if m := n.members[name]; m.node != nil {
			ms = append(ms, m)
		}
	}
	return ms
}

// Send pays amount from node from's wallet to node to's and returns the
// transaction's ID. It fails the test if the node refuses.
func (n *Network) Send(from, to string, amount dag.Amount) dag.TxID {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	id, err := n.Node(from).Send(ctx, n.PubKey(to), amount, "")
	if err != nil {
		n.t.Fatalf("ttxtest: send %s from %s to %s: %v", amount, from, to, err)
	}
	return id
}

// Balance returns what node at holds as the balance of owner's wallet,
// final or not.
func (n *Network) Balance(at, owner string) dag.Amount {
	n.t.Helper()
	f, err := n.Node(at).Balance(context.Background(), n.PubKey(owner))
	if err != nil {
		n.t.Fatalf("ttxtest: balance of %s at %s: %v", owner, at, err)
	}
	return f.Final + f.NotFinal
}

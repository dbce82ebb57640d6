package gossip

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// node is an Engine over its own Graph and MemStore.
type node struct {
	name  string
	store *dag.MemStore
	graph *dag.Graph
	eng   *Engine

	mu      sync.Mutex
	waiters map[dag.TxID]chan struct{}
}

// testKey is the node key of a test node or raw peer called name.
func testKey(name string) dag.PubKey { return dag.PubKey(sha256.Sum256([]byte(name))) }

// testConfig is fast: short timers, so tests finish quickly.
func testConfig() Config {
	return Config{Tick: 10 * time.Millisecond, WantTimeout: 200 * time.Millisecond, PingInterval: 100 * time.Millisecond}
}

func newNode(t testing.TB, net *dag.Network, name string, cfg Config) *node {
	t.Helper()
	n := &node{name: name, store: dag.NewMemStore(), waiters: make(map[dag.TxID]chan struct{})}
	var eng atomic.Pointer[Engine]
	n.graph = dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: n.store, OnChange: func(cs []dag.Change) {
		if e := eng.Load(); e != nil {
			e.Announce(cs)
		}
		n.mu.Lock()
		for _, c := range cs {
			if ch := n.waiters[c.ID]; ch != nil && c.State.Accepted() {
				close(ch)
				delete(n.waiters, c.ID)
			}
		}
		n.mu.Unlock()
	}})
	cfg.Network, cfg.Ledger, cfg.Store = net, n.graph, n.store
	if cfg.NodeKey == (dag.PubKey{}) {
		cfg.NodeKey = testKey(name)
	}
	if cfg.Agent == "" {
		cfg.Agent = name
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eng.Store(e)
	n.eng = e
	t.Cleanup(func() { e.Close() })
	return n
}

// accepted returns a channel closed when the ledger next accepts id.
func (n *node) accepted(id dag.TxID) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch := make(chan struct{})
	n.waiters[id] = ch
	return ch
}

// add adds transactions locally and returns their results.
func (n *node) add(t testing.TB, raws ...[]byte) []dag.Result {
	t.Helper()
	res, err := n.graph.AddBatch(context.Background(), raws, "")
	if err != nil {
		t.Fatalf("%s: add: %v", n.name, err)
	}
	return res
}

func (n *node) state(t testing.TB, id dag.TxID) dag.State {
	t.Helper()
	st, err := n.graph.State(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (n *node) digest(t testing.TB) dag.Digest {
	t.Helper()
	d, err := n.eng.digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pipe is one end of an in-memory connection: Send queues to the other
// engine, which a goroutine feeds in order, as torrentx does.
type pipe struct {
	id     string
	remote *Engine
	peer   *pipe // the remote engine's Peer for this connection
	link   *link

	mu    sync.Mutex
	cond  *sync.Cond
	queue [][]byte
	sent  int // bytes
}

// link is a connection: both ends close together.
type link struct {
	once   sync.Once
	closed chan struct{}
	a, b   *pipe
	ea, eb *Engine
}

func (p *pipe) ID() string { return p.id }

func (p *pipe) Send(b []byte) error {
	if len(b) > wire.MaxMessageSize {
		return errors.New("pipe: message too large")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.link.closed:
		return errors.New("pipe: closed")
	default:
	}
	p.queue = append(p.queue, b)
	p.sent += len(b)
	p.cond.Signal()
	return nil
}

func (p *pipe) Close(error) { p.link.close() }

func (p *pipe) sentBytes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

func (l *link) close() {
	l.once.Do(func() {
		close(l.closed)
		for _, p := range []*pipe{l.a, l.b} {
			p.mu.Lock()
			p.cond.Broadcast()
			p.mu.Unlock()
		}
		go l.ea.RemovePeer(l.a)
		go l.eb.RemovePeer(l.b)
	})
}

// deliver feeds the remote engine in order until the link closes.
func (p *pipe) deliver() {
	for {
		p.mu.Lock()
		for len(p.queue) == 0 {
			select {
			case <-p.link.closed:
				p.mu.Unlock()
				return
			default:
			}
			p.cond.Wait()
		}
		b := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		select {
		case <-p.link.closed:
			return
		default:
		}
		p.remote.Handle(p.peer, b)
	}
}

// connect links a and b; a's Peer for b is named after b and vice versa.
func connect(a, b *node) *link {
	l := &link{closed: make(chan struct{}), ea: a.eng, eb: b.eng}
	pa := &pipe{id: b.name, remote: b.eng, link: l}
	pb := &pipe{id: a.name, remote: a.eng, link: l}
	pa.peer, pb.peer = pb, pa
	pa.cond, pb.cond = sync.NewCond(&pa.mu), sync.NewCond(&pb.mu)
	l.a, l.b = pa, pb
	a.eng.AddPeer(pa)
	b.eng.AddPeer(pb)
	go pa.deliver()
	go pb.deliver()
	return l
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: not after %v: %v", what, d, err)
}

// hasAll reports an error unless every node holds every ID in want state.
func hasAll(t testing.TB, nodes []*node, ids []dag.TxID, want func(dag.State) bool) func() error {
	return func() error {
		for _, n := range nodes {
			for _, id := range ids {
				if st := n.state(t, id); !want(st) {
					return fmt.Errorf("%s holds %s as %s", n.name, id, st)
				}
			}
		}
		return nil
	}
}

func accepted(s dag.State) bool { return s.Accepted() }

// converged reports an error unless all nodes have equal digests.
func converged(t testing.TB, nodes []*node) func() error {
	return func() error {
		d0 := nodes[0].digest(t)
		for _, n := range nodes[1:] {
			if d := n.digest(t); d != d0 {
				return fmt.Errorf("%s has %s, %s has %s", nodes[0].name, d0, n.name, d)
			}
		}
		return nil
	}
}

// rawPeer is a Peer the test drives by hand: it calls Handle itself and
// records what the engine sends it.
type rawPeer struct {
	id  string
	eng *Engine
	as  Peer // what handle sends as, if a type that embeds p; nil: p

	mu     sync.Mutex
	got    []wire.Message
	reason error
}

// rawEngine starts an engine on cfg (Network, Ledger and Store set) for a
// test that drives it with rawPeers, and returns it with the digest of its
// store, for the peers' hellos. The engine is closed when the test ends.
func rawEngine(t testing.TB, cfg Config) (*Engine, dag.Digest) {
	t.Helper()
	cfg.NodeKey = testKey("n")
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	var ours dag.Digest
	if err := cfg.Store.View(func(r dag.ReadTx) (err error) { ours, err = r.Digest(); return err }); err != nil {
		t.Fatal(err)
	}
	return e, ours
}

func newRawPeer(e *Engine, id string) *rawPeer {
	p := &rawPeer{id: id, eng: e}
	e.AddPeer(p)
	return p
}

func (p *rawPeer) ID() string { return p.id }

func (p *rawPeer) Send(b []byte) error {
	m, err := wire.Decode(b)
	if err != nil {
		panic(fmt.Sprintf("engine sent an undecodable message: %v", err))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, m)
	return nil
}

func (p *rawPeer) Close(reason error) {
	p.mu.Lock()
	if p.reason == nil {
		p.reason = reason
	}
	p.mu.Unlock()
	go p.eng.RemovePeer(p)
}

func (p *rawPeer) closeReason() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

// handle sends the engine one message.
func (p *rawPeer) handle(t testing.TB, m wire.Message) {
	t.Helper()
	b, err := wire.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.as != nil {
		p.eng.Handle(p.as, b)
		return
	}
	p.eng.Handle(p, b)
}

// barrier sends a ping and waits for its pong: until the engine has
// processed every earlier message, commits of pushed transactions included
// (it answers a ping only then).
func (p *rawPeer) barrier(t testing.TB) {
	t.Helper()
	nonce := rand.Uint64()
	p.handle(t, &wire.Ping{Nonce: nonce})
	eventually(t, 5*time.Second, "pong", func() error {
		for _, m := range p.received(wire.TypePong) {
			if m.(*wire.Pong).Nonce == nonce {
				return nil
			}
		}
		return errors.New("no pong yet")
	})
}

// received returns the messages of type typ the engine sent.
func (p *rawPeer) received(typ wire.Type) []wire.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []wire.Message
	for _, m := range p.got {
		if m.Type() == typ {
			out = append(out, m)
		}
	}
	return out
}

// rawSalt is the salt of the raw peers' version 5 hellos.
const rawSalt = 7

// invs counts the times the engine announced id to p by inv: by full ID,
// or by its short ID on the connection (keyed by rawSalt and the salt of
// the engine's hello).
func (p *rawPeer) invs(id dag.TxID) int {
	var sid wire.ShortID
	if h := p.received(wire.TypeHello); len(h) > 0 && h[0].(*wire.Hello).Salt != 0 {
		sid = wire.NewShortKey(rawSalt, h[0].(*wire.Hello).Salt).Short(id)
	}
	n := 0
	for _, m := range p.received(wire.TypeInv) {
		inv := m.(*wire.Inv)
		if slices.Contains(inv.IDs, id) || slices.Contains(inv.Short, sid) {
			n++
		}
	}
	return n
}

// pay signs a payment from key's genesis output i to itself split in two,
// with memo making it unique.
func pay(t testing.TB, net *dag.Network, key ed25519.PrivateKey, i int, memo string) *dag.Parsed {
	t.Helper()
	return dagtest.Sign(t, net, key, &dag.Tx{
		Prev: []string{dagtest.GenesisOut(net, i).String()},
		Out:  []dag.Output{dagtest.Out(net, key, dagtest.Funds/2), dagtest.Out(net, key, dagtest.Funds-dagtest.Funds/2)},
		Memo: memo,
	})
}

package gossip

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// testVoter records what the engine hands it. onPoll and onVotes, if set,
// run inside Poll and Votes (they must not block either).
type testVoter struct {
	onPoll  func(from dag.PubKey, p *wire.Poll)
	onVotes func(from dag.PubKey, v *wire.Votes)

	mu    sync.Mutex
	polls []voterCall
	votes []voterCall
}

type voterCall struct {
	from  dag.PubKey
	poll  *wire.Poll
	votes *wire.Votes
}

func (v *testVoter) Poll(from dag.PubKey, p *wire.Poll) {
	if v.onPoll != nil {
		v.onPoll(from, p)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.polls = append(v.polls, voterCall{from: from, poll: p})
}

func (v *testVoter) Votes(from dag.PubKey, m *wire.Votes) {
	if v.onVotes != nil {
		v.onVotes(from, m)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.votes = append(v.votes, voterCall{from: from, votes: m})
}

// got returns copies of the polls and votes received so far.
func (v *testVoter) got() (polls, votes []voterCall) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]voterCall(nil), v.polls...), append([]voterCall(nil), v.votes...)
}

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// peerInfo returns n's view of the peer with ID id.
func peerInfo(t *testing.T, n *node, id string) PeerInfo {
	t.Helper()
	for _, pi := range n.eng.Peers() {
		if pi.ID == id {
			return pi
		}
	}
	t.Fatalf("%s has no peer %s", n.name, id)
	return PeerInfo{}
}

// votingPeer connects a raw peer speaking VoteVersion with node key
// testKey(id) to n.
func votingPeer(t *testing.T, net *dag.Network, n *node, id string) *rawPeer {
	t.Helper()
	p := newRawPeer(n.eng, id)
	p.handle(t, &wire.Hello{Version: wire.VoteVersion, NodeKey: testKey(id), Network: net.ID, Digest: n.digest(t)})
	return p
}

// A poll reaches the Voter of the peer it is sent to, with the
// transactions it carried already in that peer's ledger; the answer
// reaches the poller's Voter; both sides count the traffic alike.
func TestPollAndVotes(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	voters := map[string]*testVoter{"a": {}, "b": {}, "c": {}}
	nodes := map[string]*node{}
	for _, name := range []string{"a", "b", "c"} {
		cfg := testConfig()
		cfg.Voter = voters[name]
		nodes[name] = newNode(t, net, name, cfg)
	}
	a, b, c := nodes["a"], nodes["b"], nodes["c"]
	connect(a, b)
	connect(a, c)
	eventually(t, 2*time.Second, "ready", func() error {
		for _, pi := range a.eng.Peers() {
			if !pi.Ready || pi.Version != wire.ProtocolVersion {
				return fmt.Errorf("a's peer %+v", pi)
			}
		}
		if len(a.eng.Peers()) != 2 {
			return errors.New("a lacks a peer")
		}
		return nil
	})

	// Two sides of a race that b has not seen.
	left, right := pay(t, net, keys[0], 0, "left"), pay(t, net, keys[0], 0, "right")
	var states []dag.State
	var stateErr error
	voters["b"].onPoll = func(from dag.PubKey, p *wire.Poll) {
		for _, id := range []dag.TxID{left.ID, right.ID} {
			st, err := b.graph.State(id)
			states, stateErr = append(states, st), errors.Join(stateErr, err)
		}
		if err := b.eng.Answer(from, &wire.Votes{Req: p.Req, Batch: []byte("b's batch")}); err != nil {
			stateErr = errors.Join(stateErr, err)
		}
	}
	poll := &wire.Poll{Req: 42, Outs: []dag.OutPoint{dagtest.GenesisOut(net, 0)}, Txs: [][]byte{left.Raw, right.Raw}}
	if err := a.eng.Poll(testKey("b"), poll); err != nil {
		t.Fatalf("Poll: %v", err)
	}
	eventually(t, 5*time.Second, "votes at a", func() error {
		if _, votes := voters["a"].got(); len(votes) != 1 {
			return fmt.Errorf("a's voter has %d votes", len(votes))
		}
		return nil
	})

	polls, _ := voters["b"].got()
	if len(polls) != 1 || polls[0].from != testKey("a") || !reflect.DeepEqual(polls[0].poll, poll) {
		t.Fatalf("b's voter got %+v, want the poll from a", polls)
	}
	if stateErr != nil || !reflect.DeepEqual(states, []dag.State{dag.StateConflicted, dag.StateRejected}) {
		t.Errorf("when b's voter saw the poll, b held the sides as %v (%v), want the first conflicted and the second rejected evidence", states, stateErr)
	}
	_, votes := voters["a"].got()
	if v := votes[0]; v.from != testKey("b") || v.votes.Req != 42 || string(v.votes.Batch) != "b's batch" {
		t.Errorf("a's voter got %+v from %x, want b's batch for req 42", v.votes, v.from)
	}
	for _, name := range []string{"a", "c"} {
		if polls, _ := voters[name].got(); len(polls) != 0 {
			t.Errorf("%s's voter got polls %+v", name, polls)
		}
	}
	if _, votes := voters["b"].got(); len(votes) != 0 {
		t.Errorf("b's voter got votes %+v", votes)
	}

	ab, ba, ac := peerInfo(t, a, "b"), peerInfo(t, b, "a"), peerInfo(t, a, "c")
	if ab.PollsOut != 1 || ab.VotesIn != 1 || ab.PollsIn != 0 || ab.VotesOut != 0 {
		t.Errorf("a's counts for b: %+v", ab)
	}
	if ba.PollsIn != 1 || ba.VotesOut != 1 || ba.PollsOut != 0 || ba.VotesIn != 0 {
		t.Errorf("b's counts for a: %+v", ba)
	}
	if ab.VoteBytesOut != ba.VoteBytesIn || ab.VoteBytesIn != ba.VoteBytesOut || ab.VoteBytesOut <= uint64(len(left.Raw)+len(right.Raw)) || ab.VoteBytesIn == 0 {
		t.Errorf("vote bytes: a sent %d and got %d, b got %d and sent %d", ab.VoteBytesOut, ab.VoteBytesIn, ba.VoteBytesIn, ba.VoteBytesOut)
	}
	if ac.PollsOut != 0 || ac.PollsIn != 0 || ac.VoteBytesOut != 0 || ac.VoteBytesIn != 0 {
		t.Errorf("a's view of c %+v, want no vote traffic", ac)
	}
}

// Votes are taken once per poll and only while awaited: a repeated or
// unasked answer costs a little, a late one nothing, even long after the
// poll was given up (an overloaded peer answers that late), up to
// lateVotesFor.
func TestVotesAwaited(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	clk, v := newClock(), &testVoter{}
	cfg := testConfig()
	cfg.Now, cfg.Voter, cfg.PollTimeout = clk.now, v, time.Second
	n := newNode(t, net, "n", cfg)
	p := votingPeer(t, net, n, "p")
	poll := func(req uint64) {
		t.Helper()
		if err := n.eng.Poll(testKey("p"), &wire.Poll{Req: req, Outs: []dag.OutPoint{dagtest.GenesisOut(net, 0)}}); err != nil {
			t.Fatalf("Poll %d: %v", req, err)
		}
	}
	answer := func(req uint64) { p.handle(t, &wire.Votes{Req: req, Batch: []byte{byte(req)}}) }
	check := func(what string, votes, score int) {
		t.Helper()
		_, got := v.got()
		if pi := peerInfo(t, n, "p"); len(got) != votes || pi.Score != score {
			t.Fatalf("%s: voter has %d votes, peer score %d; want %d and %d", what, len(got), pi.Score, votes, score)
		}
	}

	poll(1)
	if got := p.received(wire.TypePoll); len(got) != 1 || got[0].(*wire.Poll).Req != 1 {
		t.Fatalf("peer received %+v, want poll 1", got)
	}
	answer(1)
	check("answer", 1, 0)
	if _, got := v.got(); got[0].from != testKey("p") || got[0].votes.Batch[0] != 1 {
		t.Errorf("voter got %+v", got[0])
	}
	answer(1)
	check("second answer", 1, unsolicitedScore)
	answer(99)
	check("never asked", 1, 2*unsolicitedScore)

	poll(2)
	clk.advance(cfg.PollTimeout + time.Millisecond)
	answer(2)
	check("late answer", 1, 2*unsolicitedScore)

	poll(3)
	clk.advance(2*cfg.PollTimeout + time.Millisecond)
	n.eng.tick() // gives poll 3 up
	clk.advance(lateVotesFor - time.Second)
	n.eng.tick()
	answer(3)
	check("answer long after the poll was given up", 1, 2*unsolicitedScore)
	answer(3)
	check("its repeat", 1, 3*unsolicitedScore)

	poll(4)
	clk.advance(2*cfg.PollTimeout + time.Millisecond)
	n.eng.tick() // gives poll 4 up
	clk.advance(lateVotesFor + 2*cfg.PollTimeout)
	n.eng.tick() // forgets it
	answer(4)
	check("answer after the poll was forgotten", 1, 4*unsolicitedScore)
	if err := p.closeReason(); err != nil {
		t.Errorf("peer closed: %v", err)
	}
}

// Poll refuses unknown peers, peers that do not vote, repeated Reqs and
// more than MaxPolls awaited polls, until they expire.
func TestPollErrors(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	clk := newClock()
	cfg := testConfig()
	cfg.Now, cfg.Voter, cfg.PollTimeout, cfg.MaxPolls = clk.now, &testVoter{}, time.Second, 2
	n := newNode(t, net, "n", cfg)
	votingPeer(t, net, n, "p")
	old := newRawPeer(n.eng, "old")
	old.handle(t, &wire.Hello{Version: wire.NodeKeyVersion, NodeKey: testKey("old"), Network: net.ID, Digest: n.digest(t)})
	outs := []dag.OutPoint{dagtest.GenesisOut(net, 0)}
	poll := func(key string, req uint64) error {
		return n.eng.Poll(testKey(key), &wire.Poll{Req: req, Outs: outs})
	}

	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"first", func() error { return poll("p", 1) }, nil},
		{"same req", func() error { return poll("p", 1) }, ErrPollLimit},
		{"unknown key", func() error { return poll("nobody", 2) }, ErrUnknownPeer},
		{"peer without votes", func() error { return poll("old", 2) }, ErrUnknownPeer},
		{"invalid poll", func() error { return n.eng.Poll(testKey("p"), &wire.Poll{Req: 2}) }, wire.ErrInvalid},
		{"req of the invalid poll", func() error { return poll("p", 2) }, nil},
		{"over MaxPolls", func() error { return poll("p", 3) }, ErrPollLimit},
		{"after expiry", func() error { clk.advance(cfg.PollTimeout + time.Millisecond); return poll("p", 3) }, nil},
		{"below MaxPolls", func() error { return poll("p", 4) }, nil},
		{"over MaxPolls again", func() error { return poll("p", 5) }, ErrPollLimit},
		{"closed", func() error { n.eng.Close(); return poll("p", 6) }, ErrClosed},
	}
	for _, tc := range tests {
		if err := tc.do(); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("%s: Poll = %v, want %v", tc.name, err, tc.want)
		}
	}
	if got := len(old.received(wire.TypePoll)); got != 0 {
		t.Errorf("the peer without votes received %d polls", got)
	}
}

// Polls past PollRate are dropped and scored until the peer is banned.
func TestPollFlood(t *testing.T) {
	net, _ := dagtest.NewNetwork(t, 1)
	v := &testVoter{}
	cfg := testConfig()
	cfg.Now, cfg.Voter, cfg.PollRate, cfg.PollBurst = newClock().now, v, 1, 5
	n := newNode(t, net, "n", cfg)
	p := votingPeer(t, net, n, "p")
	send := func(count int) {
		for i := 0; i < count; i++ {
			p.handle(t, &wire.Poll{Req: uint64(i), Outs: []dag.OutPoint{dagtest.GenesisOut(net, 0)}})
		}
	}
	send(7)
	if polls, _ := v.got(); len(polls) != 5 {
		t.Errorf("voter got %d polls, want the burst of 5", len(polls))
	}
	if pi := peerInfo(t, n, "p"); pi.Score != 20 || pi.PollsIn != 7 {
		t.Errorf("after 7 polls: score %d, %d polls counted; want 20 and 7", pi.Score, pi.PollsIn)
	}
	send(8)
	eventually(t, time.Second, "banned", func() error {
		if err := p.closeReason(); !errors.Is(err, ErrBanned) {
			return fmt.Errorf("closed with %v, want ErrBanned", err)
		}
		return nil
	})
	if polls, _ := v.got(); len(polls) != 5 {
		t.Errorf("voter got %d polls, want still 5", len(polls))
	}
}

// A poll's transactions go through the checks of pushed ones: an invalid
// one bans the sender and the poll never reaches the Voter, evidence costs
// nothing, and the missing parent of an orphan is wanted from the sender.
// Malformed polls ban. Without a Voter, polls and votes are dropped unread
// and cost nothing.
func TestPollChecks(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	parent := pay(t, net, keys[0], 0, "parent")
	orphan := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: parent.ID, Index: 0}}, dagtest.Out(net, keys[0], dagtest.Funds/2))
	rival := pay(t, net, keys[1], 1, "rival")
	out := dagtest.GenesisOut(net, 1)
	encode := func(m wire.Message) []byte {
		b, err := wire.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// One output (36 bytes) is the poll's last field; cut it to 35.
	ragged := encode(&wire.Poll{Outs: []dag.OutPoint{out}})
	ragged[len(ragged)-37]--
	ragged = ragged[:len(ragged)-1]
	// Two outputs that differ in their index, the poll's last 4 bytes.
	twice := encode(&wire.Poll{Outs: []dag.OutPoint{out, {TxID: out.TxID, Index: out.Index + 1}}})
	twice[len(twice)-1]--

	tests := []struct {
		name    string
		noVoter bool
		act     func(t *testing.T, n *node, p *rawPeer)
		banned  bool
		polls   int // polls the Voter gets
	}{
		{name: "ragged outputs", banned: true, act: func(t *testing.T, n *node, p *rawPeer) { n.eng.Handle(p, ragged) }},
		{name: "output twice", banned: true, act: func(t *testing.T, n *node, p *rawPeer) { n.eng.Handle(p, twice) }},
		{name: "invalid tx", banned: true, act: func(t *testing.T, n *node, p *rawPeer) {
			p.handle(t, &wire.Poll{Req: 1, Outs: []dag.OutPoint{out}, Txs: [][]byte{tampered(t, rival)}})
		}},
		{name: "evidence", polls: 1, act: func(t *testing.T, n *node, p *rawPeer) {
			n.add(t, rival.Raw)
			twin := pay(t, net, keys[1], 1, "twin")
			p.handle(t, &wire.Poll{Req: 1, Outs: []dag.OutPoint{out}, Txs: [][]byte{twin.Raw}})
			p.barrier(t)
			if st := n.state(t, twin.ID); st != dag.StateRejected {
				t.Errorf("twin is %s, want rejected evidence", st)
			}
		}},
		{name: "orphan", polls: 1, act: func(t *testing.T, n *node, p *rawPeer) {
			p.handle(t, &wire.Poll{Req: 1, Outs: []dag.OutPoint{{TxID: parent.ID}}, Txs: [][]byte{orphan.Raw}})
			p.barrier(t)
			if st := n.state(t, orphan.ID); st != dag.StatePending {
				t.Errorf("orphan is %s, want pending", st)
			}
			for _, m := range p.received(wire.TypeWant) {
				if ids := m.(*wire.Want).IDs; len(ids) == 1 && ids[0] == parent.ID {
					return
				}
			}
			t.Errorf("the orphan's parent was not wanted: %+v", p.received(wire.TypeWant))
		}},
		{name: "no voter", noVoter: true, act: func(t *testing.T, n *node, p *rawPeer) {
			p.handle(t, &wire.Poll{Req: 1, Outs: []dag.OutPoint{out}, Txs: [][]byte{rival.Raw}})
			p.handle(t, &wire.Votes{Req: 1, Batch: []byte{1}})
			p.barrier(t)
			if st := n.state(t, rival.ID); st != dag.StateUnknown {
				t.Errorf("the poll's tx is %s, want unread", st)
			}
			if err := n.eng.Poll(testKey("p"), &wire.Poll{Req: 2, Outs: []dag.OutPoint{out}}); err != nil {
				t.Fatalf("Poll without a Voter: %v", err)
			}
			p.handle(t, &wire.Votes{Req: 2, Batch: []byte{1}})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &testVoter{}
			cfg := testConfig()
			if !tc.noVoter {
				cfg.Voter = v
			}
			n := newNode(t, net, "n", cfg)
			p := votingPeer(t, net, n, "p")
			tc.act(t, n, p)
			if tc.banned {
				eventually(t, time.Second, "banned", func() error {
					if err := p.closeReason(); !errors.Is(err, ErrBanned) {
						return fmt.Errorf("closed with %v, want ErrBanned", err)
					}
					return nil
				})
			} else {
				p.barrier(t)
				if err := p.closeReason(); err != nil {
					t.Fatalf("peer closed: %v", err)
				}
				if pi := peerInfo(t, n, "p"); pi.Score != 0 {
					t.Errorf("peer scored %d", pi.Score)
				}
			}
			polls, votes := v.got()
			if len(polls) != tc.polls || len(votes) != 0 {
				t.Errorf("voter got %d polls and %d votes, want %d and 0", len(polls), len(votes), tc.polls)
			}
		})
	}
}

// A poll that names the sides by ID makes the polled node want those it
// lacks from the poller (not those it holds): it learns both sides.
func TestPollIDsWanted(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 1)
	cfg := testConfig()
	cfg.Voter = &testVoter{}
	n := newNode(t, net, "n", cfg)
	held, lacked := pay(t, net, keys[0], 0, "held"), pay(t, net, keys[0], 0, "lacked")
	if _, err := n.graph.Add(t.Context(), held.Raw, ""); err != nil {
		t.Fatal(err)
	}
	p := newRawPeer(n.eng, "p")
	p.handle(t, &wire.Hello{Version: wire.PollIDsVersion, NodeKey: testKey("p"), Network: net.ID, Digest: n.digest(t)})
	p.handle(t, &wire.Poll{Req: 7, Outs: []dag.OutPoint{dagtest.GenesisOut(net, 0)}, IDs: []dag.TxID{held.ID, lacked.ID}})
	p.barrier(t)
	var wanted []dag.TxID
	for _, m := range p.received(wire.TypeWant) {
		wanted = append(wanted, m.(*wire.Want).IDs...)
	}
	if !reflect.DeepEqual(wanted, []dag.TxID{lacked.ID}) {
		t.Fatalf("the polled node wanted %v, want only %v", wanted, lacked.ID)
	}
	p.handle(t, &wire.Tx{Txs: []wire.TxEntry{{ID: lacked.ID, Raw: lacked.Raw}}})
	eventually(t, 5*time.Second, "the lacked side stored", func() error {
		if st, err := n.graph.State(lacked.ID); err != nil || st != dag.StateRejected {
			return fmt.Errorf("state %v (%v), want rejected evidence", st, err)
		}
		return nil
	})
}

package consensus

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"sync"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/vote"
)

// answerLog is a Transport that records the answers sent.
type answerLog struct {
	mu  sync.Mutex
	got map[vote.NodeKey][]byte
}

func (l *answerLog) Peers() []vote.Peer { return nil }

func (l *answerLog) Poll(vote.NodeKey, uint64, []dag.OutPoint, []dag.TxID) error { return nil }

func (l *answerLog) Answer(key vote.NodeKey, _ uint64, batch []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got[key] = batch
	return nil
}

// TestAnswerSignsOnce: polls about the same outputs get one signed batch,
// the same bytes for every poller; a poll about other outputs, or one
// made after a preference changed, gets a new batch that says the truth
// of the moment.
func TestAnswerSignsOnce(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	store := dag.NewMemStore()
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: store})
	_, priv, _ := ed25519.GenerateKey(nil)
	l := &answerLog{got: make(map[vote.NodeKey][]byte)}
	e, err := New(Config{Network: net, Graph: g, Store: store, Key: priv, Transport: l})
	if err != nil {
		t.Fatal(err)
	}
	g0, g1 := dagtest.GenesisOut(net, 0), dagtest.GenesisOut(net, 1)
	pay := dagtest.Spend(t, net, keys[0], []dag.OutPoint{g0}, dagtest.Out(net, keys[1], dagtest.Funds))
	if _, err := g.Add(context.Background(), pay.Raw, ""); err != nil {
		t.Fatal(err)
	}
	s := &signed{}
	poller := func(i byte) vote.NodeKey { return vote.NodeKey{i} }
	e.answer([]ask{{poller(1), 1, []dag.OutPoint{g0, g1}}, {poller(2), 7, []dag.OutPoint{g0, g1}}}, s)
	e.answer([]ask{{poller(3), 2, []dag.OutPoint{g0, g1}}, {poller(4), 3, []dag.OutPoint{g1}}}, s)
	first := l.got[poller(1)]
	for _, p := range []byte{2, 3} {
		if !bytes.Equal(l.got[poller(p)], first) {
			t.Errorf("poller %d got another batch than poller 1", p)
		}
	}
	check := func(raw []byte, want ...vote.Vote) {
		t.Helper()
		var b vote.Batch
		if err := b.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		if err := b.Verify(); err != nil {
			t.Fatal(err)
		}
		if vote.VotesKey(b.Votes) != vote.VotesKey(want) {
			t.Errorf("votes %v, want %v", b.Votes, want)
		}
	}
	check(first, vote.Vote{Out: g0, Pref: pay.ID}, vote.Vote{Out: g1})
	check(l.got[poller(4)], vote.Vote{Out: g1})

	// g1 gets spent: the answer about it now names the spend.
	pay1 := dagtest.Spend(t, net, keys[1], []dag.OutPoint{g1}, dagtest.Out(net, keys[0], dagtest.Funds))
	if _, err := g.Add(context.Background(), pay1.Raw, ""); err != nil {
		t.Fatal(err)
	}
	e.answer([]ask{{poller(5), 4, []dag.OutPoint{g0, g1}}}, s)
	check(l.got[poller(5)], vote.Vote{Out: g0, Pref: pay.ID}, vote.Vote{Out: g1, Pref: pay1.ID})
}

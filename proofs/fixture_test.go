package proofs

import (
	"crypto/ed25519"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/vote"
	"github.com/torrenttx/ttx/vote/votetest"
)

// fixture is a small ledger on a dagtest network, stored by a Graph:
//
//	genesis -> a (key0 pays key1 10, change to key0)
//	a:0 -> b (key1 pays key2 4, change to key1)        the plain proof
//	genesis:2 -> u (key2 pays key0)                     unrelated to b
//	a:1 -> d (key0 pays key2 5)                         first seen: wins
//	a:1 -> d2 (key0 pays key1 5)                        double spend: loses
//	d:0 -> c (key2 pays key1 1)                         child of a conflicted tx
//
// a, b, d and c are then made final with certificates signed by the
// fixture's voters; u stays accepted, with no certificate.
type fixture struct {
	net               *dag.Network
	keys              []ed25519.PrivateKey
	voters            []ed25519.PrivateKey // node keys that sign votes
	store             *dag.MemStore
	a, b, u, d, d2, c *dag.Parsed
	nodes             []string
}

// numVoters is how many node keys vote in the fixture: K = 5, Alpha = 4.
const numVoters = 5

func newFixture(t testing.TB) *fixture {
	t.Helper()
	net, keys := dagtest.NewNetwork(t, 3)
	f := &fixture{net: net, keys: keys, store: dag.NewMemStore(), nodes: []string{"127.0.0.1:6881", "[::1]:6882", "router.example.org:6881"}}
	f.voters = votetest.Keys(numVoters)
	t.Cleanup(func() { f.store.Close() })
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: f.store})
	out := func(k int, amt dag.Amount) dag.Output { return dagtest.Out(net, keys[k], amt) }
	op := func(p *dag.Parsed, i uint32) dag.OutPoint { return dag.OutPoint{TxID: p.ID, Index: i} }
	f.a = dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, out(1, 10*dag.Unit), out(0, dagtest.Funds-10*dag.Unit))
	f.b = dagtest.Spend(t, net, keys[1], []dag.OutPoint{op(f.a, 0)}, out(2, 4*dag.Unit), out(1, 6*dag.Unit))
	f.u = dagtest.Spend(t, net, keys[2], []dag.OutPoint{dagtest.GenesisOut(net, 2)}, out(0, dagtest.Funds))
	f.d = dagtest.Spend(t, net, keys[0], []dag.OutPoint{op(f.a, 1)}, out(2, 5*dag.Unit), out(0, dagtest.Funds-15*dag.Unit))
	f.d2 = dagtest.Spend(t, net, keys[0], []dag.OutPoint{op(f.a, 1)}, out(1, 5*dag.Unit), out(0, dagtest.Funds-15*dag.Unit))
	f.c = dagtest.Spend(t, net, keys[2], []dag.OutPoint{op(f.d, 0)}, out(1, 1*dag.Unit), out(2, 4*dag.Unit))
	want := []dag.State{dag.StateAccepted, dag.StateAccepted, dag.StateAccepted, dag.StateAccepted, dag.StateRejected, dag.StateAccepted}
	for i, p := range []*dag.Parsed{f.a, f.b, f.u, f.d, f.d2, f.c} {
		res, err := g.Add(t.Context(), p.Raw, "")
		if err != nil || res.State != want[i] {
			t.Fatalf("add tx %d: %v, %v; want %v", i, res.State, err, want[i])
		}
	}
	for _, p := range []*dag.Parsed{f.a, f.b, f.d, f.c} {
		cert := votetest.Encode(t, f.certify(t, f.voters, p, p.ID))
		if err := g.Finalize(t.Context(), []dag.Decision{{ID: p.ID, Cert: cert}}); err != nil {
			t.Fatalf("finalize %s: %v", p.ID, err)
		}
	}
	return f
}

// certify returns the certificate of p that voters' signed votes make,
// each preferring pref on every input of p, at the K and Alpha of a poll
// of numVoters peers.
func (f *fixture) certify(t testing.TB, voters []ed25519.PrivateKey, p *dag.Parsed, pref dag.TxID) *vote.Certificate {
	return votetest.Certificate(t, f.net.ID, voters, p, pref, numVoters)
}

// export exports id's proof from the fixture's store.
func (f *fixture) export(t testing.TB, id dag.TxID) []byte {
	t.Helper()
	var b []byte
	err := f.store.View(func(r dag.ReadTx) error {
		var err error
		b, err = Export(f.net, r, id, f.nodes)
		return err
	})
	if err != nil {
		t.Fatalf("export %s: %v", id, err)
	}
	return b
}

// raws returns the bytes of ps.
func raws(ps ...*dag.Parsed) [][]byte {
	out := make([][]byte, len(ps))
	for i, p := range ps {
		out[i] = p.Raw
	}
	return out
}

// build encodes a proof file of txs proving the tx whose raw is proven,
// bypassing Export, for crafting bad proofs.
func build(t testing.TB, net *dag.Network, proven []byte, txs [][]byte, edit func(*file)) []byte {
	t.Helper()
	f := &file{Info: dag.InfoDict(proven), Network: net.ID[:], Txs: txs, Version: Version}
	if edit != nil {
		edit(f)
	}
	b, err := f.encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

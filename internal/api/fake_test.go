package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/wallet"
)

// fixture is a tiny network: a genesis minting 1000 TTX to alice, and a tx
// in which alice pays bob 1.5 TTX (change back to alice).
type fixture struct {
	net          *dag.Network
	alice, bob   dag.PubKey
	aliceKey     ed25519.PrivateKey
	genesis, pay *dag.Parsed
}

const fixtureTime = 1_700_000_000

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{}
	keys := make([]ed25519.PrivateKey, 2)
	for i := range keys {
		keys[i] = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, ed25519.SeedSize))
	}
	f.aliceKey = keys[0]
	copy(f.alice[:], keys[0].Public().(ed25519.PublicKey))
	copy(f.bob[:], keys[1].Public().(ed25519.PublicKey))
	params := dag.Params{Name: "apitest", Prefix: "tst", MaxPrev: 16, MaxOut: 16, MaxMemo: 64}
	g := &dag.Tx{Version: dag.TxVersion, Genesis: &params, Time: fixtureTime,
		Out: []dag.Output{{To: f.alice.Address("tst"), Amount: 1000 * dag.Unit}}}
	raw, err := dag.Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	if f.net, err = dag.NewNetwork(raw); err != nil {
		t.Fatal(err)
	}
	f.genesis = f.net.Genesis
	pay := &dag.Tx{Version: dag.TxVersion, Time: fixtureTime + 60, Memo: "lunch",
		Prev: []string{dag.OutPoint{TxID: f.genesis.ID}.String()},
		Out: []dag.Output{
			{To: f.net.Address(f.bob), Amount: 150_000_000},
			{To: f.net.Address(f.alice), Amount: 1000*dag.Unit - 150_000_000},
		}}
	raw, err = f.net.Sign(context.Background(), pay, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if f.pay, err = dag.Decode(raw); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) record(p *dag.Parsed, seq uint64, st dag.State) *dag.Record {
	return &dag.Record{ID: p.ID, Raw: p.Raw, State: st, Seq: seq, FirstSeen: time.Unix(fixtureTime+int64(seq), 0).UnixNano()}
}

// fakeBackend answers from fixed records and records what it was asked.
type fakeBackend struct {
	f    *fixture
	recs []*dag.Record // by Seq

	mu        sync.Mutex
	sends     []sendCall
	imported  [][]byte
	submitted [][]byte
	trusted   []string
	err       error // returned by every call if set
}

type sendCall struct {
	to     dag.PubKey
	amount dag.Amount
	memo   string
}

func newFakeBackend(t testing.TB) *fakeBackend {
	f := newFixture(t)
	return &fakeBackend{f: f, recs: []*dag.Record{
		f.record(f.genesis, 1, dag.StateAccepted),
		f.record(f.pay, 2, dag.StateAccepted),
	}}
}

var _ Backend = (*fakeBackend)(nil)

func (b *fakeBackend) Network() *dag.Network { return b.f.net }

func (b *fakeBackend) Status(ctx context.Context) (*Status, error) {
	if b.err != nil {
		return nil, b.err
	}
	return &Status{Agent: "ttx/test", Accepted: uint64(len(b.recs)), Peers: 2, TTXPeers: 1}, nil
}

func (b *fakeBackend) Balance(ctx context.Context, owner dag.PubKey) (Funds, error) {
	if owner == b.f.bob {
		return Funds{Final: 100_000_000, FinalOutputs: 1, NotFinal: 50_000_000, NotFinalOutputs: 1}, b.err
	}
	return Funds{}, b.err
}

func (b *fakeBackend) History(ctx context.Context, owner dag.PubKey, limit int) ([]*dag.Record, error) {
	out := slices.Clone(b.recs)
	slices.Reverse(out)
	return out[:min(limit, len(out))], b.err
}

func (b *fakeBackend) Tx(ctx context.Context, id dag.TxID) (*dag.Record, []dag.TxID, error) {
	if b.err != nil {
		return nil, nil, b.err
	}
	for i, r := range b.recs {
		if r.ID == id {
			var children []dag.TxID
			if i+1 < len(b.recs) {
				children = []dag.TxID{b.recs[i+1].ID}
			}
			return r, children, nil
		}
	}
	return nil, nil, dag.ErrNotFound
}

func (b *fakeBackend) AskPeers(ctx context.Context, id dag.TxID, trusted []string) ([]PeerAnswer, error) {
	b.mu.Lock()
	b.trusted = trusted
	b.mu.Unlock()
	return []PeerAnswer{
		{Peer: "127.0.0.1:1", State: "accepted"},
		{Peer: "127.0.0.1:2", State: "accepted"},
		{Peer: "127.0.0.1:3", Error: "timeout"},
	}, b.err
}

func (b *fakeBackend) Peers(ctx context.Context) ([]Peer, error) {
	return []Peer{{Addr: "127.0.0.1:6881", TTX: true, InSync: true}}, b.err
}

// Send checks the payment as the node does, by building it with the
// wallet (from alice's genesis coin), so the wallet's refusals reach the
// Server; it records the call and answers with the fixture's payment.
func (b *fakeBackend) Send(ctx context.Context, to dag.PubKey, amount dag.Amount, memo string) (dag.TxID, error) {
	if b.err != nil {
		return dag.TxID{}, b.err
	}
	key, err := wallet.KeyFromSeed(b.f.aliceKey.Seed())
	if err != nil {
		return dag.TxID{}, err
	}
	coins := []wallet.Coin{{OutPoint: dag.OutPoint{TxID: b.f.genesis.ID}, Amount: 1000 * dag.Unit}}
	if _, _, err := wallet.BuildSend(ctx, b.f.net, key, coins, to, amount, memo, time.Unix(fixtureTime+120, 0)); err != nil {
		return dag.TxID{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sends = append(b.sends, sendCall{to, amount, memo})
	return b.f.pay.ID, nil
}

func (b *fakeBackend) Submit(ctx context.Context, raw []byte) (dag.Result, error) {
	if b.err != nil {
		return dag.Result{}, b.err
	}
	p, err := dag.Decode(raw)
	if err != nil {
		return dag.Result{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.submitted = append(b.submitted, raw)
	for _, r := range b.recs {
		if r.ID == p.ID {
			return dag.Result{ID: p.ID, State: r.State, Known: true}, nil
		}
	}
	return dag.Result{ID: p.ID, State: dag.StateRejected, Err: dag.RuleError{Code: dag.ErrDoubleSpend, Desc: "test: loses"}}, nil
}

func (b *fakeBackend) Faucet(ctx context.Context, to dag.PubKey) (dag.TxID, error) {
	if b.err != nil {
		return dag.TxID{}, b.err
	}
	return b.f.pay.ID, nil
}

func (b *fakeBackend) ExportProof(ctx context.Context, id dag.TxID) ([]byte, error) {
	if _, _, err := b.Tx(ctx, id); err != nil {
		return nil, err
	}
	return dag.TorrentFile(b.f.pay.Raw), nil
}

func (b *fakeBackend) ImportProof(ctx context.Context, proof []byte) (*ImportResult, error) {
	if b.err != nil {
		return nil, b.err
	}
	if !bytes.HasPrefix(proof, []byte("d")) {
		return nil, NewError(http.StatusBadRequest, CodeInvalidProof, errors.New("proofs: malformed proof file"))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.imported = append(b.imported, proof)
	return &ImportResult{ID: b.f.pay.ID, State: "accepted", Added: 1}, nil
}

func (b *fakeBackend) Recent(ctx context.Context, limit int) ([]*dag.Record, error) {
	return b.History(ctx, dag.PubKey{}, limit)
}

func (b *fakeBackend) Wallet(ctx context.Context) (dag.PubKey, error) { return b.f.alice, b.err }

// newTestServer starts a Server for b on an httptest server (127.0.0.1).
func newTestServer(t *testing.T, b Backend, auth ...Authenticator) (*Server, *httptest.Server) {
	t.Helper()
	s, err := NewServer(Config{Backend: b, Token: "secret-token", Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

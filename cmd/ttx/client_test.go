package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/proofs"
)

// backend is a small api.Backend over a MemStore ledger: the genesis of a
// dagtest network and one payment from key 0 to key 1. Tests change states
// through g.
type backend struct {
	net   *dag.Network
	keys  []ed25519.PrivateKey
	st    *dag.MemStore
	g     *dag.Graph
	me    dag.PubKey
	pay   *dag.Parsed
	mu    sync.Mutex
	sends []string
	proof []byte
}

func newBackend(t *testing.T) *backend {
	net, keys := dagtest.NewNetwork(t, 2)
	b := &backend{net: net, keys: keys, st: dag.NewMemStore(), me: dagtest.PubKey(keys[0])}
	t.Cleanup(func() { b.st.Close() })
	b.g = dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: b.st})
	b.pay = dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)},
		dagtest.Out(net, keys[1], 3*dag.Unit), dagtest.Out(net, keys[0], dagtest.Funds-3*dag.Unit))
	if _, err := b.g.Add(t.Context(), b.pay.Raw, ""); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *backend) view(fn func(r dag.ReadTx) error) error { return b.st.View(fn) }

func (b *backend) Network() *dag.Network { return b.net }
func (b *backend) Status(context.Context) (*api.Status, error) {
	var d dag.Digest
	err := b.view(func(r dag.ReadTx) (err error) { d, err = r.Digest(); return err })
	return &api.Status{Agent: "ttx/test", NodeKey: testNodeKey(1), StartedAt: time.Now(), Digest: d.String(), Accepted: d.Count, Listen: []string{"127.0.0.1:6881"}}, err
}
func (b *backend) Balance(_ context.Context, owner dag.PubKey) (f api.Funds, err error) {
	err = b.view(func(r dag.ReadTx) error {
		return r.UnspentOf(owner, func(op dag.OutPoint, o dag.TxOut) bool {
			if st, _ := r.State(op.TxID); st == dag.StateFinal {
				f.Final += o.Amount
				f.FinalOutputs++
			} else {
				f.NotFinal += o.Amount
				f.NotFinalOutputs++
			}
			return true
		})
	})
	return f, err
}
func (b *backend) History(_ context.Context, owner dag.PubKey, limit int) ([]*dag.Record, error) {
	var recs []*dag.Record
	err := b.view(func(r dag.ReadTx) error {
		ids, err := r.HistoryOf(owner, 0, limit)
		for _, id := range ids {
			rec, err := r.Get(id)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		return err
	})
	return recs, err
}
func (b *backend) Tx(_ context.Context, id dag.TxID) (rec *dag.Record, children []dag.TxID, err error) {
	err = b.view(func(r dag.ReadTx) error {
		if rec, err = r.Get(id); err != nil {
			return err
		}
		children, err = r.Children(id)
		return err
	})
	return rec, children, err
}
func (b *backend) AskPeers(_ context.Context, id dag.TxID, trusted []string) ([]api.PeerAnswer, error) {
	var out []api.PeerAnswer
	for _, p := range trusted {
		out = append(out, api.PeerAnswer{Peer: p, State: "accepted"})
	}
	return out, nil
}
func (b *backend) Peers(context.Context) ([]api.Peer, error) {
	return []api.Peer{
		{Addr: "127.0.0.1:6882", TTX: true, InSync: true, Agent: "ttx/test", NodeKey: testNodeKey(2), ListenPort: 6882, ConnectedAt: time.Now()},
		{Addr: "127.0.0.1:50123", Inbound: true, Agent: "other", ConnectedAt: time.Now()},
	}, nil
}

// testNodeKey is a node key in hex whose digits are all b.
func testNodeKey(b int) string { return strings.Repeat(strconv.Itoa(b), 64) }
func (b *backend) Send(_ context.Context, to dag.PubKey, amount dag.Amount, memo string) (dag.TxID, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sends = append(b.sends, b.net.Address(to)+" "+amount.String()+" "+memo)
	return b.pay.ID, nil
}
func (b *backend) Faucet(_ context.Context, to dag.PubKey) (dag.TxID, error) { return b.pay.ID, nil }
func (b *backend) ExportProof(_ context.Context, id dag.TxID) (p []byte, err error) {
	err = b.view(func(r dag.ReadTx) error { p, err = proofs.Export(b.net, r, id, nil); return err })
	return p, err
}
func (b *backend) ImportProof(_ context.Context, proof []byte) (*api.ImportResult, error) {
	p, err := proofs.Verify(proof, b.net)
	if err != nil {
		return nil, api.NewError(400, api.CodeInvalidProof, err)
	}
	b.mu.Lock()
	b.proof = proof
	b.mu.Unlock()
	r := &api.ImportResult{ID: p.ID, State: p.State.String(), Final: p.Final, NotFinal: p.NotFinal}
	r.Votes, r.Keys = p.Votes()
	return r, nil
}
func (b *backend) Submit(ctx context.Context, raw []byte) (dag.Result, error) {
	return b.g.Add(ctx, raw, "submit")
}
func (b *backend) Recent(context.Context, int) ([]*dag.Record, error) { return nil, nil }
func (b *backend) Wallet(context.Context) (dag.PubKey, error)         { return b.me, nil }

// startAPI serves b on a loopback port with its cookie in a fresh data dir
// and returns the flags that point commands at it.
func startAPI(t *testing.T, b *backend) []string {
	t.Helper()
	dir := t.TempDir()
	s, err := api.NewServer(api.Config{Backend: b, Addr: "127.0.0.1:0", CookieDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return []string{"--api", s.Addr(), "--datadir", dir}
}

func TestClientCommands(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	me := b.net.Address(b.me)
	bob := b.pay.Tx.Out[0].To
	id := b.pay.ID.String()
	proofPath := filepath.Join(t.TempDir(), "p.torrent")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"status", []string{"status"}, []string{"Network", "dagtest", "2 accepted", "127.0.0.1:6881", "Node key      " + testNodeKey(1)}},
		{"address", []string{"address"}, []string{me}},
		{"balance of mine", []string{"balance"}, []string{me, "Balance    999997 TTX", "Final      0 TTX", "Not final  999997 TTX", "Outputs    1 (0 final)"}},
		{"balance of another", []string{"balance", bob}, []string{"3 TTX"}},
		{"history", []string{"history"}, []string{"-3", "accepted", id[:16], "+1000000"}},
		{"tx", []string{"tx", id}, []string{"accepted", "3 TTX to " + bob, "magnet:?xt=urn:btmh:1220" + id, "Spent by"}},
		{"tx peers", []string{"tx", "--trusted", "127.0.0.1:9,127.0.0.1:10", id}, []string{"accepted by 2 of 2, no conflict", "127.0.0.1:9: accepted"}},
		{"peers", []string{"peers"}, []string{"127.0.0.1:6882   yes  yes      out        6882    " + testNodeKey(2)[:16] + "… ", "127.0.0.1:50123  no   no       in         -       -  "}},
		{"peers long", []string{"peers", "--long"}, []string{"out        6882    " + testNodeKey(2) + "  "}},
		{"send", []string{"send", "--to", bob, "--amount", "1.25", "--memo", "hi"}, []string{"Sent 1.25 TTX to " + bob, "ID: " + id, "Check it with: ttx tx --api " + flags[1] + " --datadir " + flags[3] + " --peers " + id}},
		{"faucet", []string{"faucet"}, []string{"Faucet paid " + me}},
		{"proof export", []string{"proof", "export", "-o", proofPath, id}, []string{"Wrote " + proofPath}},
		{"proof import", []string{"proof", "import", proofPath}, []string{"Imported the proof of " + id + ": accepted", "\nnot final: the proof carries no finality certificate for it\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{tc.args[0]}, flags...), tc.args[1:]...)
			if tc.args[0] == "proof" {
				args = append(append([]string{"proof", tc.args[1]}, flags...), tc.args[2:]...)
			}
			out, stderr, err := runCmd(t, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if len(b.sends) != 1 || b.sends[0] != bob+" 1.25 hi" {
		t.Errorf("backend sends %q", b.sends)
	}
	if p, err := os.ReadFile(proofPath); err != nil || string(p) != string(b.proof) {
		t.Errorf("imported proof differs from the exported file (%v)", err)
	}
	t.Run("json", func(t *testing.T) {
		out, _, err := runCmd(t, append([]string{"balance", "--json"}, flags...)...)
		var bal api.Balance
		if err != nil || json.Unmarshal([]byte(out), &bal) != nil || bal.Address != me || bal.Balance.String() != "999997" {
			t.Errorf("%v %s", err, out)
		}
	})
	t.Run("export refuses to overwrite", func(t *testing.T) {
		_, stderr, err := runCmd(t, append(append([]string{"proof", "export"}, flags...), "-o", proofPath, id)...)
		if err == nil || !strings.Contains(stderr, "Try: remove it") {
			t.Errorf("%v %q", err, stderr)
		}
	})
}

func TestSpendingNeedsTheCookie(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	bob := b.pay.Tx.Out[0].To
	empty := t.TempDir()
	t.Run("no cookie file", func(t *testing.T) {
		_, stderr, err := runCmd(t, "send", "--api", flags[1], "--datadir", empty, "--to", bob, "--amount", "1")
		if err == nil || !strings.Contains(stderr, "no .cookie in "+empty) || !strings.Contains(stderr, "Try: ") {
			t.Errorf("%v %q", err, stderr)
		}
	})
	t.Run("wrong cookie", func(t *testing.T) {
		if err := api.WriteCookie(empty, "not-it"); err != nil {
			t.Fatal(err)
		}
		_, stderr, err := runCmd(t, "send", "--api", flags[1], "--datadir", empty, "--to", bob, "--amount", "1")
		if err == nil || !strings.Contains(stderr, "Error: wrong cookie") || !strings.Contains(stderr, "Try: pass the --datadir") {
			t.Errorf("%v %q", err, stderr)
		}
	})
	t.Run("bad address", func(t *testing.T) {
		_, stderr, err := runCmd(t, append(append([]string{"send"}, flags...), "--to", bob[:len(bob)-1]+"x", "--amount", "1")...)
		if err == nil || !strings.Contains(stderr, "has a typo: its checksum does not match") || !strings.Contains(stderr, "Try: compare the address") {
			t.Errorf("%v %q", err, stderr)
		}
	})
	if len(b.sends) != 0 {
		t.Errorf("backend sends %q, want none", b.sends)
	}
}

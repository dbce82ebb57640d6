package api

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

func TestClientEndpoints(t *testing.T) {
	b := newFakeBackend(t)
	f := b.f
	_, ts := newTestServer(t, b)
	c := NewClient(ts.URL, "secret-token")
	ctx := context.Background()
	bob, alice := f.net.Address(f.bob), f.net.Address(f.alice)

	t.Run("status", func(t *testing.T) {
		st, err := c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Network.ID != f.net.ID || st.Network.Name != "apitest" || st.Network.Supply.String() != "1000" || st.Agent != "ttx/test" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("balance", func(t *testing.T) {
		bal, err := c.Balance(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		if bal.Address != bob || bal.Balance != 150_000_000 || bal.Final != 100_000_000 || bal.NotFinal != 50_000_000 ||
			bal.Outputs != 2 || bal.FinalOutputs != 1 {
			t.Errorf("balance %+v", bal)
		}
	})
	t.Run("history of the sender", func(t *testing.T) {
		h, err := c.History(ctx, alice, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []HistoryEntry{
			{ID: f.pay.ID, State: "accepted", Direction: DirSent, Amount: 150_000_000, Counterparty: bob, Memo: "lunch"},
			{ID: f.genesis.ID, State: "accepted", Direction: DirReceived, Amount: Amount(1000 * dag.Unit)},
		}
		if len(h.Entries) != len(want) {
			t.Fatalf("%d entries, want %d", len(h.Entries), len(want))
		}
		for i, w := range want {
			g := h.Entries[i]
			if g.ID != w.ID || g.State != w.State || g.Direction != w.Direction || g.Amount != w.Amount || g.Counterparty != w.Counterparty || g.Memo != w.Memo {
				t.Errorf("entry %d = %+v, want %+v", i, g, w)
			}
		}
		if got := h.Entries[0].Time; !got.Equal(time.Unix(fixtureTime+60, 0)) {
			t.Errorf("time %v", got)
		}
	})
	t.Run("history of the recipient", func(t *testing.T) {
		h, err := c.History(ctx, bob, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Entries) != 1 || h.Entries[0].Direction != DirReceived || h.Entries[0].Amount != 150_000_000 || h.Entries[0].Counterparty != alice {
			t.Errorf("entries %+v", h.Entries)
		}
	})
	t.Run("tx", func(t *testing.T) {
		tx, err := c.Tx(ctx, f.pay.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tx.Raw != string(f.pay.Raw) {
			t.Errorf("raw %q, want %q", tx.Raw, f.pay.Raw)
		}
		if tx.ID != f.pay.ID || tx.State != "accepted" || tx.From != alice || tx.Memo != "lunch" || tx.Size != len(f.pay.Raw) || tx.Genesis {
			t.Errorf("tx %+v", tx)
		}
		if len(tx.Out) != 2 || tx.Out[0] != (Output{To: bob, Amount: 150_000_000}) {
			t.Errorf("out %+v", tx.Out)
		}
		wantV2 := "magnet:?xt=urn:btmh:1220" + f.pay.ID.String() + "&dn=tx.json"
		if tx.Magnet.V2 != wantV2 || !strings.HasPrefix(tx.Magnet.V1, "magnet:?xt=urn:btih:"+tx.V1) || len(tx.V1) != 40 {
			t.Errorf("magnets %+v, v1 %s", tx.Magnet, tx.V1)
		}
		if len(tx.Conflicts) != 0 || len(tx.Children) != 0 {
			t.Errorf("conflicts %v children %v, want none", tx.Conflicts, tx.Children)
		}
		g, err := c.Tx(ctx, f.genesis.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !g.Genesis || !slices.Equal(g.Children, []dag.TxID{f.pay.ID}) {
			t.Errorf("genesis %+v", g)
		}
	})
	t.Run("tx peers", func(t *testing.T) {
		p, err := c.TxPeers(ctx, f.pay.ID, []string{"127.0.0.1:7000", "[::1]:7001"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Summary != "accepted by 2 of 3, no conflict" || p.Conflict || len(p.Answers) != 3 {
			t.Errorf("peers %+v", p)
		}
		if !slices.Equal(b.trusted, []string{"127.0.0.1:7000", "[::1]:7001"}) {
			t.Errorf("backend got trusted %v", b.trusted)
		}
	})
	t.Run("peers", func(t *testing.T) {
		p, err := c.Peers(ctx)
		if err != nil || len(p.Peers) != 1 || !p.Peers[0].TTX {
			t.Errorf("peers %+v, %v", p, err)
		}
	})
	t.Run("send", func(t *testing.T) {
		r, err := c.Send(ctx, SendRequest{To: bob, Amount: "0.5", Memo: "hi"})
		if err != nil || r.ID != f.pay.ID {
			t.Fatalf("send: %+v, %v", r, err)
		}
		if got := b.sends[len(b.sends)-1]; got != (sendCall{f.bob, 50_000_000, "hi"}) {
			t.Errorf("backend got %+v", got)
		}
	})
	t.Run("faucet", func(t *testing.T) {
		if r, err := c.Faucet(ctx, bob); err != nil || r.ID != f.pay.ID {
			t.Errorf("faucet: %+v, %v", r, err)
		}
	})
	t.Run("proof", func(t *testing.T) {
		p, err := c.Proof(ctx, f.pay.ID)
		if err != nil || !bytes.Equal(p, dag.TorrentFile(f.pay.Raw)) {
			t.Errorf("proof %q, %v", p, err)
		}
		r, err := c.ImportProof(ctx, p)
		if err != nil || r.ID != f.pay.ID || r.Added != 1 {
			t.Errorf("import %+v, %v", r, err)
		}
	})
	t.Run("dag", func(t *testing.T) {
		d, err := c.DAG(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Nodes) != 2 || d.Nodes[0].ID != f.pay.ID || !d.Nodes[1].Genesis || d.Nodes[0].Amount.String() != "1000" {
			t.Errorf("nodes %+v", d.Nodes)
		}
		if want := []DAGEdge{{From: f.genesis.ID, To: f.pay.ID}}; !slices.Equal(d.Edges, want) {
			t.Errorf("edges %+v, want %+v", d.Edges, want)
		}
		d, err = c.DAG(ctx, 1)
		if err != nil || len(d.Nodes) != 1 || len(d.Edges) != 0 {
			t.Errorf("dag limit 1: %+v, %v", d, err)
		}
	})
	t.Run("address", func(t *testing.T) {
		a, err := c.Address(ctx)
		if err != nil || a.Address != alice || a.Network != "apitest" {
			t.Errorf("address %+v, %v", a, err)
		}
	})
}

// TestStatesInJSON: a final transaction reads "final", one that lost the
// vote "rejected" with its code, in the tx and the history answers.
func TestStatesInJSON(t *testing.T) {
	b := newFakeBackend(t)
	b.recs[0].State = dag.StateFinal
	b.recs[1].State, b.recs[1].Code = dag.StateRejected, dag.ErrLostVote
	_, ts := newTestServer(t, b)
	c := NewClient(ts.URL, "")
	ctx := t.Context()
	g, err := c.Tx(ctx, b.f.genesis.ID)
	if err != nil || g.State != "final" || g.Code != "" {
		t.Errorf("genesis %+v, %v; want final without a code", g, err)
	}
	p, err := c.Tx(ctx, b.f.pay.ID)
	if err != nil || p.State != "rejected" || p.Code != "ErrLostVote" {
		t.Errorf("payment %+v, %v; want rejected (ErrLostVote)", p, err)
	}
	h, err := c.History(ctx, b.f.net.Address(b.f.alice), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h.Entries {
		got = append(got, e.State+"/"+e.Code)
	}
	if want := []string{"rejected/ErrLostVote", "final/"}; !slices.Equal(got, want) {
		t.Errorf("history states %q, want %q", got, want)
	}
}

func TestClientErrors(t *testing.T) {
	b := newFakeBackend(t)
	_, ts := newTestServer(t, b)
	ctx := context.Background()
	bob := b.f.net.Address(b.f.bob)

	t.Run("wrong cookie", func(t *testing.T) {
		_, err := NewClient(ts.URL, "bad").Send(ctx, SendRequest{To: bob, Amount: "1"})
		var ae *Error
		if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || !strings.HasPrefix(err.Error(), "wrong cookie") {
			t.Errorf("err %v, want a 401 *Error saying wrong cookie", err)
		}
	})
	t.Run("unknown tx", func(t *testing.T) {
		_, err := NewClient(ts.URL, "").Tx(ctx, dag.TxID{9})
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != CodeNotFound {
			t.Errorf("err %v, want ErrNotFound", err)
		}
	})
	t.Run("not running", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = NewClient(addr, "").Status(ctx)
		want := "node not running at http://" + addr + ": start it with `ttx start`"
		if !errors.Is(err, ErrNotRunning) || err.Error() != want {
			t.Errorf("err %q, want %q wrapping ErrNotRunning", err, want)
		}
	})
}

func TestServerStartWritesCookie(t *testing.T) {
	dir := t.TempDir()
	s, err := NewServer(Config{Backend: newFakeBackend(t), Addr: "127.0.0.1:0", CookieDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CookieFile), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, CookieFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("cookie mode %v, want 0600", fi.Mode().Perm())
	}
	tok, err := ReadCookie(dir)
	if err != nil || tok != s.Token() || len(tok) != 2*tokenSize {
		t.Fatalf("cookie %q (%v), want the server's %d-character token", tok, err, 2*tokenSize)
	}
	c := NewClient(s.URL(), tok)
	if _, err := c.Faucet(context.Background(), newFixture(t).net.Address(newFixture(t).bob)); err != nil {
		t.Errorf("faucet with the cookie: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, CookieFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cookie still there after Shutdown: %v", err)
	}
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("status after shutdown: %v, want ErrNotRunning", err)
	}
}

func TestAmountJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Amount
		wantErr bool
	}{
		{"whole", `{"ttx":"2","units":"200000000"}`, 2 * Amount(dag.Unit), false},
		{"fraction", `{"ttx":"0.00000001","units":"1"}`, 1, false},
		{"max", `{"ttx":"184467440737.09551615","units":"18446744073709551615"}`, Amount(dag.MaxAmount), false},
		{"disagree", `{"ttx":"1","units":"1"}`, 0, true},
		{"number", `{"ttx":1,"units":"100000000"}`, 0, true},
		{"units not canonical", `{"ttx":"1","units":"0100000000"}`, 0, true},
		{"missing units", `{"ttx":"1"}`, 0, true},
		{"unknown field", `{"ttx":"1","units":"100000000","x":1}`, 0, true},
		{"float string", `{"ttx":"1e3","units":"1000"}`, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Amount
			err := a.UnmarshalJSON([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if a != tc.want {
				t.Errorf("got %d, want %d", a, tc.want)
			}
			if out, _ := a.MarshalJSON(); string(out) != tc.in {
				t.Errorf("marshal %s, want %s", out, tc.in)
			}
		})
	}
}

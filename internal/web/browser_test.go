package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/internal/web"
)

// burnPerByte is the test network's burn, so that the send form has a burn
// to show.
const burnPerByte = 10

// testNetwork returns a devnet-like network whose genesis pays funds[i] to
// key i.
func testNetwork(t *testing.T, funds ...dag.Amount) (*dag.Network, []*wallet.Key) {
	t.Helper()
	p := genesis.DefaultParams("devnet", "dev")
	p.BurnPerByte = burnPerByte
	keys := make([]*wallet.Key, len(funds))
	alloc := make([]genesis.Alloc, len(funds))
	for i, f := range funds {
		seed := sha256.Sum256(fmt.Appendf(nil, "web test key %d", i))
		k, err := wallet.KeyFromSeed(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
		alloc[i] = genesis.Alloc{To: k.PubKey(), Amount: f}
	}
	raw, err := genesis.New(p, alloc, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	net, err := dag.NewNetwork(raw)
	if err != nil {
		t.Fatal(err)
	}
	return net, keys
}

// startNode runs a loopback-only node (no DHT, no trackers) serving the web
// UI, as ttx start wires it.
func startNode(t *testing.T, ctx context.Context, net *dag.Network, key *wallet.Key) (*node.Node, *web.Server) {
	t.Helper()
	ws, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, node.Config{
		DataDir:    t.TempDir(),
		Network:    net,
		Wallet:     key,
		ListenAddr: "127.0.0.1:0",
		APIAddr:    "127.0.0.1:0",
		NoDHT:      true,
		Web:        ws,
		APIAuth:    []api.Authenticator{ws.Authorized},
	})
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	ws.Attach(n)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Close(ctx); err != nil {
			t.Errorf("close node: %v", err)
		}
	})
	return n, ws
}

// screenshotDir is $TTX_SCREENSHOTS, or a temporary directory.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("TTX_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ungroup drops the thin spaces the pages group thousands with.
func ungroup(s string) string { return strings.ReplaceAll(s, "\u202f", "") }

// TestBrowserPayment drives Debian's headless Chromium through a payment
// on a two-node loopback network: node A's wallet page, logged in by its
// one-time URL, sends through the form; node B's DAG view, open
// beforehand, shows the payment arrive live as accepted, and B's read-only
// wallet and tx pages show it too.
func TestBrowserPayment(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	br := startBrowser(t)
	net, keys := testNetwork(t, 1000*dag.Unit, 250*dag.Unit, 100*dag.Unit)
	a, wa := startNode(t, ctx, net, keys[0])
	b, _ := startNode(t, ctx, net, keys[1])
	if err := a.Connect(b.ListenAddr()); err != nil {
		t.Fatal(err)
	}
	shots := screenshotDir(t)
	addrB := b.Address()

	// B's DAG view is open before the payment: it must update by itself.
	dagB := br.newTab(ctx)
	dagB.navigate(b.APIURL() + "/dag")
	dagB.waitFor("B's DAG drawn", `document.querySelector('#dag-svg a[data-id="`+net.ID.String()+`"]')`)
	dagB.waitFor("B's live stream", `document.querySelector('#live[data-up="yes"]')`)

	// A: the login link opens a session and strips the token.
	pa := br.newTab(ctx)
	pa.navigate(wa.LoginURL(a.APIURL()))
	var href, cookies string
	if err := pa.eval(`location.href`, &href); err != nil {
		t.Fatal(err)
	}
	if err := pa.eval(`document.cookie`, &cookies); err != nil {
		t.Fatal(err)
	}
	if href != a.APIURL()+"/" {
		t.Errorf("after login the page is %s, want %s/ (token stripped)", href, a.APIURL())
	}
	if strings.Contains(cookies, "ttx_session") {
		t.Errorf("the session cookie is visible to scripts: %q", cookies)
	}
	if wa.LoginURL(a.APIURL()) != "" {
		t.Error("the login link still works after its use")
	}
	pa.waitFor("A's balance", `document.querySelector('#balance-accepted').textContent !== "…"`)
	if got := ungroup(pa.text("#balance-accepted")); got != "1000" {
		t.Fatalf("A's page shows balance %q, want 1000", got)
	}

	// The recipient's checksum is checked as one types.
	typo := addrB[:len(addrB)-1] + "q"
	if strings.HasSuffix(addrB, "q") {
		typo = addrB[:len(addrB)-1] + "p"
	}
	pa.typeInto("#send-to", typo)
	pa.waitFor("checksum error", `document.querySelector('#send-to-status').dataset.kind === "bad"`)
	if msg := pa.text("#send-to-status"); !strings.Contains(msg, "checksum") {
		t.Errorf("a mistyped address says %q, want a checksum error", msg)
	}
	pa.typeInto("#send-to", addrB)
	pa.waitFor("address accepted", `document.querySelector('#send-to-status').dataset.kind === "ok"`)
	pa.typeInto("#send-amount", "12.5")
	pa.typeInto("#send-memo", "lunch, paid from a browser")
	pa.click("#send-review")
	pa.waitFor("confirmation", `!document.querySelector('#send-confirm').hidden`)
	burnShown := strings.TrimSuffix(pa.text("#confirm-burn"), " TTX")
	burn, err := dag.ParseAmount(burnShown)
	if err != nil || burn == 0 {
		t.Fatalf("the confirmation shows burn %q, want a positive amount", burnShown)
	}
	pa.screenshot(filepath.Join(shots, "wallet-confirm.png"))
	pa.click("#send-confirm-btn")
	pa.waitFor("sent", `document.querySelector('#sent a')`)
	var txPath string
	if err := pa.eval(`document.querySelector('#sent a').getAttribute('href')`, &txPath); err != nil {
		t.Fatal(err)
	}
	id, err := dag.ParseTxID(strings.TrimPrefix(txPath, "/tx/"))
	if err != nil {
		t.Fatalf("the sent notice links to %q: %v", txPath, err)
	}

	// A's tx page: accepted, and the burn the form announced is the one
	// paid.
	pa.navigate(a.APIURL() + "/tx/" + id.String())
	pa.waitFor("A's tx page", `document.querySelector('#tx-summary [data-state="accepted"]')`)
	if got := pa.text("#tx-burn"); got != burn.String()+" TTX" {
		t.Errorf("tx page burn %q, want the confirmed %s TTX", got, burn)
	}
	for _, sel := range []string{"#magnet-v2", "#magnet-v1", "#proof", "#tx-raw"} {
		if !pa.exists(sel) {
			t.Errorf("tx page has no %s", sel)
		}
	}
	pa.screenshot(filepath.Join(shots, "tx.png"))

	pa.navigate(a.APIURL() + "/")
	pa.waitFor("A's history", `document.querySelector('#history-table tr[data-id="`+id.String()+`"]')`)
	wantA := 1000*dag.Unit - 12*dag.Unit - dag.Unit/2 - burn
	if got := ungroup(pa.text("#balance-accepted")); got != wantA.String() {
		t.Errorf("A's balance after sending %q, want %s", got, wantA)
	}
	pa.screenshot(filepath.Join(shots, "wallet.png"))
	pa.viewport(390, 844, true)
	pa.navigate(a.APIURL() + "/")
	pa.waitFor("A's history on a phone", `document.querySelector('#history-table tr[data-id="`+id.String()+`"]')`)
	pa.screenshot(filepath.Join(shots, "wallet-phone.png"))

	// B's DAG view shows the payment, gossiped from A, accepted, without
	// a reload.
	dagB.waitFor("the payment in B's DAG view", dagNode(id, "accepted"))
	if label := dagB.text(`#dag-svg a[data-id="` + id.String() + `"] .nstate`); label != "accepted" {
		t.Errorf("B's DAG labels the payment %q, want accepted", label)
	}

	// A double spend: the third key pays A and, from the same coin, B.
	// First seen wins; B's view marks both sides and links them.
	coin := []wallet.Coin{{OutPoint: dag.OutPoint{TxID: net.ID, Index: 2}, Amount: 100 * dag.Unit}}
	first := signSend(t, ctx, net, keys[2], coin, keys[0].PubKey(), 40*dag.Unit, "first")
	second := signSend(t, ctx, net, keys[2], coin, keys[1].PubKey(), 60*dag.Unit, "second, too late")
	firstID := addTx(t, ctx, a, first)
	dagB.waitFor("the first spend in B's DAG view", dagNode(firstID, "accepted"))
	secondID := addTx(t, ctx, a, second)
	dagB.waitFor("the double spend in B's DAG view", dagNode(firstID, "conflicted")+" && "+dagNode(secondID, "rejected")+
		` && document.querySelector('#dag-svg .conflict-link')`)
	dagB.screenshot(filepath.Join(shots, "dag.png"))
	dagB.navigate(b.APIURL() + "/tx/" + firstID.String())
	dagB.waitFor("both sides on the tx page", `document.querySelectorAll('#tx-conflicts tbody tr').length === 2 &&
		document.querySelector('#tx-conflicts [data-state="rejected"]') && document.querySelector('#tx-conflicts [data-state="conflicted"]')`)
	dagB.screenshot(filepath.Join(shots, "tx-conflict.png"))

	// A's network page: B is a ttx peer, in sync once B holds what A holds.
	pa.viewport(1280, 900, false)
	pa.navigate(a.APIURL() + "/network")
	pa.waitFor("B in sync on A's network page", `document.querySelector('#peers tbody tr .proto-ttx') &&
		document.querySelector('#peers tbody tr [data-state="accepted"]')`)
	keyA, keyB := a.NodeKey().Public(), b.NodeKey().Public()
	pa.waitFor("both node keys on A's network page", `document.querySelector('#node-key').textContent === '`+hex.EncodeToString(keyA[:])+`' &&
		document.querySelector('#peers tbody tr td[data-key="`+hex.EncodeToString(keyB[:])+`"]')`)
	// A dialled B: A lists it as out to where B listens, B lists A as in
	// from the connection's own address.
	pa.waitFor("B as an outbound connection on A's network page", peerConn(keyB, "out", "out to "+b.ListenAddr()))
	pa.screenshot(filepath.Join(shots, "network.png"))
	dagB.navigate(b.APIURL() + "/network")
	dagB.waitFor("A as an inbound connection on B's network page", peerConn(keyA, "in", "in from 127.0.0.1:"))
	pa.do("Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": "dark"}}}, nil)
	pa.navigate(a.APIURL() + "/dag")
	pa.waitFor("A's DAG in the dark", dagNode(secondID, "rejected"))
	pa.screenshot(filepath.Join(shots, "dag-dark.png"))

	// B's pages are read-only: no send form, and the API refuses a spend
	// from them.
	pb := dagB
	pb.navigate(b.APIURL() + "/")
	pb.waitFor("B's history", `document.querySelector('#history-table tr[data-id="`+id.String()+`"][data-state="accepted"]')`)
	if got, want := ungroup(pb.text("#balance-accepted")), (250*dag.Unit + 12*dag.Unit + dag.Unit/2).String(); got != want {
		t.Errorf("B's balance %q, want %s", got, want)
	}
	if pb.exists("#send-form") || !pb.exists("#readonly") {
		t.Error("B's page without a session shows a send form")
	}
	pb.screenshot(filepath.Join(shots, "wallet-readonly.png"))
	var status int
	if err := pb.eval(`fetch("/v1/send", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({to: "`+a.Address()+`", amount: "1"})}).then(r => r.status)`, &status); err != nil {
		t.Fatal(err)
	}
	if status != 401 {
		t.Errorf("a spend from B's read-only page got %d, want 401", status)
	}
	pb.navigate(b.APIURL() + "/tx/" + id.String())
	pb.waitFor("B's tx page", `document.querySelector('#tx-summary [data-state="accepted"]')`)

	// A page of another origin on the same host (same site, so the
	// browser attaches A's SameSite=Strict session cookie) cannot spend.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>elsewhere</title>")
	}))
	defer evil.Close()
	before, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pb.navigate(evil.URL)
	if err := pb.eval(`fetch("`+a.APIURL()+`/v1/send", {method: "POST", mode: "no-cors", credentials: "include",
		body: JSON.stringify({to: "`+addrB+`", amount: "1"})}).then(() => true)`, nil); err != nil {
		t.Fatal(err)
	}
	after, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Accepted != before.Accepted {
		t.Error("a page of another origin spent with A's session")
	}

	// A's wallet page follows the vote live: the payment becomes final,
	// so A's change is final money; then the vote on the double spend
	// goes to the second side, and the 40 TTX the first side paid A are
	// gone from its balance, its history showing why.
	pa.navigate(a.APIURL() + "/")
	pa.waitFor("the double spend in A's history", `document.querySelector('#history-table tr[data-id="`+firstID.String()+`"][data-state="conflicted"]')`)
	checkBalance := func(when string, total, final, notFinal dag.Amount) {
		t.Helper()
		for sel, want := range map[string]dag.Amount{"#balance-accepted": total, "#balance-final": final, "#balance-not-final": notFinal} {
			if got := ungroup(pa.text(sel)); got != want.String() {
				t.Errorf("%s, A's page shows %s %q, want %s", when, sel, got, want)
			}
		}
	}
	checkBalance("before any vote", wantA+40*dag.Unit, 0, wantA+40*dag.Unit)
	if err := a.Graph().Finalize(ctx, []dag.Decision{{ID: id}}); err != nil {
		t.Fatal(err)
	}
	pa.waitFor("the payment final on A's page", `document.querySelector('#history-table tr[data-id="`+id.String()+`"][data-state="final"]') &&
		document.querySelector('#balance-final').textContent !== "0"`)
	checkBalance("once the payment is final", wantA+40*dag.Unit, wantA, 40*dag.Unit)
	if err := a.Graph().Prefer(ctx, secondID); err != nil {
		t.Fatal(err)
	}
	pa.waitFor("the lost vote on A's page", `document.querySelector('#history-table tr[data-id="`+firstID.String()+`"][data-state="rejected"]') &&
		document.querySelector('#balance-not-final').textContent === "0"`)
	if got := pa.text(`#history-table tr[data-id="` + firstID.String() + `"] .badge`); !strings.Contains(got, "ErrLostVote") {
		t.Errorf("the lost payment's badge reads %q, want the reason ErrLostVote", got)
	}
	checkBalance("after the lost vote", wantA, wantA, 0)
	pa.screenshot(filepath.Join(shots, "wallet-final.png"))
	br.checkProblems()
}

// dagNode is the condition that the DAG view draws tx id in state.
func dagNode(id dag.TxID, state string) string {
	return `document.querySelector('#dag-svg a[data-id="` + id.String() + `"][data-state="` + state + `"]')`
}

// signSend signs a payment from key's coins, as a wallet elsewhere would.
func signSend(t *testing.T, ctx context.Context, net *dag.Network, key *wallet.Key, coins []wallet.Coin, to dag.PubKey, amount dag.Amount, memo string) []byte {
	t.Helper()
	raw, _, err := wallet.BuildSend(ctx, net, key, coins, to, amount, memo, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// addTx hands a transaction to node n, as if a peer had sent it.
func addTx(t *testing.T, ctx context.Context, n *node.Node, raw []byte) dag.TxID {
	t.Helper()
	res, err := n.Graph().Add(ctx, raw, "test")
	if err != nil {
		t.Fatal(err)
	}
	return res.ID
}

// TestBrowserScripts runs the pages' own modules in the browser: money
// parsing and formatting, and the bech32m check against addresses made by
// the Go side.
// peerConn is a script that reports whether the network page lists the
// peer with node key key on a connection of direction dir ("in", "out")
// whose Connection cell starts with text.
func peerConn(key dag.PubKey, dir, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#peers tbody tr')].some((r) => r.querySelector('td[data-key="%s"]') &&
		(r.querySelector('td[data-conn="%s"]')?.textContent ?? '').startsWith(%q))`, hex.EncodeToString(key[:]), dir, text)
}

func TestBrowserScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	br := startBrowser(t)
	ws, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ws)
	defer srv.Close()
	p := br.newTab(ctx)
	p.navigate(srv.URL + "/nowhere")

	for _, tc := range []struct{ in, want string }{
		{"1.5", "150000000"},
		{" 12 ", "1200000000"},
		{".5", "50000000"},
		{"5.", "500000000"},
		{"0.00000001", "1"},
		{"184467440737.09551615", "18446744073709551615"},
		{"184467440737.09551616", "error: amount too large"},
		{"1.123456789", "error: at most 8 decimal places"},
		{"1e3", "error: write the amount with digits and at most one \".\" (e.g. 1.5)"},
		{"-1", "error: write the amount with digits and at most one \".\" (e.g. 1.5)"},
		{".", "error: write the amount with digits and at most one \".\" (e.g. 1.5)"},
		{"", "error: enter an amount"},
	} {
		t.Run("parse "+tc.in, func(t *testing.T) {
			var got string
			err := p.eval(`import("/static/money.js").then(m => { try { return m.parse(`+jsString(tc.in)+`).toString() } catch (e) { return "error: " + e.message } })`, &got)
			if err != nil || got != tc.want {
				t.Errorf("parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	for _, units := range []uint64{0, 1, 150000000, 100000000, 123456789012345678, 18446744073709551615} {
		var got string
		if err := p.eval(fmt.Sprintf(`import("/static/money.js").then(m => m.format(%dn))`, units), &got); err != nil || got != dag.Amount(units).String() {
			t.Errorf("format(%d) = %q, %v; want %q", units, got, err, dag.Amount(units))
		}
	}

	net, keys := testNetwork(t, 1, 1, 1)
	check := func(addr string) (ok, partial bool, msg string) {
		t.Helper()
		var r struct {
			OK      bool   `json:"ok"`
			Partial bool   `json:"partial"`
			Message string `json:"message"`
		}
		if err := p.eval(`import("/static/bech32.js").then(m => m.check(`+jsString(addr)+`, "dev"))`, &r); err != nil {
			t.Fatal(err)
		}
		return r.OK, r.Partial, r.Message
	}
	for i := range 40 {
		seed := sha256.Sum256(fmt.Appendf(nil, "address %d", i))
		k, err := wallet.KeyFromSeed(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		addr := net.Address(k.PubKey())
		if ok, _, msg := check(addr); !ok {
			t.Errorf("%s: %s", addr, msg)
		}
		// Every single-character substitution is caught by the checksum.
		pos := 4 + i%(len(addr)-4)
		c := "qpzry9x8gf2tvdw0s3jn54khce6mua7l"[(strings.IndexByte("qpzry9x8gf2tvdw0s3jn54khce6mua7l", addr[pos])+1+i)%32]
		typo := addr[:pos] + string(c) + addr[pos+1:]
		if typo != addr {
			if ok, _, msg := check(typo); ok || !strings.Contains(msg, "checksum") {
				t.Errorf("typo %s: ok=%v %q", typo, ok, msg)
			}
		}
	}
	addr := keys[0].Address(net)
	for _, tc := range []struct {
		name, in    string
		ok, partial bool
		msg         string
	}{
		{"upper case", strings.ToUpper(addr), true, false, ""},
		{"mixed case", "D" + addr[1:], false, false, "mixes upper and lower case"},
		{"other prefix", "ttx1" + addr[4:], false, false, `a dev address starts with "dev1"`},
		{"typing the prefix", "de", false, true, "keep typing…"},
		{"half typed", addr[:30], false, true, "keep typing… 32 more characters"},
		{"one too many", addr + "q", false, false, "1 characters too long"},
		{"bad character", addr[:10] + "b" + addr[11:], false, false, `"b" (character 11) is not used in addresses`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, partial, msg := check(tc.in)
			if ok != tc.ok || partial != tc.partial || msg != tc.msg {
				t.Errorf("check(%q) = %v, %v, %q; want %v, %v, %q", tc.in, ok, partial, msg, tc.ok, tc.partial, tc.msg)
			}
		})
	}
	br.checkProblems()
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

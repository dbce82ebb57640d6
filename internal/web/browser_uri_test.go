package web_test

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/ttxuri"
)

// TestBrowserPaymentRequest: B's wallet page (read-only) makes a ttx:
// payment request for an amount and memo; its QR code, as the browser
// drew it, decodes (zbarimg) to the same URI, which is ttxuri's; pasted
// into A's send form it fills in the address, amount and memo, and the
// payment sent pays B exactly that. The page's uri.js agrees with ttxuri
// on what it accepts and how it writes it.
func TestBrowserPaymentRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser: skipped with -short")
	}
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("no zbarimg: apt-get install -y zbar-tools")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	br := startBrowser(t)
	net, keys := testNetwork(t, 1000*dag.Unit, 5*dag.Unit)
	a, wa := startNode(t, ctx, net, keys[0])
	b, _ := startNode(t, ctx, net, keys[1])
	if err := a.Connect(b.ListenAddr()); err != nil {
		t.Fatal(err)
	}
	const memo = "invoice 42, thanks & bye"
	want := (&ttxuri.Request{Address: b.Address(), Amount: 150_000_000, Memo: memo}).String()

	pb := br.newTab(ctx)
	pb.navigate(b.APIURL() + "/")
	pb.waitFor("B's bare request", `document.querySelector('#receive-uri').textContent === "ttx:`+b.Address()+`"`)
	pb.typeInto("#receive-amount", "1.50")
	pb.typeInto("#receive-memo", memo)
	pb.waitFor("B's request", `document.querySelector('#receive-uri').textContent === `+jsString(want))
	pb.waitFor("its QR code", `(() => { const q = document.querySelector('#receive-qr');
		return !q.hidden && q.complete && q.naturalWidth > 0 && q.src.endsWith('/qr?text=' + encodeURIComponent(`+jsString(want)+`)) })()`)
	var dataURL string
	if err := pb.eval(`(() => { const q = document.querySelector('#receive-qr'), c = document.createElement('canvas');
		c.width = c.height = 528; const g = c.getContext('2d'); g.imageSmoothingEnabled = false;
		g.fillStyle = '#fff'; g.fillRect(0, 0, 528, 528); g.drawImage(q, 0, 0, 528, 528);
		return c.toDataURL('image/png') })()`, &dataURL); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(dataURL, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "request.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
	if err != nil {
		t.Fatalf("zbarimg on the drawn QR code: %v", err)
	}
	if got := strings.TrimSuffix(string(out), "\n"); got != want {
		t.Errorf("the QR code decodes to %q, want %q", got, want)
	}
	pb.screenshot(filepath.Join(screenshotDir(t), "wallet-request.png"))

	// A pastes the request into the send form.
	pa := br.newTab(ctx)
	pa.navigate(wa.LoginURL(a.APIURL()))
	pa.waitFor("A's balance", `document.querySelector('#balance-accepted').textContent !== "…"`)
	pa.typeInto("#send-to", want+"&req-expires=1")
	pa.waitFor("a refused request", `document.querySelector('#send-to-status').dataset.kind === "bad"`)
	if msg := pa.text("#send-to-status"); !strings.Contains(msg, `unsupported required parameter "req-expires"`) {
		t.Errorf("a request with req-expires says %q", msg)
	}
	pa.typeInto("#send-to", want)
	pa.waitFor("the request filled in", `document.querySelector('#send-to-status').dataset.kind === "ok"`)
	var fields struct{ To, Amount, Memo, Status string }
	if err := pa.eval(`({to: document.querySelector('#send-to').value, amount: document.querySelector('#send-amount').value,
		memo: document.querySelector('#send-memo').value, status: document.querySelector('#send-to-status').textContent})`, &fields); err != nil {
		t.Fatal(err)
	}
	if fields.To != b.Address() || fields.Amount != "1.5" || fields.Memo != memo || !strings.Contains(fields.Status, "payment request") {
		t.Errorf("the send form after pasting: %+v, want %s, 1.5, %q", fields, b.Address(), memo)
	}
	pa.click("#send-review")
	pa.waitFor("confirmation", `!document.querySelector('#send-confirm').hidden`)
	pa.click("#send-confirm-btn")
	pa.waitFor("sent", `document.querySelector('#sent a')`)
	var tx api.Tx
	if err := pa.eval(`fetch(document.querySelector('#sent a').getAttribute('href').replace('/tx/', '/v1/tx/')).then(r => r.json())`, &tx); err != nil {
		t.Fatal(err)
	}
	if len(tx.Out) == 0 || tx.Out[0].To != b.Address() || tx.Out[0].Amount != 150_000_000 || tx.Memo != memo {
		t.Errorf("the payment sent: %+v, want 1.5 TTX to %s with memo %q", tx, b.Address(), memo)
	}

	// uri.js and ttxuri agree.
	for _, s := range []string{
		want,
		"TTX:" + strings.ToUpper(b.Address()) + "?label=x&amount=01.10",
		"ttx:" + b.Address() + "?memo=a+b%7E%25",
		"ttx:" + b.Address() + "?amount=0",
		"ttx:" + b.Address() + "?amount=.5",
		"ttx:" + b.Address() + "?amount=1&amount=1",
		"ttx:" + b.Address() + "?memo=caf%C3%A9",
		"ttx:" + b.Address() + "?memo=%2",
		"ttx:" + b.Address() + "?x",
		"ttx:" + b.Address()[:20],
		"ttx:" + b.Address() + "?req-x=1",
	} {
		var got struct {
			Error string `json:"error"`
			URI   string `json:"uri"`
		}
		if err := pa.eval(`import("/static/uri.js").then(m => { try { const r = m.parse(`+jsString(s)+`, "dev");
			return {uri: m.format(r.address, r.units, r.memo)} } catch (e) { return {error: e.message} } })`, &got); err != nil {
			t.Fatal(err)
		}
		r, err := ttxuri.Parse(s)
		switch {
		case err != nil && got.Error == "":
			t.Errorf("uri.js accepts %q (as %q), ttxuri refuses it: %v", s, got.URI, err)
		case err == nil && got.Error != "":
			t.Errorf("uri.js refuses %q (%s), ttxuri accepts it", s, got.Error)
		case err == nil && got.URI != r.String():
			t.Errorf("uri.js formats %q as %q, ttxuri as %q", s, got.URI, r.String())
		}
	}
	br.checkProblems()
}

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/internal/ttxuri"
	"github.com/torrenttx/ttx/internal/web"
)

// TestPaymentRequestRoundTrip: the URI ttx receive prints, pasted into
// ttx send (as the argument or as --to), pays that address that amount
// with that memo.
func TestPaymentRequestRoundTrip(t *testing.T) {
	isolate(t)
	b := newBackend(t)
	flags := startAPI(t, b)
	me := b.net.Address(b.me)
	cmd := func(args ...string) []string { return append(append([]string{args[0]}, flags...), args[1:]...) }

	out, stderr, err := runCmd(t, cmd("receive", "--json", "--amount", "1.50", "--memo", "invoice 42, thanks & bye")...)
	if err != nil {
		t.Fatalf("receive: %v\n%s", err, stderr)
	}
	var req struct{ URI, Address, Amount, Memo string }
	if err := json.Unmarshal([]byte(out), &req); err != nil {
		t.Fatal(err)
	}
	wantURI := "ttx:" + me + "?amount=1.5&memo=invoice%2042%2C%20thanks%20%26%20bye"
	if req.URI != wantURI || req.Address != me || req.Amount != "1.5" || req.Memo != "invoice 42, thanks & bye" {
		t.Errorf("receive --json = %+v, want URI %s", req, wantURI)
	}
	out, _, err = runCmd(t, cmd("receive", "--amount", "1.5", "--memo", "invoice 42, thanks & bye")...)
	if err != nil || out != wantURI+"\n" {
		t.Errorf("receive (not a terminal) printed %q, %v; want the URI alone", out, err)
	}
	out, _, err = runCmd(t, cmd("receive", "--qr", "--amount", "1.5", "--memo", "invoice 42, thanks & bye")...)
	code, qerr := web.TerminalQR(wantURI)
	if err != nil || qerr != nil || out != wantURI+"\n\n"+code {
		t.Errorf("receive --qr: %v, %v; want the URI then its QR code\n%s", err, qerr, out)
	}
	if out, _, err := runCmd(t, cmd("receive")...); err != nil || out != "ttx:"+me+"\n" {
		t.Errorf("receive with no amount: %q, %v", out, err)
	}

	for _, args := range [][]string{
		cmd("send", req.URI),
		cmd("send", "--to", req.URI),
		cmd("send", "--amount", "1.5", "--memo", req.Memo, req.URI),
		cmd("send", "--amount", "1.2", " TTX:"+strings.ToUpper(me)+" "),
	} {
		if out, stderr, err := runCmd(t, args...); err != nil || !strings.Contains(out, "Sent 1.") {
			t.Errorf("ttx %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
	}
	want := []string{me + " 1.5 " + req.Memo, me + " 1.5 " + req.Memo, me + " 1.5 " + req.Memo, me + " 1.2 "}
	if strings.Join(b.sends, "|") != strings.Join(want, "|") {
		t.Errorf("backend sends %q, want %q", b.sends, want)
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{cmd("send", "--amount", "2", req.URI), "the URI asks for 1.5 TTX but --amount says 2"},
		{cmd("send", "--memo", "other", req.URI), "--memo says"},
		{cmd("send", "ttx:"+me), "send needs --to and --amount"},
		{cmd("send", "--to", me, req.URI), "not both"},
		{cmd("send", me), "is not a ttx: URI"},
		{cmd("send", req.URI, req.URI), "at most 1 argument"},
		{cmd("send", req.URI+"&req-expires=1"), ttxuri.ErrRequired.Error()},
		{cmd("send", "ttx:"+me+"?amount=1.000000001"), "amount"},
		{cmd("receive", "--amount", "1e3"), "amount"},
		{cmd("receive", "--memo", "caf\u00e9"), "printable ASCII"},
	} {
		if _, stderr, err := runCmd(t, tc.args...); err == nil || !strings.Contains(stderr, tc.msg) {
			t.Errorf("ttx %s: %v, want an error saying %q\n%s", strings.Join(tc.args, " "), err, tc.msg, stderr)
		}
	}
	if len(b.sends) != len(want) {
		t.Errorf("refused sends reached the node: %q", b.sends[len(want):])
	}
}

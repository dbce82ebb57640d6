package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// FuzzDecodeSend feeds arbitrary bodies to the send request decoder and
// checks: no panic; an accepted body gives a request that parseSend
// parses or refuses with a 4xx error, to the address the body names; and
// an accepted request re-encodes and decodes to the same request.
func FuzzDecodeSend(f *testing.F) {
	fx := newFixture(f)
	bob := fx.net.Address(fx.bob)
	for _, seed := range []string{
		`{"to":"` + bob + `","amount":"1.5"}`,
		`{"to":"` + bob + `","amount":"0.00000001","memo":"hi"}`,
		`{"to":"` + bob + `","amount":1.5}`,
		`{"to":"","amount":""}`,
		`{"to":`,
		`null`,
		`[]`,
		`{"to":"x","amount":"1"} {}`,
		`{"to":"x","amount":"1","extra":true}`,
		`{"amount":"184467440737.09551616","to":"` + bob + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req SendRequest
		if err := decodeJSON(bytes.NewReader(body), maxJSONBody, &req); err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Status/100 != 4 {
				t.Fatalf("decode error %v is not a 4xx *Error", err)
			}
			return
		}
		to, amount, err := parseSend(fx.net, &req)
		if err != nil {
			if ae := toError(err); ae.Status/100 != 4 {
				t.Fatalf("check error %v maps to %d, want 4xx", err, ae.Status)
			}
			return
		}
		if a, _ := dag.ParseAmount(req.Amount); a != amount || fx.net.Address(to) != strings.ToLower(req.To) {
			t.Fatalf("accepted %+v as %s, amount %d", req, fx.net.Address(to), amount)
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		var req2 SendRequest
		if err := decodeJSON(bytes.NewReader(again), maxJSONBody, &req2); err != nil || req2 != req {
			t.Fatalf("round trip: %+v -> %s -> %+v (%v)", req, again, req2, err)
		}
	})
}

// FuzzAmountJSON checks that Amount decoding never panics and that what it
// accepts re-encodes to the same value.
func FuzzAmountJSON(f *testing.F) {
	for _, seed := range []string{
		`{"ttx":"1.5","units":"150000000"}`,
		`{"ttx":"0","units":"0"}`,
		`{"ttx":"184467440737.09551615","units":"18446744073709551615"}`,
		`{"ttx":"1","units":"1"}`,
		`{"ttx":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Amount
		if err := a.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var a2 Amount
		if err := a2.UnmarshalJSON(out); err != nil || a2 != a {
			t.Fatalf("round trip %s: %d -> %s -> %d (%v)", b, a, out, a2, err)
		}
	})
}

// FuzzCheckSubmit feeds arbitrary POST /v1/tx bodies to checkSubmit: no
// panic; a refusal is a 4xx, never the node's fault; an accepted body is
// returned byte for byte and decodes to the same transaction.
func FuzzCheckSubmit(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.pay.Raw)
	f.Add(fx.genesis.Raw)
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := checkSubmit(fx.net, body)
		if err != nil {
			if raw != nil {
				t.Fatal("checkSubmit returned bytes with an error")
			}
			if e := toError(err); e.Status/100 != 4 {
				t.Fatalf("refusal %v is %d, want a 4xx", err, e.Status)
			}
			return
		}
		if !bytes.Equal(raw, body) {
			t.Fatal("checkSubmit changed the bytes")
		}
		if _, err := dag.Decode(raw); err != nil {
			t.Fatalf("accepted body does not decode: %v", err)
		}
	})
}

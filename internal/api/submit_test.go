package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

func TestSubmit(t *testing.T) {
	b := newFakeBackend(t)
	_, ts := newTestServer(t, b)
	// A second spend of the genesis output, validly signed: the fake
	// ledger rejects it as the double spend it is.
	other := &dag.Tx{Version: dag.TxVersion, Time: fixtureTime + 120,
		Prev: []string{dag.OutPoint{TxID: b.f.genesis.ID}.String()},
		Out:  []dag.Output{{To: b.f.net.Address(b.f.bob), Amount: 1000 * dag.Unit}}}
	double, err := b.f.net.Sign(context.Background(), other, b.f.aliceKey)
	if err != nil {
		t.Fatal(err)
	}
	badSig := bytes.Replace(b.f.pay.Raw, []byte(`"memo":"lunch"`), []byte(`"memo":"lunck"`), 1)
	const tok = "secret-token"
	tests := []struct {
		name     string
		body     string
		want     int
		wantCode string // "" for a success
		wantMsg  string
	}{
		{"known accepted", string(b.f.pay.Raw), 200, "", ""},
		{"double spend", string(double), 409, "ErrDoubleSpend", "loses"},
		{"bad signature", string(badSig), 400, "ErrBadSignature", ""},
		{"not canonical", " " + string(b.f.pay.Raw), 400, "", ""},
		{"empty", "", 400, CodeBadRequest, "empty"},
		{"garbage", "hello", 400, "", ""},
		{"too large", strings.Repeat("a", dag.MaxTxSize+1), 413, CodeTooLarge, "over"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call{"POST", "/v1/tx", tc.body, tok}.do(t, ts)
			if status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", status, tc.want, body)
			}
			if status == 200 {
				var r SubmitResponse
				if err := json.Unmarshal(body, &r); err != nil {
					t.Fatal(err)
				}
				if r.ID != b.f.pay.ID || r.State != "accepted" || !r.Known {
					t.Errorf("got %+v, want %s accepted and known", r, b.f.pay.ID)
				}
				return
			}
			e := decodeError(t, body)
			if e.Code == CodeInternal || (tc.wantCode != "" && e.Code != tc.wantCode) || !strings.Contains(e.Error, tc.wantMsg) {
				t.Errorf("got %+v, want code %q and message containing %q", e, tc.wantCode, tc.wantMsg)
			}
		})
	}
	// The backend sees only what decodes and passes the sanity rules.
	if len(b.submitted) != 2 {
		t.Errorf("backend saw %d submits, want 2", len(b.submitted))
	}

	c := NewClient(ts.URL, tok)
	r, err := c.Submit(context.Background(), b.f.pay.Raw)
	if err != nil || r.ID != b.f.pay.ID {
		t.Fatalf("Client.Submit = %+v, %v", r, err)
	}
	_, err = c.Submit(context.Background(), double)
	if ae, ok := err.(*Error); !ok || ae.Status != http.StatusConflict {
		t.Fatalf("Client.Submit of a double spend: %v, want a 409 *Error", err)
	}
}

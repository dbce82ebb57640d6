package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
)

type call struct {
	method, path, body, token string
}

// do sends c to ts and returns the status and body.
func (c call) do(t *testing.T, ts *httptest.Server) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func decodeError(t *testing.T, b []byte) ErrorResponse {
	t.Helper()
	var e ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", b, err)
	}
	if e.Error == "" || e.Code == "" {
		t.Fatalf("error body %q lacks error or code", b)
	}
	return e
}

func TestSpendingNeedsCookie(t *testing.T) {
	b := newFakeBackend(t)
	_, ts := newTestServer(t, b)
	send := fmt.Sprintf(`{"to":%q,"amount":"1.5"}`, b.f.net.Address(b.f.bob))
	faucet := fmt.Sprintf(`{"to":%q}`, b.f.net.Address(b.f.bob))
	spending := []struct{ name, path, body string }{
		{"send", "/v1/send", send},
		{"faucet", "/v1/faucet", faucet},
		{"proof import", "/v1/proof", "d4:infod0:0:ee"},
		{"submit", "/v1/tx", string(b.f.pay.Raw)},
	}
	for _, sp := range spending {
		tests := []struct {
			name    string
			token   string
			want    int
			wantMsg string
		}{
			{"no cookie", "", http.StatusUnauthorized, "needs the node's cookie"},
			{"wrong cookie", "not-the-token", http.StatusUnauthorized, "wrong cookie"},
			{"prefix of the cookie", "secret", http.StatusUnauthorized, "wrong cookie"},
			{"right cookie", "secret-token", http.StatusOK, ""},
		}
		for _, tc := range tests {
			t.Run(sp.name+"/"+tc.name, func(t *testing.T) {
				status, body := call{"POST", sp.path, sp.body, tc.token}.do(t, ts)
				if status != tc.want {
					t.Fatalf("status %d, want %d (body %s)", status, tc.want, body)
				}
				if tc.want == http.StatusUnauthorized {
					e := decodeError(t, body)
					if e.Code != CodeUnauthorized || !strings.Contains(e.Error, tc.wantMsg) {
						t.Errorf("error %+v, want code %s and message containing %q", e, CodeUnauthorized, tc.wantMsg)
					}
				}
			})
		}
	}
	if len(b.sends) != 1 || len(b.imported) != 1 || len(b.submitted) != 1 {
		t.Errorf("backend saw %d sends, %d imports and %d submits, want 1 each (only the authorized ones)", len(b.sends), len(b.imported), len(b.submitted))
	}
}

func TestReadsOpenOnLoopback(t *testing.T) {
	b := newFakeBackend(t)
	_, ts := newTestServer(t, b)
	for _, path := range []string{
		"/v1/status",
		"/v1/balance/" + b.f.net.Address(b.f.bob),
		"/v1/history/" + b.f.net.Address(b.f.alice),
		"/v1/tx/" + b.f.pay.ID.String(),
		"/v1/tx/" + b.f.pay.ID.String() + "/peers",
		"/v1/peers",
		"/v1/proof/" + b.f.pay.ID.String(),
		"/v1/dag",
		"/v1/address",
	} {
		t.Run(path, func(t *testing.T) {
			if status, body := (call{"GET", path, "", ""}).do(t, ts); status != http.StatusOK {
				t.Errorf("status %d, want 200 (body %s)", status, body)
			}
		})
	}
}

func TestRemoteNeedsAuth(t *testing.T) {
	b := newFakeBackend(t)
	s, err := NewServer(Config{Backend: b, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		remote string
		host   string
		token  string
		want   int
	}{
		{"loopback v4", "127.0.0.1:5000", "127.0.0.1:8347", "", http.StatusOK},
		{"loopback v6", "[::1]:5000", "[::1]:8347", "", http.StatusOK},
		{"localhost", "127.0.0.1:5000", "localhost:8347", "", http.StatusOK},
		{"remote without cookie", "192.0.2.7:5000", "127.0.0.1:8347", "", http.StatusUnauthorized},
		{"remote with cookie", "192.0.2.7:5000", "127.0.0.1:8347", "tok", http.StatusOK},
		{"DNS rebinding without cookie", "127.0.0.1:5000", "evil.example:8347", "", http.StatusUnauthorized},
		{"DNS rebinding with cookie", "127.0.0.1:5000", "evil.example:8347", "tok", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/status", nil)
			req.RemoteAddr = tc.remote
			req.Host = tc.host
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
		})
	}
}

func TestAuthenticatorHook(t *testing.T) {
	b := newFakeBackend(t)
	session := func(r *http.Request) bool { return r.Header.Get("X-Test-Session") == "ok" }
	_, ts := newTestServer(t, b, session)
	body := fmt.Sprintf(`{"to":%q,"amount":"2"}`, b.f.net.Address(b.f.bob))
	for _, tc := range []struct {
		name    string
		session string
		want    int
	}{
		{"session accepted", "ok", http.StatusOK},
		{"session refused", "nope", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.URL+"/v1/send", strings.NewReader(body))
			req.Header.Set("X-Test-Session", tc.session)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestClientMistakesAre4xx(t *testing.T) {
	b := newFakeBackend(t)
	_, ts := newTestServer(t, b)
	bob := b.f.net.Address(b.f.bob)
	badChecksum := bob[:len(bob)-1] + "q" // a typo in the last character
	if strings.HasSuffix(bob, "q") {
		badChecksum = bob[:len(bob)-1] + "p"
	}
	otherNet := b.f.bob.Address("ttx")
	unknown := dag.TxID{0xab, 0xcd, 0xef}.String()
	const tok = "secret-token"
	tests := []struct {
		name     string
		c        call
		want     int
		wantCode string
		wantMsg  string
	}{
		{"send malformed JSON", call{"POST", "/v1/send", `{"to":`, tok}, 400, CodeBadRequest, "malformed JSON"},
		{"send empty body", call{"POST", "/v1/send", ``, tok}, 400, CodeBadRequest, "empty request body"},
		{"send unknown field", call{"POST", "/v1/send", `{"to":"x","amount":"1","fee":"1"}`, tok}, 400, CodeBadRequest, "unknown field"},
		{"send trailing data", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"1"} {}`, bob), tok}, 400, CodeBadRequest, "after the object"},
		{"send amount as number", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":1.5}`, bob), tok}, 400, CodeBadRequest, "malformed JSON"},
		{"send amount too precise", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"0.000000001"}`, bob), tok}, 400, "ErrBadAmount", "decimal places"},
		{"send amount zero", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"0"}`, bob), tok}, 400, "ErrBadAmount", "zero"},
		{"send amount negative", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"-1"}`, bob), tok}, 400, "ErrBadAmount", "decimal"},
		{"send memo too long", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"1","memo":%q}`, bob, strings.Repeat("m", 65)), tok}, 400, "ErrBadField", "memo"},
		{"send memo control char", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"1","memo":"a\nb"}`, bob), tok}, 400, "ErrBadField", "printable"},
		{"send missing to", call{"POST", "/v1/send", `{"amount":"1"}`, tok}, 400, CodeBadRequest, "recipient"},
		{"send bad checksum", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"1"}`, badChecksum), tok}, 400, "ErrBadAddress", "checksum"},
		{"send other network", call{"POST", "/v1/send", fmt.Sprintf(`{"to":%q,"amount":"1"}`, otherNet), tok}, 400, "ErrBadAddress", `not "tst"`},
		{"send huge body", call{"POST", "/v1/send", `{"memo":"` + strings.Repeat("a", maxJSONBody) + `"}`, tok}, 413, CodeTooLarge, "over"},
		{"faucet bad address", call{"POST", "/v1/faucet", `{"to":"tst1nope"}`, tok}, 400, "ErrBadAddress", `address "tst1nope" is incomplete`},
		{"proof import empty", call{"POST", "/v1/proof", ``, tok}, 400, CodeBadRequest, "empty"},
		{"proof import garbage", call{"POST", "/v1/proof", `garbage`, tok}, 400, CodeInvalidProof, "malformed"},
		{"balance bad checksum", call{"GET", "/v1/balance/" + badChecksum, "", ""}, 400, "ErrBadAddress", "checksum"},
		{"history bad address", call{"GET", "/v1/history/hello", "", ""}, 400, "ErrBadAddress", "hello"},
		{"history bad limit", call{"GET", "/v1/history/" + bob + "?limit=0", "", ""}, 400, CodeBadRequest, "limit"},
		{"dag bad limit", call{"GET", "/v1/dag?limit=abc", "", ""}, 400, CodeBadRequest, "limit"},
		{"dag limit too big", call{"GET", "/v1/dag?limit=1001", "", ""}, 400, CodeBadRequest, "limit"},
		{"tx unknown", call{"GET", "/v1/tx/" + unknown, "", ""}, 404, CodeNotFound, "not known to this node"},
		{"tx bad id", call{"GET", "/v1/tx/xyz", "", ""}, 400, CodeBadRequest, "bad transaction ID"},
		{"tx uppercase id", call{"GET", "/v1/tx/" + strings.ToUpper(unknown), "", ""}, 400, CodeBadRequest, "lowercase"},
		{"tx peers bad trusted", call{"GET", "/v1/tx/" + unknown + "/peers?trusted=nohost", "", ""}, 400, CodeBadRequest, "host:port"},
		{"tx peers bad port", call{"GET", "/v1/tx/" + unknown + "/peers?trusted=1.2.3.4:99999", "", ""}, 400, CodeBadRequest, "port"},
		{"proof unknown", call{"GET", "/v1/proof/" + unknown, "", ""}, 404, CodeNotFound, "not known"},
		{"proof bad id", call{"GET", "/v1/proof/abc", "", ""}, 400, CodeBadRequest, "bad transaction ID"},
		{"no such endpoint", call{"GET", "/v1/nothing", "", ""}, 404, CodeNotFound, "no endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := tc.c.do(t, ts)
			if status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", status, tc.want, body)
			}
			e := decodeError(t, body)
			if e.Code != tc.wantCode || !strings.Contains(e.Error, tc.wantMsg) {
				t.Errorf("got %+v, want code %s and message containing %q", e, tc.wantCode, tc.wantMsg)
			}
		})
	}
	if len(b.sends) != 0 {
		t.Errorf("backend saw %d sends, want 0", len(b.sends))
	}
}

func TestBackendErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		want     int
		wantCode string
		wantMsg  string // "" means err.Error()
	}{
		{"rule error", dag.RuleError{Code: dag.ErrUnbalanced, Desc: "bad sums"}, 400, "ErrUnbalanced", ""},
		{"double spend", fmt.Errorf("add: %w", dag.RuleError{Code: dag.ErrDoubleSpend, Desc: "spent"}), 409, "ErrDoubleSpend", ""},
		{"api error", NewError(http.StatusUnprocessableEntity, CodeInsufficientFunds, errors.New("have 1, need 2")), 422, CodeInsufficientFunds, ""},
		{"not found", fmt.Errorf("lookup: %w", dag.ErrNotFound), 404, CodeNotFound, ""},
		{"proof does not verify", &proofs.ProofError{Op: "verify proof", Err: proofs.ErrIncomplete}, 400, CodeInvalidProof, ""},
		{"proof of a rejected tx", fmt.Errorf("export proof: %w", proofs.ErrNotAccepted), 409, CodeNotAccepted, ""},
		// Wallet refusals read from the wallet's own words, once.
		{"insufficient funds", fmt.Errorf("build send: %w", &wallet.InsufficientFundsError{Have: 1, Need: 2}), 422, CodeInsufficientFunds,
			"insufficient funds: have 0.00000001 TTX, need 0.00000002 TTX (amount plus burn)"},
		{"too many inputs", fmt.Errorf("send: %w", wallet.ErrTooManyInputs), 422, CodeTooManyInputs, "too many inputs"},
		{"bad memo", wallet.ErrBadMemo, 400, "ErrBadField", "memo must be printable ASCII"},
		{"own fault", errors.New("disk on fire"), 500, CodeInternal, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBackend(t)
			b.err = tc.err
			_, ts := newTestServer(t, b)
			body := fmt.Sprintf(`{"to":%q,"amount":"1"}`, b.f.net.Address(b.f.bob))
			status, resp := call{"POST", "/v1/send", body, "secret-token"}.do(t, ts)
			if status != tc.want {
				t.Fatalf("status %d, want %d", status, tc.want)
			}
			msg := tc.wantMsg
			if msg == "" {
				msg = tc.err.Error()
			}
			if e := decodeError(t, resp); e.Code != tc.wantCode || e.Error != msg {
				t.Errorf("got %+v, want code %s, message %q", e, tc.wantCode, msg)
			}
		})
	}
}

func TestSendPassesParsedValues(t *testing.T) {
	b := newFakeBackend(t)
	_, ts := newTestServer(t, b)
	body := fmt.Sprintf(`{"to":%q,"amount":"1.00000001","memo":"thanks"}`, b.f.net.Address(b.f.bob))
	status, resp := call{"POST", "/v1/send", body, "secret-token"}.do(t, ts)
	if status != 200 {
		t.Fatalf("status %d: %s", status, resp)
	}
	want := sendCall{to: b.f.bob, amount: 100_000_001, memo: "thanks"}
	if len(b.sends) != 1 || b.sends[0] != want {
		t.Errorf("backend got %+v, want [%+v]", b.sends, want)
	}
	var sr SendResponse
	if err := json.Unmarshal(resp, &sr); err != nil || sr.ID != b.f.pay.ID {
		t.Errorf("response %s (%v), want id %s", resp, err, b.f.pay.ID)
	}
}

func TestJSONKeepsMagnetAmpersand(t *testing.T) {
	b := newFakeBackend(t)
	_, ts := newTestServer(t, b)
	status, body := call{"GET", "/v1/tx/" + b.f.pay.ID.String(), "", ""}.do(t, ts)
	if status != 200 || !strings.Contains(string(body), `&dn=tx.json"`) {
		t.Errorf("status %d, body %s: want a raw '&' in the magnet links", status, body)
	}
}

// TestConfigMagnets: GET /v1/tx/{id} shows the links Config.Magnets
// builds, called with the transaction's IDs each time they are shown.
func TestConfigMagnets(t *testing.T) {
	b := newFakeBackend(t)
	var asked []dag.TxIDs
	s, err := NewServer(Config{Backend: b, Token: "secret-token", Magnets: func(ids dag.TxIDs) Magnets {
		asked = append(asked, ids)
		return Magnets{V2: "magnet:?v2-" + ids.ID.String(), V1: "magnet:?v1"}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	status, body := call{"GET", "/v1/tx/" + b.f.pay.ID.String(), "", ""}.do(t, ts)
	var tx Tx
	if err := json.Unmarshal(body, &tx); status != 200 || err != nil {
		t.Fatalf("status %d, %v: %s", status, err, body)
	}
	if tx.Magnet != (Magnets{V2: "magnet:?v2-" + b.f.pay.ID.String(), V1: "magnet:?v1"}) {
		t.Errorf("magnets %+v", tx.Magnet)
	}
	if len(asked) != 1 || asked[0] != dag.IDs(b.f.pay.Raw) {
		t.Errorf("Magnets called with %v, want once with the tx's IDs", asked)
	}
}

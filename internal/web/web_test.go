package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/internal/web"
)

// fakeSource stands in for the node: it hands out one channel of changes.
type fakeSource struct {
	token   string
	changes chan []dag.Change
	raws    map[dag.TxID][]byte // what Raw finds
	peers   atomic.Int32        // what PeerCounts says
}

func (f *fakeSource) Subscribe() (<-chan []dag.Change, func()) { return f.changes, func() {} }
func (f *fakeSource) Token() string                            { return f.token }
func (f *fakeSource) Raw(id dag.TxID) ([]byte, error) {
	if raw, ok := f.raws[id]; ok {
		return raw, nil
	}
	return nil, dag.ErrNotFound
}
func (f *fakeSource) PeerCounts() (peers, ttx, inSync int) {
	return int(f.peers.Load()), int(f.peers.Load()), 0
}

// spendBackend answers only what a send needs; the tests call nothing else.
type spendBackend struct {
	api.Backend
	net   *dag.Network
	sends int
}

func (b *spendBackend) Network() *dag.Network { return b.net }
func (b *spendBackend) Send(ctx context.Context, to dag.PubKey, amount dag.Amount, memo string) (dag.TxID, error) {
	b.sends++
	return dag.TxID{1}, nil
}

// fixture is an API server with the web UI mounted, as the node wires it.
type fixture struct {
	ws      *web.Server
	api     *api.Server
	backend *spendBackend
	src     *fakeSource
	base    string
	to      string // an address to pay
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	net, keys := dagtest.NewNetwork(t, 1)
	ws, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{token: "the-api-cookie", changes: make(chan []dag.Change, 8)}
	ws.Attach(src)
	be := &spendBackend{net: net}
	s, err := api.NewServer(api.Config{Addr: "127.0.0.1:0", Backend: be, Token: src.token, Fallback: ws, Auth: []api.Authenticator{ws.Authorized}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return &fixture{ws: ws, api: s, backend: be, src: src, base: s.URL(), to: net.Address(dagtest.PubKey(keys[0]))}
}

// browserClient keeps cookies and does not follow redirects.
func browserClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func (f *fixture) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(f.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// send posts a payment with the given browser headers and returns the status.
func (f *fixture) send(t *testing.T, c *http.Client, headers map[string]string) int {
	t.Helper()
	req, err := http.NewRequest("POST", f.base+"/v1/send", strings.NewReader(`{"to":"`+f.to+`","amount":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (f *fixture) post(t *testing.T, c *http.Client, path string, form url.Values, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", f.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

const sendForm = `id="send-form"`

func TestLoginSessionAndCSRF(t *testing.T) {
	f := newFixture(t)
	c := browserClient(t)
	same := map[string]string{"Origin": f.base, "Sec-Fetch-Site": "same-origin"}

	// Without a session: read-only page, spending refused.
	res, body := f.get(t, c, "/")
	if res.StatusCode != 200 || strings.Contains(body, sendForm) || !strings.Contains(body, `id="readonly"`) {
		t.Fatalf("page without session: status %d, send form %v, read-only notice %v",
			res.StatusCode, strings.Contains(body, sendForm), strings.Contains(body, `id="readonly"`))
	}
	if got := f.send(t, c, same); got != http.StatusUnauthorized {
		t.Fatalf("send without session: %d, want 401", got)
	}

	// A wrong token opens nothing.
	res, _ = f.get(t, c, "/?token=0000")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/?login=failed" || len(res.Cookies()) != 0 {
		t.Fatalf("wrong token: %d to %q with cookies %v, want 303 to /?login=failed and none", res.StatusCode, loc, res.Cookies())
	}

	// The login URL: a session cookie and a redirect without the token.
	login := f.ws.LoginURL(f.base)
	if !strings.HasPrefix(login, f.base+"/?token=") {
		t.Fatalf("LoginURL = %q", login)
	}
	res, _ = f.get(t, c, strings.TrimPrefix(login, f.base))
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/" {
		t.Fatalf("login: %d to %q, want 303 to /", res.StatusCode, loc)
	}
	_, port, _ := net.SplitHostPort(f.api.Addr())
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "ttx_session_"+port {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Fatalf("session cookie %+v, want ttx_session_%s, HttpOnly, SameSite=Strict, Path=/", session, port)
	}
	if f.ws.LoginURL(f.base) != "" {
		t.Error("LoginURL still offers the used token")
	}
	other := browserClient(t)
	if res, _ := f.get(t, other, strings.TrimPrefix(login, f.base)); len(res.Cookies()) != 0 {
		t.Error("the login URL worked twice")
	}

	// With the session: the send form, and spending from the page's origin.
	if _, body := f.get(t, c, "/"); !strings.Contains(body, sendForm) || !strings.Contains(body, `data-session="yes"`) {
		t.Fatal("page with a session has no send form")
	}
	otherPort := "http://127.0.0.1:1"
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"same origin", same, 200},
		{"origin only", map[string]string{"Origin": f.base}, 200},
		{"fetch metadata only", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"no origin, no fetch metadata", nil, 401},
		{"another port of the host", map[string]string{"Origin": otherPort, "Sec-Fetch-Site": "same-site"}, 401},
		{"another origin only", map[string]string{"Origin": otherPort}, 401},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, 401},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, 401},
		{"origin right, metadata cross-site", map[string]string{"Origin": f.base, "Sec-Fetch-Site": "cross-site"}, 401},
		{"https origin", map[string]string{"Origin": strings.Replace(f.base, "http:", "https:", 1)}, 401},
		{"null origin", map[string]string{"Origin": "null"}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.send(t, c, tc.headers); got != tc.want {
				t.Errorf("send: %d, want %d", got, tc.want)
			}
		})
	}
	// A forged session cookie is nothing.
	forged := browserClient(t)
	u, _ := url.Parse(f.base)
	forged.Jar.SetCookies(u, []*http.Cookie{{Name: session.Name, Value: strings.Repeat("ab", 32)}})
	if got := f.send(t, forged, same); got != 401 {
		t.Errorf("forged session: %d, want 401", got)
	}

	// Logging out needs the page's origin, and ends the session.
	if res := f.post(t, c, "/logout", nil, otherPort); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin logout: %d, want 403", res.StatusCode)
	}
	if res := f.post(t, c, "/logout", nil, f.base); res.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d, want 303", res.StatusCode)
	}
	if got := f.send(t, c, same); got != 401 {
		t.Errorf("send after logout: %d, want 401", got)
	}

	// The API cookie, pasted into the login form, opens a new session.
	for _, tc := range []struct {
		name, cookie, origin string
		status               int
		loc                  string
	}{
		{"cross-origin", f.src.token, otherPort, http.StatusForbidden, ""},
		{"wrong cookie", "nope", f.base, http.StatusSeeOther, "/?login=failed"},
		{"empty", "", f.base, http.StatusSeeOther, "/?login=failed"},
		{"API cookie", f.src.token, f.base, http.StatusSeeOther, "/"},
	} {
		t.Run("login form "+tc.name, func(t *testing.T) {
			c := browserClient(t)
			res := f.post(t, c, "/login", url.Values{"cookie": {tc.cookie}}, tc.origin)
			if res.StatusCode != tc.status || res.Header.Get("Location") != tc.loc {
				t.Fatalf("login: %d to %q, want %d to %q", res.StatusCode, res.Header.Get("Location"), tc.status, tc.loc)
			}
			want := 401
			if tc.loc == "/" {
				want = 200
			}
			if got := f.send(t, c, same); got != want {
				t.Errorf("send after login: %d, want %d", got, want)
			}
		})
	}
}

func TestReadOnlyPagesHaveNoSendForm(t *testing.T) {
	f := newFixture(t)
	anon := browserClient(t)
	user := browserClient(t)
	f.get(t, user, strings.TrimPrefix(f.ws.LoginURL(f.base), f.base))
	id := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		path     string
		status   int
		withForm bool // with a session
	}{
		{"/", 200, true},
		{"/tx/" + id, 200, false},
		{"/address/" + f.to, 200, false},
		{"/dag", 200, false},
		{"/network", 200, false},
		{"/tx/not-an-id", 404, false},
		{"/nowhere", 404, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, body := f.get(t, anon, tc.path)
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
			if strings.Contains(body, sendForm) || strings.Contains(body, "/v1/send") {
				t.Error("a page without a session has a send form")
			}
			if _, body := f.get(t, user, tc.path); strings.Contains(body, sendForm) != tc.withForm {
				t.Errorf("with a session: send form %v, want %v", !tc.withForm, tc.withForm)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	c := browserClient(t)
	for _, path := range []string{"/", "/static/app.js", "/qr?text=x", "/nowhere"} {
		t.Run(path, func(t *testing.T) {
			res, _ := f.get(t, c, path)
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("headers %v", res.Header)
			}
		})
	}
}

func TestStaticAssets(t *testing.T) {
	f := newFixture(t)
	c := browserClient(t)
	for _, tc := range []struct{ path, ctype string }{
		{"/static/app.js", "text/javascript"},
		{"/static/style.css", "text/css"},
		{"/static/icon.svg", "image/svg+xml"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, body := f.get(t, c, tc.path)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) || body == "" {
				t.Errorf("%d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
			}
			for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
				if strings.Contains(strings.ReplaceAll(body, "http://www.w3.org/2000/svg", ""), bad) {
					t.Errorf("asset refers outside the node: %q", bad)
				}
			}
		})
	}
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	c := browserClient(t)
	id := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, q string
		status  int
		loc     string
	}{
		{"empty", "", 303, "/"},
		{"tx id", id, 303, "/tx/" + id},
		{"tx id upper case", strings.ToUpper(id), 303, "/tx/" + id},
		{"address", "  " + f.to + " ", 303, "/address/" + f.to},
		{"junk", "<script>", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := f.get(t, c, "/search?q="+url.QueryEscape(tc.q))
			if res.StatusCode != tc.status || res.Header.Get("Location") != tc.loc {
				t.Errorf("%d to %q, want %d to %q", res.StatusCode, res.Header.Get("Location"), tc.status, tc.loc)
			}
		})
	}
}

func TestQREndpoint(t *testing.T) {
	f := newFixture(t)
	c := browserClient(t)
	for _, tc := range []struct {
		name, text string
		status     int
	}{
		{"address", f.to, 200},
		{"empty", "", 400},
		{"too long", strings.Repeat("x", 201), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.get(t, c, "/qr?text="+url.QueryEscape(tc.text))
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status == 200 && (res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg")) {
				t.Errorf("%q: %.40s", res.Header.Get("Content-Type"), body)
			}
		})
	}
}

// readEvent reads one "tx" event from a stream.
func readEvent(t *testing.T, r *bufio.Reader) web.Event {
	t.Helper()
	for {
		name, data := readNamed(t, r)
		if name != "tx" {
			continue
		}
		var e web.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			t.Fatalf("event data %q: %v", data, err)
		}
		return e
	}
}

func TestEvents(t *testing.T) {
	ws, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(ws)
	srv.Start()
	defer srv.Close()
	// Before the node is attached there is no stream.
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("events before Attach: %d, want 503", res.StatusCode)
	}

	src := &fakeSource{changes: make(chan []dag.Change, 1)}
	ws.Attach(src)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events", nil)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	a, b := dag.TxID{0xa}, dag.TxID{0xb}
	src.changes <- []dag.Change{
		{ID: a, State: dag.StateConflicted, Conflicts: []dag.TxID{b}},
		{ID: b, State: dag.StateRejected, Code: dag.ErrDoubleSpend, Conflicts: []dag.TxID{a}},
	}
	r := bufio.NewReader(res.Body)
	for _, want := range []web.Event{
		{ID: a, State: "conflicted", Conflicts: []dag.TxID{b}},
		{ID: b, State: "rejected", Code: "ErrDoubleSpend", Conflicts: []dag.TxID{a}},
	} {
		got := readEvent(t, r)
		if got.ID != want.ID || got.State != want.State || got.Code != want.Code || len(got.Conflicts) != 1 || got.Conflicts[0] != want.Conflicts[0] {
			t.Errorf("event %+v, want %+v", got, want)
		}
	}
	// The node closing ends the stream.
	close(src.changes)
	if _, err := io.ReadAll(r); err != nil {
		t.Errorf("stream after the node closed: %v", err)
	}
}

// TestEventsOfAVote follows a node's stream through a double spend, the
// vote that flips it and the winner becoming final: every change arrives
// with its new state, and a lost vote with its code.
func TestEventsOfAVote(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testNetwork(t, 100*dag.Unit, 100*dag.Unit)
	n, _ := startNode(t, ctx, net, keys[0])
	req, _ := http.NewRequestWithContext(ctx, "GET", n.APIURL()+"/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)

	coin := []wallet.Coin{{OutPoint: dag.OutPoint{TxID: net.ID, Index: 1}, Amount: 100 * dag.Unit}}
	first := addTx(t, ctx, n, signSend(t, ctx, net, keys[1], coin, keys[0].PubKey(), 40*dag.Unit, "first"))
	second := addTx(t, ctx, n, signSend(t, ctx, net, keys[1], coin, keys[1].PubKey(), 60*dag.Unit, "second"))
	if err := n.Graph().Prefer(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := n.Graph().Finalize(ctx, []dag.Decision{{ID: second}}); err != nil {
		t.Fatal(err)
	}
	got := map[dag.TxID][]string{}
	for len(got[second]) == 0 || got[second][len(got[second])-1] != "final" {
		e := readEvent(t, r)
		s := e.State
		if e.Code != "" {
			s += " " + e.Code
		}
		got[e.ID] = append(got[e.ID], s)
	}
	for id, want := range map[dag.TxID][]string{
		first:  {"accepted", "conflicted", "rejected ErrLostVote"},
		second: {"rejected ErrDoubleSpend", "conflicted", "final"},
	} {
		if !slices.Equal(got[id], want) {
			t.Errorf("events of %s: %q, want %q", id, got[id], want)
		}
	}
}

// TestEventsEndOnShutdown checks that an open stream does not hold up the
// HTTP server's graceful shutdown (and so the node's).
func TestEventsEndOnShutdown(t *testing.T) {
	ws, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ws.Attach(&fakeSource{changes: make(chan []dag.Change)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: ws}
	go hs.Serve(ln)
	res, err := http.Get("http://" + ln.Addr().String() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an open event stream: %v", err)
	}
}

package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// DefaultAddr is the API's default listen address: loopback only.
const DefaultAddr = "127.0.0.1:8347"

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 64 << 10

// Authenticator reports whether a request may use the spending endpoints
// by some means other than the cookie (the web UI's session, for example).
// An Authenticator based on a browser cookie must also defend against
// cross-site requests (check Origin), since browsers attach cookies to them.
type Authenticator func(r *http.Request) bool

// Config configures a Server.
type Config struct {
	// Addr is the listen address; DefaultAddr if empty. Port 0 picks one.
	Addr string
	// Backend answers the requests. Required.
	Backend Backend
	// Token is the cookie token that authorizes spending. If empty,
	// NewServer generates one.
	Token string
	// CookieDir, if set, is the data dir: Start writes Token to its .cookie
	// file (mode 0600) and Shutdown removes it.
	CookieDir string
	// Auth lists further ways to authorize spending, tried after the cookie.
	Auth []Authenticator
	// Magnets, if set, returns a transaction's magnet links each time they
	// are shown (GET /v1/tx/{id}): the node adds its address and trackers
	// and announces the transaction on the DHT. Nil: bare btmh and btih
	// links.
	Magnets func(dag.TxIDs) Magnets
	// Fallback, if set, serves every path outside /v1/ (the web UI).
	Fallback http.Handler
	// Metrics, if set, serves GET /metrics (Prometheus text format), open
	// to loopback readers like the other reads.
	Metrics http.Handler
	// Logger receives request and error logs; discarded if nil.
	Logger *slog.Logger
}

// Server is the local HTTP JSON API. Reading is open to loopback clients;
// the spending endpoints (send, faucet, proof import) need the cookie, sent
// as "Authorization: Bearer <token>", or another Authenticator. Requests
// from other addresses (an API bound beyond loopback) need it for
// everything.
type Server struct {
	b      Backend
	token  string
	auth   []Authenticator
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	srv    *http.Server
	mu     sync.Mutex
	ln     net.Listener
	served chan error
}

// NewServer checks cfg and returns a Server; Start makes it listen.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("api: new server: no Backend")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Token == "" {
		tok, err := NewToken()
		if err != nil {
			return nil, fmt.Errorf("new api server: %w", err)
		}
		cfg.Token = tok
	}
	s := &Server{
		b:     cfg.Backend,
		token: cfg.Token,
		auth:  cfg.Auth,
		cfg:   cfg,
		log:   cfg.Logger.With("subsystem", "api"),
		mux:   http.NewServeMux(),
	}
	s.routes()
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /v1/status", s.handleStatus)
	s.mux.HandleFunc("GET /v1/balance/{addr}", s.handleBalance)
	s.mux.HandleFunc("GET /v1/history/{addr}", s.handleHistory)
	s.mux.HandleFunc("GET /v1/tx/{id}", s.handleTx)
	s.mux.HandleFunc("GET /v1/tx/{id}/peers", s.handleTxPeers)
	s.mux.HandleFunc("GET /v1/peers", s.handlePeers)
	s.mux.HandleFunc("GET /v1/proof/{id}", s.handleProofExport)
	s.mux.HandleFunc("GET /v1/dag", s.handleDAG)
	s.mux.HandleFunc("GET /v1/address", s.handleAddress)
	s.mux.Handle("POST /v1/send", s.spending(s.handleSend))
	s.mux.Handle("POST /v1/tx", s.spending(s.handleSubmit))
	s.mux.Handle("POST /v1/faucet", s.spending(s.handleFaucet))
	s.mux.Handle("POST /v1/proof", s.spending(s.handleProofImport))
	s.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no endpoint " + r.Method + " " + r.URL.Path})
	})
	if s.cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", s.cfg.Metrics)
	}
	if s.cfg.Fallback != nil {
		s.mux.Handle("/", s.cfg.Fallback)
	}
}

// Handler returns the API's handler, for tests and for mounting.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !(isLoopback(r.RemoteAddr) && isLoopbackHost(r.Host)) && !s.authorized(r) {
			// Beyond loopback, or a page on another site that reached us
			// through DNS rebinding (its Host is its own name): nothing
			// without the cookie.
			s.unauthorized(w, r)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Token returns the cookie token.
func (s *Server) Token() string { return s.token }

// Start listens on the configured address, writes the cookie file (if
// CookieDir is set) and serves in the background until Shutdown.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("start api: %w", err)
	}
	if s.cfg.CookieDir != "" {
		if err := WriteCookie(s.cfg.CookieDir, s.token); err != nil {
			ln.Close()
			return fmt.Errorf("start api: %w", err)
		}
	}
	s.mu.Lock()
	s.ln = ln
	s.served = make(chan error, 1)
	s.mu.Unlock()
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else {
			s.log.Error("api server stopped", "err", err)
		}
		s.served <- err
	}()
	s.log.Info("api listening", "addr", ln.Addr().String())
	return nil
}

// Addr returns the address the server listens on ("127.0.0.1:8347"), or ""
// before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:8347".
func (s *Server) URL() string { return "http://" + s.Addr() }

// Shutdown stops the server gracefully (in-flight requests finish until ctx
// is done) and removes the cookie file.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.mu.Lock()
	served := s.served
	s.mu.Unlock()
	if served != nil && err == nil {
		err = <-served
	}
	if s.cfg.CookieDir != "" {
		if rerr := RemoveCookie(s.cfg.CookieDir); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("stop api: %w", err)
	}
	return nil
}

// spending wraps a handler that spends (or adds transactions) with the
// authorization check.
func (s *Server) spending(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			s.unauthorized(w, r)
			return
		}
		h(w, r)
	})
}

// authorized reports whether r carries the cookie token or passes another
// Authenticator. The token comparison takes constant time.
func (s *Server) authorized(r *http.Request) bool {
	if tok, ok := bearer(r); ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1 {
		return true
	}
	for _, a := range s.auth {
		if a(r) {
			return true
		}
	}
	return false
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return h[len(prefix):], true
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	msg := "this call needs the node's cookie: send Authorization: Bearer <token>, the token being in the data dir's " + CookieFile + " file"
	if _, ok := bearer(r); ok {
		msg = "wrong cookie: the token does not match the running node's " + CookieFile + " file"
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="ttx"`)
	s.writeError(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: msg})
}

// isLoopback reports whether a request's remote address is a loopback IP.
func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLoopbackHost reports whether a request's Host header names this machine
// by a loopback name: "localhost" or a loopback IP, with or without a port.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// writeJSON writes v as the JSON response body with the given status.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // magnet links keep their '&'
	if err := enc.Encode(v); err != nil {
		s.log.Error("encode response", "err", err)
		http.Error(w, `{"error":"encode response","code":"`+CodeInternal+`"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError writes err as {"error","code"} with its status; see toError.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toError(err)
	if e.Status >= 500 && e.Status != http.StatusServiceUnavailable { // 503: the node cannot do it (no key, no faucet), not a fault
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.Debug("api request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "code", e.Code, "err", e.Message)
	}
	s.writeJSON(w, e.Status, ErrorResponse{Error: e.Message, Code: e.Code})
}

// badRequest returns a 400 *Error with CodeBadRequest.
func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// decodeJSON decodes exactly one JSON object from r into v, strictly: no
// unknown fields, nothing after it, at most limit bytes.
func decodeJSON(r io.Reader, limit int64, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return badRequest("read request body: %v", err)
	}
	if int64(len(b)) > limit {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: fmt.Sprintf("request body is over %d bytes", limit)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return badRequest("empty request body: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("malformed JSON: data after the object")
	}
	return nil
}

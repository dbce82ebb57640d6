package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/torrenttx/ttx/dag"
)

//go:embed static
var staticFiles embed.FS

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// contentSecurity keeps every page to the node's own origin: no inline
// script, nothing from elsewhere, no framing (so no clickjacking of the
// send button).
const contentSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// maxQRText bounds the text of a /qr request.
const maxQRText = 200

// Source is what the live view and the login form need from the node;
// *node.Node implements it.
type Source interface {
	// Subscribe returns a channel of committed changes and a function
	// that ends the subscription; the channel closes with the node.
	Subscribe() (<-chan []dag.Change, func())
	// Token returns the API cookie token.
	Token() string
	// Raw returns the bytes of a stored transaction (the event stream's
	// address filter reads the ones a change does not carry), or an error
	// wrapping dag.ErrNotFound.
	Raw(id dag.TxID) ([]byte, error)
	// PeerCounts returns the connected peers, those of them that speak
	// ttx, and those of these whose digest equals the node's.
	PeerCounts() (peers, ttx, inSync int)
}

// Config configures a Server.
type Config struct {
	// Logger receives logins and errors; discarded if nil.
	Logger *slog.Logger
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Server serves the web wallet and explorer: HTML pages, their embedded
// scripts and styles, the address QR code and the live event stream. The
// pages read and spend through the node's /v1/ API, which the Server does
// not serve: mount the Server as the API's Fallback and add Authorized to
// the API's Auth.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	mux    *http.ServeMux
	src    atomic.Pointer[Source]
	static http.Handler

	mu         sync.Mutex
	loginToken string // "" once used
	sessions   map[sessionKey]time.Time
	streams    int
	stops      map[*http.Server]chan struct{}
}

// New returns a Server with a fresh one-time login token (see LoginURL).
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tok, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("new web server: %w", err)
	}
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("new web server: %w", err)
	}
	s := &Server{
		log:        cfg.Logger.With("subsystem", "web"),
		now:        cfg.Now,
		mux:        http.NewServeMux(),
		static:     http.StripPrefix("/static/", http.FileServerFS(sub)),
		loginToken: tok,
		sessions:   make(map[sessionKey]time.Time),
		stops:      make(map[*http.Server]chan struct{}),
	}
	s.routes()
	return s, nil
}

// Attach connects the node once it runs. Until then /events answers 503
// and the cookie login fails.
func (s *Server) Attach(src Source) { s.src.Store(&src) }

func (s *Server) source() Source {
	if p := s.src.Load(); p != nil {
		return *p
	}
	return nil
}

// What a page's {arg} must look like: a tx ID (lowercase hex) or the
// characters of a bech32 address (the page checks the rest).
var (
	txIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	addrPattern = regexp.MustCompile(`^[a-z0-9]{1,83}$`)
)

func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", s.page("wallet", nil))
	s.mux.HandleFunc("GET /tx/{arg}", s.page("tx", txIDPattern))
	s.mux.HandleFunc("GET /address/{arg}", s.page("address", addrPattern))
	s.mux.HandleFunc("GET /dag", s.page("dag", nil))
	s.mux.HandleFunc("GET /network", s.page("network", nil))
	s.mux.HandleFunc("GET /search", s.handleSearch)
	s.mux.HandleFunc("GET /qr", s.handleQR)
	s.mux.HandleFunc("GET /events", s.handleEvents)
	s.mux.HandleFunc("POST /login", s.handleLogin)
	s.mux.HandleFunc("POST /logout", s.handleLogout)
	s.mux.Handle("GET /static/", s.static)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/icon.svg", http.StatusMovedPermanently)
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusNotFound, pageData{Page: "notfound"})
	})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurity)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	s.mux.ServeHTTP(w, r)
}

// pageData is what page.html is executed with.
type pageData struct {
	// Page names the page: wallet, tx, address, dag, network, notfound.
	Page string
	// Arg is the page's subject: a tx ID or an address.
	Arg string
	// Session reports whether the browser has a session: only then does
	// the page carry the send form.
	Session bool
	// LoginFailed asks for the "login link not valid" notice.
	LoginFailed bool
}

// page returns the handler of a page. A ?token= query is a login: it is
// traded for a session and the browser is sent to the same page without
// it.
func (s *Server) page(name string, argPattern *regexp.Regexp) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("token") {
			dest := r.URL.Path
			if s.useLoginToken(r.URL.Query().Get("token")) {
				if err := s.startSession(w, r); err != nil {
					s.serverError(w, r, err)
					return
				}
			} else {
				s.log.Info("web login link refused", "remote", r.RemoteAddr)
				dest += "?login=failed"
			}
			http.Redirect(w, r, dest, http.StatusSeeOther)
			return
		}
		d := pageData{Page: name, Session: s.hasSession(r), LoginFailed: r.URL.Query().Get("login") == "failed"}
		if argPattern != nil {
			d.Arg = r.PathValue("arg")
			if !argPattern.MatchString(d.Arg) {
				s.render(w, r, http.StatusNotFound, pageData{Page: "notfound", Session: d.Session})
				return
			}
		}
		s.render(w, r, http.StatusOK, d)
	}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		s.serverError(w, r, fmt.Errorf("render page %s: %w", d.Page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("web request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
}

// handleSearch sends a search to its page: 64 hex digits are a tx ID,
// anything else an address (whose page says if it is not one).
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	switch {
	case q == "":
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case txIDPattern.MatchString(q):
		http.Redirect(w, r, "/tx/"+q, http.StatusSeeOther)
	case addrPattern.MatchString(q):
		http.Redirect(w, r, "/address/"+q, http.StatusSeeOther)
	default:
		s.render(w, r, http.StatusNotFound, pageData{Page: "notfound", Session: s.hasSession(r)})
	}
}

// handleQR draws ?text= (an address) as a QR code in SVG.
func (s *Server) handleQR(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("text")
	if text == "" || len(text) > maxQRText {
		http.Error(w, fmt.Sprintf("text must be 1 to %d bytes", maxQRText), http.StatusBadRequest)
		return
	}
	q, err := encodeQR([]byte(text))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "max-age=86400")
	w.Write([]byte(q.SVG()))
}

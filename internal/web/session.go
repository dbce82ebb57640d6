package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Sessions, the Jupyter way: the node prints a URL with a one-time login
// token; visiting it trades the token for a session cookie (HttpOnly,
// SameSite=Strict) and redirects to the same page without the token. The
// node's API cookie (<datadir>/.cookie) also opens a session, through the
// login form of the read-only page, for a browser that lost its session.

const (
	// tokenBytes is the size of login tokens and session IDs.
	tokenBytes = 32
	// maxSessions bounds the open sessions; the oldest goes first.
	maxSessions = 64
	// sessionCookie prefixes the session cookie's name; the port follows,
	// since browsers share cookies between ports of one host and two
	// nodes on 127.0.0.1 must not overwrite each other's session.
	sessionCookie = "ttx_session"
)

func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// sessionKey is what the session table holds: the SHA-256 of the cookie
// value, so that a lookup's timing says nothing about valid values.
type sessionKey [sha256.Size]byte

func keyOf(v string) sessionKey { return sha256.Sum256([]byte(v)) }

// cookieName returns the session cookie's name for requests to host.
func cookieName(host string) string {
	if _, port, err := net.SplitHostPort(host); err == nil && port != "" {
		return sessionCookie + "_" + port
	}
	return sessionCookie
}

// useLoginToken reports whether tok is the unused login token, and uses it
// up. The comparison takes constant time.
func (s *Server) useLoginToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loginToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.loginToken)) != 1 {
		return false
	}
	s.loginToken = ""
	return true
}

// startSession opens a session and sets its cookie on w.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request) error {
	id, err := newToken()
	if err != nil {
		return err
	}
	s.mu.Lock()
	if len(s.sessions) >= maxSessions {
		var oldest sessionKey
		var t time.Time
		for k, c := range s.sessions {
			if t.IsZero() || c.Before(t) {
				oldest, t = k, c
			}
		}
		delete(s.sessions, oldest)
	}
	s.sessions[keyOf(id)] = s.now()
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(r.Host),
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil,
	})
	s.log.Info("web session opened", "remote", r.RemoteAddr)
	return nil
}

// endSession closes r's session, if any, and clears its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	name := cookieName(r.Host)
	if c, err := r.Cookie(name); err == nil {
		s.mu.Lock()
		delete(s.sessions, keyOf(c.Value))
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// hasSession reports whether r carries the cookie of an open session.
func (s *Server) hasSession(r *http.Request) bool {
	c, err := r.Cookie(cookieName(r.Host))
	if err != nil || c.Value == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[keyOf(c.Value)]
	return ok
}

// sameOrigin reports whether a browser says r comes from a page of this
// very origin: the Origin header, when sent, must be this server's, and
// Sec-Fetch-Site, when sent, must be "same-origin". A request with neither
// header is refused, since every current browser sends at least one of
// them with a POST. SameSite=Strict alone would not do: pages on other
// ports of the same host are same-site.
func sameOrigin(r *http.Request) bool {
	origin, site := r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")
	if origin == "" && site == "" {
		return false
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	if origin != "" && origin != scheme+r.Host {
		return false
	}
	return site == "" || site == "same-origin"
}

// Authorized reports whether r may spend through the API: it carries the
// cookie of an open session and comes from one of this server's own
// pages (see sameOrigin). It is an api.Authenticator.
func (s *Server) Authorized(r *http.Request) bool {
	return sameOrigin(r) && s.hasSession(r)
}

// LoginURL returns the one-time login URL for a server reached at base
// ("http://127.0.0.1:8347"), or "" once the token was used.
func (s *Server) LoginURL(base string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loginToken == "" {
		return ""
	}
	return base + "/?token=" + s.loginToken
}

// handleLogin trades the API cookie, pasted into the read-only page's
// form, for a session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin login refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	tok := r.PostFormValue("cookie")
	src := s.source()
	if src == nil || tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(src.Token())) != 1 {
		s.log.Info("web login refused", "remote", r.RemoteAddr)
		http.Redirect(w, r, "/?login=failed", http.StatusSeeOther)
		return
	}
	if err := s.startSession(w, r); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin logout refused", http.StatusForbidden)
		return
	}
	s.endSession(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/torrenttx/ttx/dag"
)

const (
	// maxStreams bounds the open event streams.
	maxStreams = 32
	// heartbeat is how often an idle stream gets a comment line, so that
	// a dead connection is noticed.
	heartbeat = 15 * time.Second
	// retryMillis is the reconnection delay the browser is told to use.
	retryMillis = 2000
	// peersEvery is how often a stream checks the peer counts for a
	// "peers" event.
	peersEvery = 2 * time.Second
	// maxMatches bounds the transactions a filtered stream remembers as
	// concerning its address or not.
	maxMatches = 4096
)

// Event is the data of a "tx" server-sent event: one committed change.
type Event struct {
	ID    dag.TxID `json:"id"`
	State string   `json:"state"`
	// Code is why, for a rejected transaction.
	Code      string     `json:"code,omitempty"`
	Conflicts []dag.TxID `json:"conflicts,omitempty"`
}

// PeersEvent is the data of a "peers" server-sent event: sent when a
// stream opens and whenever the counts change.
type PeersEvent struct {
	Peers    int `json:"peers"`
	TTXPeers int `json:"ttx_peers"`
	InSync   int `json:"in_sync"`
}

// addressFilter passes the changes of transactions that an address signs
// or is paid by. Addresses appear in a canonical tx.json only as quoted
// "from" and "to" values (a quote inside a memo is escaped), so a
// transaction concerns the address exactly when its bytes hold the
// address in quotes.
type addressFilter struct {
	src     Source
	quoted  []byte
	matches map[dag.TxID]bool
}

// parseAddressFilter reads the address= query of an event stream: nil if
// absent, an error if it is not a valid address.
func parseAddressFilter(src Source, q string) (*addressFilter, error) {
	if q == "" {
		return nil, nil
	}
	if _, err := dag.ParseAddress(q, dag.AddressPrefix(q)); err != nil {
		return nil, err
	}
	return &addressFilter{src: src, quoted: []byte(`"` + strings.ToLower(q) + `"`), matches: make(map[dag.TxID]bool)}, nil
}

// pass reports whether c concerns the filter's address. A change without
// the bytes (a stored transaction changing state) is looked up once.
func (f *addressFilter) pass(c dag.Change) bool {
	if f == nil {
		return true
	}
	if m, ok := f.matches[c.ID]; ok {
		return m
	}
	raw := c.Raw
	if raw == nil {
		var err error
		if raw, err = f.src.Raw(c.ID); err != nil {
			return false // not stored: nothing of the address's
		}
	}
	if len(f.matches) >= maxMatches {
		clear(f.matches)
	}
	m := bytes.Contains(raw, f.quoted)
	f.matches[c.ID] = m
	return m
}

func eventOf(c dag.Change) Event {
	e := Event{ID: c.ID, State: c.State.String(), Conflicts: c.Conflicts}
	if c.State == dag.StateRejected && c.Code != 0 {
		e.Code = c.Code.String()
	}
	return e
}

// handleEvents streams the node's committed changes as Server-Sent Events
// ("event: tx", data an Event; with ?address=, only those of transactions
// the address signs or is paid by) and the peer counts ("event: peers",
// data a PeersEvent, at the start and on every change), until the client
// goes, the node closes or the HTTP server shuts down. A client too slow
// to keep up loses events (the node's hub drops them); the pages refetch
// what they show on every event, so they catch up at the next one.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	src := s.source()
	if src == nil {
		http.Error(w, "the node is not running yet", http.StatusServiceUnavailable)
		return
	}
	filter, err := parseAddressFilter(src, r.URL.Query().Get("address"))
	if err != nil {
		http.Error(w, "address: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !s.openStream() {
		http.Error(w, "too many event streams", http.StatusServiceUnavailable)
		return
	}
	defer s.closeStream()
	stop := s.shutdownChan(r)
	changes, cancel := src.Subscribe()
	defer cancel()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: " + strconv.Itoa(retryMillis) + "\n\n")) {
		return
	}
	var lastPeers PeersEvent
	peers := func(force bool) bool {
		var p PeersEvent
		p.Peers, p.TTXPeers, p.InSync = src.PeerCounts()
		if p == lastPeers && !force {
			return true
		}
		lastPeers = p
		b, _ := json.Marshal(p) // three ints: cannot fail
		return write(append(append([]byte("event: peers\ndata: "), b...), "\n\n"...))
	}
	if !peers(true) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	peerTick := time.NewTicker(peersEvery)
	defer peerTick.Stop()
	var buf bytes.Buffer
	for {
		select {
		case <-r.Context().Done():
			return
		case <-stop:
			return
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case <-peerTick.C:
			if !peers(false) {
				return
			}
		case batch, ok := <-changes:
			if !ok {
				return
			}
			buf.Reset()
			for _, c := range batch {
				if !filter.pass(c) {
					continue
				}
				b, err := json.Marshal(eventOf(c))
				if err != nil {
					s.log.Error("encode event", "tx", c.ID, "err", err)
					continue
				}
				buf.WriteString("event: tx\ndata: ")
				buf.Write(b)
				buf.WriteString("\n\n")
			}
			if buf.Len() > 0 && !write(buf.Bytes()) {
				return
			}
		}
	}
}

func (s *Server) openStream() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams >= maxStreams {
		return false
	}
	s.streams++
	return true
}

func (s *Server) closeStream() {
	s.mu.Lock()
	s.streams--
	s.mu.Unlock()
}

// shutdownChan returns a channel closed when the http.Server serving r
// shuts down (nil if r carries none). Shutdown waits for active requests,
// and a stream would otherwise stay active until the client leaves.
func (s *Server) shutdownChan(r *http.Request) <-chan struct{} {
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if hs == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.stops[hs]
	if !ok {
		ch = make(chan struct{})
		s.stops[hs] = ch
		hs.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}

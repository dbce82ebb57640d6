package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
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
)

// Event is the data of a "tx" server-sent event: one committed change.
type Event struct {
	ID    dag.TxID `json:"id"`
	State string   `json:"state"`
	// Code is why, for a rejected transaction.
	Code      string     `json:"code,omitempty"`
	Conflicts []dag.TxID `json:"conflicts,omitempty"`
}

func eventOf(c dag.Change) Event {
	e := Event{ID: c.ID, State: c.State.String(), Conflicts: c.Conflicts}
	if c.State == dag.StateRejected && c.Code != 0 {
		e.Code = c.Code.String()
	}
	return e
}

// handleEvents streams the node's committed changes as Server-Sent Events
// ("event: tx", data an Event), until the client goes, the node closes or
// the HTTP server shuts down. A client too slow to keep up loses events
// (the node's hub drops them); the pages refetch what they show on every
// event, so they catch up at the next one.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	src := s.source()
	if src == nil {
		http.Error(w, "the node is not running yet", http.StatusServiceUnavailable)
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
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
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
		case batch, ok := <-changes:
			if !ok {
				return
			}
			buf.Reset()
			for _, c := range batch {
				b, err := json.Marshal(eventOf(c))
				if err != nil {
					s.log.Error("encode event", "tx", c.ID, "err", err)
					continue
				}
				buf.WriteString("event: tx\ndata: ")
				buf.Write(b)
				buf.WriteString("\n\n")
			}
			if !write(buf.Bytes()) {
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

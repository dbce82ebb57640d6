package ttxtest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag/dagtest"
)

// logSink receives one node's log lines for the whole test, across
// restarts. After the test is over (done), lines are dropped: the torrent
// library's goroutines may still log while they wind down, and testing
// panics on a Log after the test completed.
type logSink struct {
	t    testing.TB
	name string

	mu   sync.Mutex
	done bool
}

// write reports one formatted line: ERROR lines fail the test.
func (s *logSink) write(level slog.Level, line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	if level >= slog.LevelError {
		s.t.Errorf("%s logged an error: %s", s.name, line)
		return
	}
	s.t.Logf("%s: %s", s.name, line)
}

// close stops reporting.
func (s *logSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
}

// logHandler is the slog.Handler a node logs through: INFO and above, flat
// key=value lines (ttx logs use no groups).
type logHandler struct {
	sink  *logSink
	attrs []slog.Attr
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	h.sink.write(r.Level, r.Time.Format(time.TimeOnly+".000")+" "+dagtest.LogLine(r, h.attrs))
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{sink: h.sink, attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], as...)}
}

// WithGroup keeps the handler: ttx's log lines are flat.
func (h *logHandler) WithGroup(string) slog.Handler { return h }

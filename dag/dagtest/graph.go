package dagtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// NewGraph starts a Graph for a test. cfg.Network is required; a nil
// cfg.Store becomes a fresh dag.MemStore, and a nil cfg.Logger one that
// passes warnings to t.Log and fails the test on any Error line (the node's
// own faults). When the test ends, the Graph is closed, CheckInvariants runs
// on the store, and a store NewGraph made is closed.
func NewGraph(t testing.TB, cfg dag.GraphConfig) *dag.Graph {
	t.Helper()
	if cfg.Network == nil {
		t.Fatal("dagtest: NewGraph needs cfg.Network")
	}
	ownStore := cfg.Store == nil
	if ownStore {
		cfg.Store = dag.NewMemStore()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(&tbHandler{t: t})
	}
	g, err := dag.NewGraph(cfg)
	if err != nil {
		t.Fatalf("dagtest: NewGraph: %v", err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("dagtest: close graph: %v", err)
		}
		CheckInvariants(t, cfg.Store, cfg.Network)
		if ownStore {
			if err := cfg.Store.Close(); err != nil {
				t.Errorf("dagtest: close store: %v", err)
			}
		}
	})
	return g
}

// tbHandler is a slog.Handler for tests: Warn lines go to t.Log, Error
// lines fail the test (as lnd's itest does with [ERR] lines).
type tbHandler struct {
	t     testing.TB
	attrs []slog.Attr
}

func (h *tbHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *tbHandler) Handle(_ context.Context, r slog.Record) error {
	line := LogLine(r, h.attrs)
	if r.Level >= slog.LevelError {
		h.t.Errorf("unexpected error log: %s", line)
	} else {
		h.t.Log(line)
	}
	return nil
}

// LogLine formats r for a test log: its level, message, then attrs (a
// handler's own) and r's attributes as key=value. ttx logs use no groups.
func LogLine(r slog.Record, attrs []slog.Attr) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	attr := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range attrs {
		attr(a)
	}
	r.Attrs(attr)
	return b.String()
}

func (h *tbHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &tbHandler{t: h.t, attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], as...)}
}

// WithGroup is not needed by ttx's flat log lines; it keeps the handler.
func (h *tbHandler) WithGroup(string) slog.Handler { return h }

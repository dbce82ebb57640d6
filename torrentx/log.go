package torrentx

import (
	"context"
	"log/slog"
	"strings"
)

// libHandler passes the torrent library's logs on, but lowers its DHT
// bootstrap failure ("no initial nodes", logged as an error every minute
// by a node without bootstrap nodes, or offline) to a warning: errors are
// for our own faults.
type libHandler struct{ slog.Handler }

func (h libHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && strings.HasPrefix(r.Message, "error bootstrapping") {
		r.Level = slog.LevelWarn
		if !h.Handler.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h libHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return libHandler{h.Handler.WithAttrs(as)}
}

func (h libHandler) WithGroup(name string) slog.Handler {
	return libHandler{h.Handler.WithGroup(name)}
}

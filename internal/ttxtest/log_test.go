package ttxtest

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// recorder is a testing.TB that records what the log sink reports.
type recorder struct {
	testing.TB
	errs, logs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestLogHandler(t *testing.T) {
	rec := &recorder{TB: t}
	sink := &logSink{t: rec, name: "alice"}
	log := slog.New(&logHandler{sink: sink}).With("subsystem", "node")

	log.Debug("hidden")
	log.Info("tx accepted", "tx", "ab12")
	log.Warn("peer slow")
	log.Error("store write", "err", "disk full")
	sink.close()
	log.Error("after the test")

	if len(rec.logs) != 2 || !strings.Contains(rec.logs[0], "alice: ") ||
		!strings.Contains(rec.logs[0], "INFO tx accepted subsystem=node tx=ab12") || !strings.Contains(rec.logs[1], "WARN peer slow") {
		t.Errorf("logged lines %q, want the INFO and WARN lines with the node's name and attributes", rec.logs)
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "alice logged an error") || !strings.Contains(rec.errs[0], "store write subsystem=node err=disk full") {
		t.Errorf("errors %q, want one for the ERROR line before close", rec.errs)
	}
}

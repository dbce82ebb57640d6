package node

import (
	"testing"
	"time"

	"github.com/torrenttx/ttx/internal/api"
)

func TestSyncMeter(t *testing.T) {
	m := newSyncMeter()
	t0 := time.Unix(1_700_000_000, 0)
	steps := []struct {
		name       string
		at         time.Duration
		have, best uint64
		want       api.SyncProgress
	}{
		{"alone", 0, 1, 1, api.SyncProgress{Have: 1, Best: 1, Percent: 100}},
		{"a peer with more", time.Second, 1, 1001, api.SyncProgress{Have: 1, Best: 1001, Missing: 1000, Percent: 0}},
		{"200 in 3 s", 3 * time.Second, 201, 1001, api.SyncProgress{Have: 201, Best: 1001, Missing: 800, Percent: 20, Rate: 66.7, ETASeconds: 12}},
		{"never 100 while missing", 4 * time.Second, 1000, 1001, api.SyncProgress{Have: 1000, Best: 1001, Missing: 1, Percent: 99.9, Rate: 249.8, ETASeconds: 1}},
		{"caught up", 5 * time.Second, 1001, 1001, api.SyncProgress{Have: 1001, Best: 1001, Percent: 100, Rate: 200}},
		{"a peer behind", 6 * time.Second, 1001, 900, api.SyncProgress{Have: 1001, Best: 1001, Percent: 100, Rate: 166.7}},
		// The window forgets samples older than 30 s: nothing new since.
		{"idle", 60 * time.Second, 1001, 1001, api.SyncProgress{Have: 1001, Best: 1001, Percent: 100}},
	}
	for _, s := range steps {
		if got := m.progress(t0.Add(s.at), s.have, s.best); got != s.want {
			t.Errorf("%s: got %+v, want %+v", s.name, got, s.want)
		}
	}
}

package node

import (
	"math"
	"sync"
	"time"

	"github.com/torrenttx/ttx/internal/api"
)

// Sync-rate sampling: a sample of the stored count at most every
// syncSampleEvery, the rate over the last syncWindow.
const (
	syncSampleEvery = time.Second
	syncWindow      = 30 * time.Second
)

// syncMeter measures how fast the store grows, for the sync progress that
// Status reports. It samples when asked, so its rate covers the time
// between Status calls (ttx start asks every two seconds).
type syncMeter struct {
	mu      sync.Mutex
	samples []syncSample // oldest first, within about syncWindow
}

type syncSample struct {
	at    time.Time
	count uint64
}

func newSyncMeter() *syncMeter { return &syncMeter{} }

// progress records have at now and returns the progress towards best.
func (m *syncMeter) progress(now time.Time, have, best uint64) api.SyncProgress {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k := len(m.samples); k == 0 || now.Sub(m.samples[k-1].at) >= syncSampleEvery {
		m.samples = append(m.samples, syncSample{now, have})
	}
	for len(m.samples) > 1 && now.Sub(m.samples[0].at) > syncWindow {
		m.samples = m.samples[1:]
	}
	p := api.SyncProgress{Have: have, Best: max(best, have), Percent: 100}
	p.Missing = p.Best - have
	if first := m.samples[0]; have > first.count && now.After(first.at) {
		p.Rate = math.Round(float64(have-first.count)/now.Sub(first.at).Seconds()*10) / 10
	}
	if p.Missing == 0 {
		return p
	}
	p.Percent = min(float64(have*1000/p.Best)/10, 99.9)
	if p.Rate > 0 {
		p.ETASeconds = int64(math.Ceil(float64(p.Missing) / p.Rate))
	}
	return p
}

package main

import (
	"testing"

	"github.com/torrenttx/ttx/internal/api"
)

func TestStatusLineSync(t *testing.T) {
	tests := []struct {
		name string
		st   api.Status
		want string
	}{
		{"no peers", api.Status{Peers: 0, Sync: api.SyncProgress{Have: 1, Best: 1, Percent: 100}},
			"peers 0 · txs 0 accepted, 0 pending, 0 rejected · digest  · no ttx peers yet"},
		{"in sync", api.Status{Peers: 2, TTXPeers: 2, InSync: 2, Sync: api.SyncProgress{Have: 9, Best: 9, Percent: 100}},
			"peers 2 · txs 0 accepted, 0 pending, 0 rejected · digest  · in sync with 2 of 2 ttx peers"},
		{"catching up", api.Status{Peers: 1, TTXPeers: 1, Sync: api.SyncProgress{Have: 1234, Best: 5000, Missing: 3766, Percent: 24.6, Rate: 120, ETASeconds: 32}},
			"peers 1 · txs 0 accepted, 0 pending, 0 rejected · digest  · catching up: 1234 of 5000 txs (24.6 %), 3766 missing, 120 tx/s, ETA 32s"},
		{"nothing arrives yet", api.Status{Peers: 1, TTXPeers: 1, Sync: api.SyncProgress{Have: 1, Best: 5000, Missing: 4999}},
			"peers 1 · txs 0 accepted, 0 pending, 0 rejected · digest  · catching up: 1 of 5000 txs (0.0 %), 4999 missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusLine(&tc.st); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

package torrentx

import (
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// A chunk that arrives after its fetch ended must be dropped without an
// error: an error makes the library stop the torrent's downloads and log at
// ERROR (seen under load, when gossip delivered the transaction first).
func TestLateChunkDiscarded(t *testing.T) {
	tests := []struct {
		name string
		e    *entry
	}{
		{"fetch ended", &entry{id: dag.TxID{1}}},
		{"bytes already verified", &entry{id: dag.TxID{2}, raw: []byte("{}")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &piece{c: &Client{}, e: tc.e, length: 100}
			chunk := make([]byte, 10)
			n, err := p.WriteAt(chunk, 0)
			if n != len(chunk) || err != nil {
				t.Errorf("WriteAt = %d, %v; want %d, nil", n, err, len(chunk))
			}
		})
	}
}

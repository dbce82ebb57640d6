package genesis

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// FuzzLoad checks that Load never panics, never returns (nil, nil), and
// that a loaded network is exactly the file: its genesis re-encodes to the
// same bytes and its ID is their hash.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(testnetTx))
	f.Add([]byte(testnetTx + "\n"))
	f.Add([]byte(testnetTorrent))
	f.Add([]byte(`{"v":1,"genesis":{"name":"x","prefix":"x","burn_per_byte":0,"pow_bits":0,"max_prev":1,"max_out":1,"max_memo":0},"out":[],"burn":0,"time":1}`))
	f.Add([]byte{})
	path := filepath.Join(f.TempDir(), "tx.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		net, err := Load(path)
		if err != nil {
			if net != nil {
				t.Fatalf("got a network and an error: %v", err)
			}
			return
		}
		if net == nil {
			t.Fatal("Load returned (nil, nil)")
		}
		enc, err := dag.Encode(&net.Genesis.Tx)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("genesis re-encodes to %q, %v; file was %q", enc, err, b)
		}
		if net.ID != dag.IDs(b).ID || !net.Genesis.IsGenesis() {
			t.Fatalf("network ID %s is not the file's ID", net.ID)
		}
	})
}

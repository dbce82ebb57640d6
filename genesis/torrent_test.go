package genesis_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
	infohash_v2 "github.com/anacrolix/torrent/types/infohash-v2"
	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
)

// TestDefaultTorrent checks the embedded genesis .torrent with an
// independent BitTorrent implementation (anacrolix metainfo): it loads, it
// is a hybrid v1+v2 single-file torrent of tx.json, and its v2 infohash
// (SHA-256 of the info bytes) is the network ID.
func TestDefaultTorrent(t *testing.T) {
	mi, err := metainfo.Load(bytes.NewReader(genesis.DefaultTorrent()))
	if err != nil {
		t.Fatalf("metainfo.Load: %v", err)
	}
	v2 := sha256.Sum256(mi.InfoBytes)
	if got := hex.EncodeToString(v2[:]); got != genesis.DefaultID {
		t.Fatalf("sha256(info) = %s, want DefaultID %s", got, genesis.DefaultID)
	}
	if got := infohash_v2.HashBytes(mi.InfoBytes); got.HexString() != genesis.DefaultID {
		t.Errorf("anacrolix v2 infohash = %s, want %s", got.HexString(), genesis.DefaultID)
	}
	net := genesis.Default()
	if mi.HashInfoBytes() != metainfo.Hash(net.Genesis.V1) {
		t.Errorf("v1 infohash = %s, want %x", mi.HashInfoBytes(), net.Genesis.V1)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		t.Fatalf("UnmarshalInfo: %v", err)
	}
	raw := net.Genesis.Raw
	root := sha256.Sum256(raw)
	file := info.FileTree.Dir["tx.json"].File
	switch {
	case !info.HasV1() || !info.HasV2():
		t.Errorf("not a hybrid torrent: v1 %v, v2 %v", info.HasV1(), info.HasV2())
	case info.Name != "tx.json" || info.Length != int64(len(raw)) || info.PieceLength != 16384:
		t.Errorf("info = name %q, length %d, piece length %d", info.Name, info.Length, info.PieceLength)
	case file.Length != int64(len(raw)) || file.PiecesRoot != string(root[:]):
		t.Errorf("file tree entry = %+v, want length %d and pieces root %x", file, len(raw), root)
	}
	if m, err := mi.MagnetV2(); err != nil || m.V2InfoHash.Value.HexString() != genesis.DefaultID {
		t.Errorf("MagnetV2 = %v, %v", m, err)
	}
	if !bytes.Equal(dag.TorrentFile(raw), genesis.DefaultTorrent()) {
		t.Errorf("DefaultTorrent is not dag.TorrentFile of the genesis")
	}
}

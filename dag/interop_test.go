package dag

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	infohash_v2 "github.com/anacrolix/torrent/types/infohash-v2"
)

// interopFile is one file whose info dict the interop tests compare.
type interopFile struct {
	name string
	raw  []byte
}

// interopFiles returns files of the sizes that matter: the smallest, a
// small one, the golden tx, and the two largest (one block exactly). Only
// the golden tx is a tx.json; InfoDict takes any bytes, so the others are
// arbitrary (including non-ASCII) bytes.
func interopFiles(tb testing.TB) []interopFile {
	tb.Helper()
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "tx.json"))
	if err != nil {
		tb.Fatal(err)
	}
	arbitrary := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + i>>8)
		}
		return b
	}
	return []interopFile{
		{"1 byte", []byte{'{'}},
		{"100 bytes", arbitrary(100)},
		{"golden tx", golden},
		{"16383 bytes", arbitrary(16383)},
		{"16384 bytes", arbitrary(MaxTxSize)},
	}
}

// libtorrentScript builds each file's torrent the way libtorrent makes a hybrid
// one (no_attributes on add_files, 16 KiB pieces, hybrid by default) and
// prints the info dict and libtorrent's own v1 and v2 infohashes, in hex.
const libtorrentScript = `
import os, sys
import libtorrent as lt
for path in sys.argv[1:]:
    fs = lt.file_storage()
    lt.add_files(fs, path, flags=lt.create_torrent.no_attributes)
    ct = lt.create_torrent(fs, 16384)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    t = ct.generate()
    ih = lt.torrent_info(lt.bencode(t)).info_hashes()
    print(lt.bencode(t[b'info']).hex(), str(ih.v1), str(ih.v2))
`

const python = "/usr/bin/python3"

// TestInfoDictLibtorrent proves that libtorrent, a standard BitTorrent
// implementation, builds the byte-identical info dict from the same file,
// and derives the same v1 and v2 infohashes.
func TestInfoDictLibtorrent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "-c", "import libtorrent").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import libtorrent (apt-get install -y python3-libtorrent): %v %s", python, err, out)
	}
	files := interopFiles(t)
	args := []string{"-c", libtorrentScript}
	for i, f := range files {
		dir := filepath.Join(t.TempDir(), string(rune('a'+i)))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "tx.json")
		if err := os.WriteFile(path, f.raw, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	cmd := exec.CommandContext(ctx, python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("libtorrent: %v\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(files) {
		t.Fatalf("libtorrent printed %d lines for %d files:\n%s", len(lines), len(files), out)
	}
	for i, f := range files {
		t.Run(f.name, func(t *testing.T) {
			fields := strings.Fields(lines[i])
			if len(fields) != 3 {
				t.Fatalf("bad line %q", lines[i])
			}
			info, err := hex.DecodeString(fields[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := InfoDict(f.raw); !bytes.Equal(info, want) {
				t.Fatalf("libtorrent's info dict differs:\nlibtorrent %q\n       ttx %q", info, want)
			}
			ids := IDs(f.raw)
			if got := hex.EncodeToString(ids.V1[:]); fields[1] != got {
				t.Errorf("v1 infohash: libtorrent %s, ttx %s", fields[1], got)
			}
			if fields[2] != ids.ID.String() {
				t.Errorf("v2 infohash: libtorrent %s, ttx %s", fields[2], ids.ID)
			}
		})
	}
}

// TestInfoDictAnacrolix checks the dict against anacrolix's metainfo:
// it decodes into metainfo.Info with the expected fields, re-encodes to the
// same bytes, and anacrolix's hashes equal IDs.
func TestInfoDictAnacrolix(t *testing.T) {
	for _, f := range interopFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			dict := InfoDict(f.raw)
			var info metainfo.Info
			if err := bencode.Unmarshal(dict, &info); err != nil {
				t.Fatal(err)
			}
			again, err := bencode.Marshal(&info) // a pointer: FileTree's marshaller has a pointer receiver
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, dict) {
				t.Fatalf("anacrolix round trip differs:\n got %q\nwant %q", again, dict)
			}
			n := int64(len(f.raw))
			p1, root := sha1.Sum(f.raw), sha256.Sum256(f.raw)
			if info.Name != "tx.json" || info.PieceLength != 16384 || info.Length != n || info.MetaVersion != 2 ||
				!bytes.Equal(info.Pieces, p1[:]) || !info.HasV1() || !info.HasV2() ||
				info.NumPieces() != 1 || info.TotalLength() != n {
				t.Errorf("decoded info = %+v", info)
			}
			ft, ok := info.FileTree.Dir["tx.json"]
			if !ok || len(info.FileTree.Dir) != 1 || ft.File.Length != n || ft.File.PiecesRoot != string(root[:]) {
				t.Errorf("file tree = %+v", info.FileTree)
			}
			// The same dict built from anacrolix's types (hybrid-torrents.md §1).
			built, err := bencode.Marshal(&metainfo.Info{
				Name: "tx.json", PieceLength: 16384, Length: n, Pieces: p1[:], MetaVersion: 2,
				FileTree: metainfo.FileTree{Dir: map[string]metainfo.FileTree{
					"tx.json": {File: metainfo.FileTreeFile{Length: n, PiecesRoot: string(root[:])}},
				}},
			})
			if err != nil || !bytes.Equal(built, dict) {
				t.Errorf("anacrolix builds %q, %v; want %q", built, err, dict)
			}
			ids := IDs(f.raw)
			if metainfo.HashBytes(dict) != ids.V1 {
				t.Errorf("v1: anacrolix %x, ttx %x", metainfo.HashBytes(dict), ids.V1)
			}
			if infohash_v2.HashBytes(dict) != infohash_v2.T(ids.ID) {
				t.Errorf("v2: anacrolix %x, ttx %s", infohash_v2.HashBytes(dict), ids.ID)
			}
			// The .torrent opens as a MetaInfo with the same info bytes.
			mi, err := metainfo.Load(bytes.NewReader(TorrentFile(f.raw)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mi.InfoBytes, dict) || mi.HashInfoBytes() != ids.V1 {
				t.Errorf("TorrentFile loads with info %q", mi.InfoBytes)
			}
		})
	}
}

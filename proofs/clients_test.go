package proofs

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/torrenttx/ttx/dag"
)

// These tests open a proof with real BitTorrent tools (Debian packages
// transmission-cli, aria2, python3-libtorrent) and skip when one is absent.
//
// Debian 12 ships transmission 3.00 and aria2 1.36, which predate BEP 52:
// transmission refuses any dict with an empty key, and aria2 drops such a
// key when it hashes the info dict. A hybrid torrent's file tree has one
// ("" names the file's entry), so both tools fail on every hybrid torrent,
// libtorrent's own included. The tests therefore check that a proof fares
// exactly as the plain hybrid .torrent of the same transaction does, and
// that a proof whose info dict is made v1-only opens with the right
// infohash: the extra "ttx ..." keys are ignored.

// proofFiles writes, for the fixture's tx b: its proof, the plain hybrid
// .torrent (dag.TorrentFile), and the proof with a v1-only info dict. It
// returns their paths and the v1 infohash of that v1-only dict.
func proofFiles(t *testing.T) (f *fixture, proof, plain, v1proof, v1hash string) {
	t.Helper()
	f = newFixture(t)
	dir := t.TempDir()
	b := f.export(t, f.b.ID)
	sum := sha1.Sum(f.b.Raw)
	v1info := bencode.MustMarshal(&metainfo.Info{Name: "tx.json", PieceLength: 16384, Length: int64(len(f.b.Raw)), Pieces: sum[:]})
	v1 := sha1.Sum(v1info)
	files := map[string][]byte{
		"proof.torrent":   b,
		"plain.torrent":   dag.TorrentFile(f.b.Raw),
		"v1proof.torrent": bytes.Replace(b, dag.InfoDict(f.b.Raw), v1info, 1),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f, filepath.Join(dir, "proof.torrent"), filepath.Join(dir, "plain.torrent"),
		filepath.Join(dir, "v1proof.torrent"), hex.EncodeToString(v1[:])
}

// run runs a tool with a time limit and returns its combined output and
// whether it exited 0.
func run(t *testing.T, name string, args ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err == nil
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
}

var (
	transmissionHash = regexp.MustCompile(`(?m)^\s*(?:Info )?Hash(?: v1)?: ([0-9a-f]{40})`)
	aria2Hash        = regexp.MustCompile(`(?m)^Info Hash: ([0-9a-f]{40})`)
)

func match(re *regexp.Regexp, out string) string {
	m := re.FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestTransmissionShow(t *testing.T) {
	needTool(t, "transmission-show")
	f, proof, plain, v1proof, v1hash := proofFiles(t)
	pOut, pOK := run(t, "transmission-show", proof)
	rOut, rOK := run(t, "transmission-show", plain)
	pOK = pOK && !strings.Contains(pOut, "Error parsing")
	rOK = rOK && !strings.Contains(rOut, "Error parsing")
	if pOK != rOK {
		t.Fatalf("proof opens: %v, plain torrent opens: %v; want the same\nproof:\n%s\nplain:\n%s", pOK, rOK, pOut, rOut)
	}
	if pOK {
		if got, want := match(transmissionHash, pOut), hex.EncodeToString(f.b.V1[:]); got != want {
			t.Errorf("infohash %q, want %s\n%s", got, want, pOut)
		}
	} else {
		t.Logf("this transmission-show cannot parse hybrid torrents at all (%s)", strings.TrimSpace(rOut))
	}
	out, ok := run(t, "transmission-show", v1proof)
	if !ok || match(transmissionHash, out) != v1hash {
		t.Errorf("v1-info proof: want hash %s\n%s", v1hash, out)
	}
}

func TestAria2ShowFiles(t *testing.T) {
	needTool(t, "aria2c")
	f, proof, plain, v1proof, v1hash := proofFiles(t)
	pOut, pOK := run(t, "aria2c", "--show-files", proof)
	rOut, rOK := run(t, "aria2c", "--show-files", plain)
	if !pOK || !rOK {
		t.Fatalf("aria2c failed\nproof:\n%s\nplain:\n%s", pOut, rOut)
	}
	size := len(f.b.Raw)
	if !strings.Contains(pOut, "tx.json") || !strings.Contains(pOut, "("+strconv.Itoa(size)+")") || !strings.Contains(pOut, "127.0.0.1:6881") {
		t.Errorf("proof's listing lacks tx.json of %d bytes or the DHT nodes\n%s", size, pOut)
	}
	got, ref := match(aria2Hash, pOut), match(aria2Hash, rOut)
	if got == "" || got != ref {
		t.Errorf("proof infohash %q, plain torrent %q: want equal", got, ref)
	}
	if want := hex.EncodeToString(f.b.V1[:]); got != want {
		t.Logf("this aria2c hashes hybrid info dicts wrongly: %s, not %s (it drops the file tree's empty key)", got, want)
	}
	out, ok := run(t, "aria2c", "--show-files", v1proof)
	if !ok || match(aria2Hash, out) != v1hash {
		t.Errorf("v1-info proof: want hash %s\n%s", v1hash, out)
	}
}

// TestLibtorrent opens the proof with libtorrent, which supports BEP 52:
// both infohashes must be the transaction's.
func TestLibtorrent(t *testing.T) {
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if _, ok := run(t, py, "-c", "import libtorrent"); !ok {
		t.Skip("python3-libtorrent not installed")
	}
	f, proof, _, _, _ := proofFiles(t)
	script := `import sys, libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
h = ti.info_hashes()
print(h.v1.to_bytes().hex(), h.v2.to_bytes().hex(), ti.name(), ti.total_size(), len(ti.nodes()))`
	out, ok := run(t, py, "-c", script, proof)
	if !ok {
		t.Fatalf("libtorrent failed:\n%s", out)
	}
	want := strings.Join([]string{hex.EncodeToString(f.b.V1[:]), f.b.ID.String(), "tx.json", strconv.Itoa(len(f.b.Raw)), strconv.Itoa(len(f.nodes))}, " ")
	if got := strings.TrimSpace(out); got != want {
		t.Errorf("libtorrent sees %q, want %q", got, want)
	}
}

package torrentx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// Interop with libtorrent (Debian's python3-libtorrent), a real BitTorrent
// client in its own process: it must get a transaction from a ttx node by
// magnet link, v2 and v1, and seed one that the node fetches.

// python is Debian's interpreter, which has the libtorrent module (the
// python3 first on PATH may not).
const python = "/usr/bin/python3"

// interopTimeout bounds every wait on libtorrent.
const interopTimeout = 30 * time.Second

func seconds(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) }

func needLibtorrent(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import libtorrent").Run(); err != nil {
		t.Skipf("libtorrent is not installed (apt-get install python3-libtorrent): %v", err)
	}
}

// ltPeer starts testdata/lt_peer.py; the process is killed when ctx ends.
func ltPeer(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, python, append([]string{filepath.Join("testdata", "lt_peer.py")}, args...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestInteropLibtorrentGets: libtorrent downloads a stored, unloaded
// transaction from a ttx node by v2 (btmh) and v1 (btih) magnet links and
// gets identical bytes.
func TestInteropLibtorrentGets(t *testing.T) {
	needLibtorrent(t)
	tn := newTestNet(t, 3)
	var r txRecv
	c := newTestClient(t, testConfig(tn.net, tn.store(t, 3), &r))
	cases := []struct {
		name   string
		tx     int
		magnet func(raw []byte) string
	}{
		{"v2 magnet", 1, func(raw []byte) string {
			return "magnet:?xt=urn:btmh:1220" + dag.IDs(raw).ID.String() + "&dn=tx.json"
		}},
		{"v1 magnet", 2, func(raw []byte) string {
			v1 := dag.IDs(raw).V1
			return "magnet:?xt=urn:btih:" + hex.EncodeToString(v1[:]) + "&dn=tx.json"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tn.txs[tc.tx].Raw
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), interopTimeout+5*time.Second)
			defer cancel()
			out, err := ltPeer(ctx, "get", tc.magnet(want), c.ListenAddr(), dir, seconds(interopTimeout)).Output()
			if err != nil || !strings.Contains(string(out), "done") {
				t.Fatalf("libtorrent get: %v, output %q", err, out)
			}
			got, err := os.ReadFile(filepath.Join(dir, "tx.json"))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("libtorrent got %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestInteropLibtorrentSeeds: the node fetches a transaction from a
// libtorrent seeder that was given the transaction's .torrent file, by ID
// and by info dict.
func TestInteropLibtorrentSeeds(t *testing.T) {
	needLibtorrent(t)
	tn := newTestNet(t, 1)
	raw := tn.txs[0].Raw
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tx.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	tf := filepath.Join(t.TempDir(), "tx.torrent")
	if err := os.WriteFile(tf, dag.TorrentFile(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*interopTimeout)
	defer cancel()
	cmd := ltPeer(ctx, "seed", tf, dir, seconds(2*interopTimeout))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "port ")
	if err != nil || !ok {
		t.Fatalf("libtorrent seed: %q, %v", line, err)
	}
	seeder := "127.0.0.1:" + port

	cases := []struct {
		name  string
		fetch func(ctx context.Context, c *Client) ([]byte, error)
	}{
		{"by id", func(ctx context.Context, c *Client) ([]byte, error) {
			return c.Fetch(ctx, tn.txs[0].ID, []string{seeder})
		}},
		{"by info dict", func(ctx context.Context, c *Client) ([]byte, error) {
			return c.FetchInfo(ctx, dag.InfoDict(raw), []string{seeder})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r txRecv
			c := newTestClient(t, testConfig(tn.net, tn.store(t, 0), &r))
			ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
			defer cancel()
			got, err := tc.fetch(ctx, c)
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("fetch from libtorrent = %q, %v; want %q", got, err, raw)
			}
			if rx := r.all(); len(rx) != 1 || rx[0].src != seeder {
				t.Errorf("OnTx calls %+v, want one from %s", rx, seeder)
			}
		})
	}
}

package node

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
)

// TestMagnetFromAPI: the magnet links the API shows (ttx tx and the web
// page show the same) carry the node's address, and libtorrent on its
// default settings downloads the transaction with the v2 link alone and
// gets identical bytes. With AdvertiseAddr set, that address is the hint.
func TestMagnetFromAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net, keys := testKeys(t, 2)
	a := testNode(t, net, keys[0], t.TempDir())
	defer a.Close(ctx)
	id, err := a.Send(ctx, keys[1].PubKey(), 2*dag.Unit, "magnet")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	tx, err := api.NewClient(a.APIURL(), a.Token()).Tx(ctx, id)
	if err != nil {
		t.Fatalf("GET tx: %v", err)
	}
	for _, m := range []string{tx.Magnet.V2, tx.Magnet.V1} {
		if !strings.Contains(m, "&x.pe="+a.ListenAddr()) {
			t.Errorf("magnet %q lacks the node's address %s", m, a.ListenAddr())
		}
	}

	b := openLoopback(t, Config{DataDir: t.TempDir(), Network: net, Wallet: keys[1], AdvertiseAddr: "198.51.100.7:6881"})
	defer b.Close(ctx)
	txb, err := api.NewClient(b.APIURL(), b.Token()).Tx(ctx, net.Genesis.ID)
	if err != nil || !strings.HasSuffix(txb.Magnet.V2, "&x.pe=198.51.100.7:6881") {
		t.Errorf("with AdvertiseAddr: magnet %v, %v", txb.Magnet, err)
	}

	script := filepath.Join("..", "..", "torrentx", "testdata", "lt_client.py")
	if err := exec.Command("/usr/bin/python3", "-c", "import libtorrent").Run(); err != nil {
		t.Skipf("libtorrent is not installed (apt-get install python3-libtorrent): %v", err)
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", script, tx.Magnet.V2, dir, "20")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "done") {
		t.Fatalf("libtorrent: %v, output %q", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "tx.json"))
	if err != nil || string(got) != tx.Raw {
		t.Fatalf("libtorrent got %q, %v; want %q", got, err, tx.Raw)
	}
}

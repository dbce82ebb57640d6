package torrentx

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// The client matrix: BitTorrent clients nobody here wrote, on their
// default settings, each in its own process on loopback, download a
// transaction from a running node by its magnet link alone and get
// identical bytes. docs/CLIENTS.md lists the clients and their limits.

// clientTimeout bounds each client's download.
const clientTimeout = 20 * time.Second

// matrixNode starts a node storing n transactions with the DHT and uTP
// on, its only DHT node the returned loopback bootstrap node (with its
// peer store); the returned socket counts the uTP conns it accepts.
func matrixNode(t *testing.T, tn *testNet, n int) (*Client, string, *peerStore, *countingUTP) {
	t.Helper()
	boot, bootStore, srv := newBootstrapDHT(t)
	var r txRecv
	cfg := testConfig(tn.net, tn.store(t, n), &r)
	cfg.NoDHT = false
	cfg.DHTBootstrap = []string{boot}
	socks, err := Listen(cfg.ListenAddr, true, true)
	if err != nil {
		t.Fatal(err)
	}
	utp := &countingUTP{utpSocket: socks.utp}
	socks.utp, cfg.Sockets = utp, socks
	c := newTestClient(t, cfg)
	// The bootstrap node hands out only nodes that answered it: a ping
	// makes the node one, so a client's routing table is not left empty
	// (libtorrent starts no lookup with an empty one).
	udp, err := net.ResolveUDPAddr("udp4", c.ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	if res := srv.Ping(udp); res.Err != nil {
		t.Fatalf("ping the node from the bootstrap node: %v", res.Err)
	}
	return c, boot, bootStore, utp
}

// runClient runs a client command, bounded by clientTimeout plus a margin,
// and returns the first line it printed; it fails the test unless that
// line starts with "done".
func runClient(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	line, _, _ := strings.Cut(string(out), "\n")
	if err != nil || !strings.HasPrefix(line, "done") {
		t.Fatalf("%s %s: %v, output %q", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return line
}

// checkFile fails the test unless dir/tx.json holds want.
func checkFile(t *testing.T, dir string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, "tx.json"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("client got %q, %v; want %q", got, err, want)
	}
}

// TestClientLibtorrentDefaults: libtorrent on its default settings (uTP
// and TCP, encryption enabled, DHT on) gets a stored transaction from the
// magnet links the node shows, v2 and v1, with no peer added by hand, and
// reaches the node by uTP, which it dials first. Without uTP on the
// node's UDP port libtorrent's uTP SYN goes unanswered and it falls back
// to TCP only after its uTP connect times out (about 4.6 s here).
func TestClientLibtorrentDefaults(t *testing.T) {
	needLibtorrent(t)
	tn := newTestNet(t, 2)
	c, boot, _, utp := matrixNode(t, tn, 2)
	for i, version := range []string{"v2", "v1"} {
		t.Run(version, func(t *testing.T) {
			raw := tn.txs[i].Raw
			v2, v1 := c.MagnetLinks(dag.IDs(raw))
			magnet := map[string]string{"v2": v2, "v1": v1}[version]
			dir := t.TempDir()
			before := utp.accepted.Load()
			start := time.Now()
			line := runClient(t, python, filepath.Join("testdata", "lt_client.py"), magnet, dir, seconds(clientTimeout), boot)
			checkFile(t, dir, raw)
			if utp.accepted.Load() == before {
				t.Errorf("libtorrent got the transaction without a uTP conn to the node")
			}
			t.Logf("libtorrent: %s in %v", line, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestClientLibtorrentDHT: a fresh libtorrent on its defaults, given only
// a magnet link without a peer hint and a loopback DHT bootstrap node,
// finds the node through the DHT, because showing the magnet (AnnounceDHT)
// announced the transaction.
func TestClientLibtorrentDHT(t *testing.T) {
	needLibtorrent(t)
	tn := newTestNet(t, 2)
	c, boot, bootStore, _ := matrixNode(t, tn, 2)
	for i, version := range []string{"v2", "v1"} {
		t.Run(version, func(t *testing.T) {
			raw := tn.txs[i].Raw
			ids := dag.IDs(raw)
			c.AnnounceDHT(ids.ID)
			ih := ids.ID.Short()
			if version == "v1" {
				ih = ids.V1
			}
			waitFor(t, clientTimeout, "the announce to reach the bootstrap node", func() bool {
				for _, p := range bootStore.GetPeers(ih) {
					if p.String() == c.ListenAddr() {
						return true
					}
				}
				return false
			})
			v2, v1 := MagnetLinks(ids, nil, nil)
			magnet := map[string]string{"v2": v2, "v1": v1}[version]
			dir := t.TempDir()
			start := time.Now()
			line := runClient(t, python, filepath.Join("testdata", "lt_client.py"), magnet, dir, seconds(clientTimeout), boot)
			checkFile(t, dir, raw)
			t.Logf("libtorrent by DHT alone: %s in %v", line, time.Since(start).Round(time.Millisecond))
		})
	}
}

// jsClients returns the node_modules directory holding torrent-stream
// ($TTX_NPM_DIR/node_modules, default ~/.cache/ttx-npm/node_modules, where
// .ci/run installs it), or skips the test.
func jsClients(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed (apt-get install nodejs npm)")
	}
	dir := os.Getenv("TTX_NPM_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skipf("no TTX_NPM_DIR and no home directory: %v", err)
		}
		dir = filepath.Join(home, ".cache", "ttx-npm")
	}
	mods := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "torrent-stream")); err != nil {
		t.Skipf("torrent-stream is not installed (npm install --prefix %s torrent-stream): %v", dir, err)
	}
	return mods
}

// TestClientTorrentStream: torrent-stream, a JavaScript client from the
// npm registry (v1 only, TCP), gets a stored transaction by its v1 magnet
// link.
func TestClientTorrentStream(t *testing.T) {
	mods := jsClients(t)
	tn := newTestNet(t, 1)
	c, _, _, _ := matrixNode(t, tn, 1)
	raw := tn.txs[0].Raw
	_, v1 := c.MagnetLinks(dag.IDs(raw))
	dir := t.TempDir()
	t.Setenv("NODE_PATH", mods)
	runClient(t, "node", filepath.Join("testdata", "js_client.js"), v1, c.ListenAddr(), dir, seconds(clientTimeout))
	checkFile(t, dir, raw)
}

// TestMagnetLinks: the links name both infohashes, and carry every peer
// hint (as it is) and tracker (escaped) in a form a magnet parser reads
// back.
func TestMagnetLinks(t *testing.T) {
	tn := newTestNet(t, 1)
	ids := dag.IDs(tn.txs[0].Raw)
	peers := []string{"203.0.113.7:6881", "[2001:db8::1]:6881"}
	trackers := []string{"http://tracker.example/announce?k=1&x=2"}
	v2, v1 := MagnetLinks(ids, peers, trackers)
	for _, tc := range []struct{ link, xt string }{
		{v2, "urn:btmh:1220" + ids.ID.String()},
		{v1, "urn:btih:" + hex.EncodeToString(ids.V1[:])},
	} {
		u, err := url.Parse(tc.link)
		if err != nil || u.Scheme != "magnet" {
			t.Fatalf("parse %q: %v", tc.link, err)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			t.Fatalf("query of %q: %v", tc.link, err)
		}
		if q.Get("xt") != tc.xt || q.Get("dn") != "tx.json" {
			t.Errorf("%q: xt %q dn %q, want %q tx.json", tc.link, q.Get("xt"), q.Get("dn"), tc.xt)
		}
		if got := q["x.pe"]; !slices.Equal(got, peers) {
			t.Errorf("%q: x.pe %q, want %q", tc.link, got, peers)
		}
		if got := q["tr"]; !slices.Equal(got, trackers) {
			t.Errorf("%q: tr %q, want %q", tc.link, got, trackers)
		}
	}
	if v2, _ := MagnetLinks(ids, nil, nil); strings.Contains(v2, "x.pe") || strings.Contains(v2, "tr=") {
		t.Errorf("bare link %q has hints", v2)
	}
}

// TestReachableAddr: a specific listen IP is advertised as it is; a
// wildcard one picks an interface address of its family, public before
// private before loopback, never link-local.
func TestReachableAddr(t *testing.T) {
	ifs := func(cidrs ...string) []net.Addr {
		var out []net.Addr
		for _, c := range cidrs {
			ip, n, err := net.ParseCIDR(c)
			if err != nil {
				t.Fatal(err)
			}
			n.IP = ip
			out = append(out, n)
		}
		return out
	}
	cases := []struct {
		listen string
		ifaddr []net.Addr
		want   string
	}{
		{"192.0.2.5:6881", ifs("10.0.0.2/8"), "192.0.2.5:6881"},
		{"0.0.0.0:6881", ifs("127.0.0.1/8", "169.254.1.1/16", "10.0.0.2/8", "2001:db8::2/64"), "10.0.0.2:6881"},
		{"0.0.0.0:6881", ifs("127.0.0.1/8", "10.0.0.2/8", "203.0.113.9/24"), "203.0.113.9:6881"},
		{"0.0.0.0:6881", ifs("127.0.0.1/8", "::1/128"), "127.0.0.1:6881"},
		{"[::]:6881", ifs("127.0.0.1/8", "fe80::1/64", "2001:db8::2/64"), "[2001:db8::2]:6881"},
		{"0.0.0.0:6881", ifs("fe80::1/64"), ""},
		{"0.0.0.0:6881", nil, ""},
	}
	for _, tc := range cases {
		if got := reachableAddr(netip.MustParseAddrPort(tc.listen), tc.ifaddr); got != tc.want {
			t.Errorf("reachableAddr(%s, %v) = %q, want %q", tc.listen, tc.ifaddr, got, tc.want)
		}
	}
}

// TestAdvertise: the configured address is the peer hint of the
// node's magnets; an address that is not ip:port is refused.
func TestAdvertise(t *testing.T) {
	tn := newTestNet(t, 1)
	var r txRecv
	cfg := testConfig(tn.net, tn.store(t, 1), &r)
	cfg.Advertise = "198.51.100.4:51413"
	c := newTestClient(t, cfg)
	if v2, _ := c.MagnetLinks(dag.IDs(tn.txs[0].Raw)); !strings.Contains(v2, "&x.pe=198.51.100.4:51413") {
		t.Errorf("magnet %q lacks the advertised address", v2)
	}
	for _, bad := range []string{"node.example:6881", "0.0.0.0:6881", "198.51.100.4", "198.51.100.4:0"} {
		cfg.Advertise = bad
		if c, err := New(cfg); err == nil {
			c.Close()
			t.Errorf("New with Advertise %q: no error", bad)
		}
	}
}

// TestDemandDue: a transaction is announced again only after
// reannounceAfter, and the memory of announces stays bounded.
func TestDemandDue(t *testing.T) {
	d := newDemand()
	now := time.Unix(1_700_000_000, 0)
	a, b := dag.TxID{1}, dag.TxID{2}
	if !d.due(a, now) || d.due(a, now.Add(reannounceAfter-time.Second)) {
		t.Fatal("a second announce within reannounceAfter was due")
	}
	if !d.due(a, now.Add(reannounceAfter)) {
		t.Error("no announce due after reannounceAfter")
	}
	for i := range demandRecent {
		d.due(dag.TxID{3, byte(i >> 8), byte(i)}, now)
	}
	if d.due(b, now) {
		t.Error("announce due with the memory full of fresh announces")
	}
	if !d.due(b, now.Add(reannounceAfter)) || len(d.last) > demandRecent {
		t.Errorf("after the old ones went stale: %d remembered, want a fresh announce due", len(d.last))
	}
}

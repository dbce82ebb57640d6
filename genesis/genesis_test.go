package genesis

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/wallet"
)

// update rewrites the generated testnet files. The faucet key itself is
// never regenerated: it was made once (wallet.NewKey, saved with
// wallet.Save as a plaintext file noting "TEST MONEY ONLY. This is the
// public faucet key of ttx-testnet") and is kept, so the
// network stays the same.
var update = flag.Bool("update", false, "regenerate testnet/tx.json and testnet/tx.torrent from testnet/faucet.key")

const faucetPath = "testnet/faucet.key"

// testnetGenesis builds the default genesis for the faucet key: the
// supply in TestnetFaucetOutputs equal outputs to it.
func testnetGenesis(t *testing.T, faucet dag.PubKey) []byte {
	t.Helper()
	alloc := make([]Alloc, TestnetFaucetOutputs)
	for i := range alloc {
		alloc[i] = Alloc{To: faucet, Amount: TestnetFaucetOutput}
	}
	raw, err := New(TestnetParams(), alloc, testnetTime)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestTestnetFiles checks that the committed testnet files are what the
// faucet key, the parameters and the fixed time give: regeneration is
// reproducible. With -update it writes them.
func TestTestnetFiles(t *testing.T) {
	key, err := wallet.Load(faucetPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := testnetGenesis(t, key.PubKey())
	files := map[string][]byte{
		"testnet/tx.json":    raw,
		"testnet/tx.torrent": dag.TorrentFile(raw),
	}
	for path, want := range files {
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the faucet key and parameters give; run go test ./genesis -run TestTestnetFiles -update", path)
		}
	}
	if *update {
		t.Logf("DefaultID = %q", dag.IDs(raw).ID)
	}
}

// TestDefault pins the default network, in the manner of btcd's
// chaincfg/genesis_test.go: its ID is recomputed from the embedded bytes.
func TestDefault(t *testing.T) {
	net := Default()
	if got := dag.IDs([]byte(testnetTx)).ID.String(); got != DefaultID {
		t.Fatalf("ID of the embedded tx.json = %s, DefaultID = %s", got, DefaultID)
	}
	if net.ID.String() != DefaultID {
		t.Errorf("Default().ID = %s, want %s", net.ID, DefaultID)
	}
	if Default() != net {
		t.Errorf("Default parsed the genesis twice")
	}
	want := TestnetParams()
	if net.Params != want {
		t.Errorf("Params = %+v, want %+v", net.Params, want)
	}
	if net.Supply() != TestnetSupply || TestnetSupply != 21_000_000*dag.Unit {
		t.Errorf("Supply = %s, TestnetSupply = %s, want 21000000", net.Supply(), TestnetSupply)
	}
	if got := net.Genesis.Tx.Time; got != testnetTime.Unix() {
		t.Errorf("genesis time %d, want %d", got, testnetTime.Unix())
	}
	if !bytes.Equal(DefaultTorrent(), dag.TorrentFile([]byte(testnetTx))) {
		t.Errorf("embedded tx.torrent is not dag.TorrentFile(tx.json)")
	}
	if err := net.CheckSanity(net.Genesis); err != nil {
		t.Errorf("CheckSanity(genesis): %v", err)
	}
}

func TestFaucetKey(t *testing.T) {
	net := Default()
	key, err := wallet.OpenPlaintext(FaucetKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Genesis.Out) != TestnetFaucetOutputs {
		t.Fatalf("the genesis has %d outputs, want %d", len(net.Genesis.Out), TestnetFaucetOutputs)
	}
	for i, o := range net.Genesis.Out {
		if o.Owner != key.PubKey() || o.Amount != TestnetFaucetOutput {
			t.Fatalf("genesis output %d pays %s to %s, want %s to the faucet key %s",
				i, o.Amount, net.Address(o.Owner), TestnetFaucetOutput, key.Address(net))
		}
	}
	kf, err := wallet.ParseKeyFile([]byte(faucetKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if kf.Encrypted() || !strings.HasPrefix(kf.Note(), "TEST MONEY ONLY") || kf.Address() != key.Address(net) {
		t.Errorf("faucet key file: encrypted %v, note %q, address %s", kf.Encrypted(), kf.Note(), kf.Address())
	}
	if !strings.HasPrefix(key.Address(net), TestnetPrefix+"1") {
		t.Errorf("faucet address %s, want prefix %s1", key.Address(net), TestnetPrefix)
	}
}

// TestFaucetCanSend spends the first and the last genesis output with the
// faucet key: the default network works end to end for a newcomer.
func TestFaucetCanSend(t *testing.T) {
	net := Default()
	key, err := wallet.OpenPlaintext(FaucetKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	to, err := wallet.KeyFromSeed(make([]byte, wallet.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	for _, index := range []uint32{0, TestnetFaucetOutputs - 1} {
		coins := []wallet.Coin{{OutPoint: dag.OutPoint{TxID: net.ID, Index: index}, Amount: TestnetFaucetOutput}}
		raw, spent, err := wallet.BuildSend(t.Context(), net, key, coins, to.PubKey(), 100*dag.Unit, "welcome", time.Unix(1_800_000_000, 0))
		if err != nil {
			t.Fatalf("BuildSend: %v", err)
		}
		p, err := dag.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.CheckSanity(p); err != nil {
			t.Fatalf("CheckSanity: %v", err)
		}
		if len(spent) != 1 || spent[0] != coins[0].OutPoint || p.Out[1].Amount != TestnetFaucetOutput-100*dag.Unit {
			t.Errorf("spent %v, outputs %+v", spent, p.Out)
		}
	}
}

func TestNew(t *testing.T) {
	pk := func(b byte) dag.PubKey { return dag.PubKey{b} }
	when := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		p       dag.Params
		alloc   []Alloc
		t       time.Time
		wantErr string
	}{
		{"one output", DefaultParams("devnet", "dev"), []Alloc{{pk(1), 5 * dag.Unit}}, when, ""},
		{"several outputs", DefaultParams("devnet", "dev"), []Alloc{{pk(1), 1}, {pk(2), 2}, {pk(1), 3}}, when, ""},
		{"burn and work", dag.Params{Name: "x", Prefix: "x", BurnPerByte: 10, PowBits: 12, MaxPrev: 1, MaxOut: 1, MaxMemo: 0}, []Alloc{{pk(1), 1}}, when, ""},
		{"whole uint64", DefaultParams("big", "big"), []Alloc{{pk(1), dag.MaxAmount}}, when, ""},
		{"no alloc", DefaultParams("devnet", "dev"), nil, when, "no allocations"},
		{"zero amount", DefaultParams("devnet", "dev"), []Alloc{{pk(1), 0}}, when, "zero"},
		{"overflow", DefaultParams("devnet", "dev"), []Alloc{{pk(1), dag.MaxAmount}, {pk(2), 1}}, when, "overflow"},
		{"bad prefix", DefaultParams("devnet", "Dev"), []Alloc{{pk(1), 1}}, when, "prefix"},
		{"empty name", DefaultParams("", "dev"), []Alloc{{pk(1), 1}}, when, "name"},
		{"no limits", dag.Params{Name: "x", Prefix: "x"}, []Alloc{{pk(1), 1}}, when, "limits"},
		{"time zero", DefaultParams("devnet", "dev"), []Alloc{{pk(1), 1}}, time.Unix(0, 0), "time"},
		{"too large", DefaultParams("devnet", "dev"), make([]Alloc, 300), when, "limit 16384"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := New(tc.p, tc.alloc, tc.t)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || raw != nil {
					t.Fatalf("New = %s, %v; want an error about %q", raw, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			net, err := dag.NewNetwork(raw)
			if err != nil {
				t.Fatal(err)
			}
			if net.Params != tc.p || net.Genesis.Tx.Time != tc.t.Unix() || net.Genesis.Tx.Burn != 0 {
				t.Errorf("network %+v at %d, want %+v at %d", net.Params, net.Genesis.Tx.Time, tc.p, tc.t.Unix())
			}
			for i, a := range tc.alloc {
				if o := net.Genesis.Out[i]; o.Owner != a.To || o.Amount != a.Amount {
					t.Errorf("output %d = %+v, want %+v", i, o, a)
				}
			}
			again, _ := New(tc.p, tc.alloc, tc.t)
			if !bytes.Equal(raw, again) {
				t.Errorf("New is not deterministic")
			}
		})
	}
}

func TestNewNetworkAndLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "devnet")
	p := DefaultParams("devnet", "dev")
	alloc := []Alloc{{To: dag.PubKey{7}, Amount: 1000 * dag.Unit}}
	when := time.Unix(1_800_000_000, 0)
	net, err := NewNetwork(dir, p, alloc, when)
	if err != nil {
		t.Fatalf("NewNetwork: %v", err)
	}
	raw, _ := New(p, alloc, when)
	if net.ID != dag.IDs(raw).ID {
		t.Errorf("network ID %s, want %s", net.ID, dag.IDs(raw).ID)
	}
	for name, want := range map[string][]byte{TxFile: raw, TorrentFile: dag.TorrentFile(raw)} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	loaded, err := Load(filepath.Join(dir, TxFile))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if loaded.ID != net.ID || loaded.Params != p {
		t.Errorf("Load gave %s %+v, want %s %+v", loaded.ID, loaded.Params, net.ID, p)
	}
	_, err = NewNetwork(dir, DefaultParams("other", "dev"), alloc, when)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second NewNetwork: err = %v, want ErrExists", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, TxFile)); !bytes.Equal(got, raw) {
		t.Errorf("existing tx.json was changed")
	}
}

func TestNewNetworkLeavesNothing(t *testing.T) {
	tests := []struct {
		name  string
		setup func(dir string) error
		want  error
	}{
		{"torrent exists", func(dir string) error { return os.WriteFile(filepath.Join(dir, TorrentFile), nil, 0o644) }, ErrExists},
		{"torrent is a dir", func(dir string) error { return os.Mkdir(filepath.Join(dir, TorrentFile), 0o755) }, ErrExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			_, err := NewNetwork(dir, DefaultParams("devnet", "dev"), []Alloc{{To: dag.PubKey{1}, Amount: 1}}, time.Unix(1_800_000_000, 0))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, TxFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("tx.json was left behind")
			}
		})
	}
	if _, err := NewNetwork(t.TempDir(), DefaultParams("devnet", "dev"), nil, time.Unix(1_800_000_000, 0)); err == nil {
		t.Errorf("NewNetwork with no allocation succeeded")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, err := wallet.OpenPlaintext(FaucetKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	// A signed transaction is not a genesis.
	coins := []wallet.Coin{{OutPoint: dag.OutPoint{TxID: Default().ID}, Amount: TestnetFaucetOutput}}
	notGenesis, _, err := wallet.BuildSend(t.Context(), Default(), key, coins, dag.PubKey{1}, 1, "", time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "no such file"},
		{"empty", write("empty.json", nil), "empty"},
		{"trailing newline", write("nl.json", []byte(testnetTx+"\n")), "line break"},
		{"too large", write("big.json", bytes.Repeat([]byte("x"), dag.MaxTxSize+1)), "larger than"},
		{"not json", write("bad.json", []byte("hello")), "bad tx.json"},
		{"not canonical", write("spaces.json", []byte(strings.Replace(testnetTx, `"v":1,`, `"v": 1,`, 1))), "not canonical"},
		{"not a genesis", write("tx.json", notGenesis), "no genesis parameters"},
		{"torrent file", write("tx.torrent", []byte(testnetTorrent)), "printable ASCII"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := Load(tc.path)
			if err == nil || net != nil {
				t.Fatalf("Load = %v, %v; want an error", net, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

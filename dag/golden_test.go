package dag

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenParams are the parameters of the golden network: every field is
// set to a value other than its zero, and pow_bits makes Sign grind a nonce.
var goldenParams = Params{
	Name: "ttx-golden", Prefix: "ttx", BurnPerByte: 1, PowBits: 8,
	MaxPrev: 8, MaxOut: 8, MaxMemo: 64,
}

const goldenSupply = 21_000_000 * Unit

// goldenTx returns the unsigned golden transaction: it spends the genesis
// output of key 1, pays 12.5 TTX to key 2 and returns the change.
func goldenTx(n *Network) *Tx {
	const burn = 1000
	pay := 1_250_000_000 * Amount(1) // 12.5 TTX
	return &Tx{
		Version: TxVersion,
		Prev:    []string{OutPoint{TxID: n.ID}.String()},
		Out: []Output{
			{To: n.Address(codecPub(codecKey(2))), Amount: pay},
			{To: n.Address(codecPub(codecKey(1))), Amount: goldenSupply - pay - burn},
		},
		Burn: burn,
		Memo: `golden "vector" \ <12.5 TTX>`,
		Time: 1767225601,
	}
}

// checkGolden compares got with testdata/golden/name, or rewrites the file
// under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -run TestGolden -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the code's output:\n got %q\nwant %q", name, got, want)
	}
}

func hexLine(b []byte) []byte { return []byte(hex.EncodeToString(b) + "\n") }

// TestGolden pins the byte forms the protocol depends on: the canonical
// encoding, the signing bytes, the info dict and both infohashes.
func TestGolden(t *testing.T) {
	genesis, err := Encode(codecGenesis(goldenParams, codecPub(codecKey(1)), goldenSupply))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "genesis.json", genesis)
	n, err := NewNetwork(genesis)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "genesis.id", []byte(n.ID.String()+"\n"))
	if n.Supply() != goldenSupply {
		t.Errorf("Supply = %d, want %d", n.Supply(), goldenSupply)
	}

	tx := goldenTx(n)
	raw, err := n.Sign(context.Background(), tx, codecKey(1))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "tx.json", raw)
	sb, err := SigningBytes(n.ID, tx)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "tx.sigbytes.hex", hexLine(sb))
	checkGolden(t, "tx.info", InfoDict(raw))
	ids := IDs(raw)
	checkGolden(t, "tx.id", []byte(ids.ID.String()+"\n"))
	checkGolden(t, "tx.v1", hexLine(ids.V1[:]))
	checkGolden(t, "tx.torrent", TorrentFile(raw))

	p, err := Decode(raw)
	if err != nil {
		t.Fatalf("Decode golden tx: %v", err)
	}
	if err := n.CheckSanity(p); err != nil {
		t.Fatalf("CheckSanity golden tx: %v", err)
	}
	if got := n.parsedSigningBytes(p); !bytes.Equal(got, sb) {
		t.Errorf("signing bytes from the raw tx differ from SigningBytes:\n got %q\nwant %q", got, sb)
	}
	if w := workBits(sb); w < int(goldenParams.PowBits) {
		t.Errorf("golden tx has %d bits of work, want >= %d", w, goldenParams.PowBits)
	}
	if !bytes.HasPrefix(sb, append([]byte(sigDomain), n.ID[:]...)) {
		t.Errorf("signing bytes do not start with the domain tag and network ID")
	}
}

// TestGoldenFiles checks the stored files against each other, independently
// of how the code builds them: a reimplementation in another language can
// use this as its test.
func TestGoldenFiles(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	n, err := NewNetwork(read("genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n.ID.String()+"\n", string(read("genesis.id")); got != want {
		t.Errorf("genesis ID %q, file says %q", got, want)
	}
	raw := read("tx.json")
	p, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.CheckSanity(p); err != nil {
		t.Fatal(err)
	}
	want, err := hex.DecodeString(strings.TrimSpace(string(read("tx.sigbytes.hex"))))
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(p.From[:], want, p.Sig) {
		t.Error("the signature does not verify over tx.sigbytes.hex")
	}
	if got := p.ID.String() + "\n"; got != string(read("tx.id")) {
		t.Errorf("tx ID %q, file says %q", got, read("tx.id"))
	}
	if got := hex.EncodeToString(p.V1[:]) + "\n"; got != string(read("tx.v1")) {
		t.Errorf("v1 infohash %q, file says %q", got, read("tx.v1"))
	}
	if err := CheckID(raw, p.ID); err != nil {
		t.Error(err)
	}
	info := read("tx.info")
	if IDs(raw) != p.TxIDs || !bytes.Equal(InfoDict(raw), info) {
		t.Error("tx.info is not the info dict of tx.json")
	}
	if !bytes.Equal(read("tx.torrent"), []byte("d4:info"+string(info)+"e")) {
		t.Error("tx.torrent is not d4:info<tx.info>e")
	}
}

package proofs

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

func TestExportVerify(t *testing.T) {
	f := newFixture(t)
	g := f.net.Genesis
	tests := []struct {
		name         string
		proven       *dag.Parsed
		wantRaws     [][]byte
		wantState    dag.State
		wantAnc      int
		wantEvidence []dag.TxID
		wantPaid     []Payment
	}{
		{
			name:      "plain payment",
			proven:    f.b,
			wantRaws:  raws(g, f.a, f.b),
			wantState: dag.StateAccepted,
			wantAnc:   2,
			wantPaid: []Payment{
				{Address: f.net.Address(dagtest.PubKey(f.keys[2])), Amount: 4 * dag.Unit},
				{Address: f.net.Address(dagtest.PubKey(f.keys[1])), Amount: 6 * dag.Unit, Change: true},
			},
		},
		{
			name:         "winner of a double spend",
			proven:       f.d,
			wantRaws:     raws(g, f.a, f.d, f.d2),
			wantState:    dag.StateConflicted,
			wantAnc:      2,
			wantEvidence: []dag.TxID{f.d2.ID},
		},
		{
			name:         "child of the winner",
			proven:       f.c,
			wantRaws:     raws(g, f.a, f.d, f.d2, f.c),
			wantState:    dag.StateAccepted,
			wantAnc:      3,
			wantEvidence: []dag.TxID{f.d2.ID},
		},
		{
			name:      "genesis",
			proven:    g,
			wantRaws:  raws(g),
			wantState: dag.StateFinal,
			wantAnc:   0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := f.export(t, tc.proven.ID)
			p, err := Verify(b, f.net)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.ID != tc.proven.ID || p.Network != f.net.ID || !bytes.Equal(p.Tx.Raw, tc.proven.Raw) {
				t.Errorf("proof of %s on %s, want %s on %s", p.ID, p.Network, tc.proven.ID, f.net.ID)
			}
			if p.State != tc.wantState || p.Ancestors != tc.wantAnc {
				t.Errorf("state %v, ancestors %d; want %v, %d", p.State, p.Ancestors, tc.wantState, tc.wantAnc)
			}
			if !slices.Equal(p.Evidence, tc.wantEvidence) {
				t.Errorf("evidence %v, want %v", p.Evidence, tc.wantEvidence)
			}
			if tc.wantPaid != nil && !slices.Equal(p.Paid, tc.wantPaid) {
				t.Errorf("paid %+v, want %+v", p.Paid, tc.wantPaid)
			}
			if !slices.EqualFunc(p.Raws(), tc.wantRaws, bytes.Equal) {
				t.Errorf("raws differ from the expected order")
			}
			if !slices.Equal(p.Nodes, f.nodes) {
				t.Errorf("nodes %v, want %v", p.Nodes, f.nodes)
			}
			again := f.export(t, tc.proven.ID)
			if !bytes.Equal(again, b) {
				t.Error("a second export differs: proofs must be reproducible")
			}
			rs, ip, err := Import(b, f.net)
			if err != nil || ip.ID != p.ID || !slices.EqualFunc(rs, tc.wantRaws, bytes.Equal) {
				t.Errorf("Import: %v", err)
			}
		})
	}
}

// TestImportIntoEmptyLedger adds an imported proof's transactions to a fresh
// ledger, as a node with no peers does: the proven tx ends accepted there.
func TestImportIntoEmptyLedger(t *testing.T) {
	f := newFixture(t)
	rs, p, err := Import(f.export(t, f.c.ID), f.net)
	if err != nil {
		t.Fatal(err)
	}
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: f.net})
	res, err := g.AddBatch(context.Background(), rs, "proof")
	if err != nil {
		t.Fatal(err)
	}
	if last := res[len(res)-1]; last.ID != p.ID || !last.State.Accepted() {
		t.Errorf("proven tx ends %v (%v)", last.State, last.Err)
	}
}

func TestExportErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		id    dag.TxID
		nodes []string
		want  error
	}{
		{"rejected tx", f.d2.ID, nil, ErrNotAccepted},
		{"unknown tx", dag.TxID{1}, nil, dag.ErrNotFound},
		{"bad node", f.b.ID, []string{"no-port"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.store.View(func(r dag.ReadTx) error {
				_, err := Export(f.net, r, tc.id, tc.nodes)
				return err
			})
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("nodes are capped", func(t *testing.T) {
		f.nodes = slices.Repeat([]string{"127.0.0.1:1"}, MaxNodes+5)
		p, err := Verify(f.export(t, f.b.ID), f.net)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Nodes) != MaxNodes {
			t.Errorf("%d nodes, want %d", len(p.Nodes), MaxNodes)
		}
	})
}

func TestVerifyRejects(t *testing.T) {
	f := newFixture(t)
	g := f.net.Genesis
	other, okeys := otherNetwork(t)
	oa := dagtest.Spend(t, other, okeys[0], []dag.OutPoint{dagtest.GenesisOut(other, 0)}, dagtest.Out(other, okeys[1], dag.Unit))
	badSig := bytes.Clone(f.b.Raw)
	i := bytes.Index(badSig, []byte(`"sig":"`)) + len(`"sig":"`)
	badSig[i] ^= 1 // still lowercase hex: '0'<->'1', 'a'<->'`'...
	if badSig[i] == '`' {
		badSig[i] = 'b'
	}
	good := f.export(t, f.b.ID)
	tests := []struct {
		name    string
		proof   []byte
		want    error
		wantMsg string
	}{
		{"other network's proof", build(t, other, oa.Raw, raws(other.Genesis, oa), nil), ErrWrongNetwork, "another network"},
		{"other network's genesis", build(t, f.net, other.Genesis.Raw, raws(other.Genesis), nil), ErrNotAccepted, "not this network's"},
		{"missing parent", build(t, f.net, f.b.Raw, raws(g, f.b), nil), ErrIncomplete, "does not hold before it"},
		{"missing genesis", build(t, f.net, f.b.Raw, raws(f.a, f.b), nil), ErrIncomplete, "genesis"},
		{"child before parent", build(t, f.net, f.b.Raw, raws(g, f.b, f.a), nil), ErrIncomplete, "before it"},
		{"unrelated tx", build(t, f.net, f.b.Raw, raws(g, f.a, f.u, f.b), nil), ErrUnrelated, f.u.ID.String()},
		{"duplicate tx", build(t, f.net, f.b.Raw, raws(g, f.a, f.a, f.b), nil), ErrMalformed, "twice"},
		{"info of a tx not in the proof", build(t, f.net, f.c.Raw, raws(g, f.a, f.b), nil), ErrMalformed, "info dict"},
		{"bad signature", build(t, f.net, badSig, [][]byte{g.Raw, f.a.Raw, badSig}, nil), ErrNotAccepted, "signature does not verify"},
		{"proven tx lost a double spend", build(t, f.net, f.d2.Raw, raws(g, f.a, f.d, f.d2), nil), ErrNotAccepted, "rejected"},
		{"double spend unrelated to the proven tx", build(t, f.net, f.b.Raw, raws(g, f.a, f.d, f.d2, f.b), nil), ErrUnrelated, ""},
		{"version 3", build(t, f.net, f.b.Raw, raws(g, f.a, f.b), func(f *file) { f.Version = 3 }), ErrMalformed, "version"},
		{"no txs", build(t, f.net, f.b.Raw, nil, nil), ErrMalformed, "missing"},
		{"too many nodes", build(t, f.net, f.b.Raw, raws(g, f.a, f.b), func(f *file) {
			f.Nodes = slices.Repeat([]node{{"127.0.0.1", 1}}, MaxNodes+1)
		}), ErrTooLarge, "nodes"},
		{"bad checksum", badChecksum(t, good), ErrMalformed, "checksum"},
		{"trailing bytes", append(bytes.Clone(good), 'x'), ErrMalformed, "after the proof"},
		{"truncated", good[:len(good)-1], ErrMalformed, ""},
		{"empty", nil, ErrMalformed, ""},
		{"not a dict", []byte("le"), ErrMalformed, "dict"},
		{"deep nesting", []byte("d1:x" + strings.Repeat("l", 100000) + strings.Repeat("e", 100000) + "e"), ErrMalformed, "nesting"},
		{"huge string length", []byte("d4:info99999999:e"), ErrMalformed, "length"},
		{"too large", make([]byte, MaxSize+1), ErrTooLarge, ""},
		{"extra key", withExtraKey(t, good), ErrMalformed, "canonical"},
		{"unsorted keys", unsorted(t, good), ErrMalformed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Verify(tc.proof, f.net)
			if err == nil {
				t.Fatalf("Verify accepted it: proof of %s", p.ID)
			}
			var pe *ProofError
			if !errors.As(err, &pe) || pe.Op != "verify proof" {
				t.Errorf("err %T is not a *ProofError", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err %q does not mention %q", err, tc.wantMsg)
			}
		})
	}
}

// otherNetwork is a second network, with the same keys and address prefix
// as dagtest's, so only the network ID tells them apart.
func otherNetwork(t *testing.T) (*dag.Network, []ed25519.PrivateKey) {
	t.Helper()
	_, keys := dagtest.NewNetwork(t, 2)
	params := dag.Params{Name: "other", Prefix: dagtest.Prefix, MaxPrev: 16, MaxOut: 16, MaxMemo: 64}
	gen := &dag.Tx{Version: dag.TxVersion, Genesis: &params, Time: dagtest.Time}
	for _, k := range keys {
		gen.Out = append(gen.Out, dagtest.Out(&dag.Network{Params: params}, k, dagtest.Funds))
	}
	raw, err := dag.Encode(gen)
	if err != nil {
		t.Fatal(err)
	}
	n, err := dag.NewNetwork(raw)
	if err != nil {
		t.Fatal(err)
	}
	return n, keys
}

// badChecksum returns b with the first checksum byte changed.
func badChecksum(t *testing.T, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte("12:ttx checksum32:"))
	if i < 0 {
		t.Fatal("no checksum key")
	}
	m := bytes.Clone(b)
	m[i+len("12:ttx checksum32:")]++
	return m
}

// withExtraKey returns b with a "zz" key added before the final 'e'.
func withExtraKey(t *testing.T, b []byte) []byte {
	t.Helper()
	return append(append(bytes.Clone(b[:len(b)-1]), "2:zzi1e"...), 'e')
}

// unsorted re-encodes b with its "ttx version" key moved to the front.
func unsorted(t *testing.T, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte("11:ttx versioni2e"))
	if i < 0 {
		t.Fatal("no version key")
	}
	out := []byte("d11:ttx versioni2e")
	out = append(out, b[1:i]...)
	return append(out, b[i+len("11:ttx versioni2e"):]...)
}

// TestEveryByteMatters flips every byte of a small proof, one at a time,
// and checks that Verify refuses each result; then it tries random values
// at random positions.
func TestEveryByteMatters(t *testing.T) {
	f := newFixture(t)
	b := f.export(t, f.b.ID)
	if _, err := Verify(b, f.net); err != nil {
		t.Fatal(err)
	}
	try := func(i int, v byte) {
		m := bytes.Clone(b)
		m[i] = v
		if p, err := Verify(m, f.net); err == nil {
			t.Errorf("byte %d set to %q (was %q): Verify accepted it (proof of %s)", i, v, b[i], p.ID)
		}
	}
	for i := range b {
		try(i, b[i]^0x01)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2000
	if testing.Short() {
		n = 200
	}
	for range n {
		i := rng.IntN(len(b))
		v := byte(rng.UintN(256))
		if v != b[i] {
			try(i, v)
		}
	}
}

func TestFileFormat(t *testing.T) {
	f := newFixture(t)
	b := f.export(t, f.b.ID)
	mi, err := metainfo.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("metainfo.Load: %v", err)
	}
	if !bytes.Equal(mi.InfoBytes, dag.InfoDict(f.b.Raw)) {
		t.Error("info dict differs from dag.InfoDict")
	}
	if len(mi.Nodes) != len(f.nodes) || string(mi.Nodes[0]) != f.nodes[0] {
		t.Errorf("nodes %v, want %v", mi.Nodes, f.nodes)
	}
	if mi.CreationDate != 0 || mi.Announce != "" {
		t.Errorf("creation date %d, announce %q: want none", mi.CreationDate, mi.Announce)
	}
	var top map[string]bencode.Bytes
	if err := bencode.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"info", "nodes", "ttx certs", "ttx checksum", "ttx network", "ttx txs", "ttx version"}
	if !slices.Equal(keys, want) {
		t.Errorf("top-level keys %v, want %v", keys, want)
	}
	if got := string(top["nodes"]); !strings.HasPrefix(got, "ll9:127.0.0.1i6881eel3:::1i6882e") {
		t.Errorf("nodes not BEP 5 [host, port] pairs: %s", got)
	}
}

func TestFiles(t *testing.T) {
	f := newFixture(t)
	b := f.export(t, f.b.ID)
	dir := t.TempDir()
	path := filepath.Join(dir, f.b.ID.String()+".torrent")
	if err := WriteFile(path, b); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, b)
	var pe *ProofError
	if !errors.Is(err, fs.ErrExist) || !errors.As(err, &pe) || pe.Path != path || pe.Op != "write proof" {
		t.Errorf("second write: %v, want a *ProofError wrapping fs.ErrExist", err)
	}
	p, err := VerifyFile(path, f.net, nil)
	if err != nil || p.ID != f.b.ID {
		t.Fatalf("VerifyFile: %v", err)
	}
	tampered := filepath.Join(dir, "tampered.torrent")
	m := bytes.Clone(b)
	m[len(m)/2] ^= 0x20
	if err := os.WriteFile(tampered, m, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(tampered, f.net, nil); !errors.As(err, &pe) || pe.Path != tampered || !strings.Contains(err.Error(), "tampered.torrent") {
		t.Errorf("tampered: %v, want a *ProofError naming the file", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "read proof" {
		t.Errorf("missing: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: %v, want ErrTooLarge", err)
	}
}

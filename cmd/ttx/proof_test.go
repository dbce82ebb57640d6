package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
	"github.com/torrenttx/ttx/vote/votetest"
)

// proofVoters is how many node keys (votetest.Keys) vote for the payment
// of proofNet: K = 5, Alpha = 4.
const proofVoters = 5

// proofNet makes a network with ttx genesis new, pays from its supply key
// to a fresh key, makes the payment final with a certificate of
// proofVoters votes if final is set, and writes the payment's proof. It
// returns the genesis path, the proof path, the payment and the
// recipient's address.
func proofNet(t *testing.T, final bool) (genesisPath, proofPath string, pay *dag.Parsed, to string) {
	t.Helper()
	dir := t.TempDir()
	if _, _, err := runCmd(t, "genesis", "new", "--name", "pnet", "--prefix", "pn", "--supply", "100", "--plaintext", "--dir", dir); err != nil {
		t.Fatal(err)
	}
	genesisPath = filepath.Join(dir, "tx.json")
	net, err := loadNetwork(genesisPath)
	if err != nil {
		t.Fatal(err)
	}
	supply, err := wallet.Load(filepath.Join(dir, supplyKeyFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := wallet.NewKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	to = bob.Address(net)
	pay = dagtest.Spend(t, net, supply.PrivateKey(), []dag.OutPoint{{TxID: net.ID}},
		dag.Output{To: to, Amount: 7 * dag.Unit}, dag.Output{To: supply.Address(net), Amount: 93 * dag.Unit})
	st := dag.NewMemStore()
	t.Cleanup(func() { st.Close() })
	g := dagtest.NewGraph(t, dag.GraphConfig{Network: net, Store: st})
	if res, err := g.Add(t.Context(), pay.Raw, ""); err != nil || res.State != dag.StateAccepted {
		t.Fatalf("add: %v %v", res.State, err)
	}
	if final {
		cert := votetest.Encode(t, votetest.Certificate(t, net.ID, votetest.Keys(proofVoters), pay, pay.ID, proofVoters))
		if err := g.Finalize(t.Context(), []dag.Decision{{ID: pay.ID, Cert: cert}}); err != nil {
			t.Fatal(err)
		}
	}
	var b []byte
	if err := st.View(func(r dag.ReadTx) error {
		b, err = proofs.Export(net, r, pay.ID, []string{"127.0.0.1:6881"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	proofPath = filepath.Join(dir, pay.ID.String()+".torrent")
	if err := os.WriteFile(proofPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return genesisPath, proofPath, pay, to
}

func TestProofVerify(t *testing.T) {
	isolate(t)
	gen, good, pay, to := proofNet(t, true)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(t.TempDir(), "tampered.torrent")
	m := bytes.Clone(b)
	i := bytes.Index(m, []byte(`"amount":700000000`))
	m[i+len(`"amount":`)] = '8' // pay 8 instead of 7
	if err := os.WriteFile(tampered, m, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("valid", func(t *testing.T) {
		out, _, err := runCmd(t, "proof", "verify", "--genesis", gen, good)
		if err != nil {
			t.Fatalf("err %v, want exit 0", err)
		}
		for _, want := range []string{"Valid proof of", pay.ID.String(), "pnet", "accepted", "7 TTX to " + to, "(change to the sender)", "Ancestors", "1, back to the genesis",
			"\nfinal: 5 signed votes from 5 distinct node keys\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("valid json", func(t *testing.T) {
		out, _, err := runCmd(t, "proof", "verify", "--json", "--genesis", gen, good)
		if err != nil {
			t.Fatal(err)
		}
		var r verifyResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !r.Valid || *r.ID != pay.ID || r.Paid[0].Amount != "7" || r.Paid[0].Units != 700000000 || r.Ancestors != 1 ||
			!r.Final || r.NotFinal != "" || r.Votes != proofVoters || r.Keys != proofVoters {
			t.Errorf("result %+v", r)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		out, stderr, err := runCmd(t, "proof", "verify", "--genesis", gen, tampered)
		if err == nil {
			t.Fatalf("tampered proof verified:\n%s", out)
		}
		if !strings.Contains(stderr, "Error: verify proof "+tampered) {
			t.Errorf("stderr %q does not give the reason", stderr)
		}
	})
	t.Run("tampered json", func(t *testing.T) {
		out, _, err := runCmd(t, "proof", "verify", "--json", "--genesis", gen, tampered)
		var r verifyResult
		if err == nil || json.Unmarshal([]byte(out), &r) != nil || r.Valid || r.Error == "" {
			t.Errorf("err %v, output %s", err, out)
		}
	})
	t.Run("wrong network", func(t *testing.T) {
		_, stderr, err := runCmd(t, "proof", "verify", good)
		if err == nil || !strings.Contains(stderr, "another network") || !strings.Contains(stderr, "Try: pass --genesis") {
			t.Errorf("err %v, stderr %q", err, stderr)
		}
	})
	t.Run("trusted keys", func(t *testing.T) {
		var hexKeys []string
		for _, k := range votetest.Keys(proofVoters) {
			hexKeys = append(hexKeys, hex.EncodeToString(k.Public().(ed25519.PublicKey)))
		}
		file := filepath.Join(t.TempDir(), "trusted.txt")
		if err := os.WriteFile(file, []byte(strings.Join(hexKeys[:3], "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, keys string
			wantCode   int
			wantOut    string
		}{
			{"four of five", strings.Join(hexKeys[1:], ","), 0, "final: 4 signed votes from 4 distinct node keys"},
			{"three from a file", "@" + file, 2, "not final: its certificate counts 3 of the 4 votes needed"},
			{"a stranger", strings.Repeat("ab", 32), 2, "not final: its certificate counts 0 of the 4"},
			{"not hex", strings.Repeat("zz", 32), 1, ""},
			{"short key", "abcd", 1, ""},
			{"no key", ",", 1, ""},
			{"missing file", "@" + filepath.Join(t.TempDir(), "none"), 1, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, stderr, err := runCmd(t, "proof", "verify", "--trusted-keys", tc.keys, "--genesis", gen, good)
				if code := exitCode(err); code != tc.wantCode {
					t.Fatalf("exit %d (%v), want %d\n%s%s", code, err, tc.wantCode, out, stderr)
				}
				if !strings.Contains(out, tc.wantOut) {
					t.Errorf("output lacks %q:\n%s", tc.wantOut, out)
				}
				if tc.wantCode == 1 && !strings.Contains(stderr, "trusted key") {
					t.Errorf("stderr %q does not name the bad --trusted-keys", stderr)
				}
			})
		}
	})
	t.Run("no data dir needed", func(t *testing.T) {
		t.Setenv("TTX_DATADIR", "/nonexistent/ttx")
		t.Setenv("TTX_API", "bad api")
		if _, _, err := runCmd(t, "proof", "verify", "--genesis", gen, good); err != nil {
			t.Errorf("verify read settings it does not need: %v", err)
		}
	})
}

// TestProofVerifyNotFinal: a valid proof with no finality certificate
// exits 2 and says why, in text and in JSON.
func TestProofVerifyNotFinal(t *testing.T) {
	isolate(t)
	gen, path, pay, _ := proofNet(t, false)
	out, stderr, err := runCmd(t, "proof", "verify", "--genesis", gen, path)
	if code := exitCode(err); code != 2 || stderr != "" {
		t.Fatalf("exit %d (%v), stderr %q; want 2 and nothing on stderr", code, err, stderr)
	}
	for _, want := range []string{"Valid proof of", pay.ID.String(), "\nnot final: the proof carries no finality certificate for it\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCmd(t, "proof", "verify", "--json", "--genesis", gen, path)
	var r verifyResult
	if code := exitCode(err); code != 2 || json.Unmarshal([]byte(out), &r) != nil || !r.Valid || r.Final || r.NotFinal == "" || r.Votes != 0 {
		t.Errorf("json: exit %d, %s", code, out)
	}
}

func TestGenesisNew(t *testing.T) {
	isolate(t)
	dir := filepath.Join(t.TempDir(), "net")
	out, _, err := runCmd(t, "genesis", "new", "--json", "--name", "enc", "--prefix", "en", "--passphrase", "correct horse", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var r genesisResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	net, err := loadNetwork(r.Genesis)
	if err != nil || net.ID != r.ID || net.Supply() != 21_000_000*dag.Unit || net.Params.Prefix != "en" {
		t.Fatalf("network %+v, %v", net, err)
	}
	if _, err := wallet.Load(r.Key, []byte("wrong")); err == nil {
		t.Error("the supply key opened with a wrong passphrase")
	}
	k, err := wallet.Load(r.Key, []byte("correct horse"))
	if err != nil || k.Address(net) != r.Address || net.Genesis.Out[0].Owner != k.PubKey() {
		t.Errorf("supply key: %v", err)
	}
	fi, err := os.Stat(r.Key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if _, stderr, err := runCmd(t, "genesis", "new", "--name", "enc", "--prefix", "en", "--plaintext", "--dir", dir); err == nil || !strings.Contains(stderr, "already exists") {
		t.Errorf("second genesis new in the same dir: %v %q", err, stderr)
	}
}

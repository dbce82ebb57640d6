package wallet

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

var testPass = []byte("correct horse battery staple")

// sealedOnce caches one encrypted key file: scrypt takes ~0.1 s per use.
var sealedOnce = sync.OnceValues(func() ([]byte, error) {
	k, err := KeyFromSeed(seqSeed())
	if err != nil {
		return nil, err
	}
	kf, err := Seal(k, keyfileNet(), testPass, Options{})
	if err != nil {
		return nil, err
	}
	return kf.Bytes(), nil
})

// keyfileNet is the network key file tests use (prefix "ttxt").
func keyfileNet() *dag.Network {
	p := dag.Params{Name: "wallet-test", Prefix: "ttxt", MaxPrev: 10, MaxOut: 10, MaxMemo: 10}
	raw, err := dag.Encode(&dag.Tx{Version: dag.TxVersion, Genesis: &p,
		Out: []dag.Output{{To: dag.PubKey{1}.Address("ttxt"), Amount: 1}}, Time: 1_790_000_000})
	if err != nil {
		panic(err)
	}
	net, err := dag.NewNetwork(raw)
	if err != nil {
		panic(err)
	}
	return net
}

func sealedFile(t testing.TB) []byte {
	t.Helper()
	b, err := sealedOnce()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func plainFile(t testing.TB) []byte {
	t.Helper()
	k, err := KeyFromSeed(seqSeed())
	if err != nil {
		t.Fatal(err)
	}
	kf, err := Seal(k, keyfileNet(), nil, Options{Plaintext: true, Note: "TEST MONEY ONLY"})
	if err != nil {
		t.Fatal(err)
	}
	return kf.Bytes()
}

func TestSaveLoad(t *testing.T) {
	net := keyfileNet()
	tests := []struct {
		name      string
		pass      []byte
		opts      Options
		encrypted bool
	}{
		{"encrypted", testPass, Options{}, true},
		{"encrypted with note", []byte("x"), Options{Note: "laptop key"}, true},
		{"plaintext", nil, Options{Plaintext: true, Note: "TEST MONEY ONLY"}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := testKey(t, uint64(i))
			path := filepath.Join(t.TempDir(), "wallet.key")
			if err := Save(path, key, net, tc.pass, tc.opts); err != nil {
				t.Fatalf("Save: %v", err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
			}
			kf, err := ReadKeyFile(path)
			if err != nil {
				t.Fatalf("ReadKeyFile: %v", err)
			}
			if kf.Address() != key.Address(net) || kf.PubKey() != key.PubKey() {
				t.Errorf("file address = %s, want %s", kf.Address(), key.Address(net))
			}
			if kf.Encrypted() != tc.encrypted || kf.Note() != tc.opts.Note {
				t.Errorf("Encrypted, Note = %v, %q; want %v, %q", kf.Encrypted(), kf.Note(), tc.encrypted, tc.opts.Note)
			}
			got, err := Load(path, tc.pass)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !got.Equal(key) {
				t.Errorf("Load gave %s, want %s", got, key)
			}
			raw, _ := os.ReadFile(path)
			if tc.encrypted && bytes.Contains(raw, []byte(hex.EncodeToString(key.Seed()))) {
				t.Errorf("encrypted file holds the seed in the clear")
			}
			if !tc.encrypted && !bytes.Contains(raw, []byte(`"cipher": "none"`)) {
				t.Errorf("plaintext file does not say so:\n%s", raw)
			}
		})
	}
}

func TestLoadWrongPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.key")
	if err := os.WriteFile(path, sealedFile(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pass []byte
	}{
		{"wrong", []byte("correct horse battery stapler")},
		{"empty", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Load(path, tc.pass)
			if !errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load: err = %v, want ErrWrongPassphrase only", err)
			}
			if !strings.Contains(err.Error(), "wrong passphrase") || k != nil {
				t.Errorf("Load = %v, %q; want no key and a clear message", k, err)
			}
		})
	}
}

func TestSaveRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wallet.key")
	net := keyfileNet()
	if err := Save(path, testKey(t, 1), net, nil, Options{Plaintext: true}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	err := Save(path, testKey(t, 2), net, nil, Options{Plaintext: true})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second Save: err = %v, want ErrExists", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("existing wallet was changed")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("dir holds %d entries, want 1 (no temporary file left)", len(ents))
	}
}

func TestSaveNoPartialFile(t *testing.T) {
	dir := t.TempDir()
	net := keyfileNet()
	tests := []struct {
		name string
		path string
		pass []byte
		opts Options
	}{
		{"missing dir", filepath.Join(dir, "nope", "wallet.key"), nil, Options{Plaintext: true}},
		{"empty passphrase", filepath.Join(dir, "wallet.key"), nil, Options{}},
		{"plaintext with passphrase", filepath.Join(dir, "wallet.key"), testPass, Options{Plaintext: true}},
		{"bad note", filepath.Join(dir, "wallet.key"), nil, Options{Plaintext: true, Note: "line\nbreak"}},
		{"long note", filepath.Join(dir, "wallet.key"), nil, Options{Plaintext: true, Note: strings.Repeat("n", MaxNoteLen+1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Save(tc.path, testKey(t, 1), net, tc.pass, tc.opts); err == nil {
				t.Fatal("Save succeeded, want an error")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("dir holds %d entries after a failed Save, want 0", len(ents))
			}
		})
	}
	if err := Save(filepath.Join(dir, "k"), testKey(t, 1), net, nil, Options{}); !errors.Is(err, ErrEmptyPassphrase) {
		t.Errorf("Save with no passphrase: err = %v, want ErrEmptyPassphrase", err)
	}
}

func TestKeyFileBytesRoundTrip(t *testing.T) {
	for _, b := range [][]byte{sealedFile(t), plainFile(t)} {
		kf, err := ParseKeyFile(b)
		if err != nil {
			t.Fatalf("ParseKeyFile: %v", err)
		}
		if !bytes.Equal(kf.Bytes(), b) {
			t.Errorf("Bytes() = %s, want %s", kf.Bytes(), b)
		}
	}
}

// edit decodes a key file into a map, applies fn and encodes it again.
func edit(t *testing.T, b []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flipHex changes the last hex digit of s.
func flipHex(s string) string {
	c := byte('0')
	if s[len(s)-1] == '0' {
		c = '1'
	}
	return s[:len(s)-1] + string(c)
}

func TestParseKeyFileCorrupt(t *testing.T) {
	sealed, plain := sealedFile(t), plainFile(t)
	kdf := func(m map[string]any) map[string]any { return m["kdf"].(map[string]any) }
	otherAddr := testKey(t, 3).PubKey().Address("ttxt")
	tests := []struct {
		name string
		in   []byte
		want string // in the error message
	}{
		{"empty", nil, "not a key file"},
		{"not json", []byte("ttxsecret1qqqq"), "not a key file"},
		{"truncated", sealed[:len(sealed)/2], "not a key file"},
		{"trailing data", append(append([]byte{}, sealed...), "{}"...), "data after"},
		{"array", []byte("[]"), "not a key file"},
		{"too large", bytes.Repeat([]byte(" "), MaxFileSize+1), "limit"},
		{"unknown field", edit(t, sealed, func(m map[string]any) { m["extra"] = 1 }), "unknown field"},
		{"wrong type", edit(t, sealed, func(m map[string]any) { m["type"] = "bitcoin" }), "type"},
		{"version 2", edit(t, sealed, func(m map[string]any) { m["version"] = 2 }), "version"},
		{"unknown cipher", edit(t, sealed, func(m map[string]any) { m["cipher"] = "aes" }), "unknown cipher"},
		{"ciphertext bit flip", edit(t, sealed, func(m map[string]any) { m["ciphertext"] = flipHex(m["ciphertext"].(string)) }), "checksum mismatch"},
		{"nonce bit flip", edit(t, sealed, func(m map[string]any) { m["nonce"] = flipHex(m["nonce"].(string)) }), "checksum mismatch"},
		{"salt bit flip", edit(t, sealed, func(m map[string]any) { kdf(m)["salt"] = flipHex(kdf(m)["salt"].(string)) }), "checksum mismatch"},
		{"other address", edit(t, sealed, func(m map[string]any) { m["address"] = otherAddr }), "checksum mismatch"},
		{"checksum missing", edit(t, sealed, func(m map[string]any) { delete(m, "checksum") }), "checksum mismatch"},
		{"address typo", edit(t, sealed, func(m map[string]any) { m["address"] = flipHex(m["address"].(string)) }), "bad address"},
		{"address upper case", edit(t, sealed, func(m map[string]any) { m["address"] = strings.ToUpper(m["address"].(string)) }), "bad address"},
		{"upper-case hex", edit(t, sealed, func(m map[string]any) { m["nonce"] = strings.ToUpper(m["nonce"].(string)) }), "lowercase hex"},
		{"short ciphertext", edit(t, sealed, func(m map[string]any) { m["ciphertext"] = m["ciphertext"].(string)[2:] }), "ciphertext must be"},
		{"no kdf", edit(t, sealed, func(m map[string]any) { delete(m, "kdf") }), "kdf must be scrypt"},
		{"argon2", edit(t, sealed, func(m map[string]any) { kdf(m)["name"] = "argon2id" }), "kdf must be scrypt"},
		{"scrypt n huge", edit(t, sealed, func(m map[string]any) { kdf(m)["n"] = 1 << 40 }), "scrypt n"},
		{"scrypt n weak", edit(t, sealed, func(m map[string]any) { kdf(m)["n"] = 1 << 10 }), "scrypt n"},
		{"scrypt n not power of 2", edit(t, sealed, func(m map[string]any) { kdf(m)["n"] = 3 << 14 }), "scrypt n"},
		{"scrypt r 1", edit(t, sealed, func(m map[string]any) { kdf(m)["r"] = 1 }), "scrypt r"},
		{"scrypt p 0", edit(t, sealed, func(m map[string]any) { kdf(m)["p"] = 0 }), "scrypt r"},
		{"scrypt memory", edit(t, sealed, func(m map[string]any) { kdf(m)["n"] = 1 << 20; kdf(m)["r"] = 16 }), "MiB"},
		{"encrypted with seed", edit(t, sealed, func(m map[string]any) { m["seed"] = strings.Repeat("00", 32) }), "no seed"},
		{"plaintext seed typo", edit(t, plain, func(m map[string]any) { m["seed"] = flipHex(m["seed"].(string)) }), "does not match"},
		{"plaintext short seed", edit(t, plain, func(m map[string]any) { m["seed"] = "00" }), "seed must be"},
		{"plaintext with kdf", edit(t, plain, func(m map[string]any) { m["kdf"] = map[string]any{"name": "scrypt"} }), "plaintext key file has no"},
		{"note with newline", edit(t, plain, func(m map[string]any) { m["note"] = "a\nb" }), "note"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kf, err := ParseKeyFile(tc.in)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ParseKeyFile: err = %v, want ErrCorrupt", err)
			}
			if kf != nil {
				t.Errorf("got a key file and an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestAddressIsAssociatedData checks that the ciphertext is bound to the
// address: a file whose address was swapped (checksum recomputed, as an
// attacker would) does not open.
func TestAddressIsAssociatedData(t *testing.T) {
	kf, err := ParseKeyFile(sealedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	kf.f.Address = testKey(t, 3).PubKey().Address("ttxt")
	kf.f.Checksum = kf.checksum()
	swapped, err := ParseKeyFile(kf.Bytes())
	if err != nil {
		t.Fatalf("ParseKeyFile: %v", err)
	}
	if k, err := swapped.Open(testPass); err == nil {
		t.Fatalf("opened a file with a swapped address: %s", k)
	}
}

func TestReadKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
	path := filepath.Join(dir, "bad")
	if err := os.WriteFile(path, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, testPass); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt file: err = %v, want ErrCorrupt naming the path", err)
	}
}

func TestChangePassphrase(t *testing.T) {
	net := keyfileNet()
	newPass := []byte("a new passphrase")
	tests := []struct {
		name     string
		pass     []byte
		opts     Options
		wantNote string
	}{
		{"encrypted", testPass, Options{Note: "laptop key"}, "laptop key"},
		// A plaintext file becomes encrypted; its note, which said it was
		// not, goes.
		{"plaintext", nil, Options{Plaintext: true, Note: "UNENCRYPTED"}, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "wallet.key")
			key := testKey(t, uint64(10+i))
			if err := Save(path, key, net, tc.pass, tc.opts); err != nil {
				t.Fatal(err)
			}
			if err := ChangePassphrase(path, tc.pass, newPass); err != nil {
				t.Fatalf("ChangePassphrase: %v", err)
			}
			got, err := Load(path, newPass)
			if err != nil || !got.Equal(key) {
				t.Fatalf("Load with the new passphrase = %v, %v; want %s", got, err, key)
			}
			kf, err := ReadKeyFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !kf.Encrypted() || kf.Address() != key.Address(net) || kf.Note() != tc.wantNote {
				t.Errorf("file: encrypted %v, address %s, note %q; want encrypted, %s, %q",
					kf.Encrypted(), kf.Address(), kf.Note(), key.Address(net), tc.wantNote)
			}
			if _, err := Load(path, testPass); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("Load with the old passphrase: %v, want ErrWrongPassphrase", err)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("mode after the change: %v, %v; want 0600", fi.Mode().Perm(), err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("dir holds %d entries, want 1 (no temporary file left)", len(ents))
			}
		})
	}
}

func TestChangePassphraseRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.key")
	if err := os.WriteFile(path, sealedFile(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ChangePassphrase(path, []byte("not it"), []byte("new")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("with a wrong old passphrase: %v, want ErrWrongPassphrase", err)
	}
	if err := ChangePassphrase(path, testPass, nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Errorf("to an empty passphrase: %v, want ErrEmptyPassphrase", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, sealedFile(t)) {
		t.Error("a refused change altered the file")
	}
	if err := ChangePassphrase(filepath.Join(t.TempDir(), "none"), testPass, testPass); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("for a missing file: %v, want fs.ErrNotExist", err)
	}
}

package nodekey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	k1, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("first LoadOrCreate: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %o, want 600", got)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("second LoadOrCreate: %v", err)
	}
	if k1.Public() != k2.Public() {
		t.Errorf("reloaded key %x, want %x", k2.Public(), k1.Public())
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("LoadOrCreate rewrote the file:\n%s\n%s", before, after)
	}
	other, err := LoadOrCreate(filepath.Join(t.TempDir(), "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	if other.Public() == k1.Public() {
		t.Error("two data dirs got the same key")
	}
	msg := []byte("vote")
	pub := k1.Public()
	if !ed25519.Verify(pub[:], msg, ed25519.Sign(k1.PrivateKey(), msg)) {
		t.Error("signature does not verify under Public")
	}
	if seed := hex.EncodeToString(k1.priv.Seed()); strings.Contains(k1.String(), seed) || strings.Contains(k1.GoString(), seed) {
		t.Error("String shows the seed")
	}
}

func TestLoadOrCreateCorrupt(t *testing.T) {
	good, err := Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good.Bytes())
	i := bytes.LastIndex(flipped, []byte(`"}`)) - 1 // last hex digit of the seed
	flipped[i] ^= 1
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a key\n")},
		{"wallet-like", []byte(`{"type":"ttx-key","version":1,"public":"","seed":""}`)},
		{"seed flipped", flipped},
		{"truncated", good.Bytes()[:len(good.Bytes())/2]},
		{"trailing", append(good.Bytes(), good.Bytes()...)},
		{"unknown field", []byte(`{"type":"ttx-node-key","version":1,"public":"","seed":"","x":1}`)},
		{"huge", bytes.Repeat([]byte(" "), MaxFileSize+10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "node.key")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			k, err := LoadOrCreate(path)
			if !errors.Is(err, ErrMalformed) || k != nil {
				t.Fatalf("LoadOrCreate = %v, %v; want ErrMalformed", k, err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			now, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(now, tc.data) {
				t.Errorf("the corrupt file was changed (err %v)", err)
			}
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	k, err := Generate(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"ttx-node-key","version":1,"public":"ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c","seed":"0707070707070707070707070707070707070707070707070707070707070707"}` + "\n"
	if got := string(k.Bytes()); got != want {
		t.Errorf("Bytes =\n%s\nwant\n%s", got, want)
	}
	k2, err := Parse(k.Bytes())
	if err != nil || k2.Public() != k.Public() {
		t.Fatalf("Parse = %v, %v", k2, err)
	}
}

package wallet

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseKeyFile checks that ParseKeyFile never panics, never returns
// (nil, nil), fails only with ErrCorrupt, and that a parsed file re-encodes
// to bytes that parse to the same file and encode identically. Plaintext
// files must open. (Encrypted files are not opened: scrypt is too slow to
// fuzz.)
func FuzzParseKeyFile(f *testing.F) {
	f.Add(sealedFile(f))
	f.Add(plainFile(f))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"type":"ttx-key","version":1,"address":"ttxt1","cipher":"none","seed":""}`))
	f.Add([]byte(`{"type":"ttx-key","version":1,"address":"ttxt1qqqq","cipher":"xchacha20-poly1305","kdf":{"name":"scrypt","n":32768,"r":8,"p":1,"salt":"00"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		kf, err := ParseKeyFile(b)
		if err != nil {
			if kf != nil {
				t.Fatalf("got a key file and an error: %v", err)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		if kf == nil {
			t.Fatal("ParseKeyFile returned (nil, nil)")
		}
		enc := kf.Bytes()
		kf2, err := ParseKeyFile(enc)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", enc, err)
		}
		if !reflect.DeepEqual(kf, kf2) {
			t.Fatalf("round trip changed the file:\n%+v\n%+v", kf, kf2)
		}
		if !bytes.Equal(kf2.Bytes(), enc) {
			t.Fatalf("second encoding differs:\n%s\n%s", enc, kf2.Bytes())
		}
		if !kf.Encrypted() {
			k, err := kf.Open(nil)
			if err != nil || k.PubKey() != kf.PubKey() {
				t.Fatalf("plaintext file does not open to its address: %v", err)
			}
		}
	})
}

// FuzzRestore checks that Restore never panics, never returns (nil, nil),
// and that a restored key's backup is the input in canonical form.
func FuzzRestore(f *testing.F) {
	k, err := KeyFromSeed(seqSeed())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.Backup())
	f.Add(strings.ToUpper(k.Backup()))
	f.Add(" " + k.Backup() + "\n")
	f.Add(k.PubKey().Address("ttx"))
	f.Add("ttxsecret1")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Restore(s)
		if err != nil {
			if k != nil {
				t.Fatalf("got a key and an error: %v", err)
			}
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("error does not wrap ErrBadBackup: %v", err)
			}
			return
		}
		if k == nil {
			t.Fatal("Restore returned (nil, nil)")
		}
		if got, want := k.Backup(), strings.ToLower(strings.TrimSpace(s)); got != want {
			t.Fatalf("Backup() = %q, want %q", got, want)
		}
	})
}

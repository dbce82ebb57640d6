package dag

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// sigVector is one signature edge case and its verdict under ttx's rule.
type sigVector struct {
	Case      string `json:"case"`
	Message   string `json:"message"`
	PubKey    string `json:"pub_key"`
	Signature string `json:"signature"`
	Valid     bool   `json:"valid"`
}

// sigCase is a decoded sigVector.
type sigCase struct {
	name     string
	pub      PubKey
	msg, sig []byte
	valid    bool
}

func decodeSigCase(t testing.TB, v sigVector) sigCase {
	t.Helper()
	msg, err1 := hex.DecodeString(v.Message)
	pub, err2 := hex.DecodeString(v.PubKey)
	sig, err3 := hex.DecodeString(v.Signature)
	if err1 != nil || err2 != nil || err3 != nil || len(pub) != len(PubKey{}) {
		t.Fatalf("vector %q: bad hex or key length", v.Case)
	}
	return sigCase{name: v.Case, pub: PubKey(pub), msg: msg, sig: sig, valid: v.Valid}
}

// sigCases returns the edge cases of testdata/sig (see its README) and a
// few made here from a good signature.
func sigCases(t testing.TB) []sigCase {
	t.Helper()
	var cases []sigCase
	var spec []sigVector
	readJSON(t, filepath.Join("testdata", "sig", "speccheck.json"), &spec)
	if len(spec) != 12 {
		t.Fatalf("speccheck.json holds %d cases, want 12", len(spec))
	}
	for _, v := range spec {
		cases = append(cases, decodeSigCase(t, sigVector{Case: "speccheck " + v.Case, Message: v.Message, PubKey: v.PubKey, Signature: v.Signature, Valid: v.Valid}))
	}
	var zip [][2]string
	readJSON(t, filepath.Join("testdata", "sig", "zip215.json"), &zip)
	if len(zip) != 196 {
		t.Fatalf("zip215.json holds %d cases, want 196", len(zip))
	}
	for i, v := range zip {
		cases = append(cases, decodeSigCase(t, sigVector{Case: fmt.Sprintf("zip215 %03d", i), Message: hex.EncodeToString([]byte("Zcash")), PubKey: v[0], Signature: v[1], Valid: true}))
	}

	key := codecKey(7)
	msg := []byte("ttx signature rule")
	good := ed25519.Sign(key, msg)
	cases = append(cases, sigCase{name: "standard library signature", pub: codecPub(key), msg: msg, sig: good, valid: true})
	// S + L is the same scalar mod L: valid under a rule that reduces S,
	// invalid under ours (S < L).
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	s := new(big.Int).SetBytes(reversed(good[32:]))
	s.Add(s, l)
	high := append(append([]byte(nil), good[:32]...), reversed(s.FillBytes(make([]byte, 32)))...)
	cases = append(cases, sigCase{name: "S + L", pub: codecPub(key), msg: msg, sig: high, valid: false})
	flipped := append([]byte(nil), good...)
	flipped[10] ^= 1
	cases = append(cases,
		sigCase{name: "R changed", pub: codecPub(key), msg: msg, sig: flipped, valid: false},
		sigCase{name: "other message", pub: codecPub(key), msg: []byte("ttx signature rulE"), sig: good, valid: false},
		sigCase{name: "63-byte signature", pub: codecPub(key), msg: msg, sig: good[:63], valid: false},
		sigCase{name: "no signature", pub: codecPub(key), msg: msg, sig: nil, valid: false},
	)
	return cases
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// reversed returns b's bytes in reverse order (little- to big-endian).
func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

// TestSigRule checks every edge case's verdict alone (VerifySig), in a
// batch of its own copies, and in a batch among good signatures, where it
// must not change the verdict of the others.
func TestSigRule(t *testing.T) {
	cases := sigCases(t)
	var goods []sigCase
	for i := range 5 {
		key := codecKey(byte(20 + i))
		msg := []byte{byte(i), 't', 't', 'x'}
		goods = append(goods, sigCase{pub: codecPub(key), msg: msg, sig: ed25519.Sign(key, msg), valid: true})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifySig(tc.pub, tc.msg, tc.sig); got != tc.valid {
				t.Errorf("VerifySig = %v, want %v", got, tc.valid)
			}
			for _, n := range []int{1, 2, 40} { // 1: SigBatch checks it alone
				b := NewSigBatch(n)
				for range n {
					b.Add(tc.pub, tc.msg, tc.sig)
				}
				ok, valid := b.Verify()
				if ok != tc.valid || len(valid) != n {
					t.Fatalf("batch of %d copies: ok = %v (%d verdicts), want %v", n, ok, len(valid), tc.valid)
				}
				for i, v := range valid {
					if v != tc.valid {
						t.Fatalf("batch of %d copies: copy %d = %v, want %v", n, i, v, tc.valid)
					}
				}
			}
			mixed := append(append(append([]sigCase(nil), goods[:2]...), tc), goods[2:]...)
			b := NewSigBatch(len(mixed))
			for _, c := range mixed {
				b.Add(c.pub, c.msg, c.sig)
			}
			ok, valid := b.Verify()
			if ok != tc.valid {
				t.Errorf("mixed batch: ok = %v, want %v", ok, tc.valid)
			}
			for i, c := range mixed {
				if valid[i] != c.valid {
					t.Errorf("mixed batch: entry %d = %v, want %v", i, valid[i], c.valid)
				}
			}
		})
	}
}

// TestSigRuleAcceptsStandardLibrary checks, on every edge case, that what
// Go's crypto/ed25519 accepts the ttx rule accepts too, so no signature
// verified before the rule was adopted becomes invalid. (The converse does
// not hold: the standard library rejects the cofactored-only and
// small-order cases ZIP-215 accepts.)
func TestSigRuleAcceptsStandardLibrary(t *testing.T) {
	differ := 0
	for _, tc := range sigCases(t) {
		std := len(tc.sig) == ed25519.SignatureSize && ed25519.Verify(tc.pub[:], tc.msg, tc.sig)
		if std && !tc.valid {
			t.Errorf("%s: the standard library accepts it, ttx does not", tc.name)
		}
		if std != tc.valid {
			differ++
		}
	}
	if differ == 0 {
		t.Error("the standard library agrees on every edge case: the vectors test nothing ZIP-215 decides")
	}
}

func TestSigBatchEmpty(t *testing.T) {
	if ok, valid := NewSigBatch(0).Verify(); !ok || valid != nil {
		t.Errorf("empty batch: %v, %v; want true, nil", ok, valid)
	}
}

package dag

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics, never returns (nil, nil),
// returns only RuleErrors, and that whatever it accepts re-encodes to the
// identical bytes, with IDs and binary fields that match them.
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases(f) {
		f.Add([]byte(tc.raw))
	}
	for _, name := range []string{"genesis.json", "tx.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	r := rand.New(rand.NewPCG(1, 1))
	keys := []ed25519.PrivateKey{codecKey(10), codecKey(11)}
	for _, n := range tamperNets(f) {
		f.Add(n.Genesis.Raw)
		f.Add(randomSigned(f, r, n, keys).Raw)
	}
	golden := codecNetwork(f, goldenParams, codecPub(codecKey(1)), goldenSupply)
	var dec decoder // shared by every input, as Decode's is
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := (*decoder)(nil).decode(raw, nil) // from no memory
		if q, qerr := Decode(raw); !reflect.DeepEqual(q, p) || (qerr == nil) != (err == nil) {
			t.Fatalf("Decode = %+v, %v; from no memory %+v, %v", q, qerr, p, err)
		}
		// Twice: the second call takes the addresses from memory.
		for range 2 {
			dp, derr := dec.decode(raw, nil)
			dre, _ := IsRuleError(derr)
			re, _ := IsRuleError(err)
			if !reflect.DeepEqual(dp, p) || (derr == nil) != (err == nil) || dre.Code != re.Code {
				t.Fatalf("decoder.decode = %+v, %v; Decode = %+v, %v", dp, derr, p, err)
			}
		}
		if err != nil {
			if p != nil {
				t.Fatalf("Decode returned a Parsed and error %v", err)
			}
			if _, ok := IsRuleError(err); !ok {
				t.Fatalf("Decode error %v is not a RuleError", err)
			}
			return
		}
		checkParsed(t, p, raw)
		// CheckSanity must judge any decoded tx without panicking, on a
		// network of its own prefix and on another one.
		nets := []*Network{golden}
		if p.Prefix != golden.Params.Prefix {
			pr := goldenParams
			pr.Prefix = p.Prefix
			nets = append(nets, codecNetwork(t, pr, codecPub(codecKey(1)), goldenSupply))
		}
		for _, n := range nets {
			if err := n.CheckSanity(p); err != nil {
				if _, ok := IsRuleError(err); !ok {
					t.Fatalf("CheckSanity error %v is not a RuleError", err)
				}
			}
			if !p.IsGenesis() {
				sb, err := SigningBytes(n.ID, &p.Tx)
				if err != nil || !bytes.Equal(sb, n.parsedSigningBytes(p)) {
					t.Fatalf("signing bytes cut from the raw tx differ from SigningBytes (%v)", err)
				}
			}
		}
	})
}

// amountOracle parses s with math/big, as the decimal grammar
// [0-9]+(\.[0-9]{1,8})? of at most 40 bytes, in base units.
func amountOracle(s string) (*big.Int, bool) {
	if len(s) == 0 || len(s) > 40 {
		return nil, false
	}
	whole, frac, dot := strings.Cut(s, ".")
	digits := func(x string) bool {
		for _, c := range []byte(x) {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if whole == "" || (dot && (frac == "" || len(frac) > Decimals)) || !digits(whole) || !digits(frac) {
		return nil, false
	}
	v, _ := new(big.Int).SetString(whole+frac+strings.Repeat("0", Decimals-len(frac)), 10)
	return v, true
}

// FuzzParseAmount checks ParseAmount against a math/big oracle, and that
// String of any amount parses back to it.
func FuzzParseAmount(f *testing.F) {
	for i, tc := range amountCases {
		f.Add(tc.s, uint64(tc.want)+uint64(i))
	}
	f.Add("184467440737.09551615", uint64(MaxAmount))
	f.Fuzz(func(t *testing.T, s string, n uint64) {
		a, err := ParseAmount(s)
		want, ok := amountOracle(s)
		switch {
		case !ok:
			if !errors.Is(err, ErrAmountSyntax) {
				t.Fatalf("ParseAmount(%q) = %d, %v; want ErrAmountSyntax", s, a, err)
			}
		case !want.IsUint64():
			if !errors.Is(err, ErrAmountOverflow) {
				t.Fatalf("ParseAmount(%q) = %d, %v; want ErrAmountOverflow", s, a, err)
			}
		default:
			if err != nil || uint64(a) != want.Uint64() {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %v", s, a, err, want)
			}
			if back, err := ParseAmount(a.String()); err != nil || back != a {
				t.Fatalf("ParseAmount(%q.String() = %q) = %d, %v", s, a.String(), back, err)
			}
		}
		if err != nil && a != 0 {
			t.Fatalf("ParseAmount(%q) returned %d with an error", s, a)
		}
		str := Amount(n).String()
		if back, err := ParseAmount(str); err != nil || back != Amount(n) {
			t.Fatalf("ParseAmount(Amount(%d).String() = %q) = %d, %v", n, str, back, err)
		}
	})
}

// FuzzParseAddress checks that ParseAddress fails only with ErrBadAddress,
// that what it accepts re-encodes to the input (lower-cased), and that the
// canonical decoder used inside tx.json accepts exactly the canonical forms.
func FuzzParseAddress(f *testing.F) {
	for seed := byte(0); seed < 3; seed++ {
		addr := codecPub(codecKey(seed)).Address("ttx")
		f.Add(addr)
		f.Add(strings.ToUpper(addr))
		f.Add(typo(addr))
		f.Add(codecPub(codecKey(seed)).Address("t1x"))
	}
	b32, _ := encodeBech32ForTest("ttx", codecPub(codecKey(1)))
	f.Add(b32)
	f.Add(encodeMBytes(f, "ttx", make([]byte, 31)))
	f.Add("")
	f.Add("ttx1")
	f.Fuzz(func(t *testing.T, s string) {
		hrp := AddressPrefix(s)
		pk, err := ParseAddress(s, hrp)
		if err != nil {
			if re, ok := IsRuleError(err); !ok || re.Code != ErrBadAddress || pk != (PubKey{}) {
				t.Fatalf("ParseAddress(%q) = %x, %v", s, pk, err)
			}
		} else if ValidPrefix(hrp) && pk.Address(hrp) != strings.ToLower(s) {
			t.Fatalf("ParseAddress(%q) = %x, which encodes as %q", s, pk, pk.Address(hrp))
		}
		h, pk2, err := decodeAddress(s)
		if err != nil {
			if re, ok := IsRuleError(err); !ok || re.Code != ErrBadAddress {
				t.Fatalf("decodeAddress(%q): %v", s, err)
			}
			return
		}
		if h != hrp || pk2 != pk || pk2.Address(h) != s {
			t.Fatalf("decodeAddress(%q) = %q, %x: not canonical", s, h, pk2)
		}
	})
}

// FuzzParseTxID checks that an accepted ID prints as the input.
func FuzzParseTxID(f *testing.F) {
	f.Add(hexID)
	for _, tc := range txidBad {
		f.Add(tc.s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseTxID(s)
		var u TxID
		uerr := u.UnmarshalText([]byte(s))
		if (err == nil) != (uerr == nil) || u != id {
			t.Fatalf("ParseTxID and UnmarshalText disagree on %q", s)
		}
		if err == nil && id.String() != s {
			t.Fatalf("ParseTxID(%q).String() = %q", s, id.String())
		}
	})
}

// FuzzParseOutPoint checks that an accepted outpoint prints as the input.
func FuzzParseOutPoint(f *testing.F) {
	for _, s := range []string{hexID + ":0", hexID + ":4294967295", hexID + ":01", hexID + ":4294967296", hexID + ":", hexID} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		op, err := ParseOutPoint(s)
		if err == nil && op.String() != s {
			t.Fatalf("ParseOutPoint(%q).String() = %q", s, op.String())
		}
		if err != nil && op != (OutPoint{}) {
			t.Fatalf("ParseOutPoint(%q) returned %v with an error", s, op)
		}
	})
}

// FuzzParseInfoDict checks that the strict info dict parser accepts exactly
// the dicts InfoDict builds: an accepted dict is rebuilt byte for byte from
// its fields, and hashes to the IDs returned.
func FuzzParseInfoDict(f *testing.F) {
	for _, n := range []int{1, 132, MaxTxSize} {
		f.Add(InfoDict(bytes.Repeat([]byte{'t'}, n)))
	}
	f.Add([]byte("d9:file treed7:tx.jsond0:d6:lengthi07e"))
	f.Add([]byte("de"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := ParseInfoDict(b)
		if err != nil {
			if re, ok := IsRuleError(err); !ok || re.Code != ErrMalformed || ids != (TxIDs{}) {
				t.Fatalf("ParseInfoDict = %v, %v", ids, err)
			}
		} else if ids.ID != sha256.Sum256(b) || ids.V1 != sha1.Sum(b) {
			t.Fatalf("ParseInfoDict returned IDs that are not the dict's hashes")
		}
		// Whatever b is, as file contents its dict parses to its IDs.
		if len(b) > 0 && len(b) <= MaxTxSize {
			if got, err := ParseInfoDict(InfoDict(b)); err != nil || got != IDs(b) {
				t.Fatalf("ParseInfoDict(InfoDict(b)) = %v, %v; want %v", got, err, IDs(b))
			}
		}
	})
}

// FuzzSigBatch checks that any public key, message and signature bytes
// get the same verdict from VerifySig as from a SigBatch, where they sit
// between good signatures whose verdicts they must not change, and that
// neither panics.
func FuzzSigBatch(f *testing.F) {
	for _, tc := range sigCases(f) {
		f.Add(tc.pub[:], tc.msg, tc.sig)
	}
	key := codecKey(3)
	msg := []byte("good")
	good, pub := ed25519.Sign(key, msg), codecPub(key)
	f.Fuzz(func(t *testing.T, pk, msg2, sig []byte) {
		if len(pk) != len(PubKey{}) {
			return
		}
		one := VerifySig(PubKey(pk), msg2, sig)
		b := NewSigBatch(3)
		b.Add(pub, msg, good)
		b.Add(PubKey(pk), msg2, sig)
		b.Add(pub, msg, good)
		ok, valid := b.Verify()
		if ok != one || len(valid) != 3 || valid[1] != one || !valid[0] || !valid[2] {
			t.Fatalf("VerifySig = %v; batch = %v %v", one, ok, valid)
		}
	})
}

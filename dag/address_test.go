package dag

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// bech32Charset is the bech32 data alphabet (BIP 173).
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// encodeBech32ForTest encodes key bytes like PubKey.Address, but with the
// original bech32 checksum instead of bech32m.
func encodeBech32ForTest(prefix string, pk PubKey) (string, error) {
	conv, err := bech32.ConvertBits(pk[:], 8, 5, true)
	if err != nil {
		return "", err
	}
	return bech32.Encode(prefix, conv)
}

// encodeMBytes encodes arbitrary bytes as a bech32m string.
func encodeMBytes(tb testing.TB, prefix string, b []byte) string {
	tb.Helper()
	conv, err := bech32.ConvertBits(b, 8, 5, true)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := bech32.EncodeM(prefix, conv)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestAddressRoundTrip(t *testing.T) {
	for _, prefix := range []string{"ttx", "a", "t1x", "abcdefghijklmnop"} {
		for seed := byte(0); seed < 4; seed++ {
			pk := codecPub(codecKey(seed))
			addr := pk.Address(prefix)
			if !strings.HasPrefix(addr, prefix+"1") || addr != strings.ToLower(addr) {
				t.Errorf("Address(%q) = %q: want lowercase with prefix", prefix, addr)
			}
			if got := AddressPrefix(addr); got != prefix {
				t.Errorf("AddressPrefix(%q) = %q, want %q", addr, got, prefix)
			}
			for _, s := range []string{addr, strings.ToUpper(addr)} {
				got, err := ParseAddress(s, prefix)
				if err != nil || got != pk {
					t.Errorf("ParseAddress(%q) = %x, %v; want %x", s, got, err, pk)
				}
			}
			hrp, got, err := decodeAddress(addr)
			if err != nil || got != pk || hrp != prefix {
				t.Errorf("decodeAddress(%q) = %q, %x, %v", addr, hrp, got, err)
			}
		}
	}
}

func TestParseAddressErrors(t *testing.T) {
	pk := codecPub(codecKey(7))
	addr := pk.Address("ttx")
	b32, err := encodeBech32ForTest("ttx", pk)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := bech32.ConvertBits(pk[:], 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	conv[len(conv)-1] |= 1 // the 4 padding bits must be zero
	badPad, err := bech32.EncodeM("ttx", conv)
	if err != nil {
		t.Fatal(err)
	}
	mixed := strings.ToUpper(addr[:5]) + addr[5:]
	tests := []struct {
		name, s, prefix string
	}{
		{"wrong prefix", addr, "tty"},
		{"prefix asked in upper case", addr, "TTX"},
		{"one-character typo", typo(addr), "ttx"},
		{"swapped characters", addr[:10] + string(addr[11]) + string(addr[10]) + addr[12:], "ttx"},
		{"bech32, not bech32m", b32, "ttx"},
		{"mixed case", mixed, "ttx"},
		{"31-byte payload", encodeMBytes(t, "ttx", pk[:31]), "ttx"},
		{"33-byte payload", encodeMBytes(t, "ttx", append(pk[:], 0)), "ttx"},
		{"empty payload", encodeMBytes(t, "ttx", nil), "ttx"},
		{"non-zero padding bits", badPad, "ttx"},
		{"character outside the alphabet", addr[:10] + "b" + addr[11:], "ttx"},
		{"truncated", addr[:len(addr)-1], "ttx"},
		{"extra character", addr + "q", "ttx"},
		{"empty", "", "ttx"},
		{"no separator", "ttxqqqqqqqq", "ttx"},
		{"separator only", "ttx1", "ttx"},
		{"space inside", addr[:10] + " " + addr[11:], "ttx"},
		{"too long for bech32", "ttx1" + strings.Repeat("q", 87), "ttx"},
		{"too long", strings.Repeat("q", 101), "ttx"},
		{"non-ASCII", "ttx1é" + addr[5:], "ttx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAddress(tc.s, tc.prefix)
			re, ok := IsRuleError(err)
			if !ok || re.Code != ErrBadAddress {
				t.Fatalf("ParseAddress(%q, %q) = %x, %v; want ErrBadAddress", tc.s, tc.prefix, got, err)
			}
			if got != (PubKey{}) {
				t.Errorf("ParseAddress returned key %x with an error", got)
			}
		})
	}
}

// TestAddressSingleErrors checks that every single-character substitution in
// the data part is caught (bech32m detects any error in up to 4 characters).
func TestAddressSingleErrors(t *testing.T) {
	addr := codecPub(codecKey(3)).Address("ttx")
	for i := len("ttx1"); i < len(addr); i++ {
		for _, c := range []byte(bech32Charset) {
			if addr[i] == c {
				continue
			}
			s := addr[:i] + string(c) + addr[i+1:]
			if pk, err := ParseAddress(s, "ttx"); err == nil {
				t.Fatalf("ParseAddress(%q) accepted a typo of %q: %x", s, addr, pk)
			}
		}
	}
}

func TestDecodeAddressCanonical(t *testing.T) {
	addr := codecPub(codecKey(3)).Address("ttx")
	for _, s := range []string{strings.ToUpper(addr), "", "1qqqqqqqq", "Ttx1" + addr[4:]} {
		if _, _, err := decodeAddress(s); err == nil {
			t.Errorf("decodeAddress(%q) accepted a non-canonical address", s)
		}
	}
}

func TestAddressPrefix(t *testing.T) {
	tests := []struct{ s, want string }{
		{"ttx1qqq", "ttx"},
		{"TTX1QQQ", "ttx"},
		{"a1b1c", "a1b"},
		{"noseparator", ""},
		{"1abc", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := AddressPrefix(tc.s); got != tc.want {
			t.Errorf("AddressPrefix(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	tests := []struct {
		p    string
		want bool
	}{
		{"ttx", true},
		{"a", true},
		{"t1x", true},
		{"abcdefghijklmnop", true},
		{"abcdefghijklmnopq", false},
		{"", false},
		{"1tx", false},
		{"Ttx", false},
		{"t-x", false},
		{"t x", false},
		{"tté", false},
	}
	for _, tc := range tests {
		if got := ValidPrefix(tc.p); got != tc.want {
			t.Errorf("ValidPrefix(%q) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestAddressPanicsOnBadPrefix(t *testing.T) {
	for _, p := range []string{"", "TTX", "1tx", "t x"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Address(%q) did not panic", p)
				}
			}()
			PubKey{}.Address(p)
		}()
	}
}

// TestParseAddressErrors checks that each kind of bad address is named in
// words, that an upper-case address is echoed in lower case, and that no
// error shows the checksum the corrected address would have.
func TestParseAddressInWords(t *testing.T) {
	var pk PubKey
	pk[0], pk[31] = 7, 9
	good := pk.Address("ttx")
	body := good[len("ttx1") : len(good)-6]
	sum := good[len(good)-6:]
	typo := good[:10] + flip(good[10]) + good[11:]
	for _, tc := range []struct {
		name, in, want string
	}{
		{"typo", typo, "has a typo: its checksum does not match"},
		{"upper-case typo", strings.ToUpper(typo), `"` + typo + `" has a typo`},
		{"other network", "tst1" + body + sum, `is for network prefix "tst", not "ttx"`},
		{"mixed case", "ttx1" + strings.ToUpper(body[:3]) + body[3:] + sum, "mixes upper and lower case"},
		{"not in the alphabet", "ttx1" + body[:5] + "b" + body[6:] + sum, `holds 'b', which no address does`},
		{"cut short", "ttx1qq", "is incomplete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAddress(tc.in, "ttx")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseAddress(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
			if re, ok := IsRuleError(err); !ok || re.Code != ErrBadAddress {
				t.Errorf("error %v is not ErrBadAddress", err)
			}
			if strings.Contains(err.Error(), sum) && !strings.Contains(strings.ToLower(tc.in), sum) || strings.Contains(strings.ToLower(err.Error()), "expected") {
				t.Errorf("error %q shows a checksum", err)
			}
		})
	}
	// Nor the checksum that would make the typo valid.
	conv := make([]byte, 0, len(body))
	for i := range len(body) {
		conv = append(conv, byte(strings.IndexByte(bech32Charset, typo[len("ttx1")+i])))
	}
	valid, err := bech32.EncodeM("ttx", conv)
	if err != nil {
		t.Fatal(err)
	}
	_, perr := ParseAddress(typo, "ttx")
	if perr == nil || strings.Contains(perr.Error(), valid[len(valid)-6:]) {
		t.Errorf("typo error %v contains the checksum %s that would make it valid", perr, valid[len(valid)-6:])
	}
}

// flip returns a different bech32 character than c.
func flip(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}

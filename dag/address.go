package dag

import (
	"crypto/ed25519"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// PubKey is an Ed25519 public key: the owner of outputs and the signer of
// transactions.
type PubKey [ed25519.PublicKeySize]byte

// Address encodes pk as a bech32m string with the network's prefix as the
// human-readable part, e.g. "ttx1…". The checksum catches typos. It panics
// if prefix is not a ValidPrefix (a programmer error: bech32.EncodeM would
// silently lower-case it or accept an empty one).
func (pk PubKey) Address(prefix string) string {
	if !ValidPrefix(prefix) {
		panic(fmt.Sprintf("dag: bad address prefix %q", prefix))
	}
	conv, err := bech32.ConvertBits(pk[:], 8, 5, true)
	if err != nil {
		panic(err) // cannot happen for 32 bytes
	}
	s, err := bech32.EncodeM(prefix, conv)
	if err != nil {
		panic(err) // cannot happen: every 5-bit value is in the alphabet
	}
	return s
}

// ValidPrefix reports whether p can be a network's address prefix: 1 to 16
// characters of lowercase letters and digits, starting with a letter.
func ValidPrefix(p string) bool {
	if len(p) < 1 || len(p) > 16 || p[0] < 'a' || p[0] > 'z' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// ParseAddress decodes a bech32m address and checks that its prefix is
// prefix. Upper-case input is accepted (as BIP 173 allows); mixed case is not.
// Errors are RuleErrors with code ErrBadAddress and say what is wrong.
func ParseAddress(s, prefix string) (PubKey, error) {
	var pk PubKey
	if len(s) > 100 {
		return pk, ruleError(ErrBadAddress, "address is too long (%d characters)", len(s))
	}
	hrp, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		return pk, ruleError(ErrBadAddress, "invalid address %q: %v", s, err)
	}
	if version != bech32.VersionM {
		return pk, ruleError(ErrBadAddress, "address %q is bech32, not bech32m", s)
	}
	if hrp != prefix {
		return pk, ruleError(ErrBadAddress, "address %q is for network prefix %q, not %q", s, hrp, prefix)
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil || len(b) != len(pk) {
		return pk, ruleError(ErrBadAddress, "address %q does not hold a %d-byte key", s, len(pk))
	}
	copy(pk[:], b)
	return pk, nil
}

// AddressPrefix returns the prefix (human-readable part) of an address
// without checking the rest; it lets errors say which network an address
// belongs to.
func AddressPrefix(s string) string {
	i := strings.LastIndexByte(s, '1')
	if i < 0 {
		return ""
	}
	return strings.ToLower(s[:i])
}

// Sizes of the part of a canonical address after its prefix: the separator
// '1', 52 data characters (the key's 256 bits in 5-bit groups, then 4 zero
// bits of padding) and the 6-character checksum.
const (
	addrDataLen = (8*len(PubKey{}) + 4) / 5
	addrTailLen = 1 + addrDataLen + 6
)

// bech32mConst is the value the checksum polymod of a valid bech32m string
// ends at (BIP 350).
const bech32mConst = 0x2bc830a3

// bech32Values maps a lowercase bech32 data character to its 5-bit value,
// and any other byte to -1.
var bech32Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for v, c := range []byte("qpzry9x8gf2tvdw0s3jn54khce6mua7l") {
		t[c] = int8(v)
	}
	return t
}()

// polymodTable[b] is the XOR of the BIP 173 generators selected by the bits
// of b, the 5 bits shifted out of the checksum in one polymod step.
var polymodTable = func() (t [32]uint32) {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for b := range t {
		for i, g := range gen {
			if b>>i&1 == 1 {
				t[b] ^= g
			}
		}
	}
	return t
}()

// polymodStep feeds the 5-bit value v into the 30-bit bech32 checksum chk.
func polymodStep(chk uint32, v byte) uint32 {
	return (chk&0x1ffffff)<<5 ^ uint32(v) ^ polymodTable[chk>>25]
}

// polymodTable2[h] is what two polymod steps with zero input make of a
// checksum whose top 10 bits are h and whose other bits are zero.
var polymodTable2 = func() (t [1024]uint32) {
	for h := range t {
		t[h] = polymodStep(polymodStep(uint32(h)<<20, 0), 0)
	}
	return t
}()

// polymodStep2 feeds two 5-bit values, v = v1<<5 | v2, into chk. The step
// is linear over GF(2), so two of them are the low 20 bits of chk and v
// shifted through, XOR what the top 10 bits turn into.
func polymodStep2(chk uint32, v uint32) uint32 {
	return (chk&0xfffff)<<10 ^ v ^ polymodTable2[chk>>20]
}

// parseCanonicalAddress decodes s if it is exactly what PubKey.Address
// returns for some key and ValidPrefix prefix: a lowercase bech32m string
// with a 32-byte key and zero padding bits. ok is false for anything else,
// including the upper-case forms that ParseAddress accepts.
//
// It needs no re-encoding: the data characters give the key's bits one to
// one, the checksum is a function of the prefix and the data, and only the
// case could differ, so a lowercase string that decodes is the encoding of
// its key.
func parseCanonicalAddress(s string) (hrp string, pk PubKey, ok bool) {
	n := len(s) - addrTailLen
	if n < 1 || s[n] != '1' || !ValidPrefix(s[:n]) {
		return "", PubKey{}, false
	}
	hrp = s[:n]
	chk := uint32(1)
	for i := 0; i < n; i++ {
		chk = polymodStep(chk, hrp[i]>>5)
	}
	chk = polymodStep(chk, 0)
	for i := 0; i < n; i++ {
		chk = polymodStep(chk, hrp[i]&31)
	}
	// The 58 characters after the separator: 52 of data, 6 of checksum.
	var v [addrTailLen - 1]byte
	var bad int8
	for i, c := range []byte(s[n+1:]) {
		x := bech32Values[c]
		bad |= x
		v[i] = byte(x)
	}
	if bad < 0 {
		return "", PubKey{}, false
	}
	for i := 0; i < len(v); i += 2 {
		chk = polymodStep2(chk, uint32(v[i])<<5|uint32(v[i+1]))
	}
	// The key is the first 256 of the 260 data bits; the 4 others are zero.
	if chk != bech32mConst || v[addrDataLen-1]&15 != 0 {
		return "", PubKey{}, false
	}
	for g := range 6 { // 8 characters, 40 bits, make 5 bytes
		var x uint64
		for _, c := range v[8*g : 8*g+8] {
			x = x<<5 | uint64(c)
		}
		pk[5*g], pk[5*g+1], pk[5*g+2], pk[5*g+3], pk[5*g+4] = byte(x>>32), byte(x>>24), byte(x>>16), byte(x>>8), byte(x)
	}
	x := uint32(v[48])<<15 | uint32(v[49])<<10 | uint32(v[50])<<5 | uint32(v[51])
	pk[30], pk[31] = byte(x>>12), byte(x>>4)
	return hrp, pk, true
}
